/* pio/instance.h — what every model component's create and stats do the
 * same way: reading the caller's options whatever ABI minor built them,
 * choosing the KV capacity, and copying stats out within the caller's
 * struct_size. */
#ifndef PIO_INSTANCE_H
#define PIO_INSTANCE_H

#include <stdint.h>

#include "pio/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The caller's options with the defaults (bf16 synthetic weights, mapped
 * files, all cores, the default context) where its older table stops or
 * opts is NULL. */
pio_model_options pio_model_options_read(const pio_model_options *opts);

/* The KV capacity: asked, or when asked is 0 min(max_position,
 * default_context).  asked above max_position is PIO_ERR_INVALID_ARGUMENT
 * naming both. */
pio_status pio_model_context_size(uint32_t max_position, uint32_t asked,
                                  uint32_t default_context, uint32_t *out, pio_error *err);

/* Copies stats (struct_size ignored) into out, within out->struct_size,
 * which must cover the ABI 1.0 table (else PIO_ERR_ABI); out->struct_size
 * becomes what was written. */
pio_status pio_model_stats_copy(const pio_model_stats *stats, pio_model_stats *out,
                                pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
