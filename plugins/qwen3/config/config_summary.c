/* config/config_summary.c — what a Qwen configuration describes, for
 * listings and benchmarks: shapes, and the parameter counts from them
 * (all, and those one token uses when experts are chosen per token). */
#include "config/qwen_config.h"
#include "pio/plugin_kit.h"

/* One layer's attention: projections, their biases, q/k norms, and the two
 * RMSNorm weights of the layer. */
static uint64_t attention_params(const pio_model_config *c) {
  const uint64_t q = (uint64_t)c->d.n_heads * c->d.head_dim;
  const uint64_t kv = (uint64_t)c->d.n_kv_heads * c->d.head_dim;
  return pio_hf_decoder_attention_params(&c->d) + (c->qkv_bias ? q + 2 * kv : 0) +
         (c->o_bias ? c->d.hidden_size : 0) + (c->qk_norm ? 2u * c->d.head_dim : 0) +
         2u * c->d.hidden_size;
}

void qwen_config_param_counts(const pio_model_config *c, uint64_t *total, uint64_t *active) {
  const uint64_t d = c->d.hidden_size;
  const uint64_t dense = 3 * d * c->d.intermediate_size; /* gate, up, down */
  const uint64_t expert = 3 * d * c->moe_intermediate_size;
  const uint64_t router = d * c->n_experts;
  uint64_t all = pio_hf_decoder_outer_params(&c->d), used = all;
  for (uint32_t i = 0; i < c->d.n_layers; i++) {
    const int sparse = c->moe_layer != NULL && c->moe_layer[i];
    all += attention_params(c) + (sparse ? router + c->n_experts * expert : dense);
    used += attention_params(c) + (sparse ? router + c->n_experts_per_token * expert : dense);
  }
  /* The limits in pio/hf_config.h keep these inside 64 bits. */
  *total = all;
  *active = used;
}

pio_status qwen_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                 pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, config->architecture, &s);
  qwen_config_param_counts(config, &s.n_params, &s.n_params_active);
  s.n_experts = config->n_experts;
  s.n_experts_per_token = config->n_experts_per_token;
  return pio_model_summary_hand_back(&s, out, err);
}
