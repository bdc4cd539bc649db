/* config/config_parse.c — reads a Mistral or Mixtral config.json into
 * struct pio_model_config: the shared decoder shape (pio/hf_config.h), the
 * sliding window with Transformers' default for each class (MistralConfig
 * 4096, MixtralConfig none), and Mixtral's experts. */
#include <stdlib.h>
#include <string.h>

#include "config/mistral_config.h"
#include "pio/plugin_kit.h"

const char *const mistral_architectures[] = {"MistralForCausalLM", "MixtralForCausalLM", NULL};

/* pio_config_api.fields: the shared decoder's fields, then mistral's own
 * (those only training reads included). */
const char *const mistral_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "hidden_act", "sliding_window", "num_local_experts",
    "num_experts_per_tok", "router_aux_loss_coef", "router_jitter_noise", "output_router_logits",
    NULL};

static pio_status read_window(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  json_object *value = NULL;
  /* Absent: the class default; null: no window. */
  c->sliding_window = c->mixtral ? 0 : 4096;
  if (json_object_object_get_ex(root, "sliding_window", &value) && value == NULL)
    c->sliding_window = 0;
  pio_status s = pio_hf_config_get_u32(doc, root, "sliding_window", 0, 1, PIO_HF_MAX_POSITIONS,
                                       &c->sliding_window, err);
  if (s != PIO_OK) return s;
  uint8_t *kinds = malloc(c->d.n_layers);
  if (kinds == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  memset(kinds, c->sliding_window ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL, c->d.n_layers);
  s = pio_kv_pattern_init(&c->kv, kinds, c->d.n_layers, err);
  free(kinds);
  return s;
}

static pio_status read_experts(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  if (!c->mixtral) return PIO_OK;
  c->n_experts = 8; /* MixtralConfig's defaults */
  c->n_experts_per_token = 2;
  pio_status s = pio_hf_config_get_u32(doc, doc->root, "num_local_experts", 0, 1,
                                       PIO_HF_MAX_EXPERTS, &c->n_experts, err);
  if (s == PIO_OK)
    s = pio_hf_config_get_experts_per_token(doc, doc->root, "num_experts_per_tok",
                                            "num_local_experts", c->n_experts,
                                            &c->n_experts_per_token, err);
  return s;
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  static const char *const silu[] = {"silu", NULL};
  const char *act = NULL;
  c->d.rms_norm_eps = 1e-6; /* MistralConfig's and MixtralConfig's defaults */
  pio_status s =
      pio_hf_config_check_architectures(doc, mistral_architectures, &c->architecture, err);
  if (s != PIO_OK) return s;
  c->mixtral = c->architecture == mistral_architectures[1];
  c->d.rope_theta = c->mixtral ? 1e6 : 10000.0;
  if ((s = pio_hf_config_get_choice(doc, doc->root, "hidden_act", silu, "\"silu\"", &act, err)) ||
      (s = pio_hf_decoder_read(doc, doc->root, 1, &c->d, err)) || (s = read_window(doc, c, err)) ||
      (s = read_experts(doc, c, err)) ||
      (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status mistral_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), MISTRAL_CONFIG_MAX_BYTES,
                                 MISTRAL_CONFIG_MAX_DEPTH, read_config, mistral_config_free, out,
                                 err);
}

void mistral_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}

pio_status mistral_config_copy(const pio_model_config *config, pio_model_config **out,
                               pio_error *err) {
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  *c = *config;
  c->path = strdup(config->path ? config->path : "");
  pio_status s = pio_kv_pattern_copy(&config->kv, &c->kv, err);
  if (s == PIO_OK && c->path == NULL)
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  if (s != PIO_OK) {
    mistral_config_free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}
