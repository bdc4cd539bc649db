/* kv_cache/kv_cache.c — allocating the runtime KV cache from the sizing the
 * plugin reports, so the figures and the memory used cannot drift apart. */
#include <stdlib.h>
#include <string.h>

#include "kv_cache/kv_cache.h"
#include "kv_cache/kv_figures.h"
#include "pio/kv.h"

pio_status llama_kv_cache_init(llama_kv_cache *cache, const pio_model_config *config,
                               uint32_t max_context, pio_error *err) {
  memset(cache, 0, sizeof *cache);
  uint64_t bytes = 0;
  pio_status s = pio_kv_cache_bytes(llama_kv_figures, config, max_context, &bytes, err);
  if (s != PIO_OK) return s;
  cache->n_layers = config->n_layers;
  cache->max_context = max_context;
  cache->n_kv_heads = config->n_kv_heads;
  cache->head_dim = config->head_dim;
  cache->bytes = bytes;
  /* Untouched pages cost nothing until a position is written. */
  cache->k = malloc((size_t)(bytes / 2));
  cache->v = malloc((size_t)(bytes / 2));
  if (cache->k == NULL || cache->v == NULL) {
    llama_kv_cache_free(cache);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "KV cache of %u tokens (%llu bytes): out of "
                         "memory", max_context, (unsigned long long)bytes);
  }
  return PIO_OK;
}

void llama_kv_cache_free(llama_kv_cache *cache) {
  free(cache->k);
  free(cache->v);
  cache->k = cache->v = NULL;
}
