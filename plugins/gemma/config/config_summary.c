/* config/config_summary.c — what a Gemma configuration describes, for
 * listings and benchmarks: shapes and the parameter count (the text model,
 * and for Gemma 3 with vision the SigLIP tower and its projector, which
 * are loaded with it). */
#include "config/gemma_config.h"
#include "pio/plugin_kit.h"

/* SigLIP: patch embedding (a convolution with bias), learned positions,
 * pre-norm layers of biased attention and a two-matrix MLP, a final
 * LayerNorm; then Gemma 3's projector (a matrix into the text width and an
 * RMSNorm over the vision width). */
static uint64_t vision_params(const gemma_vision *v, uint64_t text_hidden) {
  if (!v->present) return 0;
  const uint64_t h = v->hidden_size, f = v->intermediate_size;
  const uint64_t side = v->image_size / v->patch_size;
  const uint64_t embed =
      (uint64_t)v->channels * v->patch_size * v->patch_size * h + h + side * side * h;
  const uint64_t layer = 2 * h                        /* layer_norm1 */
                         + 4 * (h * h + h)            /* q, k, v, out with biases */
                         + 2 * h                      /* layer_norm2 */
                         + (h * f + f) + (f * h + h); /* fc1, fc2 */
  return embed + v->n_layers * layer + 2 * h /* post_layernorm */ + h * text_hidden + h;
}

uint64_t gemma_config_param_count(const pio_model_config *c) {
  const uint64_t d = c->d.hidden_size;
  const uint64_t layer = pio_hf_decoder_attention_params(&c->d) +
                         (c->generation == 3 ? 2u * c->d.head_dim : 0) /* q_norm, k_norm */
                         + 4 * d /* input, post-attention, pre- and post-feedforward norms */
                         + 3 * d * c->d.intermediate_size;
  return pio_hf_decoder_outer_params(&c->d) + c->d.n_layers * layer + vision_params(&c->vision, d);
}

pio_status gemma_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  pio_model_summary s;
  pio_model_summary_from_decoder(&config->d, &config->kv_scheme, config->architecture, &s);
  s.n_params = s.n_params_active = gemma_config_param_count(config);
  return pio_model_summary_hand_back(&s, out, err);
}
