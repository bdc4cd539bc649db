/* tests/bench_fixtures/kv_toy/plugin.c — a test plugin for a made-up
 * architecture, KvToyForCausalLM: config.json gives num_hidden_layers,
 * cache_width (numbers cached per token and layer, whole on every rank) and
 * num_parameters.  It exists so the tests can show pio-bench printing the
 * figures of a plugin it has no knowledge of. */
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "pio/kv.h"
#include "pio/plugin.h"

struct pio_model_config {
  uint32_t n_layers;
  uint32_t cache_width;
  uint64_t n_params;
};

static pio_status toy_parse(const char *path, pio_model_config **out, pio_error *err) {
  json_object *root = NULL;
  pio_status s = pio_json_parse_file(path, 0, 0, &root, NULL, err);
  if (s != PIO_OK) return s;
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) s = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  if (s == PIO_OK) s = pio_json_get_u32(root, path, "num_hidden_layers", 1, 1, 1024, &c->n_layers, err);
  if (s == PIO_OK) s = pio_json_get_u32(root, path, "cache_width", 1, 1, 65536, &c->cache_width, err);
  if (s == PIO_OK) s = pio_json_get_u64(root, path, "num_parameters", 1, 1, UINT64_MAX >> 8, &c->n_params, err);
  json_object_put(root);
  if (s != PIO_OK) {
    free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

static void toy_free(pio_model_config *c) { free(c); }

static pio_status toy_summarize(const pio_model_config *c, pio_model_summary *out, pio_error *err) {
  (void)err;
  out->architecture = "KvToyForCausalLM";
  out->attention_kind = "gqa";
  out->n_layers = c->n_layers;
  out->n_params = c->n_params;
  out->n_params_active = c->n_params;
  return PIO_OK;
}

static pio_status toy_figures(const pio_model_config *c, const pio_kv_query *q, pio_kv_figures *out,
                              pio_error *err) {
  pio_status s = pio_kv_figures_check(out, err);
  if (s == PIO_OK) s = pio_kv_query_check(q, c->n_layers, err);
  if (s != PIO_OK) return s;
  uint64_t per_layer = (uint64_t)c->cache_width * pio_dtype_size(q->kv_dtype);
  return pio_kv_figures_fill(q, c->n_layers, per_layer, per_layer, 1, q->tp,
                             "toy[layers][tokens][cache_width]", out, err);
}

static const pio_config_api toy_config = {sizeof(pio_config_api), toy_parse, toy_free,
                                          toy_summarize, NULL};
static const pio_kv_cache_api toy_kv = {sizeof(pio_kv_cache_api), toy_figures};
static const pio_plugin toy_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "kv_toy",
    .version = "0.0.1",
    .model_architecture = "KvToyForCausalLM",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE,
    .config = &toy_config,
    .kv_cache = &toy_kv,
    .model = NULL,
};

PIO_PLUGIN_ENTRY(pio_kv_toy_entry) {
  (void)host;
  (void)err;
  return &toy_plugin;
}
