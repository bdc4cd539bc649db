/* host/registry/record.c — one plugin folder's record: made, examined
 * (manifest, module file, machine) or filled from the registry cache.
 * A record, its texts and its manifest live in an arena of the registry
 * (host/registry/arena.h) and go with it; only a manifest decoded from the
 * cache on first use is freed on its own (record_release, at close). */
#include <stdlib.h>
#include <string.h>

#include "load/module_check.h"
#include "registry/registry.h"
#include "registry/text_join.h"

const char registry_manifest_file_name[] = "plugin_manifest.json";

static const char *const no_warnings[] = {NULL};

/* a, b and c one after the other, in arena. */
static char *arena_join3(struct arena *arena, const char *a, const char *b, const char *c) {
  char *s = arena_alloc(arena, text_join3_size(a, b, c));
  return s != NULL ? text_join3_into(s, a, b, c) : NULL;
}

/* text (malloc'd, or NULL) moved into arena: freed either way. */
static int move_into(struct arena *arena, char *text, const char **out) {
  *out = NULL;
  if (text == NULL) return 0;
  char *copy = arena_join3(arena, text, "", "");
  free(text);
  *out = copy;
  return copy != NULL ? 0 : -1;
}

registry_record *record_new(struct arena *arena, const char *dir, const char *name) {
  registry_record *rec = arena_alloc(arena, sizeof *rec); /* zeroed */
  if (rec == NULL) return NULL;
  rec->pub.dir = arena_join3(arena, dir, "/", name);
  rec->pub.manifest_path = rec->pub.dir != NULL
                               ? arena_join3(arena, rec->pub.dir, "/", registry_manifest_file_name)
                               : NULL;
  rec->folder_name = arena_join3(arena, name, "", "");
  rec->pub.name = rec->folder_name; /* until a manifest says otherwise */
  rec->pub.version = "";
  rec->pub.model_architecture = "";
  rec->pub.reason = "";
  rec->pub.warnings = no_warnings;
  rec->pub.state = PIO_PLUGIN_OK;
  if (rec->pub.dir == NULL || rec->pub.manifest_path == NULL || rec->folder_name == NULL)
    return NULL;
  return rec;
}

int record_set_reason(registry_record *rec, struct arena *arena, pio_plugin_state state,
                      const char *reason) {
  char *copy = arena_join3(arena, reason, "", "");
  if (copy == NULL) return -1;
  rec->pub.reason = copy;
  rec->pub.state = state;
  return 0;
}

/* Name, version, architecture and warnings from a readable manifest, which
 * the record owns from now on (its string lists are NULL-terminated). */
static void adopt_manifest(registry_record *rec, pio_manifest *manifest) {
  atomic_init(&rec->manifest, manifest);
  rec->n_dependencies = manifest->n_dependencies;
  rec->n_variants = manifest->n_variants;
  rec->pub.name = manifest->name != NULL ? manifest->name : "";
  rec->pub.version = manifest->version != NULL ? manifest->version : "";
  rec->pub.model_architecture =
      manifest->model_architecture != NULL ? manifest->model_architecture : "";
  rec->pub.warnings = manifest->warnings.items != NULL
                          ? (const char *const *)manifest->warnings.items
                          : no_warnings;
}

/* A broken folder is invalid wherever it goes, so those checks come before
 * the ones about this machine. */
/* Invalid for what err says; a failure of the system rather than of the
 * files (an I/O error, memory) is marked so that it is not cached. */
static int examined_invalid(registry_record *rec, struct arena *arena, const pio_error *err) {
  rec->transient = err->code == PIO_ERR_IO || err->code == PIO_ERR_NO_MEMORY;
  return record_set_reason(rec, arena, PIO_PLUGIN_INVALID, err->message);
}

int record_examine(registry_record *rec, const compat_machine *machine, struct arena *arena) {
  pio_error err;
  pio_error_clear(&err);
  pio_manifest *manifest = NULL;
  if (manifest_load(rec->pub.manifest_path, arena, &manifest, &err) != PIO_OK)
    return examined_invalid(rec, arena, &err);
  adopt_manifest(rec, manifest);
  module_file module;
  if (module_resolve(rec->pub.dir, manifest->entry_module, &module, &err) != PIO_OK)
    return examined_invalid(rec, arena, &err);
  int moved = move_into(arena, module.path, &rec->pub.module_path);
  moved |= move_into(arena, module.archive, &rec->module_archive);
  module.path = module.archive = NULL; /* moved: freed either way */
  module_file_close(&module);
  if (moved != 0) return -1;
  if (compat_check(manifest, machine, &err) != PIO_OK)
    return record_set_reason(rec, arena, PIO_PLUGIN_INCOMPATIBLE, err.message);
  return 0;
}

registry_record *record_from_cache(struct arena *arena, const regcache_entry *entry) {
  registry_record *rec = arena_alloc(arena, sizeof *rec); /* zeroed */
  if (rec == NULL) return NULL;
  rec->pub.dir = entry->dir;
  rec->pub.manifest_path = entry->manifest_path;
  rec->folder_name = strrchr(entry->dir, '/') + 1; /* the lookup checked dir + "/" + name */
  rec->pub.name = entry->name; /* the folder's name when the manifest was unreadable */
  rec->pub.version = entry->version;
  rec->pub.model_architecture = entry->model_architecture;
  rec->pub.warnings = entry->warnings;
  rec->pub.module_path = entry->module_path;
  rec->module_archive = entry->module_archive;
  rec->pub.state = entry->state;
  rec->pub.reason = entry->reason;
  rec->manifest_bytes = entry->manifest;
  rec->manifest_len = entry->manifest_len;
  rec->n_dependencies = entry->n_dependencies;
  rec->n_variants = entry->n_variants;
  return rec;
}

pio_manifest *record_manifest(registry_record *rec) {
  pio_manifest *m = atomic_load_explicit(&rec->manifest, memory_order_acquire);
  if (m != NULL || rec->manifest_bytes == NULL) return m;
  pio_manifest *decoded =
      regcache_decode_manifest(rec->manifest_bytes, rec->manifest_len, rec->pub.manifest_path);
  if (decoded == NULL) return NULL;
  /* Another thread may have decoded it meanwhile: the first one stays. */
  if (!atomic_compare_exchange_strong_explicit(&rec->manifest, &m, decoded, memory_order_acq_rel,
                                               memory_order_acquire)) {
    manifest_free(decoded);
    return m;
  }
  return decoded;
}

void record_release(registry_record *rec) {
  if (rec->manifest_bytes != NULL) /* examined records' manifests live in the arena */
    manifest_free(atomic_load_explicit(&rec->manifest, memory_order_acquire));
}
