/* Fixture: a plugin whose config component reads any config.json with a
 * vocab_size, and which has no model component: a benchmark that needs the
 * forward pass must refuse it clearly. */
#include <stdlib.h>

#include "fixture.h"
#include "pio/json.h"

struct pio_model_config {
  uint32_t vocab_size;
};

static pio_status parse_file(const char *path, pio_model_config **out, pio_error *err) {
  json_object *root = NULL;
  if (pio_json_parse_file(path, 0, 0, &root, NULL, err) != PIO_OK) return err->code;
  pio_model_config *c = calloc(1, sizeof *c);
  pio_status s = c == NULL ? pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: no memory", path)
                           : pio_json_get_u32(root, path, "vocab_size", 1, 1, UINT32_MAX,
                                              &c->vocab_size, err);
  json_object_put(root);
  if (s != PIO_OK) {
    free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

static void config_free(pio_model_config *c) { free(c); }

static pio_status summarize(const pio_model_config *c, pio_model_summary *out, pio_error *err) {
  (void)err;
  out->architecture = "FixtureConfigOnlyForCausalLM";
  out->vocab_size = c->vocab_size;
  out->max_position = 1024;
  return PIO_OK;
}

static const pio_config_api config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = parse_file,
    .free = config_free,
    .summarize = summarize,
};

static const pio_plugin table = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "fixture-config-only",
    .version = "1.0.0",
    .model_architecture = "FixtureConfigOnlyForCausalLM",
    .components = PIO_COMPONENT_CONFIG,
    .config = &config_api,
    .kv_cache = NULL,
    .model = NULL,
};

PIO_PLUGIN_ENTRY(fixture_config_only_entry) {
  (void)err;
  if (host == NULL || host->abi_major != PIO_ABI_MAJOR) return NULL;
  return &table;
}
