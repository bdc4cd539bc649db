/* kv_cache/kv_cache.h — the cache the attention reads and writes during a
 * forward pass: f32 keys and values, K,V[layers][max_context][kv_heads]
 * [head_dim], one sequence.  f32 keeps decode within float rounding of a
 * float32 reference; its size is what the plugin's KV figures say for fp32. */
#ifndef PIO_LLAMA3_1_KV_CACHE_H
#define PIO_LLAMA3_1_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "config/llama_config.h"

typedef struct llama_kv_cache {
  uint32_t n_layers;
  uint32_t max_context; /* tokens it holds */
  uint32_t n_kv_heads;
  uint32_t head_dim;
  uint64_t bytes;       /* of k and v together */
  float *k;             /* k[n_layers][max_context][n_kv_heads][head_dim], owned */
  float *v;             /* same shape, owned */
} llama_kv_cache;

/* Allocates the cache for max_context tokens of config, sized by
 * llama_kv_figures (fp32, one rank).  Freed with llama_kv_cache_free. */
pio_status llama_kv_cache_init(llama_kv_cache *cache, const pio_model_config *config,
                               uint32_t max_context, pio_error *err);
void llama_kv_cache_free(llama_kv_cache *cache);

/* The [n_kv_heads][head_dim] slot of layer at position pos. */
static inline float *llama_kv_k(const llama_kv_cache *c, uint32_t layer, uint32_t pos) {
  return c->k + ((size_t)layer * c->max_context + pos) * c->n_kv_heads * c->head_dim;
}
static inline float *llama_kv_v(const llama_kv_cache *c, uint32_t layer, uint32_t pos) {
  return c->v + ((size_t)layer * c->max_context + pos) * c->n_kv_heads * c->head_dim;
}

#endif
