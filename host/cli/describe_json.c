/* host/cli/describe_json.c — plugins as JSON objects.  Text from manifests
 * is kept exact inside JSON strings; pio_cli_print_json makes the whole
 * document safe for a terminal (text_escape_json). */
#include "describe_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli_common.h"
#include "pio/host.h"
#include "text_escape.h"

static json_object *json_text(const char *text) {
  return text != NULL ? json_object_new_string(text) : NULL;
}

static json_object *json_list(const pio_string_list *list) {
  json_object *array = json_object_new_array();
  for (size_t i = 0; array != NULL && i < list->count; i++)
    json_object_array_add(array, json_text(list->items[i]));
  return array;
}

static json_object *json_u64(uint64_t v) { return json_object_new_uint64(v); }

json_object *pio_cli_record_json(const pio_plugin_record *rec, pio_plugin_state state,
                                 const char *reason, const pio_trial_result *trial) {
  json_object *obj = json_object_new_object();
  if (obj == NULL) return NULL;
  json_object_object_add(obj, "name", json_text(rec->name));
  json_object_object_add(obj, "version", json_text(rec->version));
  json_object_object_add(obj, "model_architecture", json_text(rec->model_architecture));
  json_object_object_add(obj, "path", json_text(rec->manifest_path));
  json_object_object_add(obj, "status", json_text(pio_plugin_state_name(state)));
  json_object_object_add(obj, "reason", json_text(reason != NULL ? reason : ""));
  json_object_object_add(obj, "dir", json_text(rec->dir));
  json_object_object_add(obj, "module", json_text(rec->module_path));
  json_object_object_add(obj, "variant", json_text(pio_cli_chosen_variant(rec)));
  json_object *warnings = json_object_new_array();
  for (size_t i = 0; warnings != NULL && rec->warnings != NULL && rec->warnings[i] != NULL; i++)
    json_object_array_add(warnings, json_text(rec->warnings[i]));
  json_object_object_add(obj, "warnings", warnings);
  if (trial != NULL && trial->state == PIO_PLUGIN_OK) {
    json_object *components = json_object_new_array();
    for (size_t bit = 0; components != NULL && bit < pio_cli_component_count; bit++)
      if (trial->components & (1u << bit))
        json_object_array_add(components, json_text(pio_cli_component_names[bit]));
    json_object_object_add(obj, "components", components);
  }
  return obj;
}

/* "1.0", or "1.x" for a bound that names only a major. */
static json_object *abi_bound(uint16_t major, uint16_t minor) {
  char text[16];
  if (minor == PIO_MANIFEST_ABI_ANY_MINOR)
    snprintf(text, sizeof text, "%u.x", (unsigned)major);
  else
    snprintf(text, sizeof text, "%u.%u", (unsigned)major, (unsigned)minor);
  return json_object_new_string(text);
}

static json_object *compatibility_json(const pio_manifest_compatibility *c) {
  json_object *obj = json_object_new_object();
  if (obj == NULL) return NULL;
  json_object_object_add(obj, "abi_min", abi_bound(c->abi_min_major, c->abi_min_minor));
  json_object_object_add(obj, "abi_max", abi_bound(c->abi_max_major, c->abi_max_minor));
  json_object_object_add(obj, "os", json_list(&c->os));
  json_object_object_add(obj, "arch", json_list(&c->arch));
  json_object_object_add(obj, "cpu_features", json_list(&c->cpu_features));
  json_object_object_add(obj, "min_memory_gb",
                         c->min_memory_gb > 0 ? json_object_new_double(c->min_memory_gb) : NULL);
  return obj;
}

static json_object *dependencies_json(const pio_manifest *m) {
  json_object *array = json_object_new_array();
  for (size_t i = 0; array != NULL && i < m->n_dependencies; i++) {
    json_object *d = json_object_new_object();
    if (d == NULL) break;
    json_object_object_add(d, "name", json_text(m->dependencies[i].name));
    json_object_object_add(d, "kind", json_text(m->dependencies[i].kind));
    json_object_object_add(d, "version", json_text(m->dependencies[i].version));
    json_object_array_add(array, d);
  }
  return array;
}

/* The variants with this machine's verdicts; JSON null when the manifest
 * lists none. */
static json_object *variants_json(const pio_plugin_record *rec, const pio_manifest *m) {
  if (m->n_variants == 0) return NULL;
  pio_variant_verdict v[16];
  size_t n = 0;
  pio_error err;
  const int judged = pio_plugin_variants(rec, v, 16, &n, &err) == PIO_OK;
  json_object *array = json_object_new_array();
  for (size_t i = 0; array != NULL && i < m->n_variants; i++) {
    const pio_manifest_variant *mv = &m->variants[i];
    json_object *o = json_object_new_object();
    if (o == NULL) continue;
    json_object_object_add(o, "name", json_text(mv->name));
    json_object_object_add(o, "module", json_text(mv->module));
    json_object_object_add(o, "factory_function", json_text(mv->function));
    json_object_object_add(o, "cpu_features", json_list(&mv->cpu_features));
    json_object *cuda = NULL;
    if (mv->needs_cuda && (cuda = json_object_new_object()) != NULL) {
      char text[32]; /* "major.minor", as the manifest writes them */
      snprintf(text, sizeof text, "%u.%u", (unsigned)(mv->cuda_min_capability / 10),
               (unsigned)(mv->cuda_min_capability % 10));
      json_object_object_add(cuda, "compute_capability", json_text(text));
      snprintf(text, sizeof text, "%u.%u", (unsigned)(mv->cuda_min_driver / 1000),
               (unsigned)(mv->cuda_min_driver % 1000 / 10));
      json_object_object_add(cuda, "driver", mv->cuda_min_driver ? json_text(text) : NULL);
      json_object_object_add(cuda, "memory_gb", mv->cuda_min_memory_gb > 0
                                                    ? json_object_new_double(mv->cuda_min_memory_gb)
                                                    : NULL);
    }
    json_object_object_add(o, "cuda", cuda);
    json_object_object_add(o, "usable", judged ? json_object_new_boolean(v[i].usable) : NULL);
    json_object_object_add(o, "chosen", judged ? json_object_new_boolean(v[i].chosen) : NULL);
    json_object_object_add(o, "reason",
                           judged && !v[i].usable ? json_text(v[i].reason)
                                                  : judged ? NULL : json_text(err.message));
    json_object_array_add(array, o);
  }
  return array;
}

static void add_manifest(json_object *obj, const pio_plugin_record *rec, const pio_manifest *m) {
  json_object_object_add(obj, "description", json_text(m->description));
  json_object_object_add(obj, "author", json_text(m->author));
  json_object_object_add(obj, "license", json_text(m->license));
  json_object_object_add(obj, "plugin_type", json_text(m->plugin_type));
  json_object_object_add(obj, "model_family", json_text(m->model_family));
  json_object_object_add(obj, "model_size", json_text(m->model_size));
  /* 0 is the manifest's "not given", as `info` prints "-" for it. */
  json_object_object_add(obj, "num_parameters",
                         m->num_parameters > 0 ? json_u64(m->num_parameters) : NULL);
  json_object_object_add(obj, "required_memory_gb", m->required_memory_gb > 0
                                                        ? json_object_new_double(m->required_memory_gb)
                                                        : NULL);
  json_object_object_add(obj, "additional_architectures",
                         json_list(&m->additional_architectures));
  json_object_object_add(obj, "supported_modalities", json_list(&m->supported_modalities));
  json_object_object_add(obj, "tags", json_list(&m->tags));
  json_object *entry = json_object_new_object();
  if (entry != NULL) {
    json_object_object_add(entry, "module", json_text(m->entry_module));
    json_object_object_add(entry, "factory_function", json_text(m->entry_function));
  }
  json_object_object_add(obj, "entry_point", entry);
  json_object_object_add(obj, "compatibility", compatibility_json(&m->compatibility));
  json_object_object_add(obj, "dependencies", dependencies_json(m));
  json_object_object_add(obj, "variants", variants_json(rec, m));
}

/* What the loaded table says of itself; NULL (JSON null) when not loaded. */
static json_object *table_json(const pio_trial_result *trial) {
  if (trial == NULL || trial->state != PIO_PLUGIN_OK) return NULL;
  json_object *obj = json_object_new_object();
  if (obj == NULL) return NULL;
  json_object_object_add(obj, "abi_major", json_object_new_int(trial->abi_major));
  json_object_object_add(obj, "abi_minor", json_object_new_int(trial->abi_minor));
  json_object_object_add(obj, "struct_size", json_object_new_int64(trial->struct_size));
  json_object_object_add(obj, "config", json_object_new_boolean(trial->has_config));
  json_object_object_add(obj, "kv_cache", json_object_new_boolean(trial->has_kv_cache));
  json_object_object_add(obj, "model", json_object_new_boolean(trial->has_model));
  return obj;
}

static json_object *preset_json(const char *name, const char *config_path,
                                const pio_config_probe *p) {
  json_object *obj = json_object_new_object();
  if (obj == NULL) return NULL;
  int ok = p->status == PIO_OK;
  json_object_object_add(obj, "name", json_text(name));
  json_object_object_add(obj, "config", json_text(config_path));
  json_object_object_add(obj, "n_params", ok ? json_u64(p->n_params) : NULL);
  json_object_object_add(obj, "n_params_active", ok ? json_u64(p->n_params_active) : NULL);
  json_object_object_add(obj, "kv_dtype", json_text(pio_dtype_name(PIO_CONFIG_PROBE_KV_DTYPE)));
  json_object_object_add(obj, "tp", json_object_new_int(PIO_CONFIG_PROBE_TP));
  json_object_object_add(obj, "kv_bytes_per_token",
                         ok && p->has_kv ? json_u64(p->kv_bytes_per_token) : NULL);
  json_object_object_add(obj, "error", ok ? NULL : json_text(p->message));
  return obj;
}

static json_object *presets_json(const pio_cli_presets *presets) {
  if (!presets->probed) return NULL;
  json_object *array = json_object_new_array();
  for (size_t i = 0; array != NULL && i < presets->count; i++)
    json_object_array_add(array, preset_json(presets->names[i], presets->config_paths[i],
                                             &presets->probes[i]));
  return array;
}

json_object *pio_cli_describe_json(const pio_plugin_record *rec, pio_plugin_state state,
                                   const char *reason, const pio_trial_result *trial,
                                   const pio_cli_presets *presets) {
  json_object *obj = pio_cli_record_json(rec, state, reason, trial);
  if (obj == NULL) return NULL;
  const pio_manifest *m = pio_plugin_record_manifest(rec);
  if (m != NULL) add_manifest(obj, rec, m);
  json_object_object_add(obj, "table", table_json(trial));
  if (presets != NULL) json_object_object_add(obj, "presets", presets_json(presets));
  return obj;
}
