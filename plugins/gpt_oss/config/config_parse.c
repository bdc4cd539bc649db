/* config/config_parse.c — reads a GPT-OSS config.json into struct
 * pio_model_config with GptOssConfig's defaults: the shared decoder shape
 * (pio/hf_config.h), the experts, the alternating layer pattern
 * (layer_types, or sliding on even layers) and the weights' MXFP4 scheme. */
#include <stdlib.h>
#include <string.h>

#include "config/gpt_oss_config.h"
#include "pio/plugin_kit.h"

/* pio_config_api.fields: the shared decoder's fields, then GPT-OSS's own
 * (those only training reads included; experts_per_token and
 * initial_context_length are OpenAI's names of num_experts_per_tok and
 * rope_scaling's original_max_position_embeddings). */
const char *const gpt_oss_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "hidden_act", "attention_bias", "sliding_window", "layer_types",
    "num_local_experts", "num_experts_per_tok", "experts_per_token", "swiglu_limit",
    "initial_context_length", "router_aux_loss_coef", "output_router_logits", NULL};

static pio_status read_layer_pattern(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const uint32_t n = c->d.n_layers;
  int given = 0;
  uint8_t *kinds = malloc(n);
  if (kinds == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  pio_status s = pio_hf_config_get_u32(doc, doc->root, "sliding_window", 0, 1, PIO_HF_MAX_POSITIONS,
                                       &c->sliding_window, err);
  if (s == PIO_OK) s = pio_hf_config_read_layer_types(doc, doc->root, n, kinds, &given, err);
  for (uint32_t i = 0; s == PIO_OK && !given && i < n; i++)
    kinds[i] = (i + 1) % 2 ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL;
  for (uint32_t i = 0; s == PIO_OK && i < n; i++)
    if (kinds[i] == PIO_KV_LAYER_CHUNKED)
      s = pio_error_set(err, PIO_ERR_UNSUPPORTED,
                        "%s: field 'layer_types': item %u: GPT-OSS "
                        "has no chunked attention",
                        pio_hf_config_where(doc, doc->root, "layer_types", NULL), i);
  if (s == PIO_OK) s = pio_kv_pattern_init(&c->kv, kinds, n, err);
  free(kinds);
  return s;
}

static pio_status read_experts(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  c->n_experts = 128; /* GptOssConfig's defaults */
  c->n_experts_per_token = 4;
  json_object *qc = NULL;
  const char *method = NULL;
  pio_status s;
  if ((s = pio_hf_config_get_u32(doc, root, "num_local_experts", 0, 1, PIO_HF_MAX_EXPERTS,
                                 &c->n_experts, err)) ||
      (s = pio_hf_config_get_experts_per_token(doc, root, "num_experts_per_tok",
                                               "num_local_experts", c->n_experts,
                                               &c->n_experts_per_token, err)) ||
      (s = pio_hf_config_get_object(doc, root, "quantization_config", &qc, err)))
    return s;
  if (qc != NULL && (s = pio_hf_config_get_string(doc, qc, "quant_method", 0, &method, err)))
    return s;
  c->mxfp4_experts = method != NULL && strcmp(method, "mxfp4") == 0;
  c->swiglu_limit = 7.0; /* GptOssConfig's default */
  return pio_hf_config_get_positive(doc, root, "swiglu_limit", 1e6, &c->swiglu_limit, err);
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  c->d.rms_norm_eps = 1e-5; /* GptOssConfig's defaults */
  c->d.rope_theta = 150000.0;
  c->d.head_dim = 64;
  c->d.n_kv_heads = 8;
  c->attention_bias = 1;
  c->sliding_window = 128;
  static const char *const silu[] = {"silu", NULL};
  const char *act = NULL;
  pio_status s;
  if ((s = pio_hf_config_check_architecture(doc, GPT_OSS_ARCHITECTURE, err)) ||
      (s = pio_hf_config_get_choice(doc, doc->root, "hidden_act", silu, "\"silu\"", &act, err)) ||
      (s = pio_hf_decoder_read(doc, doc->root, 1, &c->d, err)) ||
      (s = pio_hf_config_get_bool(doc, doc->root, "attention_bias", 0, &c->attention_bias, err)) ||
      (s = read_experts(doc, c, err)) || (s = read_layer_pattern(doc, c, err)) ||
      (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status gpt_oss_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), GPT_OSS_CONFIG_MAX_BYTES,
                                 GPT_OSS_CONFIG_MAX_DEPTH, read_config, gpt_oss_config_free, out,
                                 err);
}

void gpt_oss_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}
