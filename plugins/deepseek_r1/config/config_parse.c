/* config/config_parse.c — reads a Hugging Face DeepseekV3ForCausalLM
 * config.json into struct pio_model_config and checks every field the KV
 * sizing and the parameter count depend on: the MLA ranks and head sizes,
 * the MoE layout, YaRN rope scaling.  Messages read
 * "config.json:LINE:COL: field 'x': expected ..., found ...". */
#include <stdlib.h>
#include <string.h>

#include "config/deepseek_config.h"
#include "pio/hf_config.h"

/* Dense shapes shared with every transformer. */
static pio_status read_shapes(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  pio_status s;
  if ((s = pio_hf_config_get_u32(doc, root, "hidden_size", 1, 1, DEEPSEEK_MAX_HIDDEN,
                                 &c->hidden_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "intermediate_size", 1, 1,
                                 DEEPSEEK_MAX_INTERMEDIATE, &c->intermediate_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_hidden_layers", 1, 1, DEEPSEEK_MAX_LAYERS,
                                 &c->n_layers, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_attention_heads", 1, 1, DEEPSEEK_MAX_HEADS,
                                 &c->n_heads, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "vocab_size", 1, 1, DEEPSEEK_MAX_VOCAB,
                                 &c->vocab_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "max_position_embeddings", 1, 1,
                                 DEEPSEEK_MAX_POSITIONS, &c->max_position, err)))
    return s;
  c->n_kv_heads = c->n_heads;
  return pio_hf_config_get_u32(doc, root, "num_key_value_heads", 0, 1, DEEPSEEK_MAX_HEADS,
                               &c->n_kv_heads, err);
}

/* Multi-head latent attention: what is cached is kv_lora_rank +
 * qk_rope_head_dim numbers per token and layer. */
static pio_status read_mla(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  pio_status s;
  if ((s = pio_hf_config_get_u32(doc, root, "kv_lora_rank", 1, 1, DEEPSEEK_MAX_RANK,
                                 &c->kv_lora_rank, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "q_lora_rank", 0, 1, DEEPSEEK_MAX_RANK,
                                 &c->q_lora_rank, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "qk_rope_head_dim", 1, 2, DEEPSEEK_MAX_HEAD_DIM,
                                 &c->qk_rope_head_dim, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "qk_nope_head_dim", 1, 0, DEEPSEEK_MAX_HEAD_DIM,
                                 &c->qk_nope_head_dim, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "v_head_dim", 1, 1, DEEPSEEK_MAX_HEAD_DIM,
                                 &c->v_head_dim, err)) ||
      (s = pio_hf_config_get_bool(doc, root, "attention_bias", 0, &c->attention_bias, err)))
    return s;
  if (c->qk_rope_head_dim % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'qk_rope_head_dim': expected an "
                         "even number (rotary embeddings pair dimensions), found %u",
                         pio_hf_config_where(doc, root, "qk_rope_head_dim", NULL),
                         c->qk_rope_head_dim);
  return PIO_OK;
}

/* A choice's index in its NULL-terminated list. */
static int choice_index(const char *const *choices, const char *chosen) {
  int i = 0;
  while (choices[i] != NULL && choices[i] != chosen) i++;
  return i;
}

/* How the router scores and chooses: scoring_func and topk_method, absent
 * as Transformers' DeepseekV3 computes (sigmoid, noaux_tc). */
static pio_status read_router_kind(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  static const char *const methods[] = {"greedy", "group_limited_greedy", "noaux_tc", NULL};
  static const char *const scorings[] = {"softmax", "sigmoid", NULL};
  const json_object *root = doc->root;
  const char *method = methods[2], *scoring = scorings[1];
  pio_status s;
  c->norm_topk_prob = 1; /* DeepseekV3Config's defaults */
  c->routed_scaling_factor = 2.5;
  if ((s = pio_hf_config_get_choice(doc, root, "topk_method", methods,
                                    "\"greedy\", \"group_limited_greedy\" or \"noaux_tc\"",
                                    &method, err)) ||
      (s = pio_hf_config_get_choice(doc, root, "scoring_func", scorings,
                                    "\"softmax\" or \"sigmoid\"", &scoring, err)) ||
      (s = pio_hf_config_get_bool(doc, root, "norm_topk_prob", 0, &c->norm_topk_prob, err)) ||
      (s = pio_hf_config_get_double(doc, root, "routed_scaling_factor", 0, 1e-6, 1e6,
                                    &c->routed_scaling_factor, err)))
    return s;
  c->topk_method = (deepseek_topk_method)choice_index(methods, method);
  c->scoring = (deepseek_scoring)choice_index(scorings, scoring);
  c->score_correction_bias = c->topk_method == DEEPSEEK_TOPK_NOAUX_TC;
  return PIO_OK;
}

/* The router's grouping: n_group groups of consecutive experts, of which a
 * token may use topk_group (group-limited methods only). */
static pio_status read_router(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  pio_status s;
  c->n_group = 1;
  c->topk_group = 1;
  if ((s = pio_hf_config_get_u32(doc, root, "n_group", 0, 1, DEEPSEEK_MAX_EXPERTS, &c->n_group,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, root, "topk_group", 0, 1, DEEPSEEK_MAX_EXPERTS,
                                 &c->topk_group, err)) ||
      (s = read_router_kind(doc, c, err)))
    return s;
  if (c->n_routed_experts % c->n_group != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'n_group': expected a divisor of "
                         "n_routed_experts (%u), found %u",
                         pio_hf_config_where(doc, root, "n_group", NULL), c->n_routed_experts,
                         c->n_group);
  if (c->topk_group > c->n_group)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'topk_group': expected at most "
                         "n_group (%u), found %u",
                         pio_hf_config_where(doc, root, "topk_group", NULL), c->n_group,
                         c->topk_group);
  if (c->topk_method == DEEPSEEK_TOPK_GREEDY || c->n_group == 1) return PIO_OK;
  const uint32_t size = c->n_routed_experts / c->n_group;
  if ((uint64_t)c->topk_group * size < c->n_experts_per_tok)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'num_experts_per_tok': expected at "
                         "most the %u experts of topk_group (%u) groups of %u, found %u",
                         pio_hf_config_where(doc, root, "num_experts_per_tok", NULL),
                         c->topk_group * size, c->topk_group, size, c->n_experts_per_tok);
  if (c->topk_method == DEEPSEEK_TOPK_NOAUX_TC && size < 2)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'n_group': groups of %u expert "
                         "(n_routed_experts %u / n_group %u) cannot be ranked by their best "
                         "two, as topk_method \"noaux_tc\" does",
                         pio_hf_config_where(doc, root, "n_group", NULL), size,
                         c->n_routed_experts, c->n_group);
  return PIO_OK;
}

/* Mixture of experts.  n_routed_experts null or absent: a dense model. */
static pio_status read_moe(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  pio_status s;
  c->moe_layer_freq = 1;
  if ((s = pio_hf_config_get_u32(doc, root, "n_routed_experts", 0, 1, DEEPSEEK_MAX_EXPERTS,
                                 &c->n_routed_experts, err)))
    return s;
  if (c->n_routed_experts == 0) return PIO_OK;
  if ((s = pio_hf_config_get_u32(doc, root, "moe_intermediate_size", 1, 1,
                                 DEEPSEEK_MAX_INTERMEDIATE, &c->moe_intermediate_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_experts_per_tok", 1, 1, c->n_routed_experts,
                                 &c->n_experts_per_tok, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "n_shared_experts", 0, 0, DEEPSEEK_MAX_EXPERTS,
                                 &c->n_shared_experts, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "first_k_dense_replace", 0, 0, c->n_layers,
                                 &c->first_k_dense_replace, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "moe_layer_freq", 0, 1, DEEPSEEK_MAX_LAYERS,
                                 &c->moe_layer_freq, err)))
    return s;
  /* The shared experts run as one MLP of their summed width. */
  if ((uint64_t)c->n_shared_experts * c->moe_intermediate_size > DEEPSEEK_MAX_INTERMEDIATE)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'n_shared_experts': %u shared "
                         "experts of moe_intermediate_size %u exceed the widest MLP accepted "
                         "(%u)", pio_hf_config_where(doc, root, "n_shared_experts", NULL),
                         c->n_shared_experts, c->moe_intermediate_size,
                         DEEPSEEK_MAX_INTERMEDIATE);
  return read_router(doc, c, err);
}

/* The shared reader (pio_hf_config_read_rope): YaRN as DeepSeek-V3 ships
 * it, or any other type pio/rope.h computes, as Transformers' DeepseekV3
 * accepts any; DeepseekV3Config's rope_theta default 10000.  Read after
 * rope_interleave, which picks the pairs. */
static pio_status read_rope(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  pio_status s = pio_hf_config_get_bool(doc, doc->root, "rope_interleave", 0,
                                        &c->rope_interleave, err);
  if (s != PIO_OK) return s;
  s = pio_hf_config_read_rope(doc, doc->root, c->qk_rope_head_dim, c->max_position, 10000.0,
                              &c->rope, err);
  if (s != PIO_OK) return s;
  c->rope.layout = c->rope_interleave ? PIO_ROPE_INTERLEAVED : PIO_ROPE_HALF_SPLIT;
  return PIO_OK;
}

/* quantization_config's fp8 weights. */
static pio_status read_quantization(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  json_object *q = NULL;
  const char *method = NULL;
  pio_status s = pio_hf_config_get_object(doc, doc->root, "quantization_config", &q, err);
  if (s != PIO_OK || q == NULL) return s;
  if ((s = pio_hf_config_get_string(doc, q, "quant_method", 0, &method, err)) != PIO_OK) return s;
  c->weights_fp8 = method != NULL && strcmp(method, "fp8") == 0;
  return PIO_OK;
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  static const char *const acts[] = {"silu", NULL};
  const json_object *root = doc->root;
  const char *act = NULL;
  pio_status s;
  if ((s = pio_hf_config_check_architecture(doc, DEEPSEEK_ARCHITECTURE, err)) ||
      (s = pio_hf_config_get_choice(doc, root, "hidden_act", acts, "\"silu\"", &act, err)) ||
      (s = read_shapes(doc, c, err)) || (s = read_mla(doc, c, err)) ||
      (s = read_moe(doc, c, err)))
    return s;
  c->rms_norm_eps = 1e-6; /* DeepseekV3Config's defaults */
  c->rope_interleave = 1;
  if ((s = pio_hf_config_get_double(doc, root, "rms_norm_eps", 0, 1e-30, 1.0, &c->rms_norm_eps,
                                    err)) ||
      (s = read_rope(doc, c, err)) ||
      (s = pio_hf_config_get_bool(doc, root, "tie_word_embeddings", 0, &c->tie_word_embeddings,
                                  err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_nextn_predict_layers", 0, 0,
                                 DEEPSEEK_MAX_LAYERS, &c->n_nextn_predict_layers, err)) ||
      (s = pio_hf_config_read_dtype(doc, &c->has_torch_dtype, &c->torch_dtype, err)) ||
      (s = read_quantization(doc, c, err)))
    return s;
  /* The config outlives the document: it keeps copies for messages. */
  c->path = strdup(doc->path);
  c->architecture = strdup(DEEPSEEK_ARCHITECTURE);
  if (c->path == NULL || c->architecture == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status deepseek_config_parse_file(const char *path, pio_model_config **out,
                                      pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config path or output is NULL");
  *out = NULL;
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  pio_status s = pio_hf_config_read_file(path, DEEPSEEK_CONFIG_MAX_BYTES, DEEPSEEK_CONFIG_MAX_DEPTH,
                                         read_config, c, err);
  if (s != PIO_OK) {
    deepseek_config_free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

pio_status deepseek_config_copy(const pio_model_config *config, pio_model_config **out,
                                pio_error *err) {
  pio_model_config *c = malloc(sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  *c = *config;
  c->path = strdup(config->path ? config->path : "");
  c->architecture = strdup(config->architecture ? config->architecture : DEEPSEEK_ARCHITECTURE);
  if (c->path == NULL || c->architecture == NULL) {
    deepseek_config_free(c);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  }
  *out = c;
  return PIO_OK;
}

void deepseek_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  free(config->architecture);
  free(config);
}

/* The config.json fields this parser reads, then those no forward pass needs
 * (training, generation, bookkeeping): pio_config_api.fields. */
const char *const deepseek_config_fields[] = {
    "architectures", "model_type", "hidden_size", "intermediate_size", "moe_intermediate_size",
    "num_attention_heads", "num_key_value_heads", "num_hidden_layers", "vocab_size",
    "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters",
    "rope_interleave",
    "hidden_act", "attention_bias", "tie_word_embeddings", "torch_dtype", "kv_lora_rank",
    "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_routed_experts",
    "n_shared_experts", "num_experts_per_tok", "moe_layer_freq", "first_k_dense_replace",
    "n_group", "topk_group", "topk_method", "scoring_func", "norm_topk_prob",
    "routed_scaling_factor", "num_nextn_predict_layers", "quantization_config",
    "attention_dropout", "initializer_range", "pretraining_tp", "aux_loss_alpha", "seq_aux",
    "ep_size", "use_cache", "bos_token_id", "eos_token_id", "pad_token_id",
    "transformers_version", "_name_or_path", "auto_map", NULL};
