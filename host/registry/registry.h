/* host/registry/registry.h — the registry's insides, shared by its three
 * files: registry.c (opening, the checks across records, queries),
 * record.c (one plugin folder's record) and scan.c (one folder of the
 * plugin path, read into records).  Internal to libpio-host. */
#ifndef PIO_HOST_REGISTRY_REGISTRY_H
#define PIO_HOST_REGISTRY_REGISTRY_H

#include <stdatomic.h>

#include "manifest/compat.h"
#include "manifest/manifest.h"
#include "pio/host.h"
#include "registry/arena.h"
#include "registry/cache/cache.h"
#include "registry/plugin_path.h"

/* Folders of a path folder read on at most this many threads. */
#define REGISTRY_MAX_THREADS 8

/* Why an ok record from the cache has no manifest to give. */
#define REGISTRY_UNDECODABLE_MANIFEST                                               \
  "its manifest could not be decoded from the registry cache (out of memory, or a " \
  "damaged cache file)"

/* A record and the memory behind its const pointers. */
typedef struct registry_record {
  pio_plugin_record pub; /* first: a pio_plugin_record * is a registry_record * */
  /* The manifest, once decoded: at once when the folder is examined, on
   * first use (record_manifest) when the record came from the cache;
   * an examined record's name, version, architecture and warnings point
   * into it.  NULL when unreadable or not decoded yet. */
  _Atomic(pio_manifest *) manifest;
  const unsigned char *manifest_bytes; /* from the cache: its encoding, in the cache file */
  size_t manifest_len;
  size_t n_dependencies;   /* the manifest's, known without decoding it */
  size_t n_variants;       /* the same */
  const char *folder_name; /* pub.name while no manifest could be read */
  /* The libtool archive (.la) that named the module; NULL when none. */
  const char *module_archive;
  /* A cache miss's lookup ticket, for storing the record once examined;
   * NULL for a hit (nothing to store) or without a cache. */
  const regcache_ticket *ticket;
  /* Examined with an error that is not a property of the files (an I/O
   * error, memory: EMFILE, EIO, ENOMEM): never cached, found afresh. */
  int transient;
  int trial_done;
  pio_trial_result trial;
} registry_record;

struct pio_registry {
  compat_machine machine; /* probed once per open */
  plugin_path path;
  registry_record **records;
  size_t count, cap;
  /* NULL: no cache.  Records from the cache point into its file, so it
   * stays open as long as the registry (host/registry/cache/cache.h). */
  regcache *cache;
  /* The records, their texts and their manifests (host/registry/arena.h): one
   * arena for each thread that reads folders, created as needed; NULL ones
   * unused.  arenas[0] also takes the reasons set after the scan. */
  struct arena *arenas[REGISTRY_MAX_THREADS];
};

extern const char registry_manifest_file_name[]; /* "plugin_manifest.json" */

/* A record for the plugin folder dir/name (dir absolute), named after the
 * folder until a manifest is read; NULL when out of memory.  The record,
 * every text of it and its manifest live in arena, freed with it. */
registry_record *record_new(struct arena *arena, const char *dir, const char *name);

/* Sets the state and its one-line reason (copied into arena).  -1 when out
 * of memory. */
int record_set_reason(registry_record *rec, struct arena *arena, pio_plugin_state state,
                      const char *reason);

/* The checks that need no code loaded: manifest, module file, machine;
 * what the record keeps goes into arena.  -1 when out of memory (a failed
 * check is a state, not an error). */
int record_examine(registry_record *rec, const compat_machine *machine, struct arena *arena);

/* A record from a cache hit (host/registry/cache/cache.h) instead of an examined
 * one: it points into the entry's bytes, which must outlive it, and into
 * its warnings' array (from an arena: a lookup given one); NULL when out
 * of memory. */
registry_record *record_from_cache(struct arena *arena, const regcache_entry *entry);

/* The record's manifest, decoded from the cache on first use; NULL when
 * unreadable (or undecodable).  Safe from several threads at once. */
pio_manifest *record_manifest(registry_record *rec);

/* Frees what the record holds outside its arena: a manifest decoded from
 * the cache (malloc'd, on first use). */
void record_release(registry_record *rec);

/* Appends rec (from one of the registry's arenas).  -1 when out of
 * memory. */
int registry_append(pio_registry *registry, registry_record *rec);

/* Reads every plugin folder of dir (a folder of the plugin path) into
 * records, appended in the order of the folders' names. */
pio_status registry_scan_folder(pio_registry *registry, const char *dir, pio_error *err);

#endif
