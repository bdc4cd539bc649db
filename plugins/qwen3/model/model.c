/* model/model.c — a Qwen2, Qwen3 or Qwen3-MoE config as a pio_decoder_spec:
 * what differs from Llama is said here (q/k/v biases for Qwen2, biases of
 * attention_bias and per-head q/k RMSNorm for Qwen3, sliding layers, the
 * experts and their names), and the SDK's decoder runs it. */
#include <stdlib.h>

#include "config/qwen_config.h"
#include "model/model.h"
#include "pio/decoder.h"

static const pio_decoder_names qwen_names = {
    PIO_DECODER_LLAMA_NAMES,
    .router = "model.layers.%u.mlp.gate.weight",
    .expert_gate = "model.layers.%u.mlp.experts.%u.gate_proj.weight",
    .expert_up = "model.layers.%u.mlp.experts.%u.up_proj.weight",
    .expert_down = "model.layers.%u.mlp.experts.%u.down_proj.weight",
};

pio_status qwen_model_create(const pio_model_config *c, const pio_model_options *opts,
                             pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = pio_hf_decoder_check_rope(&c->d, c->path, err);
  if (s != PIO_OK) return s;
  uint32_t *window = pio_kv_pattern_windows(&c->kv, c->sliding_window);
  if (window == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  pio_decoder_spec spec = pio_decoder_spec_from_hf(&c->d, c->architecture);
  spec.qkv_bias = c->qkv_bias;
  spec.o_bias = c->o_bias;
  spec.qk_norm = c->qk_norm;
  spec.window = window;
  spec.moe_layer = c->moe_layer;
  spec.n_experts = c->n_experts;
  spec.n_experts_per_token = c->n_experts_per_token;
  spec.d_expert = c->moe_intermediate_size;
  spec.norm_topk_prob = c->norm_topk_prob;
  spec.names = &qwen_names;
  uint64_t active = 0;
  qwen_config_param_counts(c, &spec.n_params, &active);
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  *out = (pio_model *)d;
  return s;
}
