/* pio/norm.h — RMSNorm over rows of activations, plain and fused with the
 * residual add that comes before it in a pre-norm transformer layer.
 * Scalar reference and an AVX-512 path picked at run time; every path is
 * within float rounding of the scalar one (tests/test_norm.c). */
#ifndef PIO_NORM_H
#define PIO_NORM_H

#include <stddef.h>

#include "pio/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of the RMSNorm calls, or-ed together; 0 is the Llama form. */
enum {
  /* Scale by (1 + weight) instead of weight, as Gemma's RMSNorm does (its
   * checkpoints store weight - 1).  The sum is formed in f32. */
  PIO_NORM_WEIGHT_PLUS_ONE = 1u << 0,
};

/* Row by row, as Hugging Face's LlamaRMSNorm computes it in float32:
 *   out[t][i] = weight[i] * (x[t][i] * (1 / sqrt(mean_i(x[t][i]^2) + eps)))
 * for x[n][d] rows x_stride floats apart and out[n][d] rows out_stride
 * apart (strides >= d; a row may be part of a wider one, e.g. DeepSeek's
 * c_kv in front of k_rope).  weight[d] f32.  out may be x (same stride),
 * other overlaps are not allowed.  d = 0 or n = 0 does nothing. */
void pio_rmsnorm_strided(const float *x, size_t x_stride, const float *weight, size_t n,
                         size_t d, float eps, unsigned flags, float *out, size_t out_stride);

/* pio_rmsnorm_strided with contiguous rows: x, out [n][d]. */
void pio_rmsnorm(const float *x, const float *weight, size_t n, size_t d, float eps,
                 unsigned flags, float *out);

/* The residual add fused with the norm after it, in two passes over a row
 * instead of three:
 *   x[t] += delta[t]        (skipped when delta is NULL)
 *   out[t] = rmsnorm(x[t]) as pio_rmsnorm
 * x, delta, out [n][d], contiguous; out must not overlap x or delta (x is
 * the residual stream and is kept). */
void pio_rmsnorm_residual(float *x, const float *delta, const float *weight, size_t n,
                          size_t d, float eps, unsigned flags, float *out);

/* The same on a chosen path (the scalar one when path is not available
 * here); those above use the best path.  For tests and benchmarks. */
void pio_rmsnorm_strided_on(pio_kernel_path path, const float *x, size_t x_stride,
                            const float *weight, size_t n, size_t d, float eps, unsigned flags,
                            float *out, size_t out_stride);
void pio_rmsnorm_residual_on(pio_kernel_path path, float *x, const float *delta,
                             const float *weight, size_t n, size_t d, float eps,
                             unsigned flags, float *out);

#ifdef __cplusplus
}
#endif
#endif
