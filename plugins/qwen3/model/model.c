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
  if (!c->d.rope_computable)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: rope_scaling of type \"%s\": this "
                         "plugin's forward pass computes default, linear, llama3 and yarn",
                         c->path, c->d.rope_type);
  uint32_t *window = calloc(c->d.n_layers, sizeof *window);
  if (window == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  for (uint32_t l = 0; l < c->d.n_layers; l++)
    if (c->kv.class_kind[c->kv.layer_class[l]] == PIO_KV_LAYER_SLIDING)
      window[l] = c->sliding_window;
  pio_decoder_spec spec = {.architecture = c->architecture,
                           .n_layers = c->d.n_layers,
                           .d_model = c->d.hidden_size,
                           .n_heads = c->d.n_heads,
                           .n_kv_heads = c->d.n_kv_heads,
                           .head_dim = c->d.head_dim,
                           .vocab_size = c->d.vocab_size,
                           .max_position = c->d.max_position,
                           .d_ff = c->d.intermediate_size,
                           .rms_norm_eps = c->d.rms_norm_eps,
                           .tie_word_embeddings = c->d.tie_word_embeddings,
                           .qkv_bias = c->qkv_bias,
                           .o_bias = c->o_bias,
                           .qk_norm = c->qk_norm,
                           .rope = c->d.rope,
                           .window = window,
                           .moe_layer = c->moe_layer,
                           .n_experts = c->n_experts,
                           .n_experts_per_token = c->n_experts_per_token,
                           .d_expert = c->moe_intermediate_size,
                           .norm_topk_prob = c->norm_topk_prob,
                           .names = &qwen_names};
  uint64_t active = 0;
  qwen_config_param_counts(c, &spec.n_params, &active);
  pio_decoder *d = NULL;
  pio_status s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  *out = (pio_model *)d;
  return s;
}
