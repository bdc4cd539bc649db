/* model/forward.c — the DeepseekV3ForCausalLM forward pass: embedding, the
 * decoder layers (MLA attention, then a dense MLP or the MoE, each behind
 * an RMSNorm with a residual), final norm, lm_head.  Prefill and decode are
 * the same code: n new tokens at positions [position, position + n), n = 1
 * for decode.  d = hidden_size. */
#include <string.h>

#include "model/model.h"
#include "pio/forward.h"
#include "pio/norm.h"

/* One decoder layer on n tokens.  On entry xn[n][d] is rmsnorm(x) with this
 * layer's input norm; on exit x has both residuals added and xn is x
 * normalised with next_norm (the next layer's input norm, or the final). */
static void layer_forward(pio_model *m, uint32_t l, uint32_t start, uint32_t n,
                          const float *next_norm) {
  const pio_model_config *c = m->config;
  const deepseek_layer_weights *L = &m->weights.layers[l];
  const float eps = (float)c->rms_norm_eps;
  deepseek_mla(m, l, start, n); /* proj[n][d] */
  pio_rmsnorm_residual(m->x, m->proj, L->mlp_norm, n, c->hidden_size, eps, 0, m->xn);
  if (L->is_moe)
    deepseek_moe(m, l, n);
  else
    deepseek_dense_mlp(m, l, n);
  pio_rmsnorm_residual(m->x, m->proj, next_norm, n, c->hidden_size, eps, 0, m->xn);
}

/* Runs n <= chunk tokens at the current position; writes logits[n][vocab]
 * when all_logits, else (when last_chunk) logits[vocab] of the last one. */
static void run_chunk(void *model, const int32_t *tokens, uint32_t n, float *logits,
                      int all_logits, int last_chunk) {
  pio_model *m = model;
  const pio_model_config *c = m->config;
  const deepseek_weights *w = &m->weights;
  const uint32_t start = m->position;
  pio_embed_rows(&w->embed, tokens, n, m->x); /* x[n][d] */
  pio_rmsnorm(m->x, w->layers[0].attn_norm, n, c->hidden_size, (float)c->rms_norm_eps, 0, m->xn);
  for (uint32_t l = 0; l < c->n_layers; l++)
    layer_forward(m, l, start, n, l + 1 < c->n_layers ? w->layers[l + 1].attn_norm
                                                      : w->final_norm);
  m->position = start + n;
  if (all_logits)
    pio_matmul(m->pool, deepseek_path(m, n), &w->lm_head, m->xn, n, logits); /* logits[n][vocab] */
  else if (last_chunk)
    pio_matmul(m->pool, deepseek_path(m, 1), &w->lm_head, m->xn + (size_t)(n - 1) * c->hidden_size, 1,
               logits);                                            /* logits[vocab] */
}

pio_status deepseek_model_forward(pio_model *m, const int32_t *tokens, uint32_t n_tokens,
                                  float *logits, int all_logits, pio_error *err) {
  if (m == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: model is NULL");
  pio_status s = pio_forward_check(tokens, n_tokens, logits, m->config->vocab_size, m->position,
                                   m->cache.max_context, err);
  if (s != PIO_OK) return s;
  pio_forward_chunks(m, run_chunk, tokens, n_tokens, m->chunk, m->config->vocab_size, logits,
                     all_logits);
  return PIO_OK;
}
