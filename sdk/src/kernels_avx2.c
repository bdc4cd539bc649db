/* sdk/src/kernels_avx2.c — the AVX2 + FMA + F16C path: f32, bf16 and f16
 * weights widened to f32 in 8-lane registers.  Compiled with -mavx2 -mfma
 * -mf16c; only called when the CPU has them (kernels.c checks). */
#include <immintrin.h>
#include <string.h>

#include "kernels_internal.h"
#include "simd_avx2.h"

#define INLINE static inline __attribute__((always_inline))
#define ROWS 4   /* rows of w per micro-kernel */
#define TOKENS 2 /* 8 accumulators + 4 weights + x fit the 16 registers */

/* 8 bf16 or f16 values widened to f32. */
INLINE __m256 widen(__m128i h, pio_dtype dtype) {
  if (dtype == PIO_DTYPE_BF16)
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  return _mm256_cvtph_ps(h);
}

INLINE __m256 load_w(const void *data, size_t i, pio_dtype dtype) {
  if (dtype == PIO_DTYPE_F32) return _mm256_loadu_ps((const float *)data + i);
  return widen(_mm_loadu_si128((const __m128i *)((const uint16_t *)data + i)), dtype);
}

/* Copies the last `left` (< 8) elements of a row into a zeroed 8-element
 * buffer, so the tail goes through the same vector code. */
INLINE __m256 load_w_tail(const void *data, size_t i, pio_dtype dtype, size_t left) {
  uint16_t half[8] = {0};
  float full[8] = {0};
  if (dtype == PIO_DTYPE_F32) {
    memcpy(full, (const float *)data + i, left * sizeof *full);
    return _mm256_loadu_ps(full);
  }
  memcpy(half, (const uint16_t *)data + i, left * sizeof *half);
  return widen(_mm_loadu_si128((const __m128i *)half), dtype);
}

INLINE __m256 load_x_tail(const float *x, size_t left) {
  float full[8] = {0};
  memcpy(full, x, left * sizeof *full);
  return _mm256_loadu_ps(full);
}

INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* y[t0..t0+T)[r0..r0+R) of y[n][rows] = x[n][cols] . w^T, all cols. */
INLINE void micro_kernel(const pio_matrix *w, pio_dtype dtype, const float *x, float *y,
                         size_t r0, size_t t0, int R, int T) {
  const size_t cols = w->cols, rows = w->rows;
  __m256 acc[ROWS][TOKENS];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int t = 0; t < T; t++) acc[r][t] = _mm256_setzero_ps();
  size_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    __m256 wv[ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) wv[r] = load_w(w->data, (r0 + r) * cols + k, dtype);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++) {
      __m256 xv = _mm256_loadu_ps(x + (t0 + t) * cols + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
  if (k < cols) {
    __m256 wv[ROWS];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) wv[r] = load_w_tail(w->data, (r0 + r) * cols + k, dtype, cols - k);
#pragma GCC unroll 4
    for (int t = 0; t < T; t++) {
      __m256 xv = load_x_tail(x + (t0 + t) * cols + k, cols - k);
#pragma GCC unroll 4
      for (int r = 0; r < R; r++) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < T; t++)
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) y[(t0 + t) * rows + r0 + r] = hsum(acc[r][t]);
}

/* y[t0][r0..r0+R) for bf16 weights and one token, 16 columns a step: a
 * 32-byte load of a row holds 16 bf16, and interleaving it with zeros
 * (unpacklo/hi) widens them to f32 in two registers that x, its 128-bit
 * halves regrouped to match, multiplies.  Against micro_kernel's 16-byte
 * widening loads this issues half the loads and a third fewer
 * instructions a byte, which lets decode keep up with the memory when it
 * delivers the most (docs/deepseek.md, "Session 6"). */
INLINE void bf16_one_token(const pio_matrix *w, const float *x, float *y, size_t r0, size_t t0,
                           int R, size_t step) {
  const size_t cols = w->cols;
  const uint16_t *row = (const uint16_t *)w->data + r0 * cols;
  const float *xt = x + t0 * cols;
  const __m256i zero = _mm256_setzero_si256();
  __m256 lo[ROWS], hi[ROWS];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) lo[r] = hi[r] = _mm256_setzero_ps();
  size_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    __m256 a = _mm256_loadu_ps(xt + k), b = _mm256_loadu_ps(xt + k + 8);
    __m256 x_lo = _mm256_permute2f128_ps(a, b, 0x20), x_hi = _mm256_permute2f128_ps(a, b, 0x31);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      __m256i wv = _mm256_loadu_si256((const __m256i *)(row + r * step * cols + k));
      lo[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, wv)), x_lo, lo[r]);
      hi[r] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, wv)), x_hi, hi[r]);
    }
  }
  for (; k < cols; k += 8) {
    size_t left = cols - k;
    __m256 xv = left >= 8 ? _mm256_loadu_ps(xt + k) : load_x_tail(xt + k, left);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      size_t i = r * step * cols + k;
      __m256 wv = left >= 8 ? load_w(row, i, PIO_DTYPE_BF16) : load_w_tail(row, i, PIO_DTYPE_BF16, left);
      lo[r] = _mm256_fmadd_ps(wv, xv, lo[r]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++) y[t0 * w->rows + r0 + r * step] = hsum(_mm256_add_ps(lo[r], hi[r]));
}

typedef void (*block_fn)(const pio_matrix *w, const float *x, float *y, size_t r0, size_t t0);

#define DEFINE_BLOCK(NAME, DTYPE, R, T)                                                      \
  static void NAME##_##R##x##T(const pio_matrix *w, const float *x, float *y, size_t r0,    \
                               size_t t0) {                                                \
    micro_kernel(w, DTYPE, x, y, r0, t0, R, T);                                             \
  }
#define DEFINE_BLOCKS(NAME, DTYPE)                                                           \
  DEFINE_BLOCK(NAME, DTYPE, 4, 1)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 4, 2)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 1)                                                            \
  DEFINE_BLOCK(NAME, DTYPE, 1, 2)                                                            \
  static const block_fn NAME##_blocks[2][TOKENS] = {{NAME##_1x1, NAME##_1x2},                \
                                                    {NAME##_4x1, NAME##_4x2}};

DEFINE_BLOCKS(f32, PIO_DTYPE_F32)
DEFINE_BLOCKS(f16, PIO_DTYPE_F16)

/* bf16: one token through bf16_one_token, two through micro_kernel. */
#define DEFINE_BF16_ONE_TOKEN(R)                                                              \
  static void bf16_##R##x1(const pio_matrix *w, const float *x, float *y, size_t r0,         \
                           size_t t0) {                                                     \
    bf16_one_token(w, x, y, r0, t0, R, 1);                                                  \
  }
DEFINE_BF16_ONE_TOKEN(4)
DEFINE_BF16_ONE_TOKEN(1)
DEFINE_BLOCK(bf16, PIO_DTYPE_BF16, 4, 2)
DEFINE_BLOCK(bf16, PIO_DTYPE_BF16, 1, 2)
static const block_fn bf16_blocks[2][TOKENS] = {{bf16_1x1, bf16_1x2}, {bf16_4x1, bf16_4x2}};

/* One token's rows [begin, end) of bf16 weights, four rows at a time from
 * the four quarters of the range: each quarter is one sequential stream
 * through memory, row after row, whatever the row length. */
static void bf16_one_token_rows(const pio_matrix *w, const float *x, float *y, size_t begin,
                                size_t end) {
  const size_t quarter = (end - begin) / ROWS;
  for (size_t i = 0; i < quarter; i++) bf16_one_token(w, x, y, begin + i, 0, ROWS, quarter);
  for (size_t r = begin + quarter * ROWS; r < end; r++) bf16_one_token(w, x, y, r, 0, 1, 1);
}

/* Rows outer, tokens inner, as in the AVX-512 path; one token of bf16
 * weights by quarters. */
static void avx2_matmul_rows(const pio_matrix *w, const float *x, size_t n, float *y,
                             size_t row_begin, size_t row_end) {
  if (n == 1 && w->dtype == PIO_DTYPE_BF16) {
    bf16_one_token_rows(w, x, y, row_begin, row_end);
    return;
  }
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

static void avx2_softmax(float *x, size_t n) {
  if (n == 0) return;
  float max = x[0];
  size_t i = 0;
  __m256 vmax = _mm256_set1_ps(x[0]);
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  for (; i < n; i++) max = x[i] > max ? x[i] : max;
  float lanes[8];
  _mm256_storeu_ps(lanes, vmax);
  for (int l = 0; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
  __m256 vm = _mm256_set1_ps(max), sum = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    __m256 e = pio_avx2_exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
    sum = _mm256_add_ps(sum, e);
    _mm256_storeu_ps(x + i, e);
  }
  float total = hsum(sum);
  for (; i < n; i++) {
    __m256 e = pio_avx2_exp(_mm256_set1_ps(x[i] - max));
    x[i] = _mm256_cvtss_f32(e);
    total += x[i];
  }
  __m256 inv = _mm256_set1_ps(1.0f / total);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  for (; i < n; i++) x[i] *= _mm256_cvtss_f32(inv);
}

static __m256 silu256(__m256 g) {
  __m256 e = pio_avx2_exp(_mm256_sub_ps(_mm256_setzero_ps(), g));
  return _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

static void avx2_silu_mul(float *gate, const float *up, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu256(_mm256_loadu_ps(gate + i)),
                                             _mm256_loadu_ps(up + i)));
  for (; i < n; i++) gate[i] = _mm256_cvtss_f32(silu256(_mm256_set1_ps(gate[i]))) * up[i];
}

static void avx2_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst) {
  if (dtype == PIO_DTYPE_F32) {
    memmove(dst, src, n * sizeof *dst);
    return;
  }
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_w(src, i, dtype));
  if (i < n) {
    float lanes[8];
    _mm256_storeu_ps(lanes, load_w_tail(src, i, dtype, n - i));
    memcpy(dst + i, lanes, (n - i) * sizeof *dst);
  }
}

const pio_k_path_ops pio_k_avx2_ops = {
    .matmul_rows = avx2_matmul_rows,
    .matmul_rows_tiles = pio_k_scalar_matmul_rows_laid_out,
    .matmul_rows_pairs = pio_k_scalar_matmul_rows_laid_out,
    .softmax = avx2_softmax,
    .silu_mul = avx2_silu_mul,
    .to_f32 = avx2_to_f32,
    .row_block = ROWS,
};
