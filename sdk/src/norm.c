/* sdk/src/norm.c — RMSNorm over rows: the scalar reference row kernel and
 * the row loops, which pick the row kernel by kernel path. */
#include <math.h>

#include "block_paths.h"
#include "norm_internal.h"
#include "pio/norm.h"

/* The sum of squares in double: the reference the vector variant is
 * measured against, and cheap beside the matmul that follows. */
void pio_norm_row_scalar(float *x, const float *delta, const float *weight, size_t d, float eps,
                         unsigned flags, float *out) {
  double sum = 0;
  for (size_t i = 0; i < d; i++) {
    if (delta != NULL) x[i] += delta[i];
    sum += (double)x[i] * x[i];
  }
  const float inv = (float)(1.0 / sqrt(sum / (double)d + eps));
  const int plus_one = (flags & PIO_NORM_WEIGHT_PLUS_ONE) != 0;
  for (size_t i = 0; i < d; i++) {
    const float w = plus_one ? 1.0f + weight[i] : weight[i];
    out[i] = w * (x[i] * inv);
  }
}

static pio_norm_row_fn row_fn(pio_kernel_path path) {
#if defined(PIO_HAVE_AVX512)
  if (pio_block_uses_avx512(path)) return pio_norm_row_avx512;
#endif
  (void)path;
  return pio_norm_row_scalar;
}

void pio_rmsnorm_strided_on(pio_kernel_path path, const float *x, size_t x_stride,
                            const float *weight, size_t n, size_t d, float eps, unsigned flags,
                            float *out, size_t out_stride) {
  if (d == 0) return;
  const pio_norm_row_fn row = row_fn(path);
  /* x is only read: the row kernel writes through its x only with a delta. */
  for (size_t t = 0; t < n; t++)
    row((float *)(x + t * x_stride), NULL, weight, d, eps, flags, out + t * out_stride);
}

void pio_rmsnorm_residual_on(pio_kernel_path path, float *x, const float *delta,
                             const float *weight, size_t n, size_t d, float eps,
                             unsigned flags, float *out) {
  if (d == 0) return;
  const pio_norm_row_fn row = row_fn(path);
  for (size_t t = 0; t < n; t++)
    row(x + t * d, delta != NULL ? delta + t * d : NULL, weight, d, eps, flags, out + t * d);
}

void pio_rmsnorm_strided(const float *x, size_t x_stride, const float *weight, size_t n,
                         size_t d, float eps, unsigned flags, float *out, size_t out_stride) {
  pio_rmsnorm_strided_on(pio_block_best_path(), x, x_stride, weight, n, d, eps, flags, out,
                         out_stride);
}

void pio_rmsnorm(const float *x, const float *weight, size_t n, size_t d, float eps,
                 unsigned flags, float *out) {
  pio_rmsnorm_strided_on(pio_block_best_path(), x, d, weight, n, d, eps, flags, out, d);
}

void pio_rmsnorm_residual(float *x, const float *delta, const float *weight, size_t n,
                          size_t d, float eps, unsigned flags, float *out) {
  pio_rmsnorm_residual_on(pio_block_best_path(), x, delta, weight, n, d, eps, flags, out);
}
