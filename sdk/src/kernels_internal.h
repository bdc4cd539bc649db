/* sdk/src/kernels_internal.h — what each kernel path (scalar, avx2, avx512,
 * avx512bf16) provides to the dispatcher in kernels.c.  Every path file is
 * compiled with its own ISA flags, so nothing here is inline: code shared
 * through a header would be emitted with whichever ISA compiled it. */
#ifndef PIO_SDK_KERNELS_INTERNAL_H
#define PIO_SDK_KERNELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pio/kernels.h"

#if defined(__GNUC__)
#define PIO_HIDDEN __attribute__((visibility("hidden")))
#else
#define PIO_HIDDEN
#endif

/* Rows [row_begin, row_end) of y[n][w->rows] = x[n][w->cols] . w^T.
 * Row ranges handed to a path start at a multiple of its row block. */
typedef void (*pio_k_matmul_rows_fn)(const pio_matrix *w, const float *x, size_t n, float *y,
                                     size_t row_begin, size_t row_end);

/* The same with activations already rounded to bf16: xb[n][xb_stride], the
 * stride a multiple of 32 and the padding zero (avx512bf16 only). */
typedef void (*pio_k_matmul_rows_bf16x_fn)(const pio_matrix *w, const uint16_t *xb,
                                           size_t xb_stride, size_t n, float *y,
                                           size_t row_begin, size_t row_end);

typedef struct pio_k_path_ops {
  pio_k_matmul_rows_fn matmul_rows;
  /* Non-NULL when bf16 weights take the bf16-activation route. */
  pio_k_matmul_rows_bf16x_fn matmul_rows_bf16x;
  void (*f32_to_bf16)(const float *src, size_t n, uint16_t *dst);
  void (*softmax)(float *x, size_t n);
  void (*silu_mul)(float *gate, const float *up, size_t n);
  void (*to_f32)(const void *src, pio_dtype dtype, size_t n, float *dst);
  uint32_t row_block; /* row ranges are split in multiples of this */
} pio_k_path_ops;

PIO_HIDDEN extern const pio_k_path_ops pio_k_scalar_ops;
#if defined(PIO_HAVE_AVX2)
PIO_HIDDEN extern const pio_k_path_ops pio_k_avx2_ops;
#endif
#if defined(PIO_HAVE_AVX512)
PIO_HIDDEN extern const pio_k_path_ops pio_k_avx512_ops;
/* The avx512bf16 path reuses these for everything but bf16 weights. */
PIO_HIDDEN void pio_k_avx512_matmul_rows(const pio_matrix *w, const float *x, size_t n, float *y,
                                         size_t row_begin, size_t row_end);
PIO_HIDDEN void pio_k_avx512_softmax(float *x, size_t n);
PIO_HIDDEN void pio_k_avx512_silu_mul(float *gate, const float *up, size_t n);
PIO_HIDDEN void pio_k_avx512_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst);
#endif
#if defined(PIO_HAVE_AVX512_BF16)
PIO_HIDDEN extern const pio_k_path_ops pio_k_avx512bf16_ops;
#endif

#endif
