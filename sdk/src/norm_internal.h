/* sdk/src/norm_internal.h — the RMSNorm row kernels each variant provides
 * to norm.c. */
#ifndef PIO_SDK_NORM_INTERNAL_H
#define PIO_SDK_NORM_INTERNAL_H

#include <stddef.h>

#include "kernels_internal.h"

/* One row: x[i] += delta[i] when delta is not NULL; then
 * out[i] = w(i) * (x[i] * inv) with inv = 1 / sqrt(mean(x^2) + eps) and
 * w(i) = weight[i], or 1 + weight[i] with PIO_NORM_WEIGHT_PLUS_ONE.
 * out may be x when delta is NULL. */
typedef void (*pio_norm_row_fn)(float *x, const float *delta, const float *weight, size_t d,
                                float eps, unsigned flags, float *out);

PIO_HIDDEN void pio_norm_row_scalar(float *x, const float *delta, const float *weight, size_t d,
                                    float eps, unsigned flags, float *out);
#if defined(PIO_HAVE_AVX512)
PIO_HIDDEN void pio_norm_row_avx512(float *x, const float *delta, const float *weight, size_t d,
                                    float eps, unsigned flags, float *out);
#endif

#endif
