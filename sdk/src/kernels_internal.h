/* sdk/src/kernels_internal.h — what each kernel path (scalar, avx2, avx512,
 * avx512bf16, amx) provides to the dispatcher in kernels.c.  Every path file is
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

/* This thread's kept buffer of at least bytes bytes, 64-byte aligned,
 * uninitialised, valid until its next call on this thread; NULL when out of
 * memory (sdk/src/thread_buffer.c). */
PIO_HIDDEN void *pio_k_thread_buffer(size_t bytes);

/* Rows [row_begin, row_end) of y[n][w->rows] = x[n][w->cols] . w^T.
 * Row ranges handed to a path start at a multiple of its row block. */
typedef void (*pio_k_matmul_rows_fn)(const pio_matrix *w, const float *x, size_t n, float *y,
                                     size_t row_begin, size_t row_end);

/* Rows [row_begin, row_end) of the same for bf16 weights, with activations
 * packed once per matmul by the path's pack (in its own layout); scratch:
 * the calling thread's scratch_bytes(n, cols) bytes (64-byte aligned), or
 * NULL when the path asks for none. */
typedef void (*pio_k_matmul_rows_packed_fn)(const pio_matrix *w, const void *packed, size_t n,
                                            float *y, size_t row_begin, size_t row_end,
                                            void *scratch);

typedef struct pio_k_path_ops {
  pio_k_matmul_rows_fn matmul_rows;
  uint32_t row_block; /* matmul_rows' row ranges are split in multiples of this */
  /* The same for bf16 weights in PIO_LAYOUT_TILES and PIO_LAYOUT_PAIRS, on
   * ranges of whole 32-row blocks (their f32-activation route). */
  pio_k_matmul_rows_fn matmul_rows_tiles;
  pio_k_matmul_rows_fn matmul_rows_pairs;
  /* Non-NULL when bf16 weights take a packed-activation route: x rounded to
   * bf16 and laid out for the path's dot products, packed_bytes(n, cols)
   * bytes (64-byte aligned), written in pack_units(n, cols) independent
   * units (for threads) by pack(x, x_stride, n, cols, layout, packed,
   * unit_begin, unit_end), x's rows x_stride floats apart, in the order the
   * route for weights in layout reads. */
  size_t (*packed_bytes)(size_t n, size_t cols);
  size_t (*pack_units)(size_t n, size_t cols);
  void (*pack)(const float *x, size_t x_stride, size_t n, size_t cols, pio_matrix_layout layout,
               void *packed, size_t unit_begin, size_t unit_end);
  pio_k_matmul_rows_packed_fn matmul_rows_packed;
  uint32_t packed_layouts; /* bit 1 << layout for each layout matmul_rows_packed reads */
  uint32_t packed_row_block;
  uint32_t packed_min_rows; /* smallest range a thread takes on that route (0: by bytes) */
  size_t (*scratch_bytes)(size_t n, size_t cols); /* per thread on that route; NULL: none */
  void (*softmax)(float *x, size_t n);
  void (*silu_mul)(float *gate, const float *up, size_t n);
  void (*to_f32)(const void *src, pio_dtype dtype, size_t n, float *dst);
} pio_k_path_ops;

PIO_HIDDEN extern const pio_k_path_ops pio_k_scalar_ops;
/* The scalar matmul of bf16 weights in any layout, for the paths without
 * their own. */
PIO_HIDDEN void pio_k_scalar_matmul_rows_laid_out(const pio_matrix *w, const float *x, size_t n,
                                                  float *y, size_t row_begin, size_t row_end);
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
PIO_HIDDEN void pio_k_avx512_matmul_rows_tiles(const pio_matrix *w, const float *x, size_t n,
                                               float *y, size_t row_begin, size_t row_end);
PIO_HIDDEN void pio_k_avx512_matmul_rows_pairs(const pio_matrix *w, const float *x, size_t n,
                                               float *y, size_t row_begin, size_t row_end);
#endif
#if defined(PIO_HAVE_AVX512_BF16)
PIO_HIDDEN extern const pio_k_path_ops pio_k_avx512bf16_ops;
#endif
#if defined(PIO_HAVE_AMX)
PIO_HIDDEN extern const pio_k_path_ops pio_k_amx_ops;
#endif
/* The AMX path's pieces (kernels_amx.c), also built with emulated tiles for
 * tests/test_kernels_amx.c. */
PIO_HIDDEN size_t pio_k_amx_packed_bytes(size_t n, size_t cols);
PIO_HIDDEN size_t pio_k_amx_pack_units(size_t n, size_t cols);
PIO_HIDDEN void pio_k_amx_pack(const float *x, size_t x_stride, size_t n, size_t cols,
                               pio_matrix_layout layout, void *packed, size_t unit_begin,
                               size_t unit_end);
PIO_HIDDEN size_t pio_k_amx_scratch_bytes(size_t n, size_t cols);
PIO_HIDDEN void pio_k_amx_matmul_rows(const pio_matrix *w, const void *packed, size_t n,
                                      float *y, size_t row_begin, size_t row_end, void *scratch);

#endif
