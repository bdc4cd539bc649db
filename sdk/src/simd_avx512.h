/* sdk/src/simd_avx512.h — AVX-512 helpers shared by the files compiled with
 * the avx512 flags (kernels_avx512.c, kernels_avx512bf16.c, norm_avx512.c,
 * attention_avx512.c).
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

/* The 16x16 transpose of the 32-bit elements of a[16] (16 rows of 16): on
 * return a[q] holds element q of the 16 rows, in row order. */
static inline void pio_avx512_transpose16(__m512i a[16]) {
  __m512i b[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 2) {
    b[i] = _mm512_unpacklo_epi32(a[i], a[i + 1]);
    b[i + 1] = _mm512_unpackhi_epi32(a[i], a[i + 1]);
  }
  /* a[i + j], i = 0, 4, 8, 12: per 128-bit lane L, pair 4L + j of rows i..i+3 */
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 4) {
    a[i] = _mm512_unpacklo_epi64(b[i], b[i + 2]);
    a[i + 1] = _mm512_unpackhi_epi64(b[i], b[i + 2]);
    a[i + 2] = _mm512_unpacklo_epi64(b[i + 1], b[i + 3]);
    a[i + 3] = _mm512_unpackhi_epi64(b[i + 1], b[i + 3]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 8)
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
      b[i + j] = _mm512_shuffle_i32x4(a[i + j], a[i + 4 + j], 0x88);
      b[i + 4 + j] = _mm512_shuffle_i32x4(a[i + j], a[i + 4 + j], 0xdd);
    }
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    a[j] = _mm512_shuffle_i32x4(b[j], b[j + 8], 0x88);
    a[j + 8] = _mm512_shuffle_i32x4(b[j], b[j + 8], 0xdd);
  }
}

/* The outer-product routes' micro-kernels come in V x T sizes (V = 1..3
 * vectors of 16 rows, T = 1..8 tokens): DEF(V, T) for each, and the
 * [3][8] table of their NAME_VxT functions. */
#define PIO_AVX512_FOR_TOKENS_1_TO_8(DEF, V) \
  DEF(V, 1) DEF(V, 2) DEF(V, 3) DEF(V, 4) DEF(V, 5) DEF(V, 6) DEF(V, 7) DEF(V, 8)
#define PIO_AVX512_OUTER_KERNELS(DEF) \
  PIO_AVX512_FOR_TOKENS_1_TO_8(DEF, 1) PIO_AVX512_FOR_TOKENS_1_TO_8(DEF, 2) \
  PIO_AVX512_FOR_TOKENS_1_TO_8(DEF, 3)
#define PIO_AVX512_TOKENS_ROW(NAME, V)                                                      \
  {NAME##_##V##x1, NAME##_##V##x2, NAME##_##V##x3, NAME##_##V##x4,                          \
   NAME##_##V##x5, NAME##_##V##x6, NAME##_##V##x7, NAME##_##V##x8}
#define PIO_AVX512_OUTER_TABLE(NAME) \
  {PIO_AVX512_TOKENS_ROW(NAME, 1), PIO_AVX512_TOKENS_ROW(NAME, 2), PIO_AVX512_TOKENS_ROW(NAME, 3)}

#endif
