/* host/registry_parts.h — the registry's insides, shared by its three
 * files: registry.c (opening, the checks across records, queries),
 * registry_record.c (one plugin folder's record) and registry_scan.c (one
 * folder of the plugin path, read into records).  Internal to
 * libpio-host. */
#ifndef PIO_HOST_REGISTRY_PARTS_H
#define PIO_HOST_REGISTRY_PARTS_H

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
  pio_manifest *manifest; /* name, version, architecture and warnings point into it */
  const char *folder_name; /* pub.name while no manifest could be read */
  int trial_done;
  pio_trial_result trial;
} registry_record;

struct pio_registry {
  pio_machine machine; /* probed once per open */
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

/* Takes a cached verdict (host/registry_cache.h) instead of examining;
 * entry is cleared.  -1 when out of memory. */
int pio_record_adopt_cached(registry_record *rec, pio_cache_entry *entry, pio_arena *arena);

/* Appends rec (from one of the registry's arenas).  -1 when out of
 * memory. */
int pio_registry_append(pio_registry *registry, registry_record *rec);

/* Reads every plugin folder of dir (a folder of the plugin path) into
 * records, appended in the order of the folders' names. */
pio_status pio_registry_scan_folder(pio_registry *registry, const char *dir, pio_error *err);

#endif
