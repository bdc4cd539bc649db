/* kv_cache/kv_cache.c — allocating the MLA cache from the sizing the plugin
 * reports, so the figures and the memory used cannot drift apart. */
#include <string.h>

#include "kv_cache/kv_cache.h"
#include "kv_cache/kv_figures.h"
#include "pio/memory.h"

pio_status deepseek_kv_cache_init(deepseek_kv_cache *cache, const pio_model_config *config,
                                  uint32_t max_context, pio_error *err) {
  memset(cache, 0, sizeof *cache);
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_F32, .tp = 1, .pp = 1,
                    .page_size = 1, .access = PIO_KV_ACCESS_BLOCK,
                    .formula = PIO_KV_FORMULA_PIO};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_status s = deepseek_kv_figures(config, &q, &f, err);
  if (s != PIO_OK) return s;
  /* Within the config limits bytes_per_token is at most 1024 layers x
   * (65536 + 4096) x 4, and max_context below 2^24. */
  if (max_context == 0 || f.bytes_per_token > UINT64_MAX / max_context)
    return pio_error_set(err, PIO_ERR_LIMIT, "KV cache of %u tokens: size overflows",
                         max_context);
  const uint64_t bytes = f.bytes_per_token * max_context;
  if (bytes > SIZE_MAX)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "KV cache of %u tokens: %llu bytes do not "
                         "fit this address space", max_context, (unsigned long long)bytes);
  cache->n_layers = config->n_layers;
  cache->max_context = max_context;
  cache->row = config->kv_lora_rank + config->qk_rope_head_dim;
  cache->bytes = bytes;
  /* Pages are backed when a position is first written. */
  void *data = NULL;
  s = pio_pages_alloc((size_t)bytes, &data, err);
  if (s != PIO_OK)
    return pio_error_prefix(err, "KV cache of %u tokens (%llu bytes)", max_context,
                            (unsigned long long)bytes);
  cache->data = data;
  return PIO_OK;
}

void deepseek_kv_cache_free(deepseek_kv_cache *cache) {
  pio_pages_free(cache->data, (size_t)cache->bytes);
  cache->data = NULL;
}
