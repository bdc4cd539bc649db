/* attention/attention.c — Llama's attention call: the cache layout
 * K,V[layer][position][kv_head][head_dim] as strides. */
#include <math.h>

#include "attention/attention.h"

pio_attention_shape llama_attention_shape(const llama_kv_cache *c, uint32_t n_heads) {
  pio_attention_shape s = {.n_heads = n_heads, .n_kv_heads = c->n_kv_heads,
                           .k_dim = c->head_dim, .v_dim = c->head_dim};
  return s;
}

pio_attention_args llama_attention_args(const llama_kv_cache *c, uint32_t n_heads,
                                        uint32_t layer, uint32_t start, uint32_t n_tokens,
                                        const float *q, size_t q_stride, float *out,
                                        void *scratch, size_t scratch_size) {
  const size_t d = c->head_dim, pos_stride = (size_t)c->n_kv_heads * d;
  pio_attention_args a = {.shape = llama_attention_shape(c, n_heads),
                          .n_tokens = n_tokens, .start = start,
                          .q = q, .q_token_stride = q_stride, .q_head_stride = d,
                          .k = llama_kv_k(c, layer, 0), .k_pos_stride = pos_stride,
                          .k_head_stride = d,
                          .v = llama_kv_v(c, layer, 0), .v_pos_stride = pos_stride,
                          .v_head_stride = d,
                          .out = out, .out_token_stride = (size_t)n_heads * d,
                          .out_head_stride = d,
                          .scale = 1.0f / sqrtf((float)d),
                          .scratch = scratch, .scratch_size = scratch_size};
  return a;
}
