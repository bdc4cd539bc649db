/* model/forward.c — the LlamaForCausalLM forward pass: embedding, the
 * decoder layers (attention and SwiGLU, each behind an RMSNorm with a
 * residual), final norm, lm_head.  Prefill and decode are the same code:
 * n new tokens at positions [position, position + n), n = 1 for decode.
 * Shapes are written beside each step; d = hidden_size. */
#include <string.h>

#include "attention/attention.h"
#include "model/model.h"
#include "pio/forward.h"
#include "pio/mlp.h"
#include "pio/norm.h"

/* A prompt's tokens shared among the pool's threads for the steps between
 * the matmuls (one token, decode: the caller alone).  Done by one thread,
 * RoPE and the two norms of a layer took as long as a tenth of a 128-token
 * prefill on 16 cores (docs/kernels.md, session 7). */
typedef struct token_task {
  pio_model *m;
  uint32_t layer, start, n;
  const float *delta, *weight; /* the norm's residual and weight */
} token_task;

static void token_range(const token_task *t, uint32_t i, uint32_t n_threads, uint32_t *b,
                        uint32_t *e) {
  *b = (uint32_t)((uint64_t)t->n * i / n_threads);
  *e = (uint32_t)((uint64_t)t->n * (i + 1) / n_threads);
}

/* Rotates q and k of tokens [b, e) and stores k, v in the cache.
 * qkv[n][qkv_dim] holds q[n_heads][head_dim], k and v[n_kv_heads][head_dim]. */
static void rotate_and_cache_run(void *ctx, uint32_t i, uint32_t n_threads) {
  const token_task *task = ctx;
  pio_model *m = task->m;
  const pio_model_config *c = m->config;
  const size_t q_dim = (size_t)c->n_heads * c->head_dim;
  const size_t kv_dim = (size_t)c->n_kv_heads * c->head_dim;
  uint32_t b, e;
  token_range(task, i, n_threads, &b, &e);
  if (b == e) return;
  float *qkv = m->buf.qkv + (size_t)b * m->qkv_dim;
  pio_rope_apply(&m->rope, qkv, e - b, m->qkv_dim, c->n_heads, c->head_dim, task->start + b);
  pio_rope_apply(&m->rope, qkv + q_dim, e - b, m->qkv_dim, c->n_kv_heads, c->head_dim,
                 task->start + b);
  for (uint32_t t = b; t < e; t++) {
    const float *k = m->buf.qkv + (size_t)t * m->qkv_dim + q_dim, *v = k + kv_dim;
    memcpy(llama_kv_k(&m->cache, task->layer, task->start + t), k, kv_dim * sizeof *k);
    memcpy(llama_kv_v(&m->cache, task->layer, task->start + t), v, kv_dim * sizeof *v);
  }
}

static void rotate_and_cache(pio_model *m, uint32_t layer, uint32_t start, uint32_t n) {
  token_task t = {.m = m, .layer = layer, .start = start, .n = n};
  pio_threadpool_run(n > 1 ? m->pool : NULL, rotate_and_cache_run, &t);
}

/* x[t] += delta[t], xn[t] = rmsnorm(x[t]) * weight for tokens [b, e). */
static void norm_residual_run(void *ctx, uint32_t i, uint32_t n_threads) {
  const token_task *task = ctx;
  pio_model *m = task->m;
  const size_t d = m->config->hidden_size;
  uint32_t b, e;
  token_range(task, i, n_threads, &b, &e);
  if (b == e) return;
  pio_rmsnorm_residual(m->buf.x + b * d, task->delta + b * d, task->weight, e - b, d,
                       (float)m->config->rms_norm_eps, 0, m->buf.xn + b * d);
}

static void norm_residual(pio_model *m, const float *delta, const float *weight, uint32_t n) {
  token_task t = {.m = m, .n = n, .delta = delta, .weight = weight};
  pio_threadpool_run(n > 1 ? m->pool : NULL, norm_residual_run, &t);
}

/* One decoder layer on n tokens.  On entry xn[n][d] is rmsnorm(x) with this
 * layer's input norm; on exit x has both residuals added and xn is x
 * normalised with next_norm (the next layer's input norm, or the final). */
static void layer_forward(pio_model *m, uint32_t l, uint32_t start, uint32_t n,
                          const float *next_norm) {
  const pio_model_config *c = m->config;
  const llama_layer_weights *L = &m->weights.layers[l];
  llama_pass_buffers *b = &m->buf;
  const pio_kernel_path path = pio_kernel_plan_path(&m->plan, n);
  pio_matmul(m->pool, path, &L->qkv, b->xn, n, b->qkv); /* qkv[n][qkv_dim] */
  rotate_and_cache(m, l, start, n);
  const pio_attention_args attention =
      llama_attention_args(&m->cache, c->n_heads, l, start, n, b->qkv, m->qkv_dim, b->attn,
                           b->attention_scratch, b->attention_scratch_size);
  pio_attention(m->pool, &attention);                        /* attn[n][n_heads * head_dim] */
  pio_matmul(m->pool, path, &L->o, b->attn, n, b->proj);     /* proj[n][d] */
  norm_residual(m, b->proj, L->mlp_norm, n);
  pio_swiglu(m->pool, path, &L->mlp, b->xn, n, b->mlp, b->proj); /* proj[n][d] */
  norm_residual(m, b->proj, next_norm, n);
}

/* Runs n <= chunk tokens at the current position; writes logits[n][vocab]
 * when all_logits, else (when last_chunk) logits[vocab] of the last one. */
static void run_chunk(void *model, const int32_t *tokens, uint32_t n, float *logits,
                      int all_logits, int last_chunk) {
  pio_model *m = model;
  const pio_model_config *c = m->config;
  const llama_weights *w = &m->weights;
  const uint32_t start = m->position;
  pio_embed_rows(&w->embed, tokens, n, m->buf.x); /* x[n][d] */
  pio_rmsnorm(m->buf.x, w->layers[0].attn_norm, n, c->hidden_size, (float)c->rms_norm_eps, 0,
              m->buf.xn);
  for (uint32_t l = 0; l < c->n_layers; l++)
    layer_forward(m, l, start, n, l + 1 < c->n_layers ? w->layers[l + 1].attn_norm
                                                      : w->final_norm);
  m->position = start + n;
  if (all_logits)
    pio_matmul(m->pool, pio_kernel_plan_path(&m->plan, n), &w->lm_head, m->buf.xn, n,
               logits); /* logits[n][vocab] */
  else if (last_chunk)
    pio_matmul(m->pool, pio_kernel_plan_path(&m->plan, 1), &w->lm_head,
               m->buf.xn + (size_t)(n - 1) * c->hidden_size, 1,
               logits);                                            /* logits[vocab] */
}

pio_status llama_model_forward(pio_model *m, const int32_t *tokens, uint32_t n_tokens,
                               float *logits, int all_logits, pio_error *err) {
  if (m == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: model is NULL");
  pio_status s = pio_forward_check(tokens, n_tokens, logits, m->config->vocab_size, m->position,
                                   m->cache.max_context, err);
  if (s != PIO_OK) return s;
  pio_forward_chunks(m, run_chunk, tokens, n_tokens, m->chunk, m->config->vocab_size, logits,
                     all_logits);
  return PIO_OK;
}
