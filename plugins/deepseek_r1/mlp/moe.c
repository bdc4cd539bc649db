/* mlp/moe.c — the feed-forward step of a DeepSeek layer: a dense SwiGLU
 * (the first_k_dense_replace layers), or the mixture of experts.  The MoE
 * routes each token (pio/moe.h), then runs every expert that some token
 * chose once over all of its tokens, so that an expert's weights are read
 * once a chunk and the experts no token chose are not read at all; the
 * shared experts run on every token.  Shapes: n tokens, d = hidden_size,
 * k = num_experts_per_tok, E = n_routed_experts. */
#include <string.h>

#include "model/model.h"
#include "pio/mlp.h"

void deepseek_dense_mlp(pio_model *m, uint32_t l, uint32_t n) {
  pio_swiglu(m->pool, deepseek_path(m, n), &m->weights.layers[l].dense, m->xn, n, m->moe.hidden, m->proj);
}

/* experts[n][k] and weights[n][k] of every token. */
static void route(pio_model *m, const deepseek_moe_weights *M, uint32_t n) {
  deepseek_moe_scratch *S = &m->moe;
  const uint32_t E = S->router.n_experts, k = S->router.top_k;
  /* logits[n][E], in f32 as Transformers' router computes them */
  pio_matmul(m->pool, m->router_path, &M->router, m->xn, n, S->logits);
  S->router.selection_bias = M->bias;
  for (uint32_t t = 0; t < n; t++)
    pio_moe_route(&S->router, S->logits + (size_t)t * E, S->route, S->experts + (size_t)t * k,
                  S->weights + (size_t)t * k);
}

/* Expert e on its tokens: slots[token * k + slot][d] = expert(xn[token]). */
static void run_expert(pio_model *m, const pio_swiglu_weights *expert, const uint32_t *entries,
                       uint32_t count, uint32_t k, size_t d) {
  deepseek_moe_scratch *S = &m->moe;
  for (uint32_t j = 0; j < count; j++)
    memcpy(S->rows + j * d, m->xn + (entries[j] / k) * d, d * sizeof *S->rows);
  pio_swiglu(m->pool, deepseek_path(m, count), expert, S->rows, count, S->hidden, S->out); /* out[count][d] */
  for (uint32_t j = 0; j < count; j++)
    memcpy(S->slots + (size_t)entries[j] * d, S->out + j * d, d * sizeof *S->out);
}

void deepseek_moe(pio_model *m, uint32_t l, uint32_t n) {
  const deepseek_moe_weights *M = &m->weights.layers[l].moe;
  deepseek_moe_scratch *S = &m->moe;
  const uint32_t E = S->router.n_experts, k = S->router.top_k;
  const size_t d = m->config->hidden_size;
  route(m, M, n);
  pio_moe_plan(S->experts, n, k, E, S->offsets, S->entries);
  for (uint32_t e = 0; e < E; e++)
    if (S->offsets[e + 1] > S->offsets[e])
      run_expert(m, &M->experts[e], S->entries + S->offsets[e], S->offsets[e + 1] - S->offsets[e],
                 k, d);
  for (uint32_t t = 0; t < n; t++) /* proj[t] = sum_j weights[t][j] * slots[t k + j] */
    pio_moe_weighted_sum(S->slots + (size_t)t * k * d, d, S->weights + (size_t)t * k, k, d,
                         m->proj + t * d);
  if (M->shared.gate_up.rows == 0) return;
  pio_swiglu(m->pool, deepseek_path(m, n), &M->shared, m->xn, n, S->hidden, S->out); /* out[n][d] */
  for (size_t i = 0; i < (size_t)n * d; i++) m->proj[i] += S->out[i];
}
