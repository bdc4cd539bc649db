/* host/plugin.c — the doors from a registry record to its code: loading
 * it into this process (pio_plugin_load) or trying it in a child
 * (pio_plugin_trial_load, pio_plugin_probe).  Above both the registry and
 * the loader: they know nothing of each other, and the loader and the
 * trial load take only a module path and a manifest. */
#include <stdlib.h>

#include "load/loader.h"
#include "load/module_check.h"
#include "load/trial_load.h"
#include "load/variant_choice.h"
#include "manifest/compat.h"
#include "pio/host.h"
#include "registry/registry.h"

/* The build of record to load (variant_build: the variant named variant,
 * else the one this machine runs first, else entry_point), its module
 * checked again now and opened: the file may have changed since the
 * registry scan (or since the cache entry that gave the record), and what
 * is loaded is the file those checks looked at (module_open).  *module
 * owned by the caller (module_file_close).  Errors name the plugin. */
static pio_status record_build(const pio_plugin_record *record, const char *variant,
                               pio_manifest *view, const char **chosen, module_file *module,
                               pio_error *err) {
  *module = (module_file){NULL, NULL, -1, {0}};
  *chosen = NULL;
  const pio_manifest *m = pio_plugin_record_manifest(record);
  if (m == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin %s: " REGISTRY_UNDECODABLE_MANIFEST,
                         record->name);
  pio_status st = variant_build(m, record->dir, variant, view, chosen, err);
  if (st != PIO_OK) return st;
  st = module_open(record->dir, view->entry_module, module, err);
  if (st != PIO_OK) pio_error_prefix(err, "%s", record->name);
  return st;
}

pio_status pio_plugin_variants(const pio_plugin_record *record, pio_variant_verdict *verdicts,
                               size_t max, size_t *n, pio_error *err) {
  if (record == NULL || n == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_plugin_variants: no record");
  *n = 0;
  const pio_manifest *m = pio_plugin_record_manifest(record);
  if (m == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin %s: " REGISTRY_UNDECODABLE_MANIFEST,
                         record->name);
  if (m->n_variants == 0) return PIO_OK;
  if (verdicts == NULL || max < m->n_variants)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_plugin_variants: room for %zu "
                         "verdicts, plugin %s has %zu variants", max, record->name,
                         m->n_variants);
  variant_machine machine = {.cuda = NULL};
  compat_machine_probe(&machine.cpu);
  size_t chosen = 0;
  pio_error ignored;
  (void)variant_choose(m, record->dir, NULL, &machine, &chosen, verdicts, &ignored);
  *n = m->n_variants;
  return PIO_OK;
}

pio_status pio_plugin_load_variant(const pio_plugin_record *record, const char *variant,
                                   pio_loaded_plugin **out, pio_error *err) {
  if (record == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "pio_plugin_load: no record");
  if (record->state != PIO_PLUGIN_OK || record->module_path == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "plugin %s is %s: %s", record->name,
                         pio_plugin_state_name(record->state), record->reason);
  pio_manifest view;
  const char *chosen;
  module_file module;
  pio_status st = record_build(record, variant, &view, &chosen, &module, err);
  if (st == PIO_OK) {
    st = loader_open(&module, &view, NULL, NULL, out, err);
    if (st == PIO_OK) loader_name_variant(*out, chosen);
    else pio_error_prefix(err, "%s", record->name);
  }
  module_file_close(&module);
  return st;
}

pio_status pio_plugin_load(const pio_plugin_record *record, pio_loaded_plugin **out,
                           pio_error *err) {
  return pio_plugin_load_variant(record, NULL, out, err);
}

pio_plugin_state pio_plugin_probe(const pio_plugin_record *record, const char *const *config_paths,
                                  size_t n_configs, pio_trial_result *result,
                                  pio_config_probe *probes, pio_error *err) {
  if (record == NULL) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no record");
    return PIO_PLUGIN_FAILED;
  }
  pio_manifest view;
  const char *chosen;
  module_file module;
  pio_plugin_state state = PIO_PLUGIN_FAILED;
  if (record_build(record, NULL, &view, &chosen, &module, err) == PIO_OK)
    state = trial_load_probe(&module, &view, TRIAL_LOAD_TIMEOUT_MS, config_paths, n_configs,
                             result, probes, err);
  module_file_close(&module);
  return state;
}

pio_plugin_state pio_plugin_trial_load(const pio_plugin_record *record, pio_error *err) {
  pio_plugin_state state = pio_plugin_probe(record, NULL, 0, NULL, NULL, err);
  if (state != PIO_PLUGIN_OK) pio_error_prefix(err, "%s", pio_plugin_state_name(state));
  return state;
}
