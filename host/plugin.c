/* host/plugin.c — the doors from a registry record to its code: loading
 * it into this process (pio_plugin_load) or trying it in a child
 * (pio_plugin_trial_load, pio_plugin_probe).  Above both the registry and
 * the loader: they know nothing of each other, and the loader and the
 * trial load take only a module path and a manifest. */
#include <stdlib.h>

#include "load/loader.h"
#include "load/module_check.h"
#include "load/trial_load.h"
#include "pio/host.h"
#include "registry/registry.h"

/* The record's manifest and its module, resolved again now: the file may
 * have changed since the registry scan.  *module_path owned by the caller
 * (free).  Errors name the plugin. */
static pio_status record_module(const pio_plugin_record *record, const pio_manifest **manifest,
                                char **module_path, pio_error *err) {
  *module_path = NULL;
  *manifest = pio_plugin_record_manifest(record);
  if (*manifest == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin %s: " REGISTRY_UNDECODABLE_MANIFEST,
                         record->name);
  pio_status st = module_resolve(record->dir, (*manifest)->entry_module, module_path, err);
  if (st != PIO_OK) pio_error_prefix(err, "%s", record->name);
  return st;
}

pio_status pio_plugin_load(const pio_plugin_record *record, pio_loaded_plugin **out,
                           pio_error *err) {
  if (record == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_plugin_load: no record");
  if (record->state != PIO_PLUGIN_OK || record->module_path == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "plugin %s is %s: %s", record->name,
                         pio_plugin_state_name(record->state), record->reason);
  const pio_manifest *manifest;
  char *module_path;
  pio_status st = record_module(record, &manifest, &module_path, err);
  if (st == PIO_OK) st = loader_open(module_path, manifest, NULL, NULL, out, err);
  if (st != PIO_OK && module_path != NULL) pio_error_prefix(err, "%s", record->name);
  free(module_path);
  return st;
}

pio_plugin_state pio_plugin_probe(const pio_plugin_record *record, const char *const *config_paths,
                                  size_t n_configs, pio_trial_result *result,
                                  pio_config_probe *probes, pio_error *err) {
  if (record == NULL) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no record");
    return PIO_PLUGIN_FAILED;
  }
  const pio_manifest *manifest;
  char *module_path;
  if (record_module(record, &manifest, &module_path, err) != PIO_OK) return PIO_PLUGIN_FAILED;
  pio_plugin_state state = trial_load_probe(module_path, manifest, TRIAL_LOAD_TIMEOUT_MS,
                                            config_paths, n_configs, result, probes, err);
  free(module_path);
  return state;
}

pio_plugin_state pio_plugin_trial_load(const pio_plugin_record *record, pio_error *err) {
  pio_plugin_state state = pio_plugin_probe(record, NULL, 0, NULL, NULL, err);
  if (state != PIO_PLUGIN_OK) pio_error_prefix(err, "%s", pio_plugin_state_name(state));
  return state;
}
