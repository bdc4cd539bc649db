/* config/config_summary.c — what a Llama 4 configuration describes, for
 * listings and benchmarks: shapes and the parameter counts (all, the
 * vision encoder included since it is loaded with the model, and those one
 * text token uses: its experts and the shared one). */
#include "config/llama4_config.h"
#include "pio/plugin_kit.h"

/* Llama4VisionModel: unfolded patch projection (no bias), class token,
 * learned positions, LayerNorms before and after, layers of biased
 * attention and a biased two-matrix MLP; then the pixel-shuffle adapter's
 * two matrices and the projector into the text width (no biases). */
static uint64_t vision_params(const llama4_vision *v, uint64_t text_hidden) {
  if (!v->present) return 0;
  const uint64_t h = v->hidden_size, f = v->intermediate_size;
  const uint64_t side = v->image_size / v->patch_size;
  const uint64_t embed = (uint64_t)v->channels * v->patch_size * v->patch_size * h + h +
                         (side * side + 1) * h + 2 * 2 * h;
  const uint64_t layer = 4 * (h * h + h) + 2 * 2 * h + (h * f + f) + (f * h + h);
  const uint64_t adapter =
      f * v->projector_input_dim + (uint64_t)v->projector_output_dim * v->projector_output_dim;
  return embed + v->n_layers * layer + adapter + v->output_dim * text_hidden;
}

void llama4_config_param_counts(const pio_model_config *c, uint64_t *total, uint64_t *active) {
  const uint64_t d = c->d.hidden_size;
  const uint64_t q = (uint64_t)c->d.n_heads * c->d.head_dim;
  const uint64_t kv = (uint64_t)c->d.n_kv_heads * c->d.head_dim;
  const uint64_t biases = c->attention_bias ? q + 2 * kv + d : 0;
  const uint64_t attention =
      pio_hf_decoder_attention_params(&c->d) + biases + 2 * d; /* + 2 norms */
  const uint64_t expert = 3 * d * c->d.intermediate_size;
  const uint64_t dense = 3 * d * c->intermediate_size_mlp;
  const uint64_t router = d * c->n_experts;
  uint64_t all = pio_hf_decoder_outer_params(&c->d), used = all;
  for (uint32_t i = 0; i < c->d.n_layers; i++) {
    const int moe = c->moe_layer[i];
    /* An MoE layer: router, routed experts and the shared expert. */
    all += attention + (moe ? router + (c->n_experts + 1) * expert : dense);
    used += attention + (moe ? router + (c->n_experts_per_token + 1) * expert : dense);
  }
  *total = all + vision_params(&c->vision, d);
  *active = used;
}

pio_status llama4_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                   pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, config->architecture, &s);
  llama4_config_param_counts(config, &s.n_params, &s.n_params_active);
  s.n_experts = config->n_experts;
  s.n_experts_per_token = config->n_experts_per_token;
  return pio_model_summary_hand_back(&s, out, err);
}
