/* host/registry_cache.h — the registry cache: what the registry learned about
 * each plugin folder (the record, the whole parsed manifest, a trial load's
 * verdict), kept between runs in one binary file and trusted only while the
 * folder, its manifest and its module are the files it was learned from.
 * Internal to libpio-host; the file format is in registry_cache_format.h.
 *
 * How the registry uses it, per plugin folder:
 *   pio_registry_cache_lookup()  hit: take the entry, skip the folder
 *                                miss: read the folder as usual, then
 *   pio_registry_cache_store()   remember the record
 * again pio_registry_cache_store() after a trial load, and once at the end
 * pio_registry_cache_commit() (writes only when something changed).  Every function accepts a NULL cache and then does
 * nothing, so the caller needs no "is the cache on" branches.
 *
 * Never fatal: an unreadable, corrupt, truncated or foreign cache file is
 * ignored and rebuilt; a cache folder that cannot be written only costs
 * speed.  Not thread-safe: one cache belongs to one registry being opened. */
#ifndef PIO_HOST_REGISTRY_CACHE_H
#define PIO_HOST_REGISTRY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/host.h"
#include "pio/status.h"
#include "registry_cache_format.h"

typedef struct pio_registry_cache pio_registry_cache;

/* The file the cache uses, in order: cache_dir/registry-ARCH.bin when
 * cache_dir is given (--cache DIR), $PIO_REGISTRY (a file path, like
 * GST_REGISTRY), $XDG_CACHE_HOME/pio/registry-ARCH.bin, then
 * $HOME/.cache/pio/registry-ARCH.bin; relative environment values are
 * ignored.  Returns a new string owned by the
 * caller (free), or NULL when there is nowhere to put it. */
char *pio_registry_cache_default_file(const char *cache_dir);

/* Opens the cache kept at file (NULL: pio_registry_cache_default_file(NULL)).
 * Returns NULL, meaning "no cache", when there is no such place or no
 * memory; a missing or bad file gives an empty cache that commit rebuilds.
 * The returned cache is owned by the caller (pio_registry_cache_close). */
pio_registry_cache *pio_registry_cache_open(const char *file);

/* Racy-file margin in nanoseconds (default one second): a module changed
 * less than this before the scan began is not stored, because a change
 * inside the same timestamp tick could go unseen (the rule git uses for its
 * index).  Tests set 0 to see a store happen at once. */
void pio_registry_cache_set_racy_margin(pio_registry_cache *cache, int64_t margin_ns);

/* Looks the folder up.  First takes the keys of the folder and its
 * manifest, kept for a later pio_registry_cache_store of the same manifest
 * path: a change made while the folder is being read is then seen next
 * time.  Returns 1 on a hit and fills *entry, whose texts point into the
 * cache's file: valid until pio_registry_cache_close, or for as long as
 * the caller keeps the file it took with pio_registry_cache_hand_over_file
 * (pio_cache_entry_clear frees what else it holds); 0 on a miss, entry
 * zeroed.  A hit means the folder, the manifest and the module still have
 * the keys recorded, and the entry passed the checks of docs/security.md
 * (paths inside the folder). */
int pio_registry_cache_lookup(pio_registry_cache *cache, const char *dir,
                              const char *manifest_path, pio_cache_entry *entry);

/* The keys a lookup takes, before the folder is read. */
typedef struct pio_cache_keys {
  pio_cache_file_key dir, manifest;
} pio_cache_keys;

/* Lookups from several threads at once, for the folders of one plugin-path
 * folder path_dir: first pio_registry_cache_enter_folder(path_dir) on one
 * thread; then pio_registry_cache_lookup_shared for each plugin folder,
 * from any thread (it changes nothing another lookup reads: the old
 * entry's own state only); then, on one thread and in order,
 * pio_registry_cache_note for each, which counts it and keeps the keys a
 * later store needs.  lookup_shared is pio_registry_cache_lookup less the
 * note, with the warnings' array placed in arena (NULL: malloc) and the keys it
 * took in *keys; manifest_key, when not NULL, is the manifest's key the
 * caller took already (the registry's scan, when it found the folder):
 * one stat fewer. */
void pio_registry_cache_enter_folder(pio_registry_cache *cache, const char *path_dir);
struct pio_arena;
int pio_registry_cache_lookup_shared(pio_registry_cache *cache, const char *dir,
                                     const char *manifest_path,
                                     const pio_cache_file_key *manifest_key,
                                     struct pio_arena *arena, pio_cache_keys *keys,
                                     pio_cache_entry *entry);
void pio_registry_cache_note(pio_registry_cache *cache, const char *manifest_path,
                             const pio_cache_keys *keys, int hit, int hit_trial_done);
/* Whether the note for a lookup (a hit or a miss) will keep its keys: a
 * caller may pass NULL keys to the note when not. */
int pio_registry_cache_keeps_keys(const pio_registry_cache *cache, int hit);

/* Announces that trial-load verdicts will be stored after the lookups
 * (pio_registry_cache_store with trial_done): hits then keep the keys
 * taken at lookup, as misses always do.  Without it, a hit's keys are
 * dropped at once, and a trial verdict for a hit is not stored. */
void pio_registry_cache_expect_trial_stores(pio_registry_cache *cache);

/* Remembers record, read after its lookup (a record never looked up is not
 * stored).  trial_done: the record's state includes a trial load's verdict.
 * Not stored: a hit stored again without news, a shadowed record
 * (shadowing depends on the other folders, not on this one), and a record
 * whose files changed within the racy margin.  Call it for a record before
 * any check that looks at other folders changes its state. */
void pio_registry_cache_store(pio_registry_cache *cache, const pio_plugin_record *record,
                              const pio_manifest *manifest, int trial_done);

/* Writes the cache when something was stored since open (temporary file in
 * the same folder, fsync, rename: readers see the old or the new file,
 * never half of one).  Entries of folders not visited this time are kept
 * while their manifest exists.  Errors are returned for the caller to
 * ignore or report; the cache stays usable. */
pio_status pio_registry_cache_commit(pio_registry_cache *cache, pio_error *err);

/* The file read at open, mapped, handed over to the caller with its
 * length, for entries from lookups to stay valid after close: the caller
 * munmaps it when they are no longer used.  Call it after commit, which
 * copies entries from it; lookups miss from then on.  NULL when there is
 * none. */
const unsigned char *pio_registry_cache_hand_over_file(pio_registry_cache *cache, size_t *len);
void pio_registry_cache_close(pio_registry_cache *cache);

/* Counters since open, for tests and benchmarks. */
typedef struct pio_registry_cache_stats {
  size_t loaded;   /* entries in the file at open (0 when it was ignored) */
  size_t hits, misses, stored, written;
  int file_ignored; /* the file existed but was corrupt, foreign or unsafe */
} pio_registry_cache_stats;
void pio_registry_cache_get_stats(const pio_registry_cache *cache,
                                  pio_registry_cache_stats *out);

#endif
