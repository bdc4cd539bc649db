/* attention/attention.h — Llama's attention over its KV cache: grouped
 * query heads of head_dim, scaled by 1/sqrt(head_dim), causal, no window;
 * computed by the SDK's tiled attention (pio/attention.h). */
#ifndef PIO_LLAMA3_1_ATTENTION_H
#define PIO_LLAMA3_1_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "kv_cache/kv_cache.h"
#include "pio/attention.h"

/* The head counts and sizes of the cache's model. */
pio_attention_shape llama_attention_shape(const llama_kv_cache *cache, uint32_t n_heads);

/* The call for n_tokens new tokens at start of layer: q[n_tokens][q_stride]
 * with the rotated query heads first, out[n_tokens][n_heads][head_dim];
 * scratch of pio_attention_scratch_size bytes. */
pio_attention_args llama_attention_args(const llama_kv_cache *cache, uint32_t n_heads,
                                        uint32_t layer, uint32_t start, uint32_t n_tokens,
                                        const float *q, size_t q_stride, float *out,
                                        void *scratch, size_t scratch_size);

#endif
