/* host/registry.c — the registry: every plugin folder on the plugin path,
 * each with its manifest, module, state and a one-line reason.  Listing
 * reads manifests and checks module files; code is loaded only by a trial
 * load in a child (check_load). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "compat.h"
#include "manifest.h"
#include "module_check.h"
#include "plugin_path.h"
#include "registry_cache.h"
#include "registry_internal.h"
#include "text_join.h"
#include "trial_load.h"

/* A record and the memory behind its const pointers. */
typedef struct registry_record {
  pio_plugin_record pub; /* first: a pio_plugin_record * is a registry_record * */
  pio_manifest *manifest; /* name, version, architecture and warnings point into it */
  char *folder_name;      /* pub.name while no manifest could be read */
  char *reason;           /* pub.reason when one was set; pub.reason is "" before */
  int trial_done;
  pio_trial_result trial;
} registry_record;

struct pio_registry {
  pio_machine machine; /* probed once per open */
  pio_plugin_path path;
  registry_record **records;
  size_t count, cap;
  pio_registry_cache *cache; /* while pio_registry_open runs; NULL: no cache */
  pio_arena *arena;          /* the records' manifests (host/arena.h) */
};

static const char manifest_file_name[] = "plugin_manifest.json";

void pio_registry_options_init(pio_registry_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->struct_size = sizeof *opts;
}

static const char *const no_warnings[] = {NULL};

static void record_free(registry_record *rec) {
  if (rec == NULL) return;
  free(rec->folder_name);
  free(rec->reason);
  free((char *)rec->pub.manifest_path);
  free((char *)rec->pub.dir);
  free((char *)rec->pub.module_path);
  pio_manifest_free(rec->manifest);
  free(rec);
}

static int set_reason(registry_record *rec, pio_plugin_state state, const char *reason) {
  char *copy = strdup(reason);
  if (copy == NULL) return -1;
  free(rec->reason);
  rec->reason = copy;
  rec->pub.reason = copy;
  rec->pub.state = state;
  return 0;
}

/* Name, version, architecture and warnings from a readable manifest, which
 * the record owns from now on (its string lists are NULL-terminated). */
static void adopt_manifest(registry_record *rec, pio_manifest *manifest) {
  rec->manifest = manifest;
  rec->pub.manifest = manifest;
  rec->pub.name = manifest->name != NULL ? manifest->name : "";
  rec->pub.version = manifest->version != NULL ? manifest->version : "";
  rec->pub.model_architecture =
      manifest->model_architecture != NULL ? manifest->model_architecture : "";
  rec->pub.warnings = manifest->warnings.items != NULL
                          ? (const char *const *)manifest->warnings.items
                          : no_warnings;
}

/* The checks that need no code loaded: manifest, module file, machine.
 * A broken folder is invalid wherever it goes, so those checks come before
 * the ones about this machine. */
static int examine(registry_record *rec, const pio_machine *machine, pio_arena *arena) {
  pio_error err;
  pio_error_clear(&err);
  pio_manifest *manifest = NULL;
  if (pio_manifest_load(rec->pub.manifest_path, &manifest, &err) != PIO_OK)
    return set_reason(rec, PIO_PLUGIN_INVALID, err.message);
  manifest = pio_manifest_pack(manifest, arena);
  adopt_manifest(rec, manifest);
  char *module_path = NULL;
  if (pio_module_resolve(rec->pub.dir, manifest->entry_module, &module_path, &err) != PIO_OK)
    return set_reason(rec, PIO_PLUGIN_INVALID, err.message);
  rec->pub.module_path = module_path;
  if (pio_compat_check(manifest, machine, &err) != PIO_OK)
    return set_reason(rec, PIO_PLUGIN_INCOMPATIBLE, err.message);
  return 0;
}

/* Takes a cached verdict (host/registry_cache.h) instead of examining. */
static int adopt_cached(registry_record *rec, pio_cache_entry *entry) {
  int rc = 0;
  if (entry->manifest != NULL) adopt_manifest(rec, entry->manifest);
  entry->manifest = NULL; /* the record owns it now */
  rec->pub.module_path = entry->module_path;
  entry->module_path = NULL;
  if (rc == 0 && entry->state != PIO_PLUGIN_OK) rc = set_reason(rec, entry->state, entry->reason);
  pio_cache_entry_clear(entry);
  return rc;
}

/* examine(), or its verdict from the cache while the files are unchanged. */
static int examine_cached(pio_registry *registry, registry_record *rec,
                          const pio_cache_file_key *manifest_key) {
  pio_cache_entry entry;
  if (pio_registry_cache_lookup_keyed(registry->cache, rec->pub.dir, rec->pub.manifest_path,
                                      manifest_key, &entry))
    return adopt_cached(rec, &entry);
  if (examine(rec, &registry->machine, registry->arena) != 0) return -1;
  pio_registry_cache_store(registry->cache, &rec->pub, 0);
  return 0;
}

/* A new record for the plugin folder dir/name (dir absolute). */
static registry_record *record_new(const char *dir, const char *name) {
  registry_record *rec = calloc(1, sizeof *rec);
  if (rec == NULL) return NULL;
  char *plugin_dir = pio_text_join3(dir, "/", name);
  char *manifest_path =
      plugin_dir != NULL ? pio_text_join3(plugin_dir, "/", manifest_file_name) : NULL;
  rec->pub.dir = plugin_dir;
  rec->pub.manifest_path = manifest_path;
  rec->folder_name = strdup(name);
  rec->pub.name = rec->folder_name; /* until a manifest says otherwise */
  rec->pub.version = "";
  rec->pub.model_architecture = "";
  rec->pub.reason = "";
  rec->pub.warnings = no_warnings;
  rec->pub.state = PIO_PLUGIN_OK;
  if (plugin_dir == NULL || manifest_path == NULL || rec->folder_name == NULL) {
    record_free(rec);
    return NULL;
  }
  return rec;
}

static int registry_append(pio_registry *registry, registry_record *rec) {
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

/* The manifest key of folder name inside the folder open as dir_fd;
 * present = 0 when it has no manifest.  Relative to dir_fd, the kernel
 * walks two path components instead of the whole absolute path.  Taken by
 * the scan that finds the folder, before anything in it is read, it also
 * serves the cache lookup: one stat a plugin fewer. */
static void take_manifest_key(int dir_fd, const char *name, pio_cache_file_key *key) {
  char rel[sizeof ((struct dirent *)0)->d_name + sizeof manifest_file_name + 1];
  size_t len = strlen(name); /* below NAME_MAX: a d_name */
  memcpy(rel, name, len);
  rel[len] = '/';
  memcpy(rel + len + 1, manifest_file_name, sizeof manifest_file_name);
  pio_cache_file_key_take_at(dir_fd, rel, key);
}

/* Records of one path folder: by the names of their folders. */
static int compare_folder_names(const void *a, const void *b) {
  return strcmp((*(registry_record *const *)a)->folder_name,
                (*(registry_record *const *)b)->folder_name);
}

/* Every immediate subfolder of dir holding a manifest becomes a record, in
 * the order of their names so that output is stable.  A folder that cannot
 * be read holds no plugins. */
static pio_status scan_folder(pio_registry *registry, const char *dir, pio_error *err) {
  DIR *d = opendir(dir);
  if (d == NULL) return PIO_OK;
  size_t first = registry->count;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (ent->d_name[0] == '.') continue;
    pio_cache_file_key key;
    take_manifest_key(dirfd(d), ent->d_name, &key);
    if (!key.present) continue;
    registry_record *rec = record_new(dir, ent->d_name);
    if (rec == NULL || examine_cached(registry, rec, &key) != 0 ||
        registry_append(registry, rec) != 0) {
      record_free(rec);
      closedir(d);
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    }
  }
  closedir(d);
  qsort(registry->records + first, registry->count - first, sizeof *registry->records,
        compare_folder_names);
  return PIO_OK;
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
    if (asprintf(&reason, "shadowed by %s", first->pub.manifest_path) < 0) rc = -1;
    else rc = set_reason(rec, PIO_PLUGIN_SHADOWED, reason);
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

/* Plugins that need another plugin: in path order, so a dependency on a
 * plugin whose own dependencies fail fails too when it comes later. */
static int check_dependencies(pio_registry *registry) {
  for (size_t i = 0; i < registry->count; i++) {
    registry_record *rec = registry->records[i];
    if (rec->pub.state != PIO_PLUGIN_OK || rec->manifest->n_dependencies == 0) continue;
    pio_error err;
    pio_error_clear(&err);
    if (pio_manifest_check_plugin_dependencies(rec->manifest, usable_version, registry, &err) !=
            PIO_OK &&
        set_reason(rec, PIO_PLUGIN_INCOMPATIBLE, err.message) != 0)
      return -1;
  }
  return 0;
}

static int trial_load(registry_record *rec) {
  pio_error err;
  pio_error_clear(&err);
  pio_plugin_state state = pio_trial_load_module(rec->pub.module_path, rec->manifest,
                                                 PIO_TRIAL_LOAD_TIMEOUT_MS, &rec->trial, &err);
  rec->trial_done = 1;
  if (state == PIO_PLUGIN_OK) return 0;
  return set_reason(rec, state, err.message);
}

static pio_status trial_load_ok_records(pio_registry *registry, pio_error *err) {
  for (size_t i = 0; i < registry->count; i++) {
    registry_record *rec = registry->records[i];
    if (rec->pub.state == PIO_PLUGIN_OK && trial_load(rec) != 0)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  }
  return PIO_OK;
}

/* The checks that look across records, then the trial loads. */
static pio_status finish(pio_registry *registry, int check_load, pio_error *err) {
  if (mark_shadowed(registry) != 0 || check_dependencies(registry) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  if (check_load) return trial_load_ok_records(registry, err);
  return PIO_OK;
}

static pio_registry_cache *open_cache(const char *cache_dir) {
  char *file = pio_registry_cache_default_file(cache_dir);
  pio_registry_cache *cache = file != NULL ? pio_registry_cache_open(file) : NULL;
  free(file);
  return cache;
}

/* Remembers the trial loads' verdicts and writes the cache.  A cache that
 * cannot be written only costs speed next time, so its error is dropped. */
static void close_cache(pio_registry *registry) {
  for (size_t i = 0; i < registry->count; i++)
    if (registry->records[i]->trial_done)
      pio_registry_cache_store(registry->cache, &registry->records[i]->pub, 1);
  pio_error ignored;
  pio_registry_cache_commit(registry->cache, &ignored);
  pio_registry_cache_close(registry->cache);
  registry->cache = NULL;
}

pio_status pio_registry_open(const pio_registry_options *opts, pio_registry **out,
                             pio_error *err) {
  if (opts == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_registry_open: no options");
  if (opts->struct_size < offsetof(pio_registry_options, check_load) + sizeof opts->check_load)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "pio_registry_open: options struct_size %u too small "
                         "(use pio_registry_options_init)", (unsigned)opts->struct_size);
  pio_registry *registry = calloc(1, sizeof *registry);
  if (registry == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  pio_machine_probe(&registry->machine);
  pio_status st = pio_plugin_path_from_options(opts, &registry->path, err);
  if ((registry->arena = pio_arena_new()) == NULL) {
    pio_registry_close(registry);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  }
  if (!opts->no_cache) registry->cache = open_cache(opts->cache_dir);
  pio_registry_cache_set_arena(registry->cache, registry->arena);
  if (opts->check_load) pio_registry_cache_expect_trial_stores(registry->cache);
  for (size_t i = 0; st == PIO_OK && i < registry->path.count; i++)
    st = scan_folder(registry, registry->path.entries[i].dir, err);
  if (st == PIO_OK) st = finish(registry, opts->check_load, err);
  if (st == PIO_OK) close_cache(registry);
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
    pio_machine_probe(&registry->machine);
    const char *base = slash + 1;
    *slash = '\0';
    registry_record *rec = record_new(parent[0] != '\0' ? parent : "", base);
    if (rec == NULL || examine(rec, &registry->machine, registry->arena) != 0 ||
        registry_append(registry, rec) != 0) {
      record_free(rec);
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
  for (size_t i = 0; i < registry->count; i++) record_free(registry->records[i]);
  free(registry->records);
  pio_plugin_path_clear(&registry->path);
  pio_registry_cache_close(registry->cache);
  pio_arena_free(registry->arena); /* after the records: their manifests live there */
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
  return pio_path_source_name(registry->path.entries[index].source);
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

const pio_plugin_record *pio_registry_find_architecture(const pio_registry *registry,
                                                        const char *architecture) {
  if (registry == NULL || architecture == NULL) return NULL;
  for (size_t i = 0; i < registry->count; i++) {
    const pio_plugin_record *rec = &registry->records[i]->pub;
    if (rec->state == PIO_PLUGIN_OK && strcmp(rec->model_architecture, architecture) == 0)
      return rec;
  }
  return NULL;
}

const pio_trial_result *pio_registry_trial_result(const pio_plugin_record *record) {
  const registry_record *rec = (const registry_record *)record;
  return rec != NULL && rec->trial_done ? &rec->trial : NULL;
}
