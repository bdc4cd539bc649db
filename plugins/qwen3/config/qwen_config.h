/* config/qwen_config.h — the typed, validated form of a Qwen config.json:
 * Qwen2ForCausalLM (q/k/v biases), Qwen3ForCausalLM (q/k RMSNorm) and
 * Qwen3MoeForCausalLM (softmax top-k experts), with the layer pattern its
 * KV cache follows (full, or a sliding window above max_window_layers). */
#ifndef PIO_QWEN3_CONFIG_H
#define PIO_QWEN3_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define QWEN_CONFIG_MAX_BYTES (1u << 20)
#define QWEN_CONFIG_MAX_DEPTH 16

/* The architectures served, the plugin's own first; NULL-terminated (the
 * plugin table's additional_architectures are those after the first). */
extern const char *const qwen_architectures[];
extern const char *const qwen_config_fields[];

typedef enum qwen_variant { QWEN_2 = 0, QWEN_3 = 1, QWEN_3_MOE = 2 } qwen_variant;

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path, moe_layer and the KV pattern. */
struct pio_model_config {
  char *path;               /* config.json read, for messages */
  const char *architecture; /* an entry of qwen_architectures */
  qwen_variant variant;
  pio_hf_decoder d;        /* the shape; intermediate_size is the dense MLP's */
  int qkv_bias;            /* q, k and v projections have biases (Qwen2; attention_bias) */
  int o_bias;              /* o_proj has a bias (Qwen3 attention_bias) */
  int qk_norm;             /* RMSNorm over each query and key head (Qwen3) */
  uint32_t sliding_window; /* tokens, when some layer slides; else 0 */
  /* Qwen3-MoE: layer i is sparse when moe_layer[i]; experts are SwiGLU of
   * moe_intermediate_size, n_experts_per_token of n_experts chosen by a
   * softmax router (renormalised when norm_topk_prob). */
  uint32_t n_experts, n_experts_per_token, moe_intermediate_size;
  int norm_topk_prob;
  uint8_t *moe_layer;         /* [n_layers] or NULL when dense */
  pio_kv_pattern kv;          /* full and sliding layers */
  pio_hf_kv_scheme kv_scheme; /* quantization_config.kv_cache_scheme */
};

pio_status qwen_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void qwen_config_free(pio_model_config *config);
/* Deep copy; *out owned by the caller (qwen_config_free). */
pio_status qwen_config_copy(const pio_model_config *config, pio_model_config **out, pio_error *err);

/* All parameters and those one token uses (the chosen experts only). */
void qwen_config_param_counts(const pio_model_config *config, uint64_t *total, uint64_t *active);
pio_status qwen_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                 pio_error *err);

#endif
