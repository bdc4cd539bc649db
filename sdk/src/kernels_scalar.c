/* sdk/src/kernels_scalar.c — the reference path: plain C that every CPU
 * runs and every vector path is tested against.  Written for clarity first;
 * it keeps four partial sums so it is not needlessly slow where it is the
 * only path. */
#include <math.h>
#include <string.h>

#include "kernels_internal.h"

static float weight_at(const void *data, pio_dtype dtype, size_t i) {
  switch (dtype) {
    case PIO_DTYPE_BF16: return pio_bf16_to_f32(((const uint16_t *)data)[i]);
    case PIO_DTYPE_F16: return pio_f16_to_f32(((const uint16_t *)data)[i]);
    default: return ((const float *)data)[i];
  }
}

/* dot(x[cols], row[cols]) of one weight row starting at element `base`. */
static float dot_row(const pio_matrix *w, size_t base, const float *x) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t k = 0, cols = w->cols;
  for (; k + 4 <= cols; k += 4) {
    s0 += x[k + 0] * weight_at(w->data, w->dtype, base + k + 0);
    s1 += x[k + 1] * weight_at(w->data, w->dtype, base + k + 1);
    s2 += x[k + 2] * weight_at(w->data, w->dtype, base + k + 2);
    s3 += x[k + 3] * weight_at(w->data, w->dtype, base + k + 3);
  }
  for (; k < cols; k++) s0 += x[k] * weight_at(w->data, w->dtype, base + k);
  return (s0 + s1) + (s2 + s3);
}

/* y[n][rows] for rows [row_begin, row_end). */
static void scalar_matmul_rows(const pio_matrix *w, const float *x, size_t n, float *y,
                               size_t row_begin, size_t row_end) {
  for (size_t r = row_begin; r < row_end; r++) {
    for (size_t t = 0; t < n; t++)
      y[t * w->rows + r] = dot_row(w, r * (size_t)w->cols, x + t * w->cols);
  }
}

/* Where element (r, c) of w lies in its layout (pio/kernels.h). */
static size_t element_at(const pio_matrix *w, size_t r, size_t c) {
  switch (w->layout) {
    case PIO_LAYOUT_TILES: return ((r / 16 * (w->cols / 32) + c / 32) * 16 + r % 16) * 32 + c % 32;
    case PIO_LAYOUT_PAIRS: return ((r / 16 * (w->cols / 2) + c / 2) * 16 + r % 16) * 2 + c % 2;
    default: return r * w->cols + c;
  }
}

/* The same for bf16 weights in any layout, element by element. */
void pio_k_scalar_matmul_rows_laid_out(const pio_matrix *w, const float *x, size_t n, float *y,
                                       size_t row_begin, size_t row_end) {
  const uint16_t *data = w->data;
  for (size_t r = row_begin; r < row_end; r++) {
    for (size_t t = 0; t < n; t++) {
      const float *xt = x + t * w->cols;
      float sum = 0;
      for (size_t c = 0; c < w->cols; c++)
        sum += xt[c] * pio_bf16_to_f32(data[element_at(w, r, c)]);
      y[t * w->rows + r] = sum;
    }
  }
}

static void scalar_softmax(float *x, size_t n) {
  if (n == 0) return;
  float max = x[0];
  for (size_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    x[i] = expf(x[i] - max);
    sum += x[i];
  }
  float inv = (float)(1.0 / sum);
  for (size_t i = 0; i < n; i++) x[i] *= inv;
}

static void scalar_silu_mul(float *gate, const float *up, size_t n) {
  for (size_t i = 0; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static void scalar_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst) {
  if (dtype == PIO_DTYPE_F32) {
    memmove(dst, src, n * sizeof *dst);
    return;
  }
  for (size_t i = 0; i < n; i++) dst[i] = weight_at(src, dtype, i);
}

const pio_k_path_ops pio_k_scalar_ops = {
    .matmul_rows = scalar_matmul_rows,
    .matmul_rows_tiles = pio_k_scalar_matmul_rows_laid_out,
    .matmul_rows_pairs = pio_k_scalar_matmul_rows_laid_out,
    .softmax = scalar_softmax,
    .silu_mul = scalar_silu_mul,
    .to_f32 = scalar_to_f32,
    .row_block = 1,
};
