/* sdk/src/attention_avx512.c — the tiled attention's inner kernels with
 * AVX-512.  Scores, for whole groups of 16 rows: 16 lanes along the rows,
 * the queries transposed once per tile, each key element broadcast against
 * them (no reduction); for the rest (decode's few rows): blocks of 4 rows x
 * 4 keys along the head dimension, the 16 sums reduced by one shuffle
 * tree.  Softmax: 16 rows a vector, or for up to 8 rows 16 / 8 or 16 / 4
 * keys a vector.  Values: blocks of 4 rows x 64 output
 * columns, each probability broadcast against a value row. */
#include <immintrin.h>
#include <math.h>

#include "attention_internal.h"
#include "simd_avx512.h"

#define INLINE static inline __attribute__((always_inline))
/* The register blocks below are arrays indexed by constant loops; they
 * must be unrolled to stay in registers (-O2 would keep them on the stack). */
#define UNROLL _Pragma("GCC unroll 16")

/* packed[g][i][16] = q[16 g + lane][i]: each group of 16 rows transposed,
 * one head dimension per vector. */
static void avx512_pack_queries(const float *q, size_t q_stride, uint32_t rows, uint32_t dim,
                                float *packed) {
  for (uint32_t g = 0; g < rows / 16; g++) {
    float *dst = packed + (size_t)g * 16 * q_stride;
    const float *src = q + (size_t)g * 16 * q_stride;
    for (uint32_t i = 0; i < dim; i++)
      for (uint32_t lane = 0; lane < 16; lane++) dst[i * 16 + lane] = src[lane * q_stride + i];
  }
}

/* s[j][16 g + lane] for G (1 or 2) groups of 16 rows and NK keys, from the
 * packed queries (groups group_stride floats apart). */
INLINE void scores_rows(const float *packed, size_t group_stride, int G, const float *k,
                        size_t k_stride, int NK, uint32_t dim, float *s, size_t s_stride) {
  __m512 acc[2][16];
  UNROLL
  for (int g = 0; g < G; g++)
    UNROLL
    for (int j = 0; j < NK; j++) acc[g][j] = _mm512_setzero_ps();
  for (uint32_t i = 0; i < dim; i++) {
    __m512 qv[2];
    UNROLL
    for (int g = 0; g < G; g++) qv[g] = _mm512_load_ps(packed + g * group_stride + i * 16);
    UNROLL
    for (int j = 0; j < NK; j++) {
      const __m512 kv = _mm512_set1_ps(k[j * k_stride + i]);
      UNROLL
      for (int g = 0; g < G; g++) acc[g][j] = _mm512_fmadd_ps(qv[g], kv, acc[g][j]);
    }
  }
  UNROLL
  for (int j = 0; j < NK; j++)
    UNROLL
    for (int g = 0; g < G; g++) _mm512_store_ps(s + j * s_stride + 16 * g, acc[g][j]);
}

/* lane 4i + m of the result = the sum of the 16 lanes of a[4i + m]. */
INLINE __m512 reduce16(const __m512 a[16]) {
  __m512 b[8], c[4];
  UNROLL
  for (int i = 0; i < 8; i++)
    b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]),
                         _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  UNROLL
  for (int i = 0; i < 4; i++)
    c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  /* c[i]'s 128-bit chunk k holds chunk k's sums of a[4i .. 4i + 3]. */
  const __m512 e01 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_f32x4(c[0], c[1], _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 e23 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_f32x4(c[2], c[3], _MM_SHUFFLE(3, 2, 3, 2)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(e01, e23, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(e01, e23, _MM_SHUFFLE(3, 1, 3, 1)));
}

/* s[j .. j + 4)[r .. r + 4) from 4 rows of q (aligned, zero-padded) and 4
 * keys, along the head dimension. */
INLINE void scores_4x4(const float *q, size_t q_stride, const float *k, size_t k_stride,
                       uint32_t dim, float *s, size_t s_stride) {
  __m512 acc[16];
  UNROLL
  for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
  for (uint32_t c = 0; c < dim; c += 16) {
    const __mmask16 m = pio_avx512_tail_mask(dim - c);
    __m512 kv[4], qv[4];
    UNROLL
    for (int j = 0; j < 4; j++) kv[j] = _mm512_maskz_loadu_ps(m, k + j * k_stride + c);
    UNROLL
    for (int r = 0; r < 4; r++) qv[r] = _mm512_load_ps(q + r * q_stride + c);
    UNROLL
    for (int j = 0; j < 4; j++)
      UNROLL
      for (int r = 0; r < 4; r++) acc[j * 4 + r] = _mm512_fmadd_ps(qv[r], kv[j], acc[j * 4 + r]);
  }
  /* Chunk j of the sums: key j's logits for the 4 rows. */
  const __m512 out = reduce16(acc);
  _mm_storeu_ps(s + 0 * s_stride, _mm512_extractf32x4_ps(out, 0));
  _mm_storeu_ps(s + 1 * s_stride, _mm512_extractf32x4_ps(out, 1));
  _mm_storeu_ps(s + 2 * s_stride, _mm512_extractf32x4_ps(out, 2));
  _mm_storeu_ps(s + 3 * s_stride, _mm512_extractf32x4_ps(out, 3));
}

/* s[0][r .. r + 4) for 4 rows and one key. */
INLINE void scores_4x1(const float *q, size_t q_stride, const float *k, uint32_t dim, float *s) {
  __m512 acc[4];
  UNROLL
  for (int r = 0; r < 4; r++) acc[r] = _mm512_setzero_ps();
  for (uint32_t c = 0; c < dim; c += 16) {
    const __m512 kv = _mm512_maskz_loadu_ps(pio_avx512_tail_mask(dim - c), k + c);
    UNROLL
    for (int r = 0; r < 4; r++)
      acc[r] = _mm512_fmadd_ps(_mm512_load_ps(q + r * q_stride + c), kv, acc[r]);
  }
  UNROLL
  for (int r = 0; r < 4; r++) s[r] = _mm512_reduce_add_ps(acc[r]);
}

/* Rows [r_begin, r_end) (rounded up to 4) x keys [j_begin, j_end) along the
 * head dimension. */
static void scores_by_dim(const float *q, size_t q_stride, uint32_t r_begin, uint32_t r_end,
                          const float *k, size_t k_stride, uint32_t j_begin, uint32_t j_end,
                          uint32_t dim, float *s, size_t s_stride) {
  for (uint32_t r = r_begin; r < r_end; r += 4) {
    const float *qr = q + r * q_stride;
    uint32_t j = j_begin;
    for (; j + 4 <= j_end; j += 4)
      scores_4x4(qr, q_stride, k + j * k_stride, k_stride, dim, s + j * s_stride + r, s_stride);
    for (; j < j_end; j++) scores_4x1(qr, q_stride, k + j * k_stride, dim, s + j * s_stride + r);
  }
}

static void avx512_scores(const float *q, size_t q_stride, const float *packed, uint32_t rows,
                          const float *k, size_t k_stride, uint32_t n_keys, uint32_t dim,
                          float *s, size_t s_stride) {
  const size_t group = 16 * q_stride; /* floats between packed groups */
  const uint32_t groups = rows / 16;
  uint32_t r = 0;
  for (; r + 32 <= groups * 16; r += 32) { /* two groups x 8 keys */
    uint32_t j = 0;
    for (; j + 8 <= n_keys; j += 8)
      scores_rows(packed + (r / 16) * group, group, 2, k + j * k_stride, k_stride, 8, dim,
                  s + j * s_stride + r, s_stride);
    scores_by_dim(q, q_stride, r, r + 32, k, k_stride, j, n_keys, dim, s, s_stride);
  }
  if (r < groups * 16) { /* one group x 16 keys, then 8 */
    uint32_t j = 0;
    for (; j + 16 <= n_keys; j += 16)
      scores_rows(packed + (r / 16) * group, group, 1, k + j * k_stride, k_stride, 16, dim,
                  s + j * s_stride + r, s_stride);
    for (; j + 8 <= n_keys; j += 8)
      scores_rows(packed + (r / 16) * group, group, 1, k + j * k_stride, k_stride, 8, dim,
                  s + j * s_stride + r, s_stride);
    scores_by_dim(q, q_stride, r, r + 16, k, k_stride, j, n_keys, dim, s, s_stride);
    r += 16;
  }
  if (r < rows) scores_by_dim(q, q_stride, r, rows, k, k_stride, 0, n_keys, dim, s, s_stride);
}

/* Lane l of the result: op over the lanes of v congruent to l mod period
 * (4 or 8), i.e. over the keys a vector of period-row keys holds. */
INLINE __m512 fold_max(__m512 v, size_t period) {
  v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  if (period == 4) v = _mm512_max_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return v;
}

INLINE __m512 fold_add(__m512 v, size_t period) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  if (period == 4) v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return v;
}

/* The softmax step for a tile of at most 8 rows, keys s_stride (4 or 8)
 * floats apart: the block is one flat run of n_keys x s_stride floats, 16 /
 * s_stride keys a vector, lane l holding row l mod s_stride. */
static void softmax_few_rows(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys,
                             float *m, float *l, float *alpha) {
  const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
  __mmask16 row_lanes = 0;
  float pattern[16];
  for (int lane = 0; lane < 16; lane++) {
    const uint32_t r = (uint32_t)lane % (uint32_t)s_stride;
    if (r < rows) row_lanes |= (__mmask16)(1u << lane);
    pattern[lane] = r < rows ? m[r] : -INFINITY;
  }
  const size_t n = (size_t)n_keys * s_stride;
  __m512 max = _mm512_loadu_ps(pattern);
  for (size_t i = 0; i < n; i += 16)
    max = _mm512_max_ps(
        max, _mm512_mask_loadu_ps(minus_inf, row_lanes & pio_avx512_tail_mask(n - i), s + i));
  max = fold_max(max, s_stride);
  /* Rows that see nothing yet keep zeros (and no NaN from -inf - -inf). */
  const __mmask16 seen = row_lanes & _mm512_cmp_ps_mask(max, minus_inf, _CMP_NEQ_OQ);
  __m512 sum = _mm512_setzero_ps();
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 lanes = row_lanes & pio_avx512_tail_mask(n - i);
    const __m512 e = pio_avx512_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, s + i), max));
    const __m512 kept = _mm512_maskz_mov_ps(seen & lanes, e);
    sum = _mm512_add_ps(sum, kept);
    _mm512_mask_storeu_ps(s + i, lanes, kept);
  }
  float row_max[16], row_sum[16];
  _mm512_storeu_ps(row_max, max);
  _mm512_storeu_ps(row_sum, fold_add(sum, s_stride));
  for (uint32_t r = 0; r < rows; r++) {
    if (row_max[r] == -INFINITY) {
      alpha[r] = 1.0f;
      continue;
    }
    alpha[r] = expf(m[r] - row_max[r]);
    l[r] = l[r] * alpha[r] + row_sum[r];
    m[r] = row_max[r];
  }
}

static void avx512_softmax(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m,
                           float *l, float *alpha) {
  if (s_stride < 16) {
    softmax_few_rows(s, s_stride, rows, n_keys, m, l, alpha);
    return;
  }
  const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
  for (uint32_t r = 0; r < rows; r += 16) {
    const __mmask16 lanes = pio_avx512_tail_mask(rows - r);
    const __m512 m_old = _mm512_mask_loadu_ps(minus_inf, lanes, m + r);
    __m512 max = m_old;
    for (uint32_t j = 0; j < n_keys; j++)
      max = _mm512_max_ps(max, _mm512_mask_loadu_ps(minus_inf, lanes, s + j * s_stride + r));
    /* Rows that see nothing yet keep zeros and alpha 1 (and no NaN from
     * -inf - -inf). */
    const __mmask16 seen = _mm512_mask_cmp_ps_mask(lanes, max, minus_inf, _CMP_NEQ_OQ);
    __m512 sum = _mm512_setzero_ps();
    for (uint32_t j = 0; j < n_keys; j++) {
      float *p = s + j * s_stride + r;
      const __m512 e = pio_avx512_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, p), max));
      const __m512 kept = _mm512_maskz_mov_ps(seen, e);
      sum = _mm512_add_ps(sum, kept);
      _mm512_mask_storeu_ps(p, lanes, kept);
    }
    const __m512 a = _mm512_mask_blend_ps(seen, _mm512_set1_ps(1.0f),
                                          pio_avx512_exp(_mm512_sub_ps(m_old, max)));
    const __m512 l_new = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, l + r), a, sum);
    _mm512_mask_storeu_ps(alpha + r, lanes, a);
    _mm512_mask_storeu_ps(l + r, lanes, l_new);
    _mm512_mask_storeu_ps(m + r, lanes, max);
  }
}

/* o[r][c .. c + 16 nv) for 4 rows: nv (1 to 4, a constant where inlined)
 * column vectors, the last one masked by tail; p key-major. */
INLINE void accumulate_4rows(const float *p, size_t p_stride, const float *v, size_t v_stride,
                             uint32_t n_keys, const float *alpha, float *o, size_t o_stride,
                             int nv, __mmask16 tail) {
  __m512 acc[4][4];
  UNROLL
  for (int r = 0; r < 4; r++) {
    const __m512 a = _mm512_set1_ps(alpha[r]);
    UNROLL
    for (int c = 0; c < nv; c++)
      acc[r][c] = _mm512_mul_ps(_mm512_load_ps(o + r * o_stride + 16 * c), a);
  }
  for (uint32_t j = 0; j < n_keys; j++) {
    __m512 vv[4];
    UNROLL
    for (int c = 0; c < nv; c++)
      vv[c] = _mm512_maskz_loadu_ps(c == nv - 1 ? tail : (__mmask16)0xffff,
                                    v + j * v_stride + 16 * c);
    UNROLL
    for (int r = 0; r < 4; r++) {
      const __m512 w = _mm512_set1_ps(p[j * p_stride + r]);
      UNROLL
      for (int c = 0; c < nv; c++) acc[r][c] = _mm512_fmadd_ps(w, vv[c], acc[r][c]);
    }
  }
  UNROLL
  for (int r = 0; r < 4; r++)
    UNROLL
    for (int c = 0; c < nv; c++) _mm512_store_ps(o + r * o_stride + 16 * c, acc[r][c]);
}

static void avx512_accumulate(const float *p, size_t p_stride, uint32_t rows, const float *v,
                              size_t v_stride, uint32_t n_keys, uint32_t dim,
                              const float *alpha, float *o, size_t o_stride) {
  for (uint32_t r = 0; r < rows; r += 4) {
    for (uint32_t c = 0; c < dim; c += 64) {
      const uint32_t left = dim - c;
      const int nv = left >= 64 ? 4 : (int)((left + 15) / 16);
      const __mmask16 tail = pio_avx512_tail_mask(left - 16 * (uint32_t)(nv - 1));
      const float *pr = p + r;
      float *orow = o + r * o_stride + c;
      switch (nv) {
        case 4:
          accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 4,
                           tail);
          break;
        case 3:
          accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 3,
                           tail);
          break;
        case 2:
          accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 2,
                           tail);
          break;
        default:
          accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 1,
                           tail);
          break;
      }
    }
  }
}

const pio_attn_ops pio_attn_avx512_ops = {
    .pack_queries = avx512_pack_queries,
    .scores = avx512_scores,
    .softmax = avx512_softmax,
    .accumulate = avx512_accumulate,
};
