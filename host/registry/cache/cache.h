/* host/registry/cache/cache.h — the registry cache: what the registry
 * learned about each plugin folder from its files (the record, the whole
 * parsed manifest), kept between runs in one binary file and trusted only
 * while the folder, its manifest and its module (and the libtool archive
 * that named it) are the files it was learned from, and the user, group,
 * machine and pio build are those it was learned under.  A trial load's
 * verdict is never kept: it also depends on the libraries the module
 * needs, the machine's load and the environment, which no key covers.
 * The file format is in cache_format.h.
 *
 * The protocol, for one registry being opened:
 *   regcache_open()     read and check the file (never fatal: a bad one is
 *                       ignored and rebuilt)
 *   regcache_lookup()   per plugin folder: a hit gives its entry, a miss
 *                       means read the folder; either way a ticket
 *   regcache_store()    a record read after its lookup, with its ticket
 *   regcache_commit()   write the file when something was stored
 *   regcache_close()    at the end of the entries' life
 * Every function accepts a NULL cache and then does nothing, so the caller
 * needs no "is the cache on" branches.  lookup may run on several threads
 * at once; the others belong to one thread.  A cache folder that cannot be
 * written, a full disk or a file size limit (ulimit -f) only cost speed:
 * never a signal, never a file left half written or a temporary file left
 * behind. */
#ifndef PIO_HOST_REGISTRY_CACHE_CACHE_H
#define PIO_HOST_REGISTRY_CACHE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/host.h"
#include "pio/status.h"
#include "registry/cache/cache_format.h"

struct arena;

typedef struct regcache regcache;

/* Racy-file margin (git's rule for its index): a file changed less than
 * this before the scan began is not stored, because a second change inside
 * the same timestamp tick would go unseen.  Tests pass 0 to see a store
 * happen at once. */
#define REGCACHE_RACY_MARGIN_NS 1000000000LL

/* Opens the cache kept at file (NULL: regcache_default_file(NULL)).
 * Returns NULL, meaning "no cache", when there is no such place or no
 * memory; a missing, unreadable, corrupt, truncated, foreign or unsafe
 * file gives an empty cache that commit rebuilds.  The file is read into
 * memory (its header and index checked before the rest is read), never
 * kept mapped: a file truncated or rewritten while the cache is open
 * changes nothing in it.  Owned by the caller (regcache_close). */
regcache *regcache_open(const char *file, int64_t racy_margin_ns);

/* One plugin folder to look up. */
typedef struct regcache_folder {
  int parent_fd;                    /* the folder holding dir, open (O_PATH will do): keys are
                                then taken relative to it, one or two path components a
                                stat instead of the whole path; AT_FDCWD: none */
  const char *dir;                  /* absolute path of the plugin folder */
  const char *manifest_path;        /* dir/plugin_manifest.json */
  const regcache_key *manifest_key; /* the manifest's key when the caller took it
                                       already (a scan does, to see a manifest is
                                       there): one stat fewer; NULL: taken here */
} regcache_folder;

/* What a lookup saw of a folder, for a later regcache_store of it: the
 * keys taken before the folder is read, so that a change made while it is
 * being read is seen next time, and whether the cache knew it. */
typedef struct regcache_ticket {
  regcache_keys keys;
  int hit; /* the entry was used */
} regcache_ticket;

/* Looks folder up.  Returns 1 on a hit and fills *entry, whose texts point
 * into the cache's copy of its file (valid until regcache_close; its warnings' array
 * comes from arena, or from malloc when arena is NULL:
 * regcache_entry_clear); 0 on a miss, entry zeroed.  *ticket is filled
 * either way.  A hit means the folder, the manifest, the module and its
 * libtool archive still have the keys recorded, and the entry passed the checks of
 * docs/security.md (paths inside the folder).  Safe on several threads at
 * once (each folder looked up once). */
int regcache_lookup(regcache *cache, const regcache_folder *folder, struct arena *arena,
                    regcache_ticket *ticket, regcache_entry *entry);

/* Remembers record, read after the lookup that gave ticket (NULL, or one
 * that saw no manifest: not stored); module_archive is the libtool archive
 * that named its module (NULL: none).  Not stored: a hit (nothing new), a
 * shadowed record (shadowing depends on the other folders, not on this
 * one), and a record whose files changed within the racy margin.  Call it
 * for a record before any check that looks at other folders, or a trial
 * load, changes its state. */
void regcache_store(regcache *cache, const regcache_ticket *ticket, const pio_plugin_record *record,
                    const char *module_archive, const pio_manifest *manifest);

/* Writes the cache when something was stored since open or the last
 * commit (temporary file in the same folder, fsync, rename: readers see
 * the old or the new file, never half of one).  Entries of folders not
 * visited this time are kept while their manifest exists.  A file at the
 * cache's place that is not a pio cache (PIO_REGISTRY naming the wrong
 * file) is never replaced; a file size limit below the file's size is
 * seen before anything is written; temporary files that earlier writers
 * left behind (killed before their rename) are removed.  Errors are
 * returned for the caller to ignore or report; the cache stays usable. */
pio_status regcache_commit(regcache *cache, pio_error *err);

/* Frees the cache and its copy of the file: entries from lookups die here. */
void regcache_close(regcache *cache);

/* Where the file is, in order: cache_dir/registry-ARCH.bin when cache_dir
 * is given (--cache DIR), $PIO_REGISTRY (a file path, like GST_REGISTRY),
 * $XDG_CACHE_HOME/pio/registry-ARCH.bin, then
 * $HOME/.cache/pio/registry-ARCH.bin; relative environment values are
 * ignored.  A new string owned by the caller (free), or NULL when there is
 * nowhere to put it. */
char *regcache_default_file(const char *cache_dir);

/* Counters since open, for tests, benchmarks and the scan's choice of
 * threads. */
typedef struct regcache_stats {
  size_t loaded; /* entries in the file at open (0 when it was ignored) */
  size_t hits, misses, stored, written;
  int file_ignored; /* the file existed but was corrupt, foreign or unsafe */
} regcache_stats;
void regcache_get_stats(const regcache *cache, regcache_stats *out);

#endif
