/* sdk/src/simd_avx2.h — AVX2 + FMA helpers shared by the files compiled
 * with the avx2 flags (kernels_avx2.c, attention_avx2.c).  Static inline on
 * purpose: included only by files built with those flags. */
#ifndef PIO_SDK_SIMD_AVX2_H
#define PIO_SDK_SIMD_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* The first min(left, 8) lanes, as _mm256_maskload_ps / maskstore take them. */
static inline __m256i pio_avx2_tail_mask(size_t left) {
  static const int32_t lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(lanes + 8 - (left < 8 ? left : 8)));
}

/* exp(x), x clamped to [-87.3, 88.7] so 2^n stays a normal float: Cephes'
 * polynomial on x - n ln2, times 2^n built in the exponent field. */
static inline __m256 pio_avx2_exp(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f)),
                    _mm256_set1_ps(-87.3365478515625f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

#endif
