/* sdk/src/synthetic_avx512.c — the synthetic-weights generator 16 elements
 * at a time, bit for bit what synthetic.c computes.  64-bit multiplies are
 * built from vpmuludq (AVX-512 F), so the path needs nothing beyond the
 * kernels' avx512 one.  Compiled with the avx512 kernel flags. */
#include <immintrin.h>

#include "synthetic_internal.h"

/* a * b mod 2^64 per lane: lo·lo + (hi·lo + lo·hi) << 32. */
static inline __m512i mul64(__m512i a, __m512i b_lo, __m512i b_hi) {
  __m512i lo = _mm512_mul_epu32(a, b_lo);
  __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(_mm512_srli_epi64(a, 32), b_lo),
                                   _mm512_mul_epu32(a, b_hi));
  return _mm512_add_epi64(lo, _mm512_slli_epi64(cross, 32));
}

static inline __m512i mix64(__m512i z) {
  const __m512i m1_lo = _mm512_set1_epi64((long long)(PIO_SYNTH_MIX1 & 0xffffffffu));
  const __m512i m1_hi = _mm512_set1_epi64((long long)(PIO_SYNTH_MIX1 >> 32));
  const __m512i m2_lo = _mm512_set1_epi64((long long)(PIO_SYNTH_MIX2 & 0xffffffffu));
  const __m512i m2_hi = _mm512_set1_epi64((long long)(PIO_SYNTH_MIX2 >> 32));
  z = mul64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), m1_lo, m1_hi);
  z = mul64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2_lo, m2_hi);
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* The integer a value is made of (24 bits, or the sum of four 16-bit
 * parts), as 8 int32. */
static inline __m256i unit_bits(__m512i h, pio_synthetic_dist dist) {
  if (dist == PIO_SYNTHETIC_UNIFORM) return _mm512_cvtepi64_epi32(_mm512_srli_epi64(h, 40));
  const __m512i mask = _mm512_set1_epi64(0xffff);
  __m512i s = _mm512_add_epi64(_mm512_and_si512(h, mask),
                               _mm512_and_si512(_mm512_srli_epi64(h, 16), mask));
  s = _mm512_add_epi64(s, _mm512_and_si512(_mm512_srli_epi64(h, 32), mask));
  s = _mm512_add_epi64(s, _mm512_srli_epi64(h, 48));
  return _mm512_cvtepi64_epi32(s);
}

/* 16 values mean + std * unit, the float steps in synthetic.c's order. */
static inline __m512 values(const pio_synth_params *p, __m512i c0, __m512i c1) {
  __m512i bits = _mm512_inserti64x4(_mm512_castsi256_si512(unit_bits(mix64(c0), p->dist)),
                                    unit_bits(mix64(c1), p->dist), 1);
  __m512 f = _mm512_cvtepi32_ps(bits), u;
  if (p->dist == PIO_SYNTHETIC_UNIFORM) {
    u = _mm512_sub_ps(_mm512_mul_ps(f, _mm512_set1_ps(PIO_SYNTH_SCALE24)), _mm512_set1_ps(0.5f));
    u = _mm512_mul_ps(u, _mm512_set1_ps(PIO_SYNTH_SQRT12));
  } else {
    u = _mm512_mul_ps(_mm512_add_ps(f, _mm512_set1_ps(2.0f)), _mm512_set1_ps(PIO_SYNTH_SCALE16));
    u = _mm512_sub_ps(_mm512_mul_ps(u, _mm512_set1_ps(PIO_SYNTH_SQRT3)),
                      _mm512_set1_ps(PIO_SYNTH_SQRT12));
  }
  return _mm512_add_ps(_mm512_set1_ps(p->mean), _mm512_mul_ps(_mm512_set1_ps(p->std), u));
}

static inline void store(const pio_synth_params *p, size_t i, __m512 v, __mmask16 m) {
  if (p->dtype == PIO_DTYPE_F32) {
    _mm512_mask_storeu_ps((float *)p->dst + i, m, v);
  } else if (p->dtype == PIO_DTYPE_BF16) {
    __m512i b = _mm512_castps_si512(v); /* finite: round to nearest even */
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    b = _mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
    _mm256_mask_storeu_epi16((uint16_t *)p->dst + i, m,
                             _mm512_cvtepi32_epi16(_mm512_srli_epi32(b, 16)));
  } else {
    _mm256_mask_storeu_epi16((uint16_t *)p->dst + i, m,
                             _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

void pio_synth_fill_avx512(const pio_synth_params *p, size_t begin, size_t end) {
  uint64_t lanes[16];
  for (int j = 0; j < 16; j++) lanes[j] = p->key + (begin + (size_t)j) * PIO_SYNTH_GOLDEN;
  __m512i c0 = _mm512_loadu_si512(lanes), c1 = _mm512_loadu_si512(lanes + 8);
  const __m512i step = _mm512_set1_epi64((long long)(16 * PIO_SYNTH_GOLDEN));
  for (size_t i = begin; i < end; i += 16) {
    __mmask16 m = end - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (end - i)) - 1u);
    store(p, i, values(p, c0, c1), m);
    c0 = _mm512_add_epi64(c0, step);
    c1 = _mm512_add_epi64(c1, step);
  }
}
