/* config/config_parse.c — reads a Qwen2, Qwen3 or Qwen3-MoE config.json
 * into struct pio_model_config: the shared decoder shape (pio/hf_config.h),
 * then what Qwen adds: biases and q/k norms by variant, the experts, and
 * which layers slide.  Messages read
 * "config.json:LINE:COL: field 'x': expected ..., found ...". */
#include <stdlib.h>
#include <string.h>

#include "config/qwen_config.h"
#include "pio/plugin_kit.h"

const char *const qwen_architectures[] = {"Qwen3ForCausalLM", "Qwen2ForCausalLM",
                                          "Qwen3MoeForCausalLM", NULL};

/* pio_config_api.fields: the shared decoder's fields, then qwen3's own
 * (those only training reads included). */
const char *const qwen_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "attention_bias", "hidden_act", "use_sliding_window", "sliding_window",
    "max_window_layers", "layer_types", "num_experts", "num_experts_per_tok",
    "moe_intermediate_size", "decoder_sparse_step", "norm_topk_prob", "mlp_only_layers",
    "router_aux_loss_coef", "output_router_logits", NULL};

static pio_status read_activation(pio_hf_config *doc, pio_error *err) {
  static const char *const silu[] = {"silu", NULL};
  const char *act = NULL;
  return pio_hf_config_get_choice(doc, doc->root, "hidden_act", silu, "\"silu\"", &act, err);
}

/* Qwen3-MoE's experts, and which layers use them: every
 * decoder_sparse_step-th layer not in mlp_only_layers. */
static pio_status read_experts(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  uint32_t step = 1;
  c->norm_topk_prob = 0; /* Qwen3MoeConfig's default */
  pio_status s;
  if ((s = pio_hf_config_get_u32(doc, root, "num_experts", 1, 1, PIO_HF_MAX_EXPERTS, &c->n_experts,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_experts_per_tok", 1, 1, c->n_experts,
                                 &c->n_experts_per_token, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "moe_intermediate_size", 1, 1, PIO_HF_MAX_INTERMEDIATE,
                                 &c->moe_intermediate_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "decoder_sparse_step", 0, 1, PIO_HF_MAX_LAYERS, &step,
                                 err)) ||
      (s = pio_hf_config_get_bool(doc, root, "norm_topk_prob", 0, &c->norm_topk_prob, err)))
    return s;
  if ((c->moe_layer = calloc(c->d.n_layers, 1)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  for (uint32_t i = 0; i < c->d.n_layers; i++) c->moe_layer[i] = (i + 1) % step == 0;
  int given = 0;
  return pio_hf_config_read_layer_indices(doc, root, "mlp_only_layers", c->d.n_layers, 0,
                                          c->moe_layer, &given, err);
}

/* Which layers slide: layer_types when given, else Transformers' rule
 * (layers from max_window_layers on, when use_sliding_window). */
static pio_status read_layer_pattern(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  uint8_t *kinds = calloc(c->d.n_layers, 1); /* PIO_KV_LAYER_FULL is 0 */
  if (kinds == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  int use_sliding = 0, given = 0;
  uint32_t window = 0, from = c->d.n_layers;
  pio_status s;
  if ((s = pio_hf_config_get_bool(doc, root, "use_sliding_window", 0, &use_sliding, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "sliding_window", 0, 1, PIO_HF_MAX_POSITIONS, &window,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, root, "max_window_layers", 0, 0, PIO_HF_MAX_LAYERS, &from,
                                 err)) ||
      (s = pio_hf_config_read_layer_types(doc, root, c->d.n_layers, kinds, &given, err)))
    goto done;
  if (!use_sliding) window = 0;
  for (uint32_t i = 0; !given && window > 0 && i < c->d.n_layers; i++)
    kinds[i] = i >= from ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL;
  int slides = 0;
  for (uint32_t i = 0; i < c->d.n_layers; i++) slides |= kinds[i] == PIO_KV_LAYER_SLIDING;
  if (slides && window == 0) {
    s = pio_error_set(err, PIO_ERR_INVALID,
                      "%s: field 'layer_types': sliding layers need "
                      "'sliding_window' (and 'use_sliding_window': true)",
                      doc->path);
    goto done;
  }
  c->sliding_window = slides ? window : 0;
  s = pio_kv_pattern_init(&c->kv, kinds, c->d.n_layers, err);
done:
  free(kinds);
  return s;
}

static pio_status read_variant(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  int attention_bias = 0;
  pio_status s = pio_hf_config_get_bool(doc, doc->root, "attention_bias", 0, &attention_bias, err);
  if (s != PIO_OK) return s;
  c->variant = c->architecture == qwen_architectures[1]   ? QWEN_2
               : c->architecture == qwen_architectures[2] ? QWEN_3_MOE
                                                          : QWEN_3;
  /* Qwen2 always biases q, k and v (and never o); Qwen3 biases all four
   * when attention_bias says so, and normalises q and k per head. */
  c->qkv_bias = c->variant == QWEN_2 || attention_bias;
  c->o_bias = c->variant != QWEN_2 && attention_bias;
  c->qk_norm = c->variant != QWEN_2;
  return c->variant == QWEN_3_MOE ? read_experts(doc, c, err) : PIO_OK;
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  c->d.rms_norm_eps = 1e-6; /* Qwen2Config's and Qwen3Config's defaults */
  c->d.rope_theta = 10000.0;
  c->d.tie_word_embeddings = 0;
  pio_status s;
  if ((s = pio_hf_config_check_architectures(doc, qwen_architectures, &c->architecture, err)) ||
      (s = read_activation(doc, err)) || (s = pio_hf_decoder_read(doc, doc->root, 1, &c->d, err)) ||
      (s = read_variant(doc, c, err)) || (s = read_layer_pattern(doc, c, err)) ||
      (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status qwen_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), QWEN_CONFIG_MAX_BYTES,
                                 QWEN_CONFIG_MAX_DEPTH, read_config, qwen_config_free, out, err);
}

void qwen_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  free(config->moe_layer);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}

pio_status qwen_config_copy(const pio_model_config *config, pio_model_config **out,
                            pio_error *err) {
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  *c = *config;
  c->path = NULL;
  c->moe_layer = NULL;
  pio_status s = pio_kv_pattern_copy(&config->kv, &c->kv, err);
  c->path = strdup(config->path ? config->path : "");
  if (config->moe_layer != NULL && (c->moe_layer = malloc(config->d.n_layers)) != NULL)
    memcpy(c->moe_layer, config->moe_layer, config->d.n_layers);
  if (s == PIO_OK && (c->path == NULL || (config->moe_layer != NULL && c->moe_layer == NULL)))
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  if (s != PIO_OK) {
    qwen_config_free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}
