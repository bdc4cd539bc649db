/* config/config_parse.c — reads a Llama 4 config.json into struct
 * pio_model_config with Llama4TextConfig's defaults: the shared decoder
 * shape of text_config (pio/hf_config.h), the experts and which layers
 * have them (moe_layers, or every interleave_moe_layer_step-th), which
 * layers are chunked (no_rope_layers, or all but every fourth) and the
 * vision encoder. */
#include <stdlib.h>
#include <string.h>

#include "config/llama4_config.h"
#include "pio/plugin_kit.h"

const char *const llama4_architectures[] = {"Llama4ForConditionalGeneration", "Llama4ForCausalLM",
                                            NULL};

/* pio_config_api.fields: the shared decoder's fields, Llama 4's own (its
 * forward pass's included), the multimodal wrapper's, then those only
 * training or tools read. */
const char *const llama4_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "attention_chunk_size", "intermediate_size_mlp",
    "interleave_moe_layer_step", "moe_layers", "no_rope_layer_interval", "no_rope_layers",
    "num_experts_per_tok", "num_local_experts", "use_qk_norm", "attention_bias", "text_config",
    "vision_config", "boi_token_index", "eoi_token_index", "image_token_index", "hidden_act",
    "attn_scale", "attn_temperature_tuning", "floor_scale", "router_aux_loss_coef",
    "router_jitter_noise", "output_router_logits", "for_llm_compressor", NULL};

static pio_status get_u32(pio_hf_config *doc, const json_object *o, const char *key, uint32_t max,
                          uint32_t *out, pio_error *err) {
  return pio_hf_config_get_u32(doc, o, key, 0, 1, max, out, err);
}

/* Layer i is MoE when listed in moe_layers, or else when it is the
 * interleave_moe_layer_step-th (Transformers' rule). */
static pio_status read_experts(pio_hf_config *doc, const json_object *t, pio_model_config *c,
                               pio_error *err) {
  uint32_t step = 1, n = c->d.n_layers;
  int given = 0;
  c->n_experts = 16;
  c->n_experts_per_token = 1;
  c->intermediate_size_mlp = 16384;
  c->use_qk_norm = 1;
  pio_status s;
  if ((s = get_u32(doc, t, "num_local_experts", PIO_HF_MAX_EXPERTS, &c->n_experts, err)) ||
      (s = get_u32(doc, t, "num_experts_per_tok", c->n_experts, &c->n_experts_per_token, err)) ||
      (s = get_u32(doc, t, "intermediate_size_mlp", PIO_HF_MAX_INTERMEDIATE,
                   &c->intermediate_size_mlp, err)) ||
      (s = get_u32(doc, t, "interleave_moe_layer_step", PIO_HF_MAX_LAYERS, &step, err)) ||
      (s = pio_hf_config_get_bool(doc, t, "use_qk_norm", 0, &c->use_qk_norm, err)) ||
      (s = pio_hf_config_get_bool(doc, t, "attention_bias", 0, &c->attention_bias, err)))
    return s;
  if ((c->moe_layer = calloc(n, 1)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  if ((s = pio_hf_config_read_layer_indices(doc, t, "moe_layers", n, 1, c->moe_layer, &given, err)))
    return s;
  for (uint32_t i = step - 1; !given && i < n; i += step) c->moe_layer[i] = 1;
  return PIO_OK;
}

/* A layer with RoPE (no_rope_layers[i] = 1) attends within its chunk; a
 * NoPE layer attends to everything.  Without the list every
 * no_rope_layer_interval-th layer is NoPE. */
static pio_status read_layer_pattern(pio_hf_config *doc, const json_object *t, pio_model_config *c,
                                     pio_error *err) {
  uint32_t interval = 4, n = c->d.n_layers;
  int given = 0;
  c->attention_chunk_size = 8192;
  uint8_t *rope = malloc(n);
  if (rope == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  pio_status s;
  if ((s = get_u32(doc, t, "attention_chunk_size", PIO_HF_MAX_POSITIONS, &c->attention_chunk_size,
                   err)) ||
      (s = get_u32(doc, t, "no_rope_layer_interval", PIO_HF_MAX_LAYERS, &interval, err)) ||
      (s = pio_hf_config_read_layer_mask(doc, t, "no_rope_layers", n, rope, &given, err)))
    goto done;
  for (uint32_t i = 0; i < n; i++) {
    if (!given) rope[i] = (i + 1) % interval != 0;
    rope[i] = rope[i] ? PIO_KV_LAYER_CHUNKED : PIO_KV_LAYER_FULL;
  }
  s = pio_kv_pattern_init(&c->kv, rope, n, err);
done:
  free(rope);
  return s;
}

/* Llama4VisionConfig, with its defaults for what vision_config leaves out. */
static pio_status read_vision(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  json_object *v = NULL;
  pio_status s = pio_hf_config_get_object(doc, doc->root, "vision_config", &v, err);
  if (s != PIO_OK || v == NULL) return s;
  llama4_vision *g = &c->vision;
  *g = (llama4_vision){1, 768, 5632, 34, 448, 14, 3, 4096, 4096, 7680};
  if ((s = get_u32(doc, v, "hidden_size", PIO_HF_MAX_HIDDEN, &g->hidden_size, err)) ||
      (s = get_u32(doc, v, "intermediate_size", PIO_HF_MAX_INTERMEDIATE, &g->intermediate_size,
                   err)) ||
      (s = get_u32(doc, v, "num_hidden_layers", PIO_HF_MAX_LAYERS, &g->n_layers, err)) ||
      (s = get_u32(doc, v, "image_size", 65536, &g->image_size, err)) ||
      (s = get_u32(doc, v, "patch_size", 4096, &g->patch_size, err)) ||
      (s = get_u32(doc, v, "num_channels", 64, &g->channels, err)) ||
      (s = get_u32(doc, v, "projector_input_dim", PIO_HF_MAX_HIDDEN, &g->projector_input_dim,
                   err)) ||
      (s = get_u32(doc, v, "projector_output_dim", PIO_HF_MAX_HIDDEN, &g->projector_output_dim,
                   err)) ||
      (s = get_u32(doc, v, "vision_output_dim", PIO_HF_MAX_HIDDEN, &g->output_dim, err)))
    return s;
  return pio_hf_config_check_divisor(doc, v, "patch_size", g->patch_size, "image_size",
                                     g->image_size, err);
}

/* What only the forward pass reads: the activation, and the temperature
 * of the NoPE layers' queries (Llama4TextConfig: on, 8192, 0.1). */
static pio_status read_compute(pio_hf_config *doc, const json_object *t, pio_model_config *c,
                               pio_error *err) {
  int tuning = 1;
  const char *act = NULL;
  c->temperature_floor = 8192.0;
  c->temperature_scale = 0.1;
  /* Early Llama 4 files say 4 (Llama4TextConfig once took an int): any
   * number but 0 turns it on, as Python's truth does. */
  json_object *value = NULL;
  const int numeric = json_object_object_get_ex(t, "attn_temperature_tuning", &value) &&
                      (json_object_is_type(value, json_type_int) ||
                       json_object_is_type(value, json_type_double));
  if (numeric) tuning = json_object_get_double(value) != 0.0;
  pio_status s;
  if ((s = pio_hf_config_get_string(doc, t, "hidden_act", 0, &act, err)) ||
      (!numeric &&
       (s = pio_hf_config_get_bool(doc, t, "attn_temperature_tuning", 0, &tuning, err))) ||
      (s = pio_hf_config_get_positive(doc, t, "floor_scale", 1e12, &c->temperature_floor, err)) ||
      (s = pio_hf_config_get_positive(doc, t, "attn_scale", 1e6, &c->temperature_scale, err)))
    return s;
  c->silu = act == NULL || strcmp(act, "silu") == 0;
  if (!tuning) c->temperature_floor = 0.0;
  return PIO_OK;
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  pio_status s =
      pio_hf_config_check_architectures(doc, llama4_architectures, &c->architecture, err);
  if (s != PIO_OK) return s;
  json_object *text = (json_object *)doc->root;
  if (c->architecture == llama4_architectures[0]) {
    if ((s = pio_hf_config_get_object(doc, doc->root, "text_config", &text, err))) return s;
    if (text == NULL)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: missing required field 'text_config' "
                           "(the language model of Llama4ForConditionalGeneration)",
                           doc->path);
  }
  /* Llama4TextConfig's defaults. */
  c->d.head_dim = 128;
  c->d.n_kv_heads = 8;
  c->d.vocab_size = 202048;
  c->d.max_position = 131072;
  c->d.rms_norm_eps = 1e-5;
  c->d.rope_theta = 500000.0;
  if ((s = pio_hf_decoder_read(doc, text, 1, &c->d, err)) ||
      (s = read_experts(doc, text, c, err)) || (s = read_layer_pattern(doc, text, c, err)) ||
      (s = read_compute(doc, text, c, err)) ||
      (s = read_vision(doc, c, err)) || (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status llama4_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), LLAMA4_CONFIG_MAX_BYTES,
                                 LLAMA4_CONFIG_MAX_DEPTH, read_config, llama4_config_free, out,
                                 err);
}

void llama4_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  free(config->moe_layer);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}
