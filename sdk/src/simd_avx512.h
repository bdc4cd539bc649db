/* sdk/src/simd_avx512.h — AVX-512 helpers shared by the files compiled with
 * the avx512 flags (kernels_avx512.c, norm_avx512.c, attention_avx512.c).
 * Static inline on purpose: included only by files built with those flags,
 * so no copy is ever emitted for a CPU without them. */
#ifndef PIO_SDK_SIMD_AVX512_H
#define PIO_SDK_SIMD_AVX512_H

#include <immintrin.h>
#include <stddef.h>

/* The first min(left, 16) lanes. */
static inline __mmask16 pio_avx512_tail_mask(size_t left) {
  return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

/* exp(x) for x <= 88.7: Cephes' polynomial on x - n ln2, then scaled by
 * 2^n with scalef, which also produces the subnormals and zero below (so
 * exp(-inf) is 0). */
static inline __m512 pio_avx512_exp(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.72283905f)), _mm512_set1_ps(-104.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

#endif
