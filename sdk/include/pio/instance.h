/* pio/instance.h — what every model component's create and stats do the
 * same way: reading the caller's options whatever ABI minor built them,
 * allocating and building an instance, choosing the KV capacity, refusing a model that will not fit in memory
 * before allocating it, and copying stats out within the caller's
 * struct_size. */
#ifndef PIO_INSTANCE_H
#define PIO_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The caller's options with the defaults (bf16 synthetic weights, mapped
 * files, all cores, the default context) where its older table stops or
 * opts is NULL. */
pio_model_options pio_model_options_read(const pio_model_options *opts);

/* The caller's options read (pio_model_options_read) into *o, refused
 * (PIO_ERR_INVALID_ARGUMENT) when they name neither a weights_dir nor
 * synthetic weights. */
pio_status pio_model_options_take(const pio_model_options *opts, pio_model_options *o,
                                  pio_error *err);

/* A plugin's build: fills m, zeroed, from config and the options read.  On
 * failure it may leave m half built: the destroy given beside it frees
 * what is there. */
typedef pio_status (*pio_model_build_fn)(pio_model *m, const pio_model_config *config,
                                         const pio_model_options *o, pio_error *err);

/* A model API's create: checks config and out, takes the options
 * (pio_model_options_take), allocates a zeroed instance of instance_size
 * bytes (sizeof of the plugin's struct pio_model) and builds it.  On
 * success *out owns it (free it with destroy); on failure destroy has
 * freed the half-built instance and *out is NULL. */
pio_status pio_model_instance_create(const pio_model_config *config, const pio_model_options *opts,
                                     size_t instance_size, pio_model_build_fn build,
                                     void (*destroy)(pio_model *m), pio_model **out,
                                     pio_error *err);

/* The KV capacity: asked, or when asked is 0 min(max_position,
 * default_context).  asked above max_position is PIO_ERR_INVALID_ARGUMENT
 * naming both. */
pio_status pio_model_context_size(uint32_t max_position, uint32_t asked,
                                  uint32_t default_context, uint32_t *out, pio_error *err);

/* What a model instance will hold in memory, by part, in bytes. */
typedef struct pio_model_footprint {
  uint64_t synthetic_weights; /* what the plugin builds as synthetic weights (used when
                                 the options ask for them) */
  uint64_t kv_cache;          /* the KV cache at its full capacity */
  uint64_t scratch;           /* the forward pass's buffers (for its largest chunk) */
} pio_model_footprint;

/* Call it in create once the config and the KV capacity (max_context
 * tokens) are known, before allocating anything large.  The weights count
 * as they will be held: synthetic, f->synthetic_weights; read into memory
 * (PIO_WEIGHTS_READ), the bytes of o->weights_dir's *.safetensors files;
 * mapped, nothing (the page cache holds them and gives them back under
 * pressure; what the set copies out of the mapping is checked when it is
 * copied, pio_weights_alloc).  PIO_ERR_NO_MEMORY when the total is more
 * than the process may take (pio_memory_check), naming both: "model
 * create: the model needs 812.3 GiB (weights 810.0 GiB as built, KV cache
 * 2.0 GiB for 8192 tokens, scratch 0.3 GiB) but 21.4 GiB is available
 * (MemAvailable 21.4 GiB; no cgroup memory limit); ...". */
pio_status pio_model_footprint_check(const pio_model_options *o, const pio_model_footprint *f,
                                     uint32_t max_context, pio_error *err);

/* Copies stats (struct_size ignored) into out, within out->struct_size,
 * which must cover the ABI 1.0 table (else PIO_ERR_ABI); out->struct_size
 * becomes what was written. */
pio_status pio_model_stats_copy(const pio_model_stats *stats, pio_model_stats *out,
                                pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
