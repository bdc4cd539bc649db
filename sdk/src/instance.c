/* sdk/src/instance.c — model instance plumbing every plugin shares
 * (pio/instance.h). */
#include <string.h>

#include "pio/instance.h"

pio_model_options pio_model_options_read(const pio_model_options *opts) {
  pio_model_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.weight_dtype = PIO_DTYPE_BF16;
  if (opts == NULL) return o;
  if (PIO_TABLE_HAS(opts, pio_model_options, weights_dir)) o.weights_dir = opts->weights_dir;
  if (PIO_TABLE_HAS(opts, pio_model_options, synthetic)) o.synthetic = opts->synthetic;
  if (PIO_TABLE_HAS(opts, pio_model_options, seed)) o.seed = opts->seed;
  if (PIO_TABLE_HAS(opts, pio_model_options, weight_dtype)) o.weight_dtype = opts->weight_dtype;
  if (PIO_TABLE_HAS(opts, pio_model_options, n_threads)) o.n_threads = opts->n_threads;
  if (PIO_TABLE_HAS(opts, pio_model_options, max_context)) o.max_context = opts->max_context;
  if (PIO_TABLE_HAS(opts, pio_model_options, weights_load)) o.weights_load = opts->weights_load;
  if (PIO_TABLE_HAS(opts, pio_model_options, kernel)) o.kernel = opts->kernel;
  return o;
}

pio_status pio_model_context_size(uint32_t max_position, uint32_t asked,
                                  uint32_t default_context, uint32_t *out, pio_error *err) {
  if (asked == 0) {
    *out = max_position < default_context ? max_position : default_context;
    return PIO_OK;
  }
  if (asked > max_position)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "max_context %u exceeds the model's "
                         "max_position_embeddings %u", asked, max_position);
  *out = asked;
  return PIO_OK;
}

pio_status pio_model_stats_copy(const pio_model_stats *stats, pio_model_stats *out,
                                pio_error *err) {
  if (stats == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: stats or out is NULL");
  const size_t abi_1_0 = offsetof(pio_model_stats, kernel) + sizeof(const char *);
  if (out->struct_size < abi_1_0)
    return pio_error_set(err, PIO_ERR_ABI, "model stats: struct_size %u is smaller than the "
                         "ABI 1.0 stats (%zu)", out->struct_size, abi_1_0);
  const uint32_t size = out->struct_size < sizeof *stats ? out->struct_size
                                                         : (uint32_t)sizeof *stats;
  memcpy(out, stats, size);
  out->struct_size = size;
  return PIO_OK;
}
