/* pio/kernels.h — compute kernels shared by model plugins: matmul with
 * f32/bf16/f16 weights and f32 activations, softmax, SiLU.  Each has a
 * scalar reference and vector paths picked at run time by CPU feature;
 * every path gives the scalar result within rounding.  The layer blocks
 * built on them: pio/norm.h, pio/rope.h, pio/attention.h, pio/mlp.h. */
#ifndef PIO_KERNELS_H
#define PIO_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_kernel_path {
  PIO_KERNEL_SCALAR = 0,
  PIO_KERNEL_AVX2 = 1,        /* AVX2 + FMA + F16C */
  PIO_KERNEL_AVX512 = 2,      /* AVX-512 F/BW */
  PIO_KERNEL_AVX512_BF16 = 3, /* AVX-512 BF16 dot products (vdpbf16ps) */
  PIO_KERNEL_PATH_COUNT
} pio_kernel_path;

/* Whether this CPU (and this build) can run path. */
int pio_kernel_path_available(pio_kernel_path path);
/* The fastest available path. */
pio_kernel_path pio_kernel_best(void);
/* "scalar", "avx2", "avx512", "avx512bf16". */
const char *pio_kernel_path_name(pio_kernel_path path);

/* A weight matrix w[rows][cols], row-major, as stored (not owned). */
typedef struct pio_matrix {
  const void *data;
  pio_dtype dtype; /* F32, BF16 or F16 */
  uint32_t rows;   /* output features */
  uint32_t cols;   /* input features */
} pio_matrix;

/* y[n][w.rows] = x[n][w.cols] . w^T, threaded over pool (may be NULL).
 * path must be available.  The AVX512_BF16 path rounds x to bf16. */
void pio_matmul(pio_threadpool *pool, pio_kernel_path path, const pio_matrix *w,
                const float *x, size_t n, float *y);

/* x[n] = softmax(x[n]), subtracting the max first. */
void pio_softmax(float *x, size_t n);
/* x[n] = silu(gate[n]) * up[n] in place of gate. */
void pio_silu_mul(float *gate, const float *up, size_t n);
/* Converts n elements of dtype to f32. */
void pio_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst);

/* The three above on a chosen path (the scalar one when path is not
 * available); those above use pio_kernel_best().  For tests and benchmarks
 * that compare paths. */
void pio_softmax_on(pio_kernel_path path, float *x, size_t n);
void pio_silu_mul_on(pio_kernel_path path, float *gate, const float *up, size_t n);
void pio_to_f32_on(pio_kernel_path path, const void *src, pio_dtype dtype, size_t n, float *dst);

#ifdef __cplusplus
}
#endif
#endif
