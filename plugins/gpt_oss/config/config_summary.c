/* config/config_summary.c — what a GPT-OSS configuration describes, for
 * listings and benchmarks: shapes and the parameter counts (all, and those
 * one token uses through its experts). */
#include "config/gpt_oss_config.h"
#include "pio/plugin_kit.h"

void gpt_oss_config_param_counts(const pio_model_config *c, uint64_t *total, uint64_t *active) {
  const uint64_t d = c->d.hidden_size, f = c->d.intermediate_size;
  const uint64_t q = (uint64_t)c->d.n_heads * c->d.head_dim;
  const uint64_t kv = (uint64_t)c->d.n_kv_heads * c->d.head_dim;
  const uint64_t attention = pio_hf_decoder_attention_params(&c->d) +
                             (c->attention_bias ? q + 2 * kv + d : 0) + c->d.n_heads /* sinks */
                             + 2 * d /* input and post-attention norms */;
  const uint64_t router = d * c->n_experts + c->n_experts; /* with its bias */
  /* gate_up_proj [hidden][2 x f] and down_proj [f][hidden], with biases. */
  const uint64_t expert = d * 2 * f + 2 * f + f * d + d;
  const uint64_t outer = pio_hf_decoder_outer_params(&c->d);
  /* The limits in pio/hf_config.h keep these inside 64 bits. */
  *total = outer + c->d.n_layers * (attention + router + c->n_experts * expert);
  *active = outer + c->d.n_layers * (attention + router + c->n_experts_per_token * expert);
}

/* MXFP4: 32 four-bit values share one e8m0 scale byte, 17 bytes a block. */
#define MXFP4_BLOCK 32u
#define MXFP4_BLOCK_BYTES 17u

/* The checkpoint's bytes: the experts' matrices in MXFP4, everything else
 * (attention, router, embeddings, the experts' biases) in bf16, as
 * quantization_config's modules_to_not_convert says. */
static uint64_t stored_bytes(const pio_model_config *c, uint64_t total) {
  const uint64_t d = c->d.hidden_size, f = c->d.intermediate_size;
  const uint64_t matrices = (uint64_t)c->d.n_layers * c->n_experts * (d * 2 * f + f * d);
  return (total - matrices) * 2 + matrices / MXFP4_BLOCK * MXFP4_BLOCK_BYTES;
}

pio_status gpt_oss_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                    pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, GPT_OSS_ARCHITECTURE, &s);
  gpt_oss_config_param_counts(config, &s.n_params, &s.n_params_active);
  if (config->mxfp4_experts) {
    s.stored_weight_bytes = stored_bytes(config, s.n_params);
    s.stored_weights = "experts' matrices in MXFP4 (4.25 bits a weight), the rest in bf16";
  }
  s.n_experts = config->n_experts;
  s.n_experts_per_token = config->n_experts_per_token;
  return pio_model_summary_hand_back(&s, out, err);
}
