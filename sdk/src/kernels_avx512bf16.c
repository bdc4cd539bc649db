/* sdk/src/kernels_avx512bf16.c — the AVX-512 BF16 path: bf16 weights
 * multiplied with activations rounded to bf16 once per matmul, 32 products
 * a lane pair per vdpbf16ps, summed in f32.  f32 and f16 weights, and the
 * vector helpers, are the AVX-512 path's.  Compiled with the AVX-512 flags
 * plus -mavx512bf16; only called when the CPU has them. */
#include <immintrin.h>

#include "kernels_internal.h"
#include "simd_avx512.h"

#define INLINE static inline __attribute__((always_inline))
#define ROWS 6   /* rows of w per micro-kernel */
/* Rows of one token at a time, each from its own part of a share: 2
 * streams a core read 95-99 % of a plain read of the same bytes on Zen 5
 * (1 thread), 4 read 87-93 % and 1 (one dependent chain) 87-91 %
 * (docs/kernels.md, session 13).  A build switch for measuring elsewhere. */
#ifndef PIO_ONE_TOKEN_ROWS_BF16
#define PIO_ONE_TOKEN_ROWS_BF16 2
#endif
#define ONE_TOKEN_ROWS PIO_ONE_TOKEN_ROWS_BF16
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
          acc[r], as_bh(_mm512_maskz_loadu_epi16(mask, wd + (r0 + r * step) * cols + k)),
          as_bh(xv));
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

/* Columns rounded up to whole 32-column vectors. */
static size_t packed_cols(size_t cols) { return (cols + 31) / 32 * 32; }

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
static void dot_matmul_rows(const pio_matrix *w, const uint16_t *xb, size_t stride, size_t n,
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

/*
 * The outer-product route, for OUTER_MIN_TOKENS tokens or more (a full
 * prefill chunk of 128): each vdpbf16ps multiplies 16 weight rows' pair of
 * columns (k, k+1) by one token's pair broadcast, so the accumulators are
 * y's own 16-row vectors and no horizontal sum is left at the end (the dot
 * route reduces 24 vectors every panel).  That needs the weights in pairs across rows: each
 * row block's panel is copied into the thread's scratch in that order
 * (wp[pair][rows][2]) and reused by every token of the call, so the copy
 * is 1/n of the products' work.  Micro-kernel: OUTER_V vectors of 16 rows
 * x OUTER_T tokens = 24 accumulators, 3 weight loads and 8 broadcasts per
 * pair of columns.
 */
#define OUTER_MIN_TOKENS 96 /* below it the dot route (slower at 16-48 tokens, even at 64-96) */
#define OUTER_V 3
#define OUTER_T 8
#define OUTER_ROWS (16 * OUTER_V)

/* The scratch of a call: one row block's weight panel. */
static size_t bf16_scratch_bytes(size_t n, size_t cols) {
  if (n < OUTER_MIN_TOKENS) return 0;
  return (size_t)OUTER_ROWS * packed_cols(panel_cols(n, cols)) * sizeof(uint16_t);
}

/* Rows [r0, r0 + 16 * nv) x columns [k0, k1) of w into wp[(k - k0) / 2][16 * nv][2]
 * (pairs up to k1 rounded to 32); rows from row_end on and columns from
 * cols on are zeros, as the packed x is past cols. */
static void pack_weight_panel(const pio_matrix *w, size_t r0, size_t row_end, int nv, size_t k0,
                              size_t k1, uint16_t *wp) {
  const size_t cols = w->cols;
  const uint16_t *wd = w->data;
  for (size_t k = k0; k < k1; k += 32) {
    __mmask32 m = k1 - k >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (k1 - k)) - 1u);
    for (int v = 0; v < nv; v++) {
      __m512i a[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; i++) {
        size_t r = r0 + 16 * (size_t)v + (size_t)i;
        a[i] = r < row_end ? _mm512_maskz_loadu_epi16(m, wd + r * cols + k)
                           : _mm512_setzero_si512();
      }
      pio_avx512_transpose16(a);
      uint16_t *dst = wp + ((k - k0) / 2 * (size_t)nv + (size_t)v) * 32;
#pragma GCC unroll 16
      for (int q = 0; q < 16; q++) _mm512_store_si512(dst + (size_t)q * nv * 32, a[q]);
    }
  }
}

/* Weights to bring into cache while a micro-kernel runs: rows lines of
 * len bytes, stride bytes apart, from at (the next row block's panel). */
typedef struct prefetch_walk {
  const char *at;
  size_t off, len, stride, rows;
} prefetch_walk;

/* One 64-byte line of the walk into cache, or nothing when it is done.  asm
 * rather than _mm_prefetch: GCC deletes a prefetch whose loop does nothing
 * else (docs/kernels.md, session 8). */
INLINE void prefetch_step(prefetch_walk *pw) {
  if (pw->rows == 0) return;
  __asm__ volatile("prefetcht1 %0" : : "m"(*(const char *)(pw->at + pw->off)));
  pw->off += 64;
  if (pw->off >= pw->len) {
    pw->off = 0;
    pw->at += pw->stride;
    pw->rows--;
  }
}

/* y[t0..t0+T)[r0 .. r0 + 16 * V) (rows from row_end on not written) over the
 * pairs of wp, stored (first) or added to y: pair p of the 16 rows of
 * vector v at wp + p * pstride + v * vstep (a panel copied into scratch:
 * V * 32 and 32; weights in PIO_LAYOUT_PAIRS: 32 and 16 * cols, each
 * vector its own stream).  x32: x's 32-bit column pairs, token rows s32
 * apart, at the panel's first pair.  One line of pw every 4 pairs. */
INLINE void outer_kernel(const uint16_t *wp, size_t pstride, size_t vstep, const uint32_t *x32,
                         size_t s32, size_t pairs, float *y, size_t rows, size_t r0,
                         size_t row_end, size_t t0, int first, prefetch_walk *pw, int V, int T) {
  __m512 acc[OUTER_V][OUTER_T];
#pragma GCC unroll 8
  for (int v = 0; v < V; v++)
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) acc[v][t] = _mm512_setzero_ps();
  const uint32_t *xt = x32 + t0 * s32;
  for (size_t p = 0; p < pairs; p++) {
    if ((p & 3) == 0) prefetch_step(pw);
    __m512i wv[OUTER_V];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) wv[v] = _mm512_loadu_si512(wp + p * pstride + (size_t)v * vstep);
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) {
      __m512i xv = _mm512_set1_epi32((int)xt[(size_t)t * s32 + p]);
#pragma GCC unroll 8
      for (int v = 0; v < V; v++) acc[v][t] = _mm512_dpbf16_ps(acc[v][t], as_bh(wv[v]), as_bh(xv));
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; v++) {
    size_t r = r0 + 16 * (size_t)v;
    size_t left = row_end > r ? row_end - r : 0;
    __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
#pragma GCC unroll 8
    for (int t = 0; t < T; t++) {
      float *out = y + (t0 + (size_t)t) * rows + r;
      __m512 o = first ? acc[v][t] : _mm512_add_ps(_mm512_maskz_loadu_ps(m, out), acc[v][t]);
      _mm512_mask_storeu_ps(out, m, o);
    }
  }
}

typedef void (*outer_fn)(const uint16_t *wp, size_t pstride, size_t vstep, const uint32_t *x32,
                         size_t s32, size_t pairs, float *y, size_t rows, size_t r0,
                         size_t row_end, size_t t0, int first, prefetch_walk *pw);

#define DEFINE_OUTER(V, T)                                                                    \
  static void outer_##V##x##T(const uint16_t *wp, size_t pstride, size_t vstep,           \
                              const uint32_t *x32, size_t s32, size_t pairs, float *y,        \
                              size_t rows, size_t r0, size_t row_end, size_t t0, int first,   \
                              prefetch_walk *pw) {                                            \
    outer_kernel(wp, pstride, vstep, x32, s32, pairs, y, rows, r0, row_end, t0, first, pw, V, \
                 T);                                                                          \
  }
PIO_AVX512_OUTER_KERNELS(DEFINE_OUTER)
static const outer_fn outers[OUTER_V][OUTER_T] = PIO_AVX512_OUTER_TABLE(outer);

/* Panels of columns outermost (as the dot route), then row blocks, each
 * block's weight panel copied once, then tokens.  The copy reads the
 * weights from memory, 16 rows at a time: without help it waits on every
 * line (it took a third of the time on Zen 5), so the micro-kernels of a
 * block bring the next block's lines into cache as they go, 1/groups of
 * them each. */
static void outer_matmul_rows(const pio_matrix *w, const uint16_t *xb, size_t stride, size_t n,
                              float *y, size_t row_begin, size_t row_end, uint16_t *wp) {
  const size_t cols = w->cols, kc = panel_cols(n, cols), groups = (n + OUTER_T - 1) / OUTER_T;
  const size_t row_bytes = cols * sizeof(uint16_t);
  const uint32_t *x32 = (const uint32_t *)(const void *)xb;
  for (size_t k0 = 0; k0 < cols; k0 += kc) {
    size_t k1 = k0 + kc < cols ? k0 + kc : cols;
    size_t pairs = packed_cols(k1 - k0) / 2;
    for (size_t r = row_begin; r < row_end; r += OUTER_ROWS) {
      size_t left = row_end - r;
      int nv = left >= OUTER_ROWS ? OUTER_V : (int)((left + 15) / 16);
      pack_weight_panel(w, r, row_end, nv, k0, k1, wp);
      /* the next block: later rows of this panel, else the next panel's first */
      size_t nr = r + OUTER_ROWS, nk0 = k0;
      if (nr >= row_end) nr = row_begin, nk0 = k0 + kc;
      size_t nk1 = nk0 + kc < cols ? nk0 + kc : cols;
      size_t n_rows = nk0 < cols ? (row_end - nr < OUTER_ROWS ? row_end - nr : OUTER_ROWS) : 0;
      size_t per_group = (n_rows + groups - 1) / groups;
      const char *next = n_rows > 0 ? (const char *)w->data + nr * row_bytes +
                                          nk0 * sizeof(uint16_t)
                                    : NULL;
      for (size_t t = 0, g = 0; t < n; t += OUTER_T, g++) {
        size_t tn = n - t < OUTER_T ? n - t : OUTER_T;
        size_t g0 = g * per_group < n_rows ? g * per_group : n_rows;
        size_t g1 = g0 + per_group < n_rows ? g0 + per_group : n_rows;
        prefetch_walk pw = {.at = next != NULL ? next + g0 * row_bytes : NULL,
                            .len = (nk1 - nk0) * sizeof(uint16_t),
                            .stride = row_bytes,
                            .rows = g1 - g0};
        outers[nv - 1][tn - 1](wp, 32 * (size_t)nv, 32, x32 + k0 / 2, stride / 2, pairs, y,
                               w->rows, r, row_end, t, k0 == 0, &pw);
      }
    }
  }
}

/* The outer-product route over weights in pair order (PIO_LAYOUT_PAIRS),
 * for every token count, one included: the micro-kernels read each 16
 * rows' pairs straight from the weights, one sequential stream a vector,
 * with no copy and nothing to prefetch.  Loops as outer_matmul_rows. */
static void pairs_matmul_rows(const pio_matrix *w, const uint16_t *xb, size_t stride, size_t n,
                              float *y, size_t row_begin, size_t row_end) {
  const size_t cols = w->cols, kc = panel_cols(n, cols);
  const uint32_t *x32 = (const uint32_t *)(const void *)xb;
  prefetch_walk nothing = {0};
  for (size_t k0 = 0; k0 < cols; k0 += kc) {
    const size_t k1 = k0 + kc < cols ? k0 + kc : cols, pairs = (k1 - k0) / 2;
    for (size_t r = row_begin; r < row_end; r += OUTER_ROWS) {
      const size_t left = row_end - r;
      const int nv = left >= OUTER_ROWS ? OUTER_V : (int)(left / 16);
      const uint16_t *wp = (const uint16_t *)w->data + r * cols + k0 * 16;
      for (size_t t = 0; t < n; t += OUTER_T) {
        const size_t tn = n - t < OUTER_T ? n - t : OUTER_T;
        outers[nv - 1][tn - 1](wp, 32, 16 * cols, x32 + k0 / 2, stride / 2, pairs, y, w->rows, r,
                               row_end, t, k0 == 0, &nothing);
      }
    }
  }
}

/* The packed activations of this path: x rounded to bf16 (to nearest
 * even, as vcvtneps2bf16 does), rows padded with zeros to a multiple of 32
 * (packed_cols) so the dot-product loop reads whole vectors. */

static size_t bf16_packed_bytes(size_t n, size_t cols) {
  return n * packed_cols(cols) * sizeof(uint16_t);
}

static size_t bf16_pack_units(size_t n, size_t cols) {
  (void)cols;
  return n;
}

/* Tokens [t_begin, t_end) of x (rows x_stride apart) into packed[n][stride]. */
static void bf16_pack(const float *x, size_t x_stride, size_t n, size_t cols,
                      pio_matrix_layout layout, void *packed, size_t t_begin, size_t t_end) {
  (void)n;
  (void)layout; /* both routes read the rows as they are */
  const size_t stride = packed_cols(cols);
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

/* One token over weights in pair order: the share's panels of 16 rows in
 * ONE_TOKEN_ROWS equal parts, a panel of each part at a time, so each part
 * is one sequential stream (as bf16_one_token_rows reads rows); each
 * panel's 16 sums accumulate over its pairs in turn, as the outer-product
 * kernel sums them, so a token's result does not depend on its call's
 * token count (up to the panels of columns of a long prompt). */
static void pairs_one_token_rows(const pio_matrix *w, const uint16_t *xb, float *y, size_t begin,
                                 size_t end) {
  const size_t pairs = w->cols / 2, panel = 16 * (size_t)w->cols;
  const size_t panels = (end - begin) / 16, part = (panels + ONE_TOKEN_ROWS - 1) / ONE_TOKEN_ROWS;
  const uint32_t *x32 = (const uint32_t *)(const void *)xb;
  const uint16_t *first = (const uint16_t *)w->data + begin * w->cols;
  for (size_t i = 0; i < part; i++) {
    __m512 acc[ONE_TOKEN_ROWS];
    const uint16_t *at[ONE_TOKEN_ROWS];
    int live = 0; /* the parts that still have a panel i */
#pragma GCC unroll 4
    for (int j = 0; j < ONE_TOKEN_ROWS; j++) {
      acc[j] = _mm512_setzero_ps();
      at[j] = first + ((size_t)j * part + i) * panel;
      live += (size_t)j * part + i < panels;
    }
    for (size_t p = 0; p < pairs; p++) {
      const __m512bh xv = as_bh(_mm512_set1_epi32((int)x32[p]));
#pragma GCC unroll 4
      for (int j = 0; j < ONE_TOKEN_ROWS; j++)
        if (j < live)
          acc[j] = _mm512_dpbf16_ps(acc[j], as_bh(_mm512_loadu_si512(at[j] + 32 * p)), xv);
    }
    for (int j = 0; j < live; j++)
      _mm512_storeu_ps(y + begin + ((size_t)j * part + i) * 16, acc[j]);
  }
}

static void bf16_matmul_rows_packed(const pio_matrix *w, const void *packed, size_t n, float *y,
                                    size_t row_begin, size_t row_end, void *scratch) {
  if (w->layout == PIO_LAYOUT_PAIRS && n == 1)
    pairs_one_token_rows(w, packed, y, row_begin, row_end);
  else if (w->layout == PIO_LAYOUT_PAIRS)
    pairs_matmul_rows(w, packed, packed_cols(w->cols), n, y, row_begin, row_end);
  else if (scratch != NULL && n >= OUTER_MIN_TOKENS)
    outer_matmul_rows(w, packed, packed_cols(w->cols), n, y, row_begin, row_end, scratch);
  else
    dot_matmul_rows(w, packed, packed_cols(w->cols), n, y, row_begin, row_end);
}

const pio_k_path_ops pio_k_avx512bf16_ops = {
    .matmul_rows = pio_k_avx512_matmul_rows,
    .matmul_rows_tiles = pio_k_avx512_matmul_rows_tiles,
    .matmul_rows_pairs = pio_k_avx512_matmul_rows_pairs,
    .row_block = 12, /* whole blocks of the avx512 path (6 rows), as packed ones */
    .packed_bytes = bf16_packed_bytes,
    .pack_units = bf16_pack_units,
    .pack = bf16_pack,
    .matmul_rows_packed = bf16_matmul_rows_packed,
    .packed_layouts = 1u << PIO_LAYOUT_ROWS | 1u << PIO_LAYOUT_PAIRS,
    .packed_row_block = OUTER_ROWS, /* whole blocks of both routes (6 and 48 rows) */
    .scratch_bytes = bf16_scratch_bytes,
    .softmax = pio_k_avx512_softmax,
    .silu_mul = pio_k_avx512_silu_mul,
    .to_f32 = pio_k_avx512_to_f32,
};
