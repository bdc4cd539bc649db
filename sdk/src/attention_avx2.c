/* sdk/src/attention_avx2.c — the tiled attention's inner kernels with AVX2
 * and FMA, for CPUs without AVX-512: the AVX-512 kernels' blocking on 8
 * lanes.  Scores: blocks of 4 query rows x 2 keys along the head dimension,
 * the 8 sums reduced together.  Softmax: 8 keys a lane.  Values: blocks of
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

/* s[r][j .. j + nk) for 4 rows from q (zero-padded) and nk (1 or 2) keys. */
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
      for (int j = 0; j < 2; j++) acc[r * 2 + j] = _mm256_fmadd_ps(qv, kv[j], acc[r * 2 + j]);
    }
  }
  const __m256 out = reduce8(acc);
  const __m128 rows01 = _mm256_castps256_ps128(out), rows23 = _mm256_extractf128_ps(out, 1);
  if (nk == 2) {
    _mm_storel_pi((__m64 *)(s + 0 * s_stride), rows01);
    _mm_storeh_pi((__m64 *)(s + 1 * s_stride), rows01);
    _mm_storel_pi((__m64 *)(s + 2 * s_stride), rows23);
    _mm_storeh_pi((__m64 *)(s + 3 * s_stride), rows23);
  } else {
    float lanes[8];
    _mm256_storeu_ps(lanes, out);
    for (int r = 0; r < 4; r++) s[r * s_stride] = lanes[2 * r];
  }
}

static void avx2_scores(const float *q, size_t q_stride, uint32_t rows, const float *k,
                        size_t k_stride, uint32_t n_keys, uint32_t dim, float *s,
                        size_t s_stride) {
  for (uint32_t r = 0; r < rows; r += 4) {
    const float *qr = q + r * q_stride;
    float *sr = s + r * s_stride;
    uint32_t j = 0;
    for (; j + 2 <= n_keys; j += 2)
      scores_4x2(qr, q_stride, k + j * k_stride, k_stride, 2, dim, sr + j, s_stride);
    if (j < n_keys) scores_4x2(qr, q_stride, k + j * k_stride, k_stride, 1, dim, sr + j, s_stride);
  }
}

INLINE float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static void avx2_softmax(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m,
                         float *l, float *alpha) {
  const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
  for (uint32_t r = 0; r < rows; r++) {
    float *row = s + r * s_stride;
    __m256 vmax = minus_inf;
    uint32_t j = 0;
    for (; j + 8 <= n_keys; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
    float max = hmax(vmax);
    for (; j < n_keys; j++) max = row[j] > max ? row[j] : max;
    max = max > m[r] ? max : m[r];
    if (max == -INFINITY) {
      for (j = 0; j < n_keys; j++) row[j] = 0.0f;
      alpha[r] = 1.0f;
      continue;
    }
    const __m256 vm = _mm256_set1_ps(max);
    __m256 vsum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n_keys; j += 8) {
      const __m256 x = _mm256_loadu_ps(row + j);
      /* The exp clamps its input, so masked (-inf) logits are zeroed here. */
      const __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(x, minus_inf, _CMP_EQ_OQ),
                                        pio_avx2_exp(_mm256_sub_ps(x, vm)));
      vsum = _mm256_add_ps(vsum, e);
      _mm256_storeu_ps(row + j, e);
    }
    float sum = hsum(vsum);
    for (; j < n_keys; j++) {
      row[j] = expf(row[j] - max);
      sum += row[j];
    }
    alpha[r] = expf(m[r] - max);
    l[r] = l[r] * alpha[r] + sum;
    m[r] = max;
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
      const __m256 w = _mm256_broadcast_ss(p + r * p_stride + j);
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
      const float *pr = p + r * p_stride;
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
    .scores = avx2_scores,
    .softmax = avx2_softmax,
    .accumulate = avx2_accumulate,
};
