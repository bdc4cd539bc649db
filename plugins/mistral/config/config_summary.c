/* config/config_summary.c — what a Mistral or Mixtral configuration
 * describes, for listings and benchmarks: shapes and parameter counts (all,
 * and those one token uses through its experts). */
#include "config/mistral_config.h"
#include "pio/plugin_kit.h"

void mistral_config_param_counts(const pio_model_config *c, uint64_t *total, uint64_t *active) {
  const uint64_t d = c->d.hidden_size;
  const uint64_t mlp = 3 * d * c->d.intermediate_size; /* gate, up, down of one expert */
  const uint64_t layer = pio_hf_decoder_attention_params(&c->d) + 2 * d /* norms */;
  const uint64_t router = d * c->n_experts;
  const uint64_t all = c->mixtral ? router + c->n_experts * mlp : mlp;
  const uint64_t used = c->mixtral ? router + c->n_experts_per_token * mlp : mlp;
  const uint64_t outer = pio_hf_decoder_outer_params(&c->d);
  /* The limits in pio/hf_config.h keep these inside 64 bits. */
  *total = outer + c->d.n_layers * (layer + all);
  *active = outer + c->d.n_layers * (layer + used);
}

pio_status mistral_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                    pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, config->architecture, &s);
  mistral_config_param_counts(config, &s.n_params, &s.n_params_active);
  s.n_experts = config->n_experts;
  s.n_experts_per_token = config->n_experts_per_token;
  return pio_model_summary_hand_back(&s, out, err);
}
