/* sdk/src/attention_avx2.c — the tiled attention's inner kernels with AVX2
 * and FMA, for CPUs without AVX-512: the AVX-512 kernels' blocking on 8
 * lanes.  Scores: blocks of 4 query rows x 2 keys along the head dimension,
 * the 8 sums reduced together.  Softmax: 8 rows a vector, or for up to 4
 * rows 2 keys a vector.  Values: blocks of
 * 4 rows x 16 output columns. */
#include <immintrin.h>
#include <math.h>

#include "attention_internal.h"
#include "simd_avx2.h"

#define INLINE static inline __attribute__((always_inline))
/* Register blocks are arrays under constant loops: unrolled, they stay in
 * registers. */
#define UNROLL _Pragma("GCC unroll 8")

/* lane m of the result = the sum of the 8 lanes of a[m]. */
INLINE __m256 reduce8(const __m256 a[8]) {
  const __m256 c0 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 c1 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(c0, c1, 0x20), _mm256_permute2f128_ps(c0, c1, 0x31));
}

/* s[j .. j + nk)[r .. r + 4) for 4 rows of q (zero-padded) and nk (1 or
 * 2) keys, along the head dimension. */
INLINE void scores_4x2(const float *q, size_t q_stride, const float *k, size_t k_stride,
                       int nk, uint32_t dim, float *s, size_t s_stride) {
  __m256 acc[8];
  UNROLL
  for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
  for (uint32_t c = 0; c < dim; c += 8) {
    const __m256i m = pio_avx2_tail_mask(dim - c);
    __m256 kv[2];
    UNROLL
    for (int j = 0; j < 2; j++)
      kv[j] = j < nk ? _mm256_maskload_ps(k + j * k_stride + c, m) : _mm256_setzero_ps();
    UNROLL
    for (int r = 0; r < 4; r++) {
      const __m256 qv = _mm256_loadu_ps(q + r * q_stride + c);
      UNROLL
      for (int j = 0; j < 2; j++) acc[j * 4 + r] = _mm256_fmadd_ps(qv, kv[j], acc[j * 4 + r]);
    }
  }
  /* Half j of the sums: key j's logits for the 4 rows. */
  const __m256 out = reduce8(acc);
  _mm_storeu_ps(s, _mm256_castps256_ps128(out));
  if (nk == 2) _mm_storeu_ps(s + s_stride, _mm256_extractf128_ps(out, 1));
}

static void avx2_scores(const float *q, size_t q_stride, const float *packed, uint32_t rows,
                        const float *k, size_t k_stride, uint32_t n_keys, uint32_t dim, float *s,
                        size_t s_stride) {
  (void)packed;
  for (uint32_t r = 0; r < rows; r += 4) {
    const float *qr = q + r * q_stride;
    uint32_t j = 0;
    for (; j + 2 <= n_keys; j += 2)
      scores_4x2(qr, q_stride, k + j * k_stride, k_stride, 2, dim, s + j * s_stride + r,
                 s_stride);
    if (j < n_keys)
      scores_4x2(qr, q_stride, k + j * k_stride, k_stride, 1, dim, s + j * s_stride + r,
                 s_stride);
  }
}

/* The softmax step for a tile of at most 4 rows, keys 4 floats apart: the
 * block is one flat run of n_keys x 4 floats, 2 keys a vector, lane l
 * holding row l mod 4. */
static void softmax_few_rows(float *s, uint32_t rows, uint32_t n_keys, float *m, float *l,
                             float *alpha) {
  const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
  int32_t row_bits[8];
  float pattern[8];
  for (int lane = 0; lane < 8; lane++) {
    row_bits[lane] = (uint32_t)(lane % 4) < rows ? -1 : 0;
    pattern[lane] = (uint32_t)(lane % 4) < rows ? m[lane % 4] : -INFINITY;
  }
  const __m256i row_lanes = _mm256_loadu_si256((const __m256i *)row_bits);
  const size_t n = (size_t)n_keys * 4;
  __m256 max = _mm256_loadu_ps(pattern);
  for (size_t i = 0; i < n; i += 8) {
    const __m256i lanes = _mm256_and_si256(row_lanes, pio_avx2_tail_mask(n - i));
    max = _mm256_max_ps(max, _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(s + i, lanes),
                                              _mm256_castsi256_ps(lanes)));
  }
  max = _mm256_max_ps(max, _mm256_permute2f128_ps(max, max, 1));
  const __m256 seen = _mm256_cmp_ps(max, minus_inf, _CMP_NEQ_OQ);
  __m256 sum = _mm256_setzero_ps();
  for (size_t i = 0; i < n; i += 8) {
    const __m256i lanes = _mm256_and_si256(row_lanes, pio_avx2_tail_mask(n - i));
    const __m256 x = _mm256_maskload_ps(s + i, lanes);
    /* The exp clamps its input: -inf logits, unseen rows and lanes past the
     * block zeroed by mask. */
    const __m256 keep = _mm256_and_ps(seen, _mm256_castsi256_ps(lanes));
    const __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(x, minus_inf, _CMP_EQ_OQ),
                                      _mm256_and_ps(keep, pio_avx2_exp(_mm256_sub_ps(x, max))));
    sum = _mm256_add_ps(sum, e);
    _mm256_maskstore_ps(s + i, lanes, e);
  }
  sum = _mm256_add_ps(sum, _mm256_permute2f128_ps(sum, sum, 1));
  float row_max[8], row_sum[8];
  _mm256_storeu_ps(row_max, max);
  _mm256_storeu_ps(row_sum, sum);
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

static void avx2_softmax(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m,
                         float *l, float *alpha) {
  if (s_stride == 4) {
    softmax_few_rows(s, rows, n_keys, m, l, alpha);
    return;
  }
  const __m256 minus_inf = _mm256_set1_ps(-INFINITY), one = _mm256_set1_ps(1.0f);
  for (uint32_t r = 0; r < rows; r += 8) {
    const __m256i lanes = pio_avx2_tail_mask(rows - r);
    const __m256 in = _mm256_castsi256_ps(lanes);
    const __m256 m_old = _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(m + r, lanes), in);
    __m256 max = m_old;
    for (uint32_t j = 0; j < n_keys; j++)
      max = _mm256_max_ps(
          max, _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(s + j * s_stride + r, lanes), in));
    /* Rows that see nothing yet keep zeros and alpha 1; the exp clamps its
     * input, so -inf logits are zeroed by mask. */
    const __m256 seen = _mm256_and_ps(in, _mm256_cmp_ps(max, minus_inf, _CMP_NEQ_OQ));
    __m256 sum = _mm256_setzero_ps();
    for (uint32_t j = 0; j < n_keys; j++) {
      float *p = s + j * s_stride + r;
      const __m256 x = _mm256_maskload_ps(p, lanes);
      const __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(x, minus_inf, _CMP_EQ_OQ),
                                        _mm256_and_ps(seen, pio_avx2_exp(_mm256_sub_ps(x, max))));
      sum = _mm256_add_ps(sum, e);
      _mm256_maskstore_ps(p, lanes, e);
    }
    const __m256 fresh = _mm256_cmp_ps(m_old, minus_inf, _CMP_EQ_OQ); /* nothing before */
    const __m256 a = _mm256_blendv_ps(
        one, _mm256_andnot_ps(fresh, pio_avx2_exp(_mm256_sub_ps(m_old, max))), seen);
    const __m256 l_new = _mm256_fmadd_ps(_mm256_maskload_ps(l + r, lanes), a, sum);
    _mm256_maskstore_ps(alpha + r, lanes, a);
    _mm256_maskstore_ps(l + r, lanes, l_new);
    _mm256_maskstore_ps(m + r, lanes, max);
  }
}

/* o[r][c .. c + 8 nv) for 4 rows, nv (1 or 2) column vectors, the last
 * masked by tail. */
INLINE void accumulate_4rows(const float *p, size_t p_stride, const float *v, size_t v_stride,
                             uint32_t n_keys, const float *alpha, float *o, size_t o_stride,
                             int nv, __m256i tail) {
  const __m256i all = _mm256_set1_epi32(-1);
  __m256 acc[4][2];
  UNROLL
  for (int r = 0; r < 4; r++) {
    const __m256 a = _mm256_set1_ps(alpha[r]);
    UNROLL
    for (int c = 0; c < nv; c++)
      acc[r][c] = _mm256_mul_ps(_mm256_loadu_ps(o + r * o_stride + 8 * c), a);
  }
  for (uint32_t j = 0; j < n_keys; j++) {
    __m256 vv[2];
    UNROLL
    for (int c = 0; c < nv; c++)
      vv[c] = _mm256_maskload_ps(v + j * v_stride + 8 * c, c == nv - 1 ? tail : all);
    UNROLL
    for (int r = 0; r < 4; r++) {
      const __m256 w = _mm256_broadcast_ss(p + j * p_stride + r);
      UNROLL
      for (int c = 0; c < nv; c++) acc[r][c] = _mm256_fmadd_ps(w, vv[c], acc[r][c]);
    }
  }
  UNROLL
  for (int r = 0; r < 4; r++)
    UNROLL
    for (int c = 0; c < nv; c++) _mm256_storeu_ps(o + r * o_stride + 8 * c, acc[r][c]);
}

static void avx2_accumulate(const float *p, size_t p_stride, uint32_t rows, const float *v,
                            size_t v_stride, uint32_t n_keys, uint32_t dim, const float *alpha,
                            float *o, size_t o_stride) {
  for (uint32_t r = 0; r < rows; r += 4) {
    for (uint32_t c = 0; c < dim; c += 16) {
      const uint32_t left = dim - c;
      const float *pr = p + r;
      float *orow = o + r * o_stride + c;
      if (left > 8)
        accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 2,
                         pio_avx2_tail_mask(left - 8));
      else
        accumulate_4rows(pr, p_stride, v + c, v_stride, n_keys, alpha + r, orow, o_stride, 1,
                         pio_avx2_tail_mask(left));
    }
  }
}

const pio_attn_ops pio_attn_avx2_ops = {
    .pack_queries = NULL,
    .scores = avx2_scores,
    .softmax = avx2_softmax,
    .accumulate = avx2_accumulate,
};
