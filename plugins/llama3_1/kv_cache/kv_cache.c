/* kv_cache/kv_cache.c — allocating the runtime KV cache from the sizing the
 * plugin reports, so the figures and the memory used cannot drift apart. */
#include <stdlib.h>
#include <string.h>

#include "kv_cache/kv_cache.h"
#include "kv_cache/kv_figures.h"

pio_status llama_kv_cache_init(llama_kv_cache *cache, const pio_model_config *config,
                               uint32_t max_context, pio_error *err) {
  memset(cache, 0, sizeof *cache);
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_F32, .tp = 1, .pp = 1,
                    .page_size = 1, .access = PIO_KV_ACCESS_BLOCK,
                    .formula = PIO_KV_FORMULA_PIO};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_status s = llama_kv_figures(config, &q, &f, err);
  if (s != PIO_OK) return s;
  /* bytes_per_token covers K and V of every layer; under the config limits
   * it is at most 1024 x 1024 x 1024 x 8, and max_context below 2^24. */
  if (max_context == 0 || f.bytes_per_token > UINT64_MAX / max_context)
    return pio_error_set(err, PIO_ERR_LIMIT, "KV cache of %u tokens: size overflows",
                         max_context);
  const uint64_t bytes = f.bytes_per_token * max_context;
  if (bytes / 2 > SIZE_MAX)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "KV cache of %u tokens: %llu bytes do not "
                         "fit this address space", max_context, (unsigned long long)bytes);
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
