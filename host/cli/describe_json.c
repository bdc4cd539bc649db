/* host/cli/describe_json.c — plugins as JSON objects.  Text from manifests
 * is kept exact inside JSON strings; pio_cli_print_json makes the whole
 * document safe for a terminal (text_escape_json). */
#include "describe_json.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli_common.h"
#include "pio/host.h"
#include "pio/json.h"
#include "text_escape.h"

static json_object *json_list(pio_json_build *b, const pio_string_list *list) {
  json_object *array = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; array != NULL && i < list->count; i++)
    pio_json_push(b, array, pio_json_text(b, list->items[i]));
  return array;
}

static json_object *json_u64(pio_json_build *b, uint64_t v) {
  return pio_json_made(b, json_object_new_uint64(v));
}

static json_object *json_double(pio_json_build *b, double v) {
  return pio_json_made(b, json_object_new_double(v));
}

static json_object *json_int(pio_json_build *b, int64_t v) {
  return pio_json_made(b, json_object_new_int64(v));
}

static json_object *json_boolean(pio_json_build *b, int v) {
  return pio_json_made(b, json_object_new_boolean(v));
}

/* pio_cli_record_json's fields, in obj. */
static void add_record(pio_json_build *b, json_object *obj, const pio_plugin_record *rec,
                       pio_plugin_state state, const char *reason, const pio_trial_result *trial) {
  pio_json_set(b, obj, "name", pio_json_text(b, rec->name));
  pio_json_set(b, obj, "version", pio_json_text(b, rec->version));
  pio_json_set(b, obj, "model_architecture", pio_json_text(b, rec->model_architecture));
  pio_json_set(b, obj, "path", pio_json_text(b, rec->manifest_path));
  pio_json_set(b, obj, "status", pio_json_text(b, pio_plugin_state_name(state)));
  pio_json_set(b, obj, "reason", pio_json_text(b, reason != NULL ? reason : ""));
  pio_json_set(b, obj, "dir", pio_json_text(b, rec->dir));
  pio_json_set(b, obj, "module", pio_json_text(b, rec->module_path));
  pio_json_set(b, obj, "variant", pio_json_text(b, pio_cli_chosen_variant(rec)));
  json_object *warnings = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; warnings != NULL && rec->warnings != NULL && rec->warnings[i] != NULL; i++)
    pio_json_push(b, warnings, pio_json_text(b, rec->warnings[i]));
  pio_json_set(b, obj, "warnings", warnings);
  if (trial != NULL && trial->state == PIO_PLUGIN_OK) {
    json_object *components = pio_json_made(b, json_object_new_array());
    for (size_t bit = 0; components != NULL && bit < pio_cli_component_count; bit++)
      if (trial->components & (1u << bit))
        pio_json_push(b, components, pio_json_text(b, pio_cli_component_names[bit]));
    pio_json_set(b, obj, "components", components);
  }
}

json_object *pio_cli_record_json(const pio_plugin_record *rec, pio_plugin_state state,
                                 const char *reason, const pio_trial_result *trial) {
  pio_json_build b = {0};
  json_object *obj = pio_json_made(&b, json_object_new_object());
  add_record(&b, obj, rec, state, reason, trial);
  return pio_json_done(&b, obj);
}

/* "1.0", or "1.x" for a bound that names only a major. */
static json_object *abi_bound(pio_json_build *b, uint16_t major, uint16_t minor) {
  char text[16];
  if (minor == PIO_MANIFEST_ABI_ANY_MINOR)
    snprintf(text, sizeof text, "%u.x", (unsigned)major);
  else
    snprintf(text, sizeof text, "%u.%u", (unsigned)major, (unsigned)minor);
  return pio_json_text(b, text);
}

static json_object *compatibility_json(pio_json_build *b, const pio_manifest_compatibility *c) {
  json_object *obj = pio_json_made(b, json_object_new_object());
  if (obj == NULL) return NULL;
  pio_json_set(b, obj, "abi_min", abi_bound(b, c->abi_min_major, c->abi_min_minor));
  pio_json_set(b, obj, "abi_max", abi_bound(b, c->abi_max_major, c->abi_max_minor));
  pio_json_set(b, obj, "os", json_list(b, &c->os));
  pio_json_set(b, obj, "arch", json_list(b, &c->arch));
  pio_json_set(b, obj, "cpu_features", json_list(b, &c->cpu_features));
  pio_json_set(b, obj, "min_memory_gb",
               c->min_memory_gb > 0 ? json_double(b, c->min_memory_gb) : NULL);
  return obj;
}

static json_object *dependencies_json(pio_json_build *b, const pio_manifest *m) {
  json_object *array = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; array != NULL && i < m->n_dependencies; i++) {
    json_object *d = pio_json_made(b, json_object_new_object());
    if (d == NULL) break;
    pio_json_set(b, d, "name", pio_json_text(b, m->dependencies[i].name));
    pio_json_set(b, d, "kind", pio_json_text(b, m->dependencies[i].kind));
    pio_json_set(b, d, "version", pio_json_text(b, m->dependencies[i].version));
    pio_json_push(b, array, d);
  }
  return array;
}

/* The variants with this machine's verdicts; JSON null when the manifest
 * lists none. */
static json_object *variants_json(pio_json_build *b, const pio_plugin_record *rec,
                                  const pio_manifest *m) {
  if (m->n_variants == 0) return NULL;
  pio_variant_verdict v[16];
  size_t n = 0;
  pio_error err;
  const int judged = pio_plugin_variants(rec, v, 16, &n, &err) == PIO_OK;
  json_object *array = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; array != NULL && i < m->n_variants; i++) {
    const pio_manifest_variant *mv = &m->variants[i];
    json_object *o = pio_json_made(b, json_object_new_object());
    if (o == NULL) continue;
    pio_json_set(b, o, "name", pio_json_text(b, mv->name));
    pio_json_set(b, o, "module", pio_json_text(b, mv->module));
    pio_json_set(b, o, "factory_function", pio_json_text(b, mv->function));
    pio_json_set(b, o, "cpu_features", json_list(b, &mv->cpu_features));
    json_object *cuda = NULL;
    if (mv->needs_cuda && (cuda = pio_json_made(b, json_object_new_object())) != NULL) {
      char text[32]; /* "major.minor", as the manifest writes them */
      snprintf(text, sizeof text, "%u.%u", (unsigned)(mv->cuda_min_capability / 10),
               (unsigned)(mv->cuda_min_capability % 10));
      pio_json_set(b, cuda, "compute_capability", pio_json_text(b, text));
      snprintf(text, sizeof text, "%u.%u", (unsigned)(mv->cuda_min_driver / 1000),
               (unsigned)(mv->cuda_min_driver % 1000 / 10));
      pio_json_set(b, cuda, "driver", mv->cuda_min_driver ? pio_json_text(b, text) : NULL);
      pio_json_set(b, cuda, "memory_gb",
                   mv->cuda_min_memory_gb > 0 ? json_double(b, mv->cuda_min_memory_gb) : NULL);
    }
    pio_json_set(b, o, "cuda", cuda);
    pio_json_set(b, o, "usable", judged ? json_boolean(b, v[i].usable) : NULL);
    pio_json_set(b, o, "chosen", judged ? json_boolean(b, v[i].chosen) : NULL);
    pio_json_set(b, o, "reason",
                 judged && !v[i].usable ? pio_json_text(b, v[i].reason)
                 : judged               ? NULL
                                        : pio_json_text(b, err.message));
    pio_json_push(b, array, o);
  }
  return array;
}

static void add_manifest(pio_json_build *b, json_object *obj, const pio_plugin_record *rec,
                         const pio_manifest *m) {
  pio_json_set(b, obj, "description", pio_json_text(b, m->description));
  pio_json_set(b, obj, "author", pio_json_text(b, m->author));
  pio_json_set(b, obj, "license", pio_json_text(b, m->license));
  pio_json_set(b, obj, "plugin_type", pio_json_text(b, m->plugin_type));
  pio_json_set(b, obj, "model_family", pio_json_text(b, m->model_family));
  pio_json_set(b, obj, "model_size", pio_json_text(b, m->model_size));
  /* 0 is the manifest's "not given", as `info` prints "-" for it. */
  pio_json_set(b, obj, "num_parameters",
               m->num_parameters > 0 ? json_u64(b, m->num_parameters) : NULL);
  pio_json_set(b, obj, "required_memory_gb",
               m->required_memory_gb > 0 ? json_double(b, m->required_memory_gb) : NULL);
  pio_json_set(b, obj, "additional_architectures", json_list(b, &m->additional_architectures));
  pio_json_set(b, obj, "supported_modalities", json_list(b, &m->supported_modalities));
  pio_json_set(b, obj, "tags", json_list(b, &m->tags));
  json_object *entry = pio_json_made(b, json_object_new_object());
  if (entry != NULL) {
    pio_json_set(b, entry, "module", pio_json_text(b, m->entry_module));
    pio_json_set(b, entry, "factory_function", pio_json_text(b, m->entry_function));
  }
  pio_json_set(b, obj, "entry_point", entry);
  pio_json_set(b, obj, "compatibility", compatibility_json(b, &m->compatibility));
  pio_json_set(b, obj, "dependencies", dependencies_json(b, m));
  pio_json_set(b, obj, "variants", variants_json(b, rec, m));
}

/* What the loaded table says of itself; NULL (JSON null) when not loaded. */
static json_object *table_json(pio_json_build *b, const pio_trial_result *trial) {
  if (trial == NULL || trial->state != PIO_PLUGIN_OK) return NULL;
  json_object *obj = pio_json_made(b, json_object_new_object());
  if (obj == NULL) return NULL;
  pio_json_set(b, obj, "abi_major", json_int(b, trial->abi_major));
  pio_json_set(b, obj, "abi_minor", json_int(b, trial->abi_minor));
  pio_json_set(b, obj, "struct_size", json_int(b, trial->struct_size));
  pio_json_set(b, obj, "config", json_boolean(b, trial->has_config));
  pio_json_set(b, obj, "kv_cache", json_boolean(b, trial->has_kv_cache));
  pio_json_set(b, obj, "model", json_boolean(b, trial->has_model));
  return obj;
}

static json_object *preset_json(pio_json_build *b, const char *name, const char *config_path,
                                const pio_config_probe *p) {
  json_object *obj = pio_json_made(b, json_object_new_object());
  if (obj == NULL) return NULL;
  int ok = p->status == PIO_OK;
  pio_json_set(b, obj, "name", pio_json_text(b, name));
  pio_json_set(b, obj, "config", pio_json_text(b, config_path));
  pio_json_set(b, obj, "n_params", ok ? json_u64(b, p->n_params) : NULL);
  pio_json_set(b, obj, "n_params_active", ok ? json_u64(b, p->n_params_active) : NULL);
  pio_json_set(b, obj, "kv_dtype", pio_json_text(b, pio_dtype_name(PIO_CONFIG_PROBE_KV_DTYPE)));
  pio_json_set(b, obj, "tp", json_int(b, PIO_CONFIG_PROBE_TP));
  pio_json_set(b, obj, "kv_bytes_per_token",
               ok && p->has_kv ? json_u64(b, p->kv_bytes_per_token) : NULL);
  pio_json_set(b, obj, "error", ok ? NULL : pio_json_text(b, p->message));
  return obj;
}

static json_object *presets_json(pio_json_build *b, const pio_cli_presets *presets) {
  if (!presets->probed) return NULL;
  json_object *array = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; array != NULL && i < presets->count; i++)
    pio_json_push(b, array,
                  preset_json(b, presets->names[i], presets->config_paths[i], &presets->probes[i]));
  return array;
}

json_object *pio_cli_describe_json(const pio_plugin_record *rec, pio_plugin_state state,
                                   const char *reason, const pio_trial_result *trial,
                                   const pio_cli_presets *presets) {
  pio_json_build b = {0};
  json_object *obj = pio_json_made(&b, json_object_new_object());
  add_record(&b, obj, rec, state, reason, trial);
  const pio_manifest *m = pio_plugin_record_manifest(rec);
  if (m != NULL) add_manifest(&b, obj, rec, m);
  pio_json_set(&b, obj, "table", table_json(&b, trial));
  if (presets != NULL) pio_json_set(&b, obj, "presets", presets_json(&b, presets));
  return pio_json_done(&b, obj);
}
