/* sdk/src/decoder_moe.c — the mixture of experts of a pio_decoder layer:
 * each token routed by a softmax over the router's (biased) logits to its
 * top k experts (pio/moe.h; Mixtral and Qwen3-MoE renormalise the k
 * weights; GPT-OSS takes the softmax of the k chosen logits),
 * then every expert some token chose run once over all of its tokens, so
 * an expert's weights are read once a chunk and unchosen ones not at all.
 * Shapes: n tokens, d = d_model, k experts a token, E experts. */
#include <string.h>

#include "decoder_internal.h"

/* experts[n][k] and weights[n][k] of every token. */
static void route(pio_decoder *d, const decoder_layer *L, uint32_t n) {
  decoder_moe *M = &d->moe;
  const uint32_t E = M->router.n_experts, k = M->router.top_k;
  /* logits[n][E] from f32 activations, as Transformers' router computes them */
  pio_matmul(d->pool, d->router_path, &L->router, d->xn, n, M->logits);
  for (uint32_t t = 0; L->router_bias != NULL && t < n; t++)
    for (uint32_t e = 0; e < E; e++) M->logits[(size_t)t * E + e] += L->router_bias[e];
  for (uint32_t t = 0; t < n; t++)
    pio_moe_route(&M->router, M->logits + (size_t)t * E, M->route, M->experts + (size_t)t * k,
                  M->weights + (size_t)t * k);
}

/* One expert on its tokens: slots[token k + slot][d] = expert(xn[token]). */
static void run_expert(pio_decoder *d, const decoder_ffn *expert, const uint32_t *entries,
                       uint32_t count, uint32_t k) {
  decoder_moe *M = &d->moe;
  const size_t dm = d->spec.d_model;
  for (uint32_t j = 0; j < count; j++) {
    float *row = M->rows + j * dm;
    memcpy(row, d->xn + (entries[j] / k) * dm, dm * sizeof *M->rows);
    /* Llama 4 weighs what an expert reads (entries[j] is token k + slot). */
    if (d->spec.expert_input_weighted)
      for (size_t i = 0; i < dm; i++) row[i] *= M->weights[entries[j]];
  }
  decoder_ffn_run(d, expert, M->rows, count, pio_kernel_plan_path(&d->plan, count), d->hidden,
                  M->out); /* out[count][d] */
  for (uint32_t j = 0; j < count; j++)
    memcpy(M->slots + (size_t)entries[j] * dm, M->out + j * dm, dm * sizeof *M->out);
}

void decoder_moe_step(pio_decoder *d, const decoder_layer *L, uint32_t n) {
  decoder_moe *M = &d->moe;
  const uint32_t E = M->router.n_experts, k = M->router.top_k;
  const size_t dm = d->spec.d_model;
  route(d, L, n);
  pio_moe_plan(M->experts, n, k, E, M->offsets, M->entries);
  for (uint32_t e = 0; e < E; e++)
    if (M->offsets[e + 1] > M->offsets[e])
      run_expert(d, &L->experts[e], M->entries + M->offsets[e], M->offsets[e + 1] - M->offsets[e],
                 k);
  if (d->spec.expert_input_weighted) /* weighed already: each slot counts once */
    for (size_t i = 0; i < (size_t)n * k; i++) M->weights[i] = 1.0f;
  for (uint32_t t = 0; t < n; t++) /* proj[t] = sum_j weights[t][j] slots[t k + j] */
    pio_moe_weighted_sum(M->slots + (size_t)t * k * dm, dm, M->weights + (size_t)t * k, k, dm,
                         d->proj + t * dm);
  if (L->shared.w.down.rows == 0) return;
  /* Llama 4's shared expert, on every token: proj += shared(xn) */
  decoder_ffn_run(d, &L->shared, d->xn, n, pio_kernel_plan_path(&d->plan, n), d->hidden, M->out);
  for (size_t i = 0; i < (size_t)n * dm; i++) d->proj[i] += M->out[i];
}
