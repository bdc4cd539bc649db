/* config/config_parse.c — reads a Jamba config.json into struct
 * pio_model_config with JambaConfig's defaults: the shared decoder shape
 * (pio/hf_config.h), where attention and experts sit in the layer
 * pattern, and the Mamba mixer's sizes. */
#include <stdlib.h>
#include <string.h>

#include "config/jamba_config.h"
#include "pio/plugin_kit.h"

/* pio_config_api.fields: the shared decoder's fields, Jamba's own, then
 * those only a forward pass or training reads (this plugin sizes and
 * counts; it has none). */
const char *const jamba_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "attn_layer_offset", "attn_layer_period", "expert_layer_offset",
    "expert_layer_period", "mamba_conv_bias", "mamba_d_conv", "mamba_d_state", "mamba_dt_rank",
    "mamba_expand", "mamba_proj_bias", "num_experts", "num_experts_per_tok", "sliding_window",
    "hidden_act", "use_mamba_kernels", "num_logits_to_keep", "router_aux_loss_coef",
    "output_router_logits", NULL};

int jamba_config_is_attention(const pio_model_config *c, uint32_t layer) {
  return layer % c->attn_layer_period == c->attn_layer_offset;
}

int jamba_config_is_moe(const pio_model_config *c, uint32_t layer) {
  return layer % c->expert_layer_period == c->expert_layer_offset;
}

uint64_t jamba_config_state_numbers(const pio_model_config *c) {
  const uint64_t d_inner = (uint64_t)c->mamba.expand * c->d.hidden_size;
  return d_inner * (c->mamba.d_conv - 1) + d_inner * c->mamba.d_state;
}

static pio_status get_u32(pio_hf_config *doc, const char *key, uint32_t min, uint32_t max,
                          uint32_t *out, pio_error *err) {
  return pio_hf_config_get_u32(doc, doc->root, key, 0, min, max, out, err);
}

/* A period and an offset below it. */
static pio_status read_period(pio_hf_config *doc, const char *period_key, const char *offset_key,
                              uint32_t *period, uint32_t *offset, pio_error *err) {
  pio_status s = get_u32(doc, period_key, 1, PIO_HF_MAX_LAYERS, period, err);
  if (s == PIO_OK) s = get_u32(doc, offset_key, 0, *period - 1, offset, err);
  return s;
}

static pio_status read_mamba(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  jamba_mamba *m = &c->mamba;
  *m = (jamba_mamba){16, 4, 2, (c->d.hidden_size + 15) / 16, 1, 0}; /* dt_rank "auto" */
  pio_status s;
  if ((s = get_u32(doc, "mamba_d_state", 1, 4096, &m->d_state, err)) ||
      (s = get_u32(doc, "mamba_d_conv", 2, 64, &m->d_conv, err)) ||
      (s = get_u32(doc, "mamba_expand", 1, 16, &m->expand, err)) ||
      (s = pio_hf_config_get_bool(doc, doc->root, "mamba_conv_bias", 0, &m->conv_bias, err)) ||
      (s = pio_hf_config_get_bool(doc, doc->root, "mamba_proj_bias", 0, &m->proj_bias, err)))
    return s;
  /* "auto" (the default) is ceil(hidden_size / 16); otherwise a number. */
  json_object *rank = NULL;
  if (json_object_object_get_ex(doc->root, "mamba_dt_rank", &rank) &&
      json_object_is_type(rank, json_type_string) &&
      strcmp(json_object_get_string(rank), "auto") == 0)
    return PIO_OK;
  return get_u32(doc, "mamba_dt_rank", 1, PIO_HF_MAX_HIDDEN, &m->dt_rank, err);
}

static pio_status read_pattern(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  c->attn_layer_period = 8; /* JambaConfig's defaults */
  c->attn_layer_offset = 4;
  c->expert_layer_period = 2;
  c->expert_layer_offset = 1;
  c->n_experts = 16;
  c->n_experts_per_token = 2;
  pio_status s;
  if ((s = read_period(doc, "attn_layer_period", "attn_layer_offset", &c->attn_layer_period,
                       &c->attn_layer_offset, err)) ||
      (s = read_period(doc, "expert_layer_period", "expert_layer_offset", &c->expert_layer_period,
                       &c->expert_layer_offset, err)) ||
      (s = get_u32(doc, "num_experts", 1, PIO_HF_MAX_EXPERTS, &c->n_experts, err)) ||
      (s = pio_hf_config_get_experts_per_token(doc, doc->root, "num_experts_per_tok",
                                               "num_experts", c->n_experts,
                                               &c->n_experts_per_token, err)) ||
      (s = get_u32(doc, "sliding_window", 1, PIO_HF_MAX_POSITIONS, &c->sliding_window, err)))
    return s;
  uint8_t *kinds = malloc(c->d.n_layers);
  if (kinds == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  const uint8_t attention = c->sliding_window ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL;
  for (uint32_t i = 0; i < c->d.n_layers; i++)
    kinds[i] = jamba_config_is_attention(c, i) ? attention : PIO_KV_LAYER_STATE;
  s = pio_kv_pattern_init(&c->kv, kinds, c->d.n_layers, err);
  free(kinds);
  return s;
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  c->d.rms_norm_eps = 1e-6; /* JambaConfig's defaults */
  c->d.vocab_size = 65536;
  c->d.max_position = 262144;
  pio_status s;
  if ((s = pio_hf_config_check_architecture(doc, JAMBA_ARCHITECTURE, err)) ||
      (s = pio_hf_decoder_read(doc, doc->root, 1, &c->d, err)) || (s = read_pattern(doc, c, err)) ||
      (s = read_mamba(doc, c, err)) || (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status jamba_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), JAMBA_CONFIG_MAX_BYTES,
                                 JAMBA_CONFIG_MAX_DEPTH, read_config, jamba_config_free, out, err);
}

void jamba_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}
