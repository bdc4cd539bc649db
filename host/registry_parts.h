/* host/registry_parts.h — the registry's insides, shared by its three
 * files: registry.c (opening, the checks across records, queries),
 * registry_record.c (one plugin folder's record) and registry_scan.c (one
 * folder of the plugin path, read into records).  Internal to
 * libpio-host. */
#ifndef PIO_HOST_REGISTRY_PARTS_H
#define PIO_HOST_REGISTRY_PARTS_H

#include <stdatomic.h>

#include "arena.h"
#include "compat.h"
#include "manifest.h"
#include "pio/host.h"
#include "plugin_path.h"
#include "registry_cache.h"
#include "trial_load.h"

/* Folders of a path folder read on at most this many threads. */
#define PIO_REGISTRY_MAX_THREADS 8

/* A record and the memory behind its const pointers. */
typedef struct registry_record {
  pio_plugin_record pub; /* first: a pio_plugin_record * is a registry_record * */
  /* The manifest, once decoded: at once when the folder is examined, on
   * first use (pio_record_manifest_of) when the record came from the cache;
   * an examined record's name, version, architecture and warnings point
   * into it.  NULL when unreadable or not decoded yet. */
  _Atomic(pio_manifest *) manifest;
  const unsigned char *manifest_bytes; /* from the cache: its encoding, in the cache file */
  size_t manifest_len;
  size_t n_dependencies;   /* the manifest's, known without decoding it */
  const char *folder_name; /* pub.name while no manifest could be read */
  int trial_done;
  pio_trial_result trial;
} registry_record;

struct pio_registry {
  pio_machine machine; /* probed once per open */
  /* The registry cache's file, mapped: records from the cache point into
   * it (host/registry_cache.h). */
  const unsigned char *cache_file;
  size_t cache_file_len;
  pio_plugin_path path;
  registry_record **records;
  size_t count, cap;
  pio_registry_cache *cache; /* while pio_registry_open runs; NULL: no cache */
  /* The records, their texts and their manifests (host/arena.h): one
   * arena for each thread that reads folders, created as needed; NULL ones
   * unused.  arenas[0] also takes the reasons set after the scan. */
  pio_arena *arenas[PIO_REGISTRY_MAX_THREADS];
};

extern const char pio_manifest_file_name[]; /* "plugin_manifest.json" */

/* A record for the plugin folder dir/name (dir absolute), named after the
 * folder until a manifest is read; NULL when out of memory.  The record and
 * every text of it live in arena, freed with it; its manifest is given to
 * pio_manifest_free before that (a no-op for one packed in the arena). */
registry_record *pio_record_new(pio_arena *arena, const char *dir, const char *name);

/* Sets the state and its one-line reason (copied into arena).  -1 when out
 * of memory. */
int pio_record_set_reason(registry_record *rec, pio_arena *arena, pio_plugin_state state,
                          const char *reason);

/* The checks that need no code loaded: manifest, module file, machine;
 * what the record keeps goes into arena.  -1 when out of memory (a failed
 * check is a state, not an error). */
int pio_record_examine(registry_record *rec, const pio_machine *machine, pio_arena *arena);

/* A record from a cache hit (host/registry_cache.h) instead of an examined
 * one: it points into the entry's bytes, which must outlive it, and into
 * its warnings' array (from an arena: a lookup given one); NULL when out
 * of memory. */
registry_record *pio_record_from_cache(pio_arena *arena, const pio_cache_entry *entry);

/* The record's manifest, decoded from the cache on first use; NULL when
 * unreadable (or undecodable).  Safe from several threads at once. */
pio_manifest *pio_record_manifest_of(registry_record *rec);

/* Frees what the record holds outside its arena: a manifest decoded on
 * its own. */
void pio_record_release(registry_record *rec);

/* Appends rec (from one of the registry's arenas).  -1 when out of
 * memory. */
int pio_registry_append(pio_registry *registry, registry_record *rec);

/* Reads every plugin folder of dir (a folder of the plugin path) into
 * records, appended in the order of the folders' names. */
pio_status pio_registry_scan_folder(pio_registry *registry, const char *dir, pio_error *err);

#endif
