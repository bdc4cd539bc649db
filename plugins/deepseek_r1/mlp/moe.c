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

/* ---- one token: every chosen expert and the shared ones in two runs ---- */

/* The matrices of one run, their rows laid end to end and handed out to
 * the threads in guided chunks (pio_chunks), each thread multiplying the
 * slices of the matrices its chunks cover; y[i] receives matrix i's
 * outputs, x[i] is its input.  Chunks rather than fixed halves: on a
 * shared machine a descheduled thread then holds up one chunk, not half
 * of the token's experts. */
#define RUN_MAX_PARTS 65
#define RUN_ROW_BLOCK 16 /* rows of a chunk: whole 6-row kernel blocks but for the last */
typedef struct decode_run {
  const pio_model *m;
  const pio_matrix *w[RUN_MAX_PARTS];
  const float *x[RUN_MAX_PARTS];
  float *y[RUN_MAX_PARTS];
  uint32_t n_parts;
  size_t rows; /* of all parts */
  pio_chunks chunks;
} decode_run;

/* Rows [begin, end) of the parts laid end to end. */
static void decode_run_rows(const decode_run *r, size_t begin, size_t end) {
  size_t first = 0;
  for (uint32_t i = 0; i < r->n_parts && first < end; first += r->w[i]->rows, i++) {
    const pio_matrix *w = r->w[i];
    const size_t lo = begin > first ? begin - first : 0;
    const size_t hi = end - first < w->rows ? end - first : w->rows;
    if (lo >= hi) continue;
    const size_t row_bytes = (size_t)w->cols * pio_dtype_size(w->dtype);
    const pio_matrix slice = {.data = (const unsigned char *)w->data + lo * row_bytes,
                              .dtype = w->dtype, .rows = (uint32_t)(hi - lo), .cols = w->cols};
    pio_matmul(NULL, deepseek_path(r->m, 1), &slice, r->x[i], 1, r->y[i] + lo);
  }
}

static void decode_run_task(void *ctx, uint32_t share, uint32_t n_shares) {
  (void)share;
  (void)n_shares;
  decode_run *r = ctx;
  size_t begin, end;
  while (pio_chunks_take(&r->chunks, &begin, &end)) decode_run_rows(r, begin, end);
}

static void decode_run_go(pio_model *m, decode_run *r) {
  pio_chunks_init(&r->chunks, r->rows, RUN_ROW_BLOCK, RUN_ROW_BLOCK,
                  pio_threadpool_size(m->pool));
  pio_threadpool_run(m->pool, decode_run_task, r);
}

/* proj[d] of one token: its k experts (weights[k]) and the shared experts,
 * gate_up of all in one pool run, down of all in another, so a decoded
 * token pays two thread hand-offs a layer for its experts, not 2 (k + 1). */
static void decode_experts(pio_model *m, const deepseek_moe_weights *M) {
  deepseek_moe_scratch *S = &m->moe;
  const uint32_t k = S->router.top_k;
  const size_t d = m->config->hidden_size, wide = 2 * (size_t)S->widest;
  const pio_swiglu_weights *mlps[RUN_MAX_PARTS];
  uint32_t n = 0;
  for (uint32_t j = 0; j < k; j++) mlps[n++] = &M->experts[S->experts[j]];
  if (M->shared.gate_up.rows > 0) mlps[n++] = &M->shared;
  decode_run up = {.m = m, .n_parts = n}, down = {.m = m, .n_parts = n};
  for (uint32_t i = 0; i < n; i++) {
    up.w[i] = &mlps[i]->gate_up;
    up.x[i] = m->xn;
    up.y[i] = S->hidden + i * wide; /* [gate | up] of part i */
    up.rows += mlps[i]->gate_up.rows;
    down.w[i] = &mlps[i]->down;
    down.x[i] = up.y[i];
    down.y[i] = S->slots + i * d;
    down.rows += mlps[i]->down.rows;
  }
  decode_run_go(m, &up);
  for (uint32_t i = 0; i < n; i++) pio_swiglu_pack(up.y[i], 1, mlps[i]->down.cols);
  decode_run_go(m, &down);
  pio_moe_weighted_sum(S->slots, d, S->weights, k, d, m->proj);
  if (n > k)
    for (size_t i = 0; i < d; i++) m->proj[i] += S->slots[k * d + i];
}

void deepseek_moe(pio_model *m, uint32_t l, uint32_t n) {
  const deepseek_moe_weights *M = &m->weights.layers[l].moe;
  deepseek_moe_scratch *S = &m->moe;
  const uint32_t E = S->router.n_experts, k = S->router.top_k;
  const size_t d = m->config->hidden_size;
  route(m, M, n);
  if (n == 1 && k < RUN_MAX_PARTS) {
    decode_experts(m, M);
    return;
  }
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
