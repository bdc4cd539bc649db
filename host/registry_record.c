/* host/registry_record.c — one plugin folder's record: made, examined
 * (manifest, module file, machine) or filled from the registry cache, and
 * freed. */
#include <stdlib.h>
#include <string.h>

#include "module_check.h"
#include "registry_parts.h"
#include "text_join.h"

const char pio_manifest_file_name[] = "plugin_manifest.json";

static const char *const no_warnings[] = {NULL};

registry_record *pio_record_new(const char *dir, const char *name) {
  registry_record *rec = calloc(1, sizeof *rec);
  if (rec == NULL) return NULL;
  char *plugin_dir = pio_text_join3(dir, "/", name);
  char *manifest_path =
      plugin_dir != NULL ? pio_text_join3(plugin_dir, "/", pio_manifest_file_name) : NULL;
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
    pio_record_free(rec);
    return NULL;
  }
  return rec;
}

void pio_record_free(registry_record *rec) {
  if (rec == NULL) return;
  free(rec->folder_name);
  free(rec->reason);
  free((char *)rec->pub.manifest_path);
  free((char *)rec->pub.dir);
  free((char *)rec->pub.module_path);
  pio_manifest_free(rec->manifest);
  free(rec);
}

int pio_record_set_reason(registry_record *rec, pio_plugin_state state, const char *reason) {
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

/* A broken folder is invalid wherever it goes, so those checks come before
 * the ones about this machine. */
int pio_record_examine(registry_record *rec, const pio_machine *machine, pio_arena *arena) {
  pio_error err;
  pio_error_clear(&err);
  pio_manifest *manifest = NULL;
  if (pio_manifest_load(rec->pub.manifest_path, &manifest, &err) != PIO_OK)
    return pio_record_set_reason(rec, PIO_PLUGIN_INVALID, err.message);
  manifest = pio_manifest_pack(manifest, arena);
  adopt_manifest(rec, manifest);
  char *module_path = NULL;
  if (pio_module_resolve(rec->pub.dir, manifest->entry_module, &module_path, &err) != PIO_OK)
    return pio_record_set_reason(rec, PIO_PLUGIN_INVALID, err.message);
  rec->pub.module_path = module_path;
  if (pio_compat_check(manifest, machine, &err) != PIO_OK)
    return pio_record_set_reason(rec, PIO_PLUGIN_INCOMPATIBLE, err.message);
  return 0;
}

int pio_record_adopt_cached(registry_record *rec, pio_cache_entry *entry) {
  int rc = 0;
  if (entry->manifest != NULL) adopt_manifest(rec, entry->manifest);
  entry->manifest = NULL; /* the record owns it now */
  rec->pub.module_path = entry->module_path;
  entry->module_path = NULL;
  if (entry->state != PIO_PLUGIN_OK) rc = pio_record_set_reason(rec, entry->state, entry->reason);
  pio_cache_entry_clear(entry);
  return rc;
}
