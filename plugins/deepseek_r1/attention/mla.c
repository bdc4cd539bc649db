/* attention/mla.c — multi-head latent attention in absorbed form.  What is
 * cached per token is the normalised latent c_kv and the rotated k_rope;
 * keys and values are never expanded per head.  Instead each head's W_UK
 * is absorbed into its query (q_lat = W_UK^T q_nope, a query in the latent
 * space), attention runs as MQA over the cached rows with key [c_kv ;
 * k_rope] and value c_kv, and W_UV maps each head's latent output back.
 * Shapes: H heads, nope = qk_nope_head_dim, rope = qk_rope_head_dim,
 * r = kv_lora_rank, row = r + rope, v = v_head_dim. */
#include <string.h>

#include "model/model.h"
#include "pio/attention.h"
#include "pio/norm.h"

/* Transformers builds q_a_layernorm and kv_a_layernorm with the RMSNorm's
 * default eps, not the config's rms_norm_eps. */
#define LATENT_NORM_EPS 1e-6f

/* y[n][d] += b[d], rows stride floats apart. */
static void add_bias(float *y, uint32_t n, size_t stride, const float *b, size_t d) {
  for (uint32_t t = 0; t < n; t++)
    for (size_t i = 0; i < d; i++) y[t * stride + i] += b[i];
}

/* For every head h and token t: dst(t, h)[rows] = w[h] . src(t, h)[cols],
 * a matmul per head over all n tokens.  The threads take heads one at a
 * time (pio_chunks), each running its matmuls alone, so a decoded token
 * makes one pool run for all heads rather than one per head. */
typedef struct head_products {
  const pio_model *m;
  const pio_matrix *w; /* [n_heads] */
  uint32_t n_heads, n;
  const float *src;
  size_t src_token, src_head;
  float *dst;
  size_t dst_token, dst_head;
  pio_chunks heads;
} head_products;

static void head_products_task(void *ctx, uint32_t share, uint32_t n_shares) {
  (void)n_shares;
  head_products *p = ctx;
  const deepseek_attn_scratch *S = &p->m->attn;
  float *gather = S->gather + share * S->per_thread, *product = S->product + share * S->per_thread;
  size_t begin, end;
  while (pio_chunks_take(&p->heads, &begin, &end))
    for (size_t h = begin; h < end; h++) {
      const pio_matrix *w = &p->w[h];
      for (uint32_t t = 0; t < p->n; t++)
        memcpy(gather + (size_t)t * w->cols, p->src + t * p->src_token + h * p->src_head,
               w->cols * sizeof *gather);
      pio_matmul(NULL, deepseek_path(p->m, p->n), w, gather, p->n, product); /* [n][rows] */
      for (uint32_t t = 0; t < p->n; t++)
        memcpy(p->dst + t * p->dst_token + h * p->dst_head, product + (size_t)t * w->rows,
               w->rows * sizeof *product);
    }
}

/* One pool run of p over all heads. */
static void head_products_run(pio_model *m, head_products *p) {
  pio_chunks_init(&p->heads, p->n_heads, 1, 1, pio_threadpool_size(m->pool));
  pio_threadpool_run(m->pool, head_products_task, p);
}

/* The cache rows of the new tokens: c_kv normalised, k_rope rotated. */
static void cache_latents(pio_model *m, const deepseek_attn_weights *A, uint32_t l,
                          uint32_t start, uint32_t n) {
  const pio_model_config *c = m->config;
  const uint32_t r = c->kv_lora_rank, rope = c->qk_rope_head_dim, row = m->cache.row;
  const size_t in_rows = A->in.rows, q_rows = in_rows - row;
  const float *kv_a = m->attn.in + q_rows; /* [n] rows of in_rows: c_kv, then k_rope */
  float *dst = deepseek_kv_row(&m->cache, l, start);
  pio_rmsnorm_strided(kv_a, in_rows, A->kv_a_norm, n, r, LATENT_NORM_EPS, 0, dst, row);
  for (uint32_t t = 0; t < n; t++)
    memcpy(dst + (size_t)t * row + r, kv_a + t * in_rows + r, rope * sizeof *dst);
  pio_rope_apply(&m->rope, dst + r, n, row, 1, row, start);
}

/* q_lat[n][H][row]: W_UK^T q_nope in the first r floats of each head,
 * q_rope rotated after them.  q(t, h) = q[t * q_token + h * qk]. */
static void absorbed_queries(pio_model *m, const deepseek_attn_weights *A, const float *q,
                             size_t q_token, uint32_t start, uint32_t n) {
  const pio_model_config *c = m->config;
  const uint32_t H = c->n_heads, nope = c->qk_nope_head_dim, rope = c->qk_rope_head_dim;
  const uint32_t r = c->kv_lora_rank, qk = nope + rope, row = m->cache.row;
  float *q_lat = m->attn.q_lat;
  for (uint32_t t = 0; t < n; t++)
    for (uint32_t h = 0; h < H; h++)
      memcpy(q_lat + ((size_t)t * H + h) * row + r, q + t * q_token + (size_t)h * qk + nope,
             rope * sizeof *q_lat);
  pio_rope_apply(&m->rope, q_lat + r, n, (size_t)H * row, H, row, start);
  if (nope == 0) { /* no position-free part: the latent query is zero */
    for (size_t i = 0; i < (size_t)n * H; i++) memset(q_lat + i * row, 0, r * sizeof *q_lat);
    return;
  }
  head_products p = {.m = m, .w = A->uk_t, .n_heads = H, .n = n, .src = q, .src_token = q_token,
                     .src_head = qk, .dst = q_lat, .dst_token = (size_t)H * row, .dst_head = row};
  head_products_run(m, &p);
}

/* The attention arguments of n tokens at start over layer l's cache. */
pio_attention_args deepseek_mla_args(const pio_model *m, uint32_t l, uint32_t start, uint32_t n) {
  const pio_model_config *c = m->config;
  const uint32_t H = c->n_heads, r = c->kv_lora_rank, row = m->cache.row;
  const float *cache = deepseek_kv_row(&m->cache, l, 0);
  pio_attention_args a = {
      .shape = {.n_heads = H, .n_kv_heads = 1, .k_dim = row, .v_dim = r},
      .n_tokens = n, .start = start,
      .q = m->attn.q_lat, .q_token_stride = (size_t)H * row, .q_head_stride = row,
      .k = cache, .k_pos_stride = row, .k_head_stride = row,
      .v = cache, .v_pos_stride = row, .v_head_stride = row,
      .out = m->attn.lat, .out_token_stride = (size_t)H * r, .out_head_stride = r,
      .scale = m->softmax_scale,
      .scratch = m->attn.attention, .scratch_size = m->attn.attention_bytes,
  };
  return a;
}

void deepseek_mla(pio_model *m, uint32_t l, uint32_t start, uint32_t n) {
  const pio_model_config *c = m->config;
  const deepseek_attn_weights *A = &m->weights.layers[l].attn;
  deepseek_attn_scratch *S = &m->attn;
  const uint32_t H = c->n_heads, r = c->kv_lora_rank, v = c->v_head_dim;
  const size_t in_rows = A->in.rows;
  pio_matmul(m->pool, deepseek_path(m, n), &A->in, m->xn, n, S->in); /* in[n][q rows + row] */
  if (A->in_bias) add_bias(S->in, n, in_rows, A->in_bias, in_rows);
  const float *q = S->in; /* [n][H][qk], rows of q_token floats */
  size_t q_token = in_rows;
  if (c->q_lora_rank > 0) {
    pio_rmsnorm_strided(S->in, in_rows, A->q_a_norm, n, c->q_lora_rank, LATENT_NORM_EPS, 0,
                        S->q_a, c->q_lora_rank);
    pio_matmul(m->pool, deepseek_path(m, n), &A->q_b, S->q_a, n, S->q); /* q[n][H * qk] */
    q = S->q;
    q_token = A->q_b.rows;
  }
  cache_latents(m, A, l, start, n);
  absorbed_queries(m, A, q, q_token, start, n);
  const pio_attention_args args = deepseek_mla_args(m, l, start, n);
  pio_attention(m->pool, &args); /* lat[n][H][r] */
  head_products p = {.m = m, .w = A->uv, .n_heads = H, .n = n, .src = S->lat,
                     .src_token = (size_t)H * r, .src_head = r, .dst = S->heads,
                     .dst_token = (size_t)H * v, .dst_head = v};
  head_products_run(m, &p); /* heads[n][H][v] */
  pio_matmul(m->pool, deepseek_path(m, n), &A->o, S->heads, n, m->proj); /* proj[n][d] */
  if (A->o_bias) add_bias(m->proj, n, c->hidden_size, A->o_bias, c->hidden_size);
}
