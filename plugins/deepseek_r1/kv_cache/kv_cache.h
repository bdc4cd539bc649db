/* kv_cache/kv_cache.h — the MLA cache the forward pass reads and writes, one
 * sequence: per layer and position one f32 row [c_kv ; k_rope], the
 * normalised latent (kv_lora_rank) and the rotated RoPE key
 * (qk_rope_head_dim) that every head shares.  Nothing per head is cached:
 * keys and values are never decompressed (attention runs in the latent
 * space).  Its size is what the plugin's KV figures say for fp32. */
#ifndef PIO_DEEPSEEK_R1_KV_CACHE_H
#define PIO_DEEPSEEK_R1_KV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "config/deepseek_config.h"

typedef struct deepseek_kv_cache {
  uint32_t n_layers;
  uint32_t max_context; /* tokens it holds */
  uint32_t row;         /* floats a position takes in one layer: kv_lora_rank + qk_rope_head_dim */
  uint64_t bytes;       /* of the whole cache */
  float *data;          /* [n_layers][max_context][row], owned (pio_pages_alloc) */
} deepseek_kv_cache;

/* Allocates the cache for max_context tokens of config, sized by
 * deepseek_kv_figures (fp32, one rank).  Freed with deepseek_kv_cache_free. */
pio_status deepseek_kv_cache_init(deepseek_kv_cache *cache, const pio_model_config *config,
                                  uint32_t max_context, pio_error *err);
void deepseek_kv_cache_free(deepseek_kv_cache *cache);

/* Layer's row at position pos: c_kv in [0, kv_lora_rank), k_rope after. */
static inline float *deepseek_kv_row(const deepseek_kv_cache *c, uint32_t layer, uint32_t pos) {
  return c->data + ((size_t)layer * c->max_context + pos) * c->row;
}

#endif
