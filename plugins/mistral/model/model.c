/* model/model.c — a Mistral or Mixtral config as a pio_decoder_spec: what
 * differs from Llama is said here (every layer's sliding window, Mixtral's
 * experts and their names), and the SDK's decoder runs it. */
#include <stdlib.h>

#include "config/mistral_config.h"
#include "model/model.h"
#include "pio/decoder.h"

static const pio_decoder_names mistral_names = {PIO_DECODER_LLAMA_NAMES};

static const pio_decoder_names mixtral_names = {
    PIO_DECODER_LLAMA_NAMES,
    .router = "model.layers.%u.block_sparse_moe.gate.weight",
    .expert_gate = "model.layers.%u.block_sparse_moe.experts.%u.w1.weight",
    .expert_up = "model.layers.%u.block_sparse_moe.experts.%u.w3.weight",
    .expert_down = "model.layers.%u.block_sparse_moe.experts.%u.w2.weight",
};

pio_status mistral_model_create(const pio_model_config *c, const pio_model_options *opts,
                                pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = pio_hf_decoder_check_rope(&c->d, c->path, err);
  if (s != PIO_OK) return s;
  const uint32_t n = c->d.n_layers;
  uint32_t *window = calloc(n, sizeof *window);
  uint8_t *moe = calloc(n, 1);
  if (window == NULL || moe == NULL) {
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  } else {
    for (uint32_t l = 0; l < n; l++) {
      window[l] = c->sliding_window;
      moe[l] = (uint8_t)c->mixtral;
    }
    pio_decoder_spec spec = pio_decoder_spec_from_hf(&c->d, c->architecture);
    spec.window = window;
    spec.moe_layer = moe;
    spec.n_experts = c->n_experts;
    spec.n_experts_per_token = c->n_experts_per_token;
    spec.d_expert = c->d.intermediate_size;
    spec.norm_topk_prob = 1; /* Mixtral renormalises */
    spec.names = c->mixtral ? &mixtral_names : &mistral_names;
    uint64_t active = 0;
    mistral_config_param_counts(c, &spec.n_params, &active);
    pio_decoder *d = NULL;
    s = pio_decoder_create(&spec, opts, &d, err);
    *out = (pio_model *)d;
  }
  free(window);
  free(moe);
  return s;
}
