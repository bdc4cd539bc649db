/* host/registry/registry.c — the registry: every plugin folder on the plugin path,
 * each with its manifest, module, state and a one-line reason.  Listing
 * reads manifests and checks module files (and, for a plugin whose only
 * usable variants need CUDA, asks the driver in a child); plugin code is
 * loaded only by a trial load in a child (check_load). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/module_check.h"
#include "load/trial_load.h"
#include "load/variant_choice.h"
#include "registry/registry.h"

int registry_append(pio_registry *registry, registry_record *rec) {
  if (registry->count == registry->cap) {
    size_t cap = registry->cap ? registry->cap * 2 : 64;
    registry_record **grown = realloc(registry->records, cap * sizeof *registry->records);
    if (grown == NULL) return -1;
    registry->records = grown;
    registry->cap = cap;
  }
  registry->records[registry->count++] = rec;
  return 0;
}

void pio_registry_options_init(pio_registry_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
}

/* A record and where it stands on the path, for sorting by name. */
typedef struct name_slot {
  registry_record *rec;
  size_t position;
} name_slot;

static int compare_slots(const void *a, const void *b) {
  const name_slot *x = a, *y = b;
  int c = strcmp(x->rec->pub.name, y->rec->pub.name);
  if (c != 0) return c;
  return (x->position > y->position) - (x->position < y->position);
}

/* First wins: a later record with an earlier record's name is shadowed.
 * An unreadable manifest counts under its folder's name.  Sorted by name
 * (then position) rather than compared pairwise, so that 10,000 plugins
 * cost n log n, not n^2. */
static int mark_shadowed(pio_registry *registry) {
  if (registry->count < 2) return 0;
  name_slot *slots = malloc(registry->count * sizeof *slots);
  if (slots == NULL) return -1;
  for (size_t i = 0; i < registry->count; i++) slots[i] = (name_slot){registry->records[i], i};
  qsort(slots, registry->count, sizeof *slots, compare_slots);
  int rc = 0;
  const registry_record *first = slots[0].rec;
  for (size_t i = 1; i < registry->count && rc == 0; i++) {
    registry_record *rec = slots[i].rec;
    if (strcmp(rec->pub.name, first->pub.name) != 0) {
      first = rec;
      continue;
    }
    char *reason = NULL;
    if (asprintf(&reason, "shadowed by %s", first->pub.manifest_path) < 0)
      rc = -1;
    else
      rc = record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_SHADOWED, reason);
    free(reason);
  }
  free(slots);
  return rc;
}

/* The version of the usable plugin name, for dependency checks. */
static const char *usable_version(void *context, const char *name) {
  const pio_plugin_record *rec = pio_registry_find(context, name);
  return rec != NULL && rec->state == PIO_PLUGIN_OK ? rec->version : NULL;
}

/* An ok record's manifest, for the checks after the scan.  One from the
 * cache that does not decode makes the record invalid, saying why: then
 * *out is NULL.  -1 only when even that cannot be noted (no memory). */
static int manifest_for_checks(pio_registry *registry, registry_record *rec,
                               const pio_manifest **out) {
  *out = record_manifest(rec);
  if (*out != NULL) return 0;
  return record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_INVALID,
                           REGISTRY_UNDECODABLE_MANIFEST);
}

/* Plugins that need another plugin: in path order, so a dependency on a
 * plugin whose own dependencies fail fails too when it comes later. */
static int check_dependencies(pio_registry *registry) {
  for (size_t i = 0; i < registry->count; i++) {
    registry_record *rec = registry->records[i];
    if (rec->pub.state != PIO_PLUGIN_OK || rec->n_dependencies == 0) continue;
    const pio_manifest *manifest;
    if (manifest_for_checks(registry, rec, &manifest) != 0) return -1;
    if (manifest == NULL) continue;
    pio_error err;
    pio_error_clear(&err);
    if (manifest_check_plugin_dependencies(manifest, usable_version, registry, &err) != PIO_OK &&
        record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_INCOMPATIBLE, err.message) != 0)
      return -1;
  }
  return 0;
}

/* A plugin with variants none of which this machine runs is
 * incompatible, saying why of each.  Judged on every open, never cached:
 * the driver, the device and the variants' modules are not among what the
 * cache's keys cover. */
static int check_variants(pio_registry *registry) {
  for (size_t i = 0; i < registry->count; i++) {
    registry_record *rec = registry->records[i];
    if (rec->pub.state != PIO_PLUGIN_OK || rec->n_variants == 0) continue;
    const pio_manifest *manifest;
    if (manifest_for_checks(registry, rec, &manifest) != 0) return -1;
    if (manifest == NULL) continue;
    pio_error err;
    pio_error_clear(&err);
    if (!variant_some_usable(manifest, rec->pub.dir, &err) &&
        record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_INCOMPATIBLE, err.message) != 0)
      return -1;
  }
  return 0;
}

/* The trial load of the build pio_plugin_load would load: the variant this
 * machine runs first, or entry_point.  Its module is checked again and
 * opened first: the record may come from the cache, and earlier trial
 * loads of a long listing give time to replace the file; what the child
 * loads is the file those checks saw. */
static int trial_load(pio_registry *registry, registry_record *rec) {
  pio_error err;
  pio_error_clear(&err);
  const pio_manifest *manifest;
  if (manifest_for_checks(registry, rec, &manifest) != 0) return -1;
  if (manifest == NULL) return 0;
  pio_manifest view;
  const char *chosen;
  if (variant_build(manifest, rec->pub.dir, NULL, &view, &chosen, &err) != PIO_OK)
    return record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_FAILED, err.message);
  module_file module;
  if (module_open(rec->pub.dir, view.entry_module, &module, &err) != PIO_OK)
    return record_set_reason(rec, registry->arenas[0], PIO_PLUGIN_INVALID, err.message);
  pio_plugin_state state =
      trial_load_module(&module, &view, TRIAL_LOAD_TIMEOUT_MS, &rec->trial, &err);
  module_file_close(&module);
  rec->trial_done = 1;
  if (state == PIO_PLUGIN_OK) return 0;
  return record_set_reason(rec, registry->arenas[0], state, err.message);
}

static pio_status trial_load_ok_records(pio_registry *registry, pio_error *err) {
  for (size_t i = 0; i < registry->count; i++) {
    registry_record *rec = registry->records[i];
    if (rec->pub.state == PIO_PLUGIN_OK && trial_load(registry, rec) != 0)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  }
  return PIO_OK;
}

/* The checks that look across records, then the trial loads. */
static pio_status finish(pio_registry *registry, int check_load, pio_error *err) {
  if (mark_shadowed(registry) != 0 || check_dependencies(registry) != 0 ||
      check_variants(registry) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  if (check_load) return trial_load_ok_records(registry, err);
  return PIO_OK;
}

static regcache *open_cache(const char *cache_dir) {
  char *file = regcache_default_file(cache_dir);
  regcache *cache = file != NULL ? regcache_open(file, REGCACHE_RACY_MARGIN_NS) : NULL;
  free(file);
  return cache;
}

/* Writes the cache.  A cache that cannot be written only costs speed next
 * time, so its error is dropped. */
static void commit_cache(pio_registry *registry) {
  pio_error ignored;
  regcache_commit(registry->cache, &ignored);
}

pio_status pio_registry_open(const pio_registry_options *opts, pio_registry **out, pio_error *err) {
  if (opts == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_registry_open: no options");
  if (opts->struct_size < offsetof(pio_registry_options, check_load) + sizeof opts->check_load)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "pio_registry_open: options struct_size %u too small "
                         "(use pio_registry_options_init)",
                         (unsigned)opts->struct_size);
  pio_registry *registry = calloc(1, sizeof *registry);
  if (registry == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  compat_machine_probe(&registry->machine);
  pio_status st = plugin_path_from_options(opts, &registry->path, err);
  if (st == PIO_OK && (registry->arenas[0] = arena_new()) == NULL)
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  if (!opts->no_cache) registry->cache = open_cache(opts->cache_dir);
  for (size_t i = 0; st == PIO_OK && i < registry->path.count; i++)
    st = registry_scan_folder(registry, registry->path.entries[i].dir, err);
  if (st == PIO_OK) st = finish(registry, opts->check_load, err);
  if (st == PIO_OK) commit_cache(registry);
  if (st != PIO_OK) {
    pio_registry_close(registry);
    return st;
  }
  *out = registry;
  return PIO_OK;
}

pio_status pio_registry_open_folder(const char *dir, int check_load, pio_registry **out,
                                    pio_error *err) {
  char *real = realpath(dir, NULL);
  if (real == NULL)
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "plugin folder %s: %s", dir, strerror(errno));
  pio_registry *registry = calloc(1, sizeof *registry);
  char *parent = strdup(real);
  char *slash = parent != NULL ? strrchr(parent, '/') : NULL;
  pio_status st = PIO_OK;
  if (registry == NULL || slash == NULL) {
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  } else {
    compat_machine_probe(&registry->machine);
    const char *base = slash + 1;
    *slash = '\0';
    struct arena *arena = registry->arenas[0] = arena_new();
    registry_record *rec = record_new(arena, parent[0] != '\0' ? parent : "", base);
    if (rec == NULL || record_examine(rec, &registry->machine, arena) != 0 ||
        registry_append(registry, rec) != 0) {
      if (rec != NULL) record_release(rec);
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    }
  }
  if (st == PIO_OK) st = finish(registry, check_load, err);
  free(parent);
  free(real);
  if (st != PIO_OK) {
    pio_registry_close(registry);
    return st;
  }
  *out = registry;
  return PIO_OK;
}

void pio_registry_close(pio_registry *registry) {
  if (registry == NULL) return;
  /* The records live in the arenas and the cache's file; a manifest
   * decoded from the cache is the one thing of theirs to free. */
  for (size_t i = 0; i < registry->count; i++) record_release(registry->records[i]);
  free(registry->records);
  plugin_path_clear(&registry->path);
  regcache_close(registry->cache);
  for (size_t i = 0; i < REGISTRY_MAX_THREADS; i++) arena_free(registry->arenas[i]);
  free(registry);
}

size_t pio_registry_path_count(const pio_registry *registry) {
  return registry != NULL ? registry->path.count : 0;
}

const char *pio_registry_path_at(const pio_registry *registry, size_t index) {
  if (registry == NULL || index >= registry->path.count) return NULL;
  return registry->path.entries[index].dir;
}

const char *pio_registry_path_source_at(const pio_registry *registry, size_t index) {
  if (registry == NULL || index >= registry->path.count) return NULL;
  return plugin_path_source_name(registry->path.entries[index].source);
}

size_t pio_registry_count(const pio_registry *registry) {
  return registry != NULL ? registry->count : 0;
}

const pio_plugin_record *pio_registry_at(const pio_registry *registry, size_t index) {
  if (registry == NULL || index >= registry->count) return NULL;
  return &registry->records[index]->pub;
}

const pio_plugin_record *pio_registry_find(const pio_registry *registry, const char *name) {
  if (registry == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < registry->count; i++) {
    const pio_plugin_record *rec = &registry->records[i]->pub;
    if (rec->state != PIO_PLUGIN_SHADOWED && strcmp(rec->name, name) == 0) return rec;
  }
  return NULL;
}

int pio_plugin_record_serves(const pio_plugin_record *record, const char *architecture) {
  if (record == NULL || architecture == NULL) return 0;
  if (strcmp(record->model_architecture, architecture) == 0) return 1;
  const pio_manifest *m = pio_plugin_record_manifest(record);
  if (m == NULL) return 0;
  for (size_t i = 0; i < m->additional_architectures.count; i++)
    if (strcmp(m->additional_architectures.items[i], architecture) == 0) return 1;
  return 0;
}

const pio_plugin_record *pio_registry_find_architecture(const pio_registry *registry,
                                                        const char *architecture) {
  if (registry == NULL || architecture == NULL) return NULL;
  /* A plugin's own architecture first (the record has it: no manifest is
   * decoded); then the additional ones, in path order. */
  for (size_t i = 0; i < registry->count; i++) {
    const pio_plugin_record *rec = &registry->records[i]->pub;
    if (rec->state == PIO_PLUGIN_OK && strcmp(rec->model_architecture, architecture) == 0)
      return rec;
  }
  for (size_t i = 0; i < registry->count; i++) {
    const pio_plugin_record *rec = &registry->records[i]->pub;
    if (rec->state == PIO_PLUGIN_OK && pio_plugin_record_serves(rec, architecture)) return rec;
  }
  return NULL;
}

/* A pio_plugin_record is the first member of its registry_record. */
const pio_manifest *pio_plugin_record_manifest(const pio_plugin_record *record) {
  return record != NULL ? record_manifest((registry_record *)record) : NULL;
}

int pio_plugin_record_unread(const pio_plugin_record *record) {
  return record != NULL && ((const registry_record *)record)->transient;
}

const pio_trial_result *pio_plugin_record_trial(const pio_plugin_record *record) {
  const registry_record *rec = (const registry_record *)record;
  return rec != NULL && rec->trial_done ? &rec->trial : NULL;
}
