/* config/jamba_config.h — the typed, validated form of a Jamba config.json
 * (JambaForCausalLM): a hybrid whose layers are Mamba mixers but for one
 * attention layer every attn_layer_period, and whose MLP is a top-k choice
 * of experts every expert_layer_period layers.  A Mamba layer keeps a
 * state of fixed size per sequence instead of a KV cache. */
#ifndef PIO_JAMBA_CONFIG_H
#define PIO_JAMBA_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define JAMBA_ARCHITECTURE "JambaForCausalLM"
#define JAMBA_CONFIG_MAX_BYTES (1u << 20)
#define JAMBA_CONFIG_MAX_DEPTH 16

/* JambaConfig's Mamba mixer: d_inner = mamba_expand x hidden_size. */
typedef struct jamba_mamba {
  uint32_t d_state, d_conv, expand, dt_rank;
  int conv_bias, proj_bias;
} jamba_mamba;

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path and the KV pattern. */
struct pio_model_config {
  char *path;
  pio_hf_decoder d; /* intermediate_size: the MLP's and each expert's */
  uint32_t attn_layer_period, attn_layer_offset;
  uint32_t expert_layer_period, expert_layer_offset;
  uint32_t n_experts, n_experts_per_token;
  uint32_t sliding_window; /* attention layers' window; 0: none */
  jamba_mamba mamba;
  pio_kv_pattern kv; /* attention layers and Mamba (state) layers */
  pio_hf_kv_scheme kv_scheme;
};

/* pio_config_api.fields */
extern const char *const jamba_config_fields[];

pio_status jamba_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void jamba_config_free(pio_model_config *config);

/* Layer i is an attention layer (else Mamba); an MoE layer (else dense). */
int jamba_config_is_attention(const pio_model_config *config, uint32_t layer);
int jamba_config_is_moe(const pio_model_config *config, uint32_t layer);
/* Numbers a Mamba layer keeps per sequence, as vLLM holds them: the last
 * d_conv - 1 inputs of the convolution and the SSM state, d_inner each. */
uint64_t jamba_config_state_numbers(const pio_model_config *config);

void jamba_config_param_counts(const pio_model_config *config, uint64_t *total, uint64_t *active);
pio_status jamba_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err);

#endif
