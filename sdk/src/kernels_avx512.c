/* sdk/src/kernels_avx512.c — the AVX-512 F/BW/VL path: f32, bf16 and f16
 * weights widened to f32 in registers and multiplied with f32 activations.
 * Compiled with -mavx512f -mavx512bw -mavx512vl; only called when the CPU
 * has them (kernels.c checks). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels_internal.h"
#include "simd_avx512.h"

#define INLINE static inline __attribute__((always_inline))
#define ROWS 6   /* rows of w per micro-kernel */
#define TOKENS 4 /* rows of x per micro-kernel: 24 accumulators + 6 weights + x */
/* Rows of one token at a time, each from its own part of the range: as
 * many sequential streams.  6 read 7-10 % faster than 4 on the 16-core
 * Xeon (docs/kernels.md, session 11) and the same on Zen 5; 8 no faster. */
#ifndef PIO_ONE_TOKEN_ROWS
#define PIO_ONE_TOKEN_ROWS 6
#endif
#define ONE_TOKEN_ROWS PIO_ONE_TOKEN_ROWS

/* 16 weights from element i of row data, widened to f32. */
INLINE __m512 load_w(const void *data, size_t i, pio_dtype dtype) {
  if (dtype == PIO_DTYPE_BF16) {
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)data + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  if (dtype == PIO_DTYPE_F16)
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)data + i)));
  return _mm512_loadu_ps((const float *)data + i);
}

/* The same for the last cols % 16 elements: lanes outside mask read as 0. */
INLINE __m512 load_w_tail(const void *data, size_t i, pio_dtype dtype, __mmask16 mask) {
  if (dtype == PIO_DTYPE_BF16) {
    __m256i h = _mm256_maskz_loadu_epi16(mask, (const uint16_t *)data + i);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  if (dtype == PIO_DTYPE_F16)
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, (const uint16_t *)data + i));
  return _mm512_maskz_loadu_ps(mask, (const float *)data + i);
}

/* y[t0..t0+T)[r0..r0+R) of y[n][rows] = x[n][cols] . w^T, all cols. */
INLINE void micro_kernel(const pio_matrix *w, pio_dtype dtype, const float *x, float *y,
                         size_t r0, size_t t0, int R, int T) {
  const size_t cols = w->cols, rows = w->rows;
  __m512 acc[ROWS][TOKENS];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++)
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
  size_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    __m512 wv[ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) wv[r] = load_w(w->data, (r0 + r) * cols + k, dtype);
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) {
      __m512 xv = _mm512_loadu_ps(x + (t0 + t) * cols + k);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
  if (k < cols) {
    __mmask16 mask = (__mmask16)((1u << (cols - k)) - 1u);
    __m512 wv[ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) wv[r] = load_w_tail(w->data, (r0 + r) * cols + k, dtype, mask);
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) {
      __m512 xv = _mm512_maskz_loadu_ps(mask, x + (t0 + t) * cols + k);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; t++)
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) y[(t0 + t) * rows + r0 + r] = _mm512_reduce_add_ps(acc[r][t]);
}

/* The line at address `at` into L1 (it may lie past the matrix: a prefetch
 * never faults).  An asm statement: GCC 12 deletes _mm_prefetch in a loop
 * once that loop is inlined into another (docs/kernels.md). */
INLINE void prefetch_line(uintptr_t at) { __asm__ volatile("prefetcht0 (%0)" : : "r"(at)); }

/* One token (decode): rows r0, r0 + step, ... (R of them) of y, summed
 * in the order micro_kernel sums a token (one accumulator a row, 16
 * columns a step), so a token's logits do not depend on how many tokens
 * a call holds. */
INLINE void one_token(const pio_matrix *w, pio_dtype dtype, const float *x, float *y, size_t r0,
                      size_t step, int R, size_t ahead) {
  const size_t cols = w->cols;
  __m512 acc[ONE_TOKEN_ROWS];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  const size_t width = dtype == PIO_DTYPE_F32 ? 4 : 2;
  size_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    if (ahead != 0 && (width == 4 || k % 32 == 0)) /* a new line */
#pragma GCC unroll 8
      for (int r = 0; r < R; r++)
        prefetch_line((uintptr_t)w->data + ((r0 + r * step) * cols + k) * width + ahead);
    __m512 xv = _mm512_loadu_ps(x + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = _mm512_fmadd_ps(load_w(w->data, (r0 + r * step) * cols + k, dtype), xv, acc[r]);
  }
  if (k < cols) {
    __mmask16 mask = (__mmask16)((1u << (cols - k)) - 1u);
    __m512 xv = _mm512_maskz_loadu_ps(mask, x + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = _mm512_fmadd_ps(load_w_tail(w->data, (r0 + r * step) * cols + k, dtype, mask), xv,
                               acc[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) y[r0 + r * step] = _mm512_reduce_add_ps(acc[r]);
}

/* One token's rows [begin, end), ONE_TOKEN_ROWS at a time from as many
 * equal parts of the range, each part one sequential stream through
 * memory (as the avx2 and avx512bf16 paths read a token's rows).  dtype is
 * a constant at each call, so the widening is chosen outside the loop. */
INLINE void one_token_parts(const pio_matrix *w, pio_dtype dtype, const float *x, float *y,
                            size_t begin, size_t end, size_t ahead) {
  const size_t part = (end - begin) / ONE_TOKEN_ROWS;
  for (size_t i = 0; i < part; i++)
    one_token(w, dtype, x, y, begin + i, part, ONE_TOKEN_ROWS, ahead);
  for (size_t r = begin + part * ONE_TOKEN_ROWS; r < end; r++)
    one_token(w, dtype, x, y, r, 1, 1, ahead);
}

/* With the prefetch distance this CPU takes (pio_kernel_one_token_prefetch);
 * a literal 0 compiles the prefetches out. */
INLINE void one_token_range(const pio_matrix *w, pio_dtype dtype, const float *x, float *y,
                            size_t begin, size_t end) {
  const size_t ahead = pio_kernel_one_token_prefetch();
  if (ahead == 0) one_token_parts(w, dtype, x, y, begin, end, 0);
  else one_token_parts(w, dtype, x, y, begin, end, ahead);
}

static void one_token_rows(const pio_matrix *w, const float *x, float *y, size_t begin,
                           size_t end) {
  if (w->dtype == PIO_DTYPE_BF16)
    one_token_range(w, PIO_DTYPE_BF16, x, y, begin, end);
  else if (w->dtype == PIO_DTYPE_F16)
    one_token_range(w, PIO_DTYPE_F16, x, y, begin, end);
  else
    one_token_range(w, PIO_DTYPE_F32, x, y, begin, end);
}

typedef void (*block_fn)(const pio_matrix *w, const float *x, float *y, size_t r0, size_t t0);

#define DEFINE_BLOCK(NAME, DTYPE, R, T)                                                      \
  static void NAME##_##R##x##T(const pio_matrix *w, const float *x, float *y, size_t r0,    \
                               size_t t0) {                                                \
    micro_kernel(w, DTYPE, x, y, r0, t0, R, T);                                             \
  }
#define DEFINE_BLOCKS(NAME, DTYPE)                                                           \
  DEFINE_BLOCK(NAME, DTYPE, 6, 1)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 6, 2)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 6, 3)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 6, 4)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 1)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 2)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 3)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 4)                                                            \
  static const block_fn NAME##_blocks[2][TOKENS] = {                                         \
      {NAME##_1x1, NAME##_1x2, NAME##_1x3, NAME##_1x4},                                      \
      {NAME##_6x1, NAME##_6x2, NAME##_6x3, NAME##_6x4}};

DEFINE_BLOCKS(f32, PIO_DTYPE_F32)
DEFINE_BLOCKS(bf16, PIO_DTYPE_BF16)
DEFINE_BLOCKS(f16, PIO_DTYPE_F16)

/*
 * The outer-product route, for OUTER_MIN_TOKENS tokens or more: each FMA
 * multiplies 16 weight rows' column k (one vector) by one token's x[k]
 * broadcast, so the accumulators are y's own 16-row vectors, and nothing is
 * widened or summed across lanes in the loop.  The row-dot blocks below
 * widen every bf16 weight again for each 4 tokens (two more uops on the
 * FMA ports for 4 FMAs) and reduce 24 vectors at the end: on an Intel Xeon
 * without avx512_bf16 their prefill ran at 36-42 % of the FMA peak and
 * below llama.cpp (docs/kernels.md, session 18).  The route needs each
 * block's weights across rows in f32: a block's panel of OUTER_PANEL_COLS
 * columns is widened and transposed once into the thread's kept buffer
 * (wp[k][16 V]) and read by every token, 1/n of the products' work.
 * Micro-kernel: OUTER_V vectors of 16 rows x OUTER_T tokens = 24
 * accumulators, 3 weight loads and 8 broadcasts a column.
 */
#define OUTER_MIN_TOKENS 64
#define OUTER_V 3
#define OUTER_T 8
#define OUTER_ROWS (16 * OUTER_V)
#define OUTER_PANEL_COLS 512 /* wp: 48 rows x 512 x 4 bytes = 96 KiB, in L2 */

/* Rows [r0, r0 + 16 nv) x columns [k0, k1) of w, widened, into
 * wp[k - k0][16 nv]; rows from row_end on are zeros. */
static void pack_f32_panel(const pio_matrix *w, pio_dtype dtype, size_t r0, size_t row_end,
                           int nv, size_t k0, size_t k1, float *wp) {
  const size_t cols = w->cols;
  for (size_t k = k0; k < k1; k += 16) {
    const size_t width = k1 - k < 16 ? k1 - k : 16;
    const __mmask16 m = pio_avx512_tail_mask(width);
    for (int v = 0; v < nv; v++) {
      __m512i a[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) {
        const size_t r = r0 + 16 * (size_t)v + (size_t)i;
        a[i] = r < row_end ? _mm512_castps_si512(load_w_tail(w->data, r * cols + k, dtype, m))
                           : _mm512_setzero_si512();
      }
      pio_avx512_transpose16(a);
      float *dst = wp + ((k - k0) * (size_t)nv + (size_t)v) * 16;
      for (size_t q = 0; q < width; q++)
        _mm512_store_ps(dst + q * (size_t)nv * 16, _mm512_castsi512_ps(a[q]));
    }
  }
}

/* y[t0..t0+T)[r0 .. r0 + 16 V) (rows from row_end on not written) over the
 * kn columns of wp (16 V floats a column), stored (first) or added to y;
 * x: token t0's row at the panel's first column, rows cols apart. */
INLINE void outer_kernel(const float *wp, size_t kn, const float *x, size_t cols, float *y,
                         size_t rows, size_t r0, size_t row_end, size_t t0, int first, int V,
                         int T) {
  __m512 acc[OUTER_V][OUTER_T];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++)
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) acc[v][t] = _mm512_setzero_ps();
  for (size_t k = 0; k < kn; k++) {
    __m512 wv[OUTER_V];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) wv[v] = _mm512_load_ps(wp + (k * (size_t)V + (size_t)v) * 16);
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) {
      const __m512 xv = _mm512_set1_ps(x[(size_t)t * cols + k]);
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) acc[v][t] = _mm512_fmadd_ps(wv[v], xv, acc[v][t]);
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    const size_t r = r0 + 16 * (size_t)v;
    const __mmask16 m = pio_avx512_tail_mask(row_end > r ? row_end - r : 0);
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) {
      float *out = y + (t0 + (size_t)t) * rows + r;
      const __m512 o = first ? acc[v][t] : _mm512_add_ps(_mm512_maskz_loadu_ps(m, out), acc[v][t]);
      _mm512_mask_storeu_ps(out, m, o);
    }
  }
}

typedef void (*outer_fn)(const float *wp, size_t kn, const float *x, size_t cols, float *y,
                         size_t rows, size_t r0, size_t row_end, size_t t0, int first);

#define DEFINE_OUTER(V, T)                                                                    \
  static void outer_##V##x##T(const float *wp, size_t kn, const float *x, size_t cols,       \
                              float *y, size_t rows, size_t r0, size_t row_end, size_t t0,    \
                              int first) {                                                    \
    outer_kernel(wp, kn, x, cols, y, rows, r0, row_end, t0, first, V, T);                     \
  }
PIO_AVX512_OUTER_KERNELS(DEFINE_OUTER)
static const outer_fn outers[OUTER_V][OUTER_T] = PIO_AVX512_OUTER_TABLE(outer);

/* Panels of columns outermost, then blocks of OUTER_ROWS rows, each block's
 * panel widened once into wp, then tokens: each weight is read from memory
 * once and x's panel stays in L2 while the row blocks pass over it.  Later
 * panels add to y. */
static void outer_matmul_rows(const pio_matrix *w, pio_dtype dtype, const float *x, size_t n,
                              float *y, size_t row_begin, size_t row_end, float *wp) {
  const size_t cols = w->cols;
  for (size_t k0 = 0; k0 < cols; k0 += OUTER_PANEL_COLS) {
    const size_t k1 = k0 + OUTER_PANEL_COLS < cols ? k0 + OUTER_PANEL_COLS : cols;
    for (size_t r = row_begin; r < row_end; r += OUTER_ROWS) {
      const size_t left = row_end - r;
      const int nv = left >= OUTER_ROWS ? OUTER_V : (int)((left + 15) / 16);
      pack_f32_panel(w, dtype, r, row_end, nv, k0, k1, wp);
      for (size_t t = 0; t < n; t += OUTER_T) {
        const size_t tn = n - t < OUTER_T ? n - t : OUTER_T;
        outers[nv - 1][tn - 1](wp, k1 - k0, x + t * cols + k0, cols, y, w->rows, r, row_end, t,
                               k0 == 0);
      }
    }
  }
}

/* The outer-product route where it applies and this thread's buffer could
 * be had; 0 when the caller should take the row-dot blocks. */
static int outer_route(const pio_matrix *w, const float *x, size_t n, float *y,
                       size_t row_begin, size_t row_end) {
  if (n < OUTER_MIN_TOKENS) return 0;
  const size_t panel = w->cols < OUTER_PANEL_COLS ? w->cols : OUTER_PANEL_COLS;
  float *wp = pio_k_thread_buffer((size_t)OUTER_ROWS * panel * sizeof *wp);
  if (wp == NULL) return 0;
  if (w->dtype == PIO_DTYPE_BF16)
    outer_matmul_rows(w, PIO_DTYPE_BF16, x, n, y, row_begin, row_end, wp);
  else if (w->dtype == PIO_DTYPE_F16)
    outer_matmul_rows(w, PIO_DTYPE_F16, x, n, y, row_begin, row_end, wp);
  else
    outer_matmul_rows(w, PIO_DTYPE_F32, x, n, y, row_begin, row_end, wp);
  return 1;
}

/* Rows outer, tokens inner: a block of weight rows stays in cache while
 * every token passes over it, so weights stream from memory once. */
void pio_k_avx512_matmul_rows(const pio_matrix *w, const float *x, size_t n, float *y,
                              size_t row_begin, size_t row_end) {
  if (n == 1) {
    one_token_rows(w, x, y, row_begin, row_end);
    return;
  }
  if (outer_route(w, x, n, y, row_begin, row_end)) return;
  const block_fn(*blocks)[TOKENS] = w->dtype == PIO_DTYPE_BF16  ? bf16_blocks
                                    : w->dtype == PIO_DTYPE_F16 ? f16_blocks
                                                                : f32_blocks;
  for (size_t r = row_begin; r < row_end;) {
    int full = row_end - r >= ROWS;
    for (size_t t = 0; t < n; t += TOKENS) {
      size_t tn = n - t < TOKENS ? n - t : TOKENS;
      if (full) {
        blocks[1][tn - 1](w, x, y, r, t);
      } else {
        for (size_t rr = r; rr < row_end; rr++) blocks[0][tn - 1](w, x, y, rr, t);
      }
    }
    r = full ? r + ROWS : row_end;
  }
}

/* One token's 16 sums of a panel of tiled bf16 weights (PIO_LAYOUT_TILES):
 * the panel's tiles in order, each row's 32 bf16 of a step one 64-byte
 * load whose even elements (the low half of each dword) and odd elements
 * (the high half) widen with a shift and a mask, against x's even and odd
 * columns of the step. */
static void panel_one_token(const uint16_t *panel, size_t steps, const float *x, float *out) {
  const __m512i even_idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                             28, 30);
  const __m512i odd_idx = _mm512_add_epi32(even_idx, _mm512_set1_epi32(1));
  const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
  __m512 acc[16];
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) acc[r] = _mm512_setzero_ps();
  for (size_t s = 0; s < steps; s++) {
    const __m512 x0 = _mm512_loadu_ps(x + 32 * s), x1 = _mm512_loadu_ps(x + 32 * s + 16);
    const __m512 xe = _mm512_permutex2var_ps(x0, even_idx, x1);
    const __m512 xo = _mm512_permutex2var_ps(x0, odd_idx, x1);
    const uint16_t *tile = panel + s * 16 * 32;
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) {
      const __m512i raw = _mm512_loadu_si512(tile + r * 32);
      acc[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(raw, 16)), xe, acc[r]);
      acc[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(raw, high)), xo, acc[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

/* Rows [row_begin, row_end) (whole panels) of y[n][rows] for tiled bf16
 * weights: a share's panels stream in order, each token passing over a
 * panel while it is in cache. */
void pio_k_avx512_matmul_rows_tiles(const pio_matrix *w, const float *x, size_t n, float *y,
                                    size_t row_begin, size_t row_end) {
  const size_t steps = w->cols / 32;
  for (size_t r = row_begin; r < row_end; r += 16) {
    const uint16_t *panel = (const uint16_t *)w->data + r * w->cols;
    for (size_t t = 0; t < n; t++) {
      float sums[16];
      panel_one_token(panel, steps, x + t * w->cols, sums);
      memcpy(y + t * w->rows + r, sums, sizeof sums);
    }
  }
}

/* One token's 16 sums of a panel of paired bf16 weights (PIO_LAYOUT_PAIRS):
 * each pair (16 rows' two columns, 64 bytes) widened by a shift (the even
 * column) and a mask (the odd one), times the token's two columns
 * broadcast; four partial sums over the pairs in turn. */
static void pairs_panel_one_token(const uint32_t *panel, size_t pairs, const float *x,
                                  float *out) {
  const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
  __m512 acc[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) acc[j] = _mm512_setzero_ps();
  for (size_t p = 0; p < pairs; p += 4) {
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
      const __m512i raw = _mm512_loadu_si512(panel + (p + (size_t)j) * 16);
      const float *xp = x + 2 * (p + (size_t)j);
      acc[j] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(raw, 16)),
                               _mm512_set1_ps(xp[0]), acc[j]);
      acc[j] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(raw, high)),
                               _mm512_set1_ps(xp[1]), acc[j]);
    }
  }
  _mm512_storeu_ps(out,
                   _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

/* Rows [row_begin, row_end) (whole panels) of y[n][rows] for paired bf16
 * weights: a share's panels stream in order, each token passing over a
 * panel while it is in cache (cols a multiple of 32: whole groups of 4). */
void pio_k_avx512_matmul_rows_pairs(const pio_matrix *w, const float *x, size_t n, float *y,
                                    size_t row_begin, size_t row_end) {
  for (size_t r = row_begin; r < row_end; r += 16) {
    const uint32_t *panel = (const uint32_t *)w->data + r * w->cols / 2;
    for (size_t t = 0; t < n; t++)
      pairs_panel_one_token(panel, w->cols / 2, x + t * w->cols, y + t * w->rows + r);
  }
}

void pio_k_avx512_softmax(float *x, size_t n) {
  if (n == 0) return;
  __m512 vmax = _mm512_set1_ps(x[0]);
  for (size_t i = 0; i < n; i += 16)
    vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, pio_avx512_tail_mask(n - i), x + i));
  __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = pio_avx512_tail_mask(n - i);
    __m512 e = pio_avx512_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), max));
    e = _mm512_maskz_mov_ps(m, e);
    sum = _mm512_add_ps(sum, e);
    _mm512_mask_storeu_ps(x + i, m, e);
  }
  __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = pio_avx512_tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void pio_k_avx512_silu_mul(float *gate, const float *up, size_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = pio_avx512_tail_mask(n - i);
    __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    __m512 sig = _mm512_div_ps(g, _mm512_add_ps(one, pio_avx512_exp(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(sig, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void pio_k_avx512_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst) {
  if (dtype == PIO_DTYPE_F32) {
    memmove(dst, src, n * sizeof *dst);
    return;
  }
  for (size_t i = 0; i < n; i += 16) {
    __mmask16 m = pio_avx512_tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, m, load_w_tail(src, i, dtype, m));
  }
}

const pio_k_path_ops pio_k_avx512_ops = {
    .matmul_rows = pio_k_avx512_matmul_rows,
    .matmul_rows_tiles = pio_k_avx512_matmul_rows_tiles,
    .matmul_rows_pairs = pio_k_avx512_matmul_rows_pairs,
    .softmax = pio_k_avx512_softmax,
    .silu_mul = pio_k_avx512_silu_mul,
    .to_f32 = pio_k_avx512_to_f32,
    .row_block = ROWS,
};
