/* config/config_summary.c — what a Jamba configuration describes, for
 * listings and benchmarks: shapes and the parameter counts (all, and those
 * one token uses through its experts). */
#include "config/jamba_config.h"
#include "pio/plugin_kit.h"

/* JambaMambaMixer: in_proj (x and gate), the depthwise convolution, x_proj
 * (dt, B, C), dt_proj with its bias, A_log and D, out_proj, and the RMSNorm
 * weights over dt, B and C. */
static uint64_t mamba_params(const pio_model_config *c) {
  const jamba_mamba *m = &c->mamba;
  const uint64_t d = c->d.hidden_size, inner = (uint64_t)m->expand * d;
  const uint64_t in_proj = d * 2 * inner + (m->proj_bias ? 2 * inner : 0);
  const uint64_t conv = inner * m->d_conv + (m->conv_bias ? inner : 0);
  const uint64_t x_proj = inner * ((uint64_t)m->dt_rank + 2 * m->d_state);
  const uint64_t dt_proj = (uint64_t)m->dt_rank * inner + inner;
  const uint64_t a_d = inner * m->d_state + inner;
  const uint64_t out_proj = inner * d + (m->proj_bias ? d : 0);
  return in_proj + conv + x_proj + dt_proj + a_d + out_proj + m->dt_rank + 2u * m->d_state;
}

void jamba_config_param_counts(const pio_model_config *c, uint64_t *total, uint64_t *active) {
  const uint64_t d = c->d.hidden_size;
  const uint64_t attention = pio_hf_decoder_attention_params(&c->d), mamba = mamba_params(c);
  const uint64_t mlp = 3 * d * c->d.intermediate_size, router = d * c->n_experts;
  uint64_t all = pio_hf_decoder_outer_params(&c->d), used = all;
  for (uint32_t i = 0; i < c->d.n_layers; i++) {
    const uint64_t mixer = (jamba_config_is_attention(c, i) ? attention : mamba) + 2 * d;
    const int moe = jamba_config_is_moe(c, i);
    all += mixer + (moe ? router + c->n_experts * mlp : mlp);
    used += mixer + (moe ? router + c->n_experts_per_token * mlp : mlp);
  }
  *total = all;
  *active = used;
}

pio_status jamba_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, JAMBA_ARCHITECTURE, &s);
  jamba_config_param_counts(config, &s.n_params, &s.n_params_active);
  s.n_experts = config->n_experts;
  s.n_experts_per_token = config->n_experts_per_token;
  return pio_model_summary_hand_back(&s, out, err);
}
