/* config/config_summary.c — what a Llama configuration describes, for
 * listings and benchmarks: shapes and the parameter count from them. */
#include <string.h>

#include "config/llama_config.h"
#include "pio/plugin_kit.h"

uint64_t llama_config_param_count(const pio_model_config *c) {
  const uint64_t d = c->hidden_size;
  const uint64_t q = (uint64_t)c->n_heads * c->head_dim;   /* query width */
  const uint64_t kv = (uint64_t)c->n_kv_heads * c->head_dim;
  const uint64_t per_layer = 2 * d                          /* two RMSNorm weights */
                             + d * q + 2 * d * kv + q * d   /* q, k, v, o projections */
                             + 3 * d * c->intermediate_size; /* gate, up, down */
  const uint64_t embeddings = (uint64_t)c->vocab_size * d;
  /* The limits in llama_config.h keep this far inside 64 bits. */
  return embeddings + c->n_layers * per_layer + d + (c->tie_word_embeddings ? 0 : embeddings);
}

pio_status llama_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err) {
  if (config == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  memset(&s, 0, sizeof s);
  s.struct_size = sizeof s;
  s.architecture = config->architecture;
  s.attention_kind = "gqa";
  s.n_layers = config->n_layers;
  s.d_model = config->hidden_size;
  s.n_heads = config->n_heads;
  s.n_kv_heads = config->n_kv_heads;
  s.head_dim = config->head_dim;
  s.d_ff = config->intermediate_size;
  s.vocab_size = config->vocab_size;
  s.max_position = config->max_position;
  s.n_params = llama_config_param_count(config);
  s.n_params_active = s.n_params;
  return pio_model_summary_hand_back(&s, out, err);
}
