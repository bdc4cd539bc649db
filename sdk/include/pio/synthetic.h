/* pio/synthetic.h — deterministic random weights, for running and
 * benchmarking published model sizes without downloading them. */
#ifndef PIO_SYNTHETIC_H
#define PIO_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/status.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_synthetic_dist {
  PIO_SYNTHETIC_UNIFORM = 0, /* uniform on [mean - std*sqrt(3), mean + std*sqrt(3)) */
  PIO_SYNTHETIC_NORMAL = 1   /* approximately normal (sum of four uniforms), |z| < 3.47 */
} pio_synthetic_dist;

/*
 * Fills dst[n] (caller-owned, dtype F32, BF16 or F16) with pseudo-random
 * values of the given mean and standard deviation.  Element i depends only
 * on (seed, stream, i): the same for any pool size, machine or call order.
 * Threaded over pool (may be NULL).  Counter-based (splitmix64), about a
 * nanosecond an element a thread.  PIO_ERR_INVALID_ARGUMENT for another
 * dtype, a negative or non-finite std, or dst NULL with n > 0.
 */
pio_status pio_synthetic_fill(pio_threadpool *pool, uint64_t seed, uint64_t stream,
                              pio_synthetic_dist dist, float mean, float std, pio_dtype dtype,
                              void *dst, size_t n, pio_error *err);

/* A stream id from a name (64-bit FNV-1a), so that each tensor of a model
 * gets its own sequence: pio_synthetic_stream("model.layers.0.mlp.up_proj.weight"). */
uint64_t pio_synthetic_stream(const char *name);

#ifdef __cplusplus
}
#endif
#endif
