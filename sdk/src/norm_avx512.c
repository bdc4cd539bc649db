/* sdk/src/norm_avx512.c — the RMSNorm row kernel with AVX-512: the sum of
 * squares in two f32 vector accumulators (32 partial sums), the scale
 * pass 16 lanes at a time, masked tails. */
#include <immintrin.h>
#include <math.h>

#include "norm_internal.h"
#include "pio/norm.h"
#include "simd_avx512.h"

void pio_norm_row_avx512(float *x, const float *delta, const float *weight, size_t d, float eps,
                         unsigned flags, float *out) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    if (delta != NULL) {
      a = _mm512_add_ps(a, _mm512_loadu_ps(delta + i));
      b = _mm512_add_ps(b, _mm512_loadu_ps(delta + i + 16));
      _mm512_storeu_ps(x + i, a);
      _mm512_storeu_ps(x + i + 16, b);
    }
    s0 = _mm512_fmadd_ps(a, a, s0);
    s1 = _mm512_fmadd_ps(b, b, s1);
  }
  for (; i < d; i += 16) {
    const __mmask16 m = pio_avx512_tail_mask(d - i);
    __m512 a = _mm512_maskz_loadu_ps(m, x + i);
    if (delta != NULL) {
      a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(m, delta + i));
      _mm512_mask_storeu_ps(x + i, m, a);
    }
    s0 = _mm512_fmadd_ps(a, a, s0);
  }
  const double sum = (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  const __m512 inv = _mm512_set1_ps((float)(1.0 / sqrt(sum / (double)d + eps)));
  const __m512 offset = _mm512_set1_ps((flags & PIO_NORM_WEIGHT_PLUS_ONE) ? 1.0f : 0.0f);
  for (i = 0; i < d; i += 16) {
    const __mmask16 m = pio_avx512_tail_mask(d - i);
    const __m512 w = _mm512_add_ps(_mm512_maskz_loadu_ps(m, weight + i), offset);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(w, v));
  }
}
