/* config/gpt_oss_config.h — the typed, validated form of a GPT-OSS
 * config.json (GptOssForCausalLM): layers alternating between a sliding
 * window and full attention, biased projections, one learned attention
 * sink per head, and a biased softmax top-k choice of biased SwiGLU
 * experts in every layer. */
#ifndef PIO_GPT_OSS_CONFIG_H
#define PIO_GPT_OSS_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define GPT_OSS_ARCHITECTURE "GptOssForCausalLM"
#define GPT_OSS_CONFIG_MAX_BYTES (1u << 20)
#define GPT_OSS_CONFIG_MAX_DEPTH 16

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path and the KV pattern. */
struct pio_model_config {
  char *path;
  pio_hf_decoder d;             /* intermediate_size is each expert's */
  int attention_bias;           /* q, k, v and o biases (GptOssConfig: true) */
  uint32_t sliding_window;      /* tokens a sliding layer attends to */
  uint32_t n_experts;           /* num_local_experts */
  uint32_t n_experts_per_token; /* num_experts_per_tok */
  int mxfp4_experts;            /* quantization_config.quant_method "mxfp4" */
  double swiglu_limit;          /* the experts' clamp (GptOssConfig: 7) */
  pio_kv_pattern kv;            /* sliding and full layers */
  pio_hf_kv_scheme kv_scheme;
};

/* pio_config_api.fields */
extern const char *const gpt_oss_config_fields[];

pio_status gpt_oss_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void gpt_oss_config_free(pio_model_config *config);

/* All parameters and those one token uses (its chosen experts only). */
void gpt_oss_config_param_counts(const pio_model_config *config, uint64_t *total, uint64_t *active);
pio_status gpt_oss_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                    pio_error *err);

#endif
