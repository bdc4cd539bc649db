/* attention/attention.c — causal grouped-query attention.  Each (token,
 * head) pair is independent, so the pairs are spread over the pool; a
 * thread keeps one score row of the longest context it can need. */
#include <math.h>

#include "attention/attention.h"
#include "pio/kernels.h"

/* Dot product of a[n] and b[n]; eight running sums let the compiler keep
 * them in one vector register without reassociating a single sum. */
static float dot(const float *a, const float *b, uint32_t n) {
  float acc[8] = {0};
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (uint32_t j = 0; j < 8; j++) acc[j] += a[i + j] * b[i + j];
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) sum += a[i] * b[i];
  return sum;
}

/* out[n] += w * v[n] */
static void axpy(float *out, float w, const float *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) out[i] += w * v[i];
}

/* One head of one token: scores over its visible positions, softmax,
 * weighted sum of values. */
static void attend_one(const llama_attention_args *a, uint32_t t, uint32_t h, float *scores) {
  const llama_kv_cache *c = a->cache;
  const uint32_t d = c->head_dim;
  const uint32_t group = a->n_heads / c->n_kv_heads;
  const uint32_t kv_head = h / group;
  const uint32_t visible = a->start + t + 1;
  const float scale = 1.0f / sqrtf((float)d);
  const float *q = a->q + (size_t)t * a->q_stride + (size_t)h * d;
  for (uint32_t p = 0; p < visible; p++)
    scores[p] = dot(q, llama_kv_k(c, a->layer, p) + (size_t)kv_head * d, d) * scale;
  pio_softmax(scores, visible);
  float *out = a->out + ((size_t)t * a->n_heads + h) * d;
  for (uint32_t i = 0; i < d; i++) out[i] = 0.0f;
  for (uint32_t p = 0; p < visible; p++)
    axpy(out, scores[p], llama_kv_v(c, a->layer, p) + (size_t)kv_head * d, d);
}

static void attention_task(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  const llama_attention_args *a = ctx;
  float *scores = a->scores + (size_t)thread_index * a->cache->max_context;
  /* Later tokens see more positions: dealing the pairs out in turn rather
   * than in blocks keeps the threads' shares of work even. */
  const size_t n = (size_t)a->n_tokens * a->n_heads;
  for (size_t i = thread_index; i < n; i += n_threads)
    attend_one(a, (uint32_t)(i / a->n_heads), (uint32_t)(i % a->n_heads), scores);
}

void llama_attention(pio_threadpool *pool, const llama_attention_args *args) {
  pio_threadpool_run(pool, attention_task, (void *)args);
}
