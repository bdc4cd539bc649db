/* sdk/src/attention_avx512.c — the tiled attention's inner kernels with
 * AVX-512.  Scores: blocks of 4 query rows x 4 keys, 16 lanes along the
 * head dimension, the 16 sums reduced together by one shuffle tree.
 * Softmax: 16 keys a lane.  Values: blocks of 4 rows x 64 output columns,
 * each probability broadcast against a value row. */
#include <immintrin.h>
#include <math.h>

#include "attention_internal.h"
#include "simd_avx512.h"

#define INLINE static inline __attribute__((always_inline))
/* The register blocks below are arrays indexed by constant loops; they
 * must be unrolled to stay in registers (-O2 would keep them on the stack). */
#define UNROLL _Pragma("GCC unroll 16")

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

/* s[r][j .. j + 4) for 4 rows from q (aligned, zero-padded) and 4 keys. */
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
    for (int r = 0; r < 4; r++)
      UNROLL
      for (int j = 0; j < 4; j++) acc[r * 4 + j] = _mm512_fmadd_ps(qv[r], kv[j], acc[r * 4 + j]);
  }
  const __m512 out = reduce16(acc);
  _mm_storeu_ps(s + 0 * s_stride, _mm512_extractf32x4_ps(out, 0));
  _mm_storeu_ps(s + 1 * s_stride, _mm512_extractf32x4_ps(out, 1));
  _mm_storeu_ps(s + 2 * s_stride, _mm512_extractf32x4_ps(out, 2));
  _mm_storeu_ps(s + 3 * s_stride, _mm512_extractf32x4_ps(out, 3));
}

/* s[r][0] for 4 rows and one key. */
INLINE void scores_4x1(const float *q, size_t q_stride, const float *k, uint32_t dim, float *s,
                       size_t s_stride) {
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  for (uint32_t c = 0; c < dim; c += 16) {
    const __m512 kv = _mm512_maskz_loadu_ps(pio_avx512_tail_mask(dim - c), k + c);
    UNROLL
    for (int r = 0; r < 4; r++)
      acc[r] = _mm512_fmadd_ps(_mm512_load_ps(q + r * q_stride + c), kv, acc[r]);
  }
  UNROLL
  for (int r = 0; r < 4; r++) s[r * s_stride] = _mm512_reduce_add_ps(acc[r]);
}

static void avx512_scores(const float *q, size_t q_stride, uint32_t rows, const float *k,
                          size_t k_stride, uint32_t n_keys, uint32_t dim, float *s,
                          size_t s_stride) {
  for (uint32_t r = 0; r < rows; r += 4) {
    const float *qr = q + r * q_stride;
    float *sr = s + r * s_stride;
    uint32_t j = 0;
    for (; j + 4 <= n_keys; j += 4)
      scores_4x4(qr, q_stride, k + j * k_stride, k_stride, dim, sr + j, s_stride);
    for (; j < n_keys; j++) scores_4x1(qr, q_stride, k + j * k_stride, dim, sr + j, s_stride);
  }
}

static void avx512_softmax(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m,
                           float *l, float *alpha) {
  const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
  for (uint32_t r = 0; r < rows; r++) {
    float *row = s + r * s_stride;
    __m512 vmax = minus_inf;
    for (uint32_t j = 0; j < n_keys; j += 16)
      vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(minus_inf, pio_avx512_tail_mask(n_keys - j),
                                                      row + j));
    const float block_max = _mm512_reduce_max_ps(vmax);
    const float max = block_max > m[r] ? block_max : m[r];
    if (max == -INFINITY) {
      for (uint32_t j = 0; j < n_keys; j++) row[j] = 0.0f;
      alpha[r] = 1.0f;
      continue;
    }
    const __m512 vm = _mm512_set1_ps(max);
    __m512 sum = _mm512_setzero_ps();
    for (uint32_t j = 0; j < n_keys; j += 16) {
      const __mmask16 mask = pio_avx512_tail_mask(n_keys - j);
      const __m512 e = pio_avx512_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, row + j), vm));
      sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(mask, e));
      _mm512_mask_storeu_ps(row + j, mask, e);
    }
    alpha[r] = expf(m[r] - max);
    l[r] = l[r] * alpha[r] + _mm512_reduce_add_ps(sum);
    m[r] = max;
  }
}

/* o[r][c .. c + 16 nv) for 4 rows: nv (1 to 4, a constant where inlined)
 * column vectors, the last one masked by tail. */
INLINE void accumulate_4rows(const float *p, size_t p_stride, const float *v, size_t v_stride,
                             uint32_t n_keys, const float *alpha, float *o, size_t o_stride,
                             int nv, __mmask16 tail) {
  __m512 acc[4][4];
  UNROLL
  for (int r = 0; r < 4; r++) {
    const __m512 a = _mm512_set1_ps(alpha[r]);
    UNROLL
    for (int c = 0; c < nv; c++) acc[r][c] = _mm512_mul_ps(_mm512_load_ps(o + r * o_stride + 16 * c), a);
  }
  for (uint32_t j = 0; j < n_keys; j++) {
    __m512 vv[4];
    UNROLL
    for (int c = 0; c < nv; c++)
      vv[c] = _mm512_maskz_loadu_ps(c == nv - 1 ? tail : (__mmask16)0xffff,
                                    v + j * v_stride + 16 * c);
    UNROLL
    for (int r = 0; r < 4; r++) {
      const __m512 w = _mm512_set1_ps(p[r * p_stride + j]);
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
      const float *pr = p + r * p_stride;
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
    .scores = avx512_scores,
    .softmax = avx512_softmax,
    .accumulate = avx512_accumulate,
};
