/* sdk/src/kernels_avx512bf16.c — the AVX-512 BF16 path: bf16 weights
 * multiplied with activations rounded to bf16 once per matmul, 32 products
 * a lane pair per vdpbf16ps, summed in f32.  f32 and f16 weights, and the
 * vector helpers, are the AVX-512 path's.  Compiled with the AVX-512 flags
 * plus -mavx512bf16; only called when the CPU has them. */
#include <immintrin.h>

#include "kernels_internal.h"

#define INLINE static inline __attribute__((always_inline))
#define ROWS 6   /* rows of w per micro-kernel */
#define ONE_TOKEN_ROWS 4 /* rows, each from its own part of the range, of one token */
#define TOKENS 4 /* 24 accumulators + 6 weights + x of the 32 registers; 6x4
                  * measured faster than 4x6, 8x3 and 4x4 on Zen 5 */

INLINE __m512bh as_bh(__m512i v) { return (__m512bh)v; }

/* The sums of the 16 lanes of a, b, c and d, in that order: the four
 * reductions share their shuffles (10 operations instead of 4 x 7). */
INLINE __m128 reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  /* per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3] and the same for c, d */
  __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  /* per 128-bit lane: partial sums of [a, b, c, d] */
  __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(1, 0, 1, 0)),
                              _mm512_shuffle_ps(ab, cd, _MM_SHUFFLE(3, 2, 3, 2)));
  __m256 half = _mm256_add_ps(_mm512_castps512_ps256(abcd),
                              _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(abcd), 1)));
  return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

/* The columns [k0, k1) of y[t0..t0+T)[r0..r0+R), stored (k0 == 0) or added
 * to y.  xb rows are zero-padded to a multiple of 32, weight rows are not,
 * so a last partial step masks the weight load. */
INLINE void micro_kernel(const pio_matrix *w, const uint16_t *xb, size_t stride, float *y,
                         size_t r0, size_t t0, size_t k0, size_t k1, int R, int T) {
  const size_t cols = w->cols, rows = w->rows;
  const uint16_t *wd = w->data;
  __m512 acc[ROWS][TOKENS];
#pragma GCC unroll 6
  for (int r = 0; r < R; r++)
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
  size_t k = k0;
  for (; k + 32 <= k1; k += 32) {
    __m512i wv[ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) wv[r] = _mm512_loadu_si512(wd + (r0 + r) * cols + k);
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) {
      __m512i xv = _mm512_loadu_si512(xb + (t0 + t) * stride + k);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], as_bh(wv[r]), as_bh(xv));
    }
  }
  if (k < k1) {
    __mmask32 mask = (__mmask32)((1u << (k1 - k)) - 1u);
    __m512i wv[ROWS];
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) wv[r] = _mm512_maskz_loadu_epi16(mask, wd + (r0 + r) * cols + k);
#pragma GCC unroll 6
    for (int t = 0; t < T; t++) {
      __m512i xv = _mm512_loadu_si512(xb + (t0 + t) * stride + k);
#pragma GCC unroll 6
      for (int r = 0; r < R; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], as_bh(wv[r]), as_bh(xv));
    }
  }
  if (T == 4) { /* the common case: one transposing reduction per row */
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      float sums[4];
      _mm_storeu_ps(sums, reduce4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
#pragma GCC unroll 4
      for (int t = 0; t < 4; t++) {
        float *out = &y[(t0 + t) * rows + r0 + r];
        *out = k0 == 0 ? sums[t] : *out + sums[t];
      }
    }
    return;
  }
#pragma GCC unroll 6
  for (int t = 0; t < T; t++) {
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      float *out = &y[(t0 + t) * rows + r0 + r];
      float sum = _mm512_reduce_add_ps(acc[r][t]);
      *out = k0 == 0 ? sum : *out + sum;
    }
  }
}

/* One token (decode): rows r0, r0 + step, ... (R of them) of y from the
 * bf16 activations xb. */
INLINE void one_token(const pio_matrix *w, const uint16_t *xb, float *y, size_t r0, size_t step,
                      int R) {
  const size_t cols = w->cols;
  const uint16_t *wd = w->data;
  __m512 acc[ONE_TOKEN_ROWS];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  size_t k = 0;
  for (; k + 32 <= cols; k += 32) {
    __m512i xv = _mm512_loadu_si512(xb + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = _mm512_dpbf16_ps(acc[r], as_bh(_mm512_loadu_si512(wd + (r0 + r * step) * cols + k)),
                                as_bh(xv));
  }
  if (k < cols) {
    __mmask32 mask = (__mmask32)((1u << (cols - k)) - 1u);
    __m512i xv = _mm512_loadu_si512(xb + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = _mm512_dpbf16_ps(
          acc[r], as_bh(_mm512_maskz_loadu_epi16(mask, wd + (r0 + r * step) * cols + k)), as_bh(xv));
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) y[r0 + r * step] = _mm512_reduce_add_ps(acc[r]);
}

/* One token's rows [begin, end), ONE_TOKEN_ROWS at a time from as many
 * equal parts of the range: each part is one sequential stream through
 * memory, row after row, as the avx2 path reads them.  Adjacent rows read
 * side by side instead (the 6x1 block) start six short streams a block,
 * one a row: on Zen 5 that streamed 7-13 % slower. */
static void bf16_one_token_rows(const pio_matrix *w, const uint16_t *xb, float *y, size_t begin,
                                size_t end) {
  const size_t part = (end - begin) / ONE_TOKEN_ROWS;
  for (size_t i = 0; i < part; i++) one_token(w, xb, y, begin + i, part, ONE_TOKEN_ROWS);
  for (size_t r = begin + part * ONE_TOKEN_ROWS; r < end; r++) one_token(w, xb, y, r, 1, 1);
}

typedef void (*block_fn)(const pio_matrix *w, const uint16_t *xb, size_t stride, float *y,
                         size_t r0, size_t t0, size_t k0, size_t k1);

#define DEFINE_BLOCK(R, T)                                                                   \
  static void block_##R##x##T(const pio_matrix *w, const uint16_t *xb, size_t stride, float *y, \
                              size_t r0, size_t t0, size_t k0, size_t k1) {                  \
    micro_kernel(w, xb, stride, y, r0, t0, k0, k1, R, T);                                    \
  }
DEFINE_BLOCK(6, 1)
DEFINE_BLOCK(6, 2)
DEFINE_BLOCK(6, 3)
DEFINE_BLOCK(6, 4)
DEFINE_BLOCK(1, 1)
DEFINE_BLOCK(1, 2)
DEFINE_BLOCK(1, 3)
DEFINE_BLOCK(1, 4)

static const block_fn blocks[2][TOKENS] = {{block_1x1, block_1x2, block_1x3, block_1x4},
                                           {block_6x1, block_6x2, block_6x3, block_6x4}};

/* Bytes of bf16 activations a column panel may take: the panel stays in a
 * core's L2 (1 MiB on Zen 5, 2 MiB on Sapphire Rapids) while every row
 * block of the chunk passes over it. */
#define PANEL_BYTES (384u << 10)

/* Columns per panel for n tokens: all of them when x is small (decode), else
 * a multiple of 32 whose n rows fit PANEL_BYTES. */
static size_t panel_cols(size_t n, size_t cols) {
  size_t k = PANEL_BYTES / (2 * n) / 32 * 32;
  if (k < 256) k = 256;
  return k >= cols ? cols : k;
}

/* Panels of columns outermost, then blocks of rows, then tokens: each weight
 * is read once, and the activations of a panel are reused from L2 by every
 * row block (without panels, x of 128 tokens x 8192 columns spills to L3
 * once per row block).  Later panels add to y. */
static void bf16x_matmul_rows(const pio_matrix *w, const uint16_t *xb, size_t stride, size_t n,
                              float *y, size_t row_begin, size_t row_end) {
  if (n == 1) {
    bf16_one_token_rows(w, xb, y, row_begin, row_end);
    return;
  }
  const size_t cols = w->cols, kc = panel_cols(n, cols);
  for (size_t k0 = 0; k0 < cols; k0 += kc) {
    size_t k1 = k0 + kc < cols ? k0 + kc : cols;
    for (size_t r = row_begin; r < row_end;) {
      int full = row_end - r >= ROWS;
      for (size_t t = 0; t < n; t += TOKENS) {
        size_t tn = n - t < TOKENS ? n - t : TOKENS;
        if (full) {
          blocks[1][tn - 1](w, xb, stride, y, r, t, k0, k1);
        } else {
          for (size_t rr = r; rr < row_end; rr++)
            blocks[0][tn - 1](w, xb, stride, y, rr, t, k0, k1);
        }
      }
      r = full ? r + ROWS : row_end;
    }
  }
}

/* The packed activations of this path: x rounded to bf16 (to nearest
 * even, as vcvtneps2bf16 does), rows padded with zeros to a multiple of 32
 * so the dot-product loop reads whole vectors. */
static size_t packed_stride(size_t cols) { return (cols + 31) / 32 * 32; }

static size_t bf16_packed_bytes(size_t n, size_t cols) {
  return n * packed_stride(cols) * sizeof(uint16_t);
}

static size_t bf16_pack_units(size_t n, size_t cols) {
  (void)cols;
  return n;
}

/* Tokens [t_begin, t_end) of x (rows x_stride apart) into packed[n][stride]. */
static void bf16_pack(const float *x, size_t x_stride, size_t n, size_t cols, void *packed,
                      size_t t_begin, size_t t_end) {
  (void)n;
  const size_t stride = packed_stride(cols);
  for (size_t t = t_begin; t < t_end; t++) {
    const float *src = x + t * x_stride;
    uint16_t *dst = (uint16_t *)packed + t * stride;
    for (size_t i = 0; i < stride; i += 16) {
      size_t left = i < cols ? cols - i : 0;
      __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
      __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
      _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)h);
    }
  }
}

static void bf16_matmul_rows_packed(const pio_matrix *w, const void *packed, size_t n, float *y,
                                    size_t row_begin, size_t row_end, void *scratch) {
  (void)scratch;
  bf16x_matmul_rows(w, packed, packed_stride(w->cols), n, y, row_begin, row_end);
}

const pio_k_path_ops pio_k_avx512bf16_ops = {
    .matmul_rows = pio_k_avx512_matmul_rows,
    .row_block = 12, /* whole blocks of the avx512 path (6 rows), as packed ones */
    .packed_bytes = bf16_packed_bytes,
    .pack_units = bf16_pack_units,
    .pack = bf16_pack,
    .matmul_rows_packed = bf16_matmul_rows_packed,
    .packed_row_block = 2 * ROWS,
    .softmax = pio_k_avx512_softmax,
    .silu_mul = pio_k_avx512_silu_mul,
    .to_f32 = pio_k_avx512_to_f32,
};
