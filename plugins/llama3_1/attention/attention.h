/* attention/attention.h — causal grouped-query attention over the KV cache,
 * for a run of n_tokens new tokens (prefill) or one (decode). */
#ifndef PIO_LLAMA3_1_ATTENTION_H
#define PIO_LLAMA3_1_ATTENTION_H

#include <stdint.h>

#include "kv_cache/kv_cache.h"
#include "pio/threadpool.h"

typedef struct llama_attention_args {
  const llama_kv_cache *cache; /* holds positions [0, start + n_tokens) of layer */
  uint32_t layer;
  uint32_t start;      /* position of the first new token */
  uint32_t n_tokens;
  uint32_t n_heads;    /* query heads; n_heads / cache->n_kv_heads share a KV head */
  const float *q;      /* q[n_tokens][q_stride], heads [n_heads][head_dim] first, rotated */
  size_t q_stride;
  float *out;          /* out[n_tokens][n_heads][head_dim] */
  float *scores;       /* scratch [n_threads][cache->max_context] */
} llama_attention_args;

/* out = softmax(q k^T / sqrt(head_dim), causal) v, per head; token t sees
 * positions [0, start + t].  Spread over pool by (token, head). */
void llama_attention(pio_threadpool *pool, const llama_attention_args *args);

#endif
