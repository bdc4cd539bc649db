/* kv_cache/kv_cache.c — allocating the MLA cache from the sizing the plugin
 * reports, so the figures and the memory used cannot drift apart. */
#include <string.h>

#include "kv_cache/kv_cache.h"
#include "kv_cache/kv_figures.h"
#include "pio/kv.h"
#include "pio/memory.h"

pio_status deepseek_kv_cache_init(deepseek_kv_cache *cache, const pio_model_config *config,
                                  uint32_t max_context, pio_error *err) {
  memset(cache, 0, sizeof *cache);
  uint64_t bytes = 0;
  pio_status s = pio_kv_cache_bytes(deepseek_kv_figures, config, max_context, &bytes, err);
  if (s != PIO_OK) return s;
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
