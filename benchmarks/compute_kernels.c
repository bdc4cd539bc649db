/* benchmarks/compute_kernels.c — streaming-read, f32 FMA and bf16 dot
 * product loops for the machine limits.  Vector paths are compiled with
 * per-function target attributes, so the file builds without -mavx* and the
 * caller picks a path with pio_cpu_has at run time. */
#include "compute_kernels.h"

#include "pio/cpu.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define PIO_BENCH_X86 1
#include <immintrin.h>
#else
#define PIO_BENCH_X86 0
#endif

/* Chains in flight: FMA latency (4-5 cycles) x FMA ports (2) is 8-10 on
 * current x86 cores; 12 leaves headroom without spilling registers. */
#define SCALAR_CHAINS 8
#define VEC_ACCUMULATORS 12
#define BF16_ACCUMULATORS 12

int pio_bench_isa_available(pio_bench_isa isa) {
  switch (isa) {
    case PIO_BENCH_ISA_SCALAR: return 1;
    case PIO_BENCH_ISA_AVX2:
      return PIO_BENCH_X86 && pio_cpu_has(PIO_CPU_AVX2) && pio_cpu_has(PIO_CPU_FMA);
    case PIO_BENCH_ISA_AVX512: return PIO_BENCH_X86 && pio_cpu_has(PIO_CPU_AVX512F);
    default: return 0;
  }
}

pio_bench_isa pio_bench_isa_best(void) {
  if (pio_bench_isa_available(PIO_BENCH_ISA_AVX512)) return PIO_BENCH_ISA_AVX512;
  if (pio_bench_isa_available(PIO_BENCH_ISA_AVX2)) return PIO_BENCH_ISA_AVX2;
  return PIO_BENCH_ISA_SCALAR;
}

const char *pio_bench_isa_name(pio_bench_isa isa) {
  switch (isa) {
    case PIO_BENCH_ISA_SCALAR: return "scalar";
    case PIO_BENCH_ISA_AVX2: return "avx2";
    case PIO_BENCH_ISA_AVX512: return "avx512";
    default: return "unknown";
  }
}

int pio_bench_bf16_available(void) {
  return PIO_BENCH_X86 && pio_cpu_has(PIO_CPU_AVX512F) && pio_cpu_has(PIO_CPU_AVX512_BF16);
}

uint32_t pio_bench_fma_chains(pio_bench_isa isa) {
  switch (isa) {
    case PIO_BENCH_ISA_AVX2: return VEC_ACCUMULATORS * 8;
    case PIO_BENCH_ISA_AVX512: return VEC_ACCUMULATORS * 16;
    default: return SCALAR_CHAINS;
  }
}

uint32_t pio_bench_bf16_chains(void) { return BF16_ACCUMULATORS * 16; }

/* ---- streaming read ---------------------------------------------------- */

static uint64_t read_sum_scalar(const uint64_t *words, size_t n_words) {
  /* Four sums so the adds do not serialise the loads. */
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i < n_words; i += 4) {
    s0 += words[i];
    s1 += words[i + 1];
    s2 += words[i + 2];
    s3 += words[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

#if PIO_BENCH_X86
__attribute__((target("avx2"))) static uint64_t read_sum_avx2(const uint64_t *words,
                                                              size_t n_words) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0;
  /* words[n_words], 8 words (one 64-byte line) per round. */
  for (size_t i = 0; i < n_words; i += 8) {
    s0 = _mm256_add_epi64(s0, _mm256_load_si256((const __m256i *)(words + i)));
    s1 = _mm256_add_epi64(s1, _mm256_load_si256((const __m256i *)(words + i + 4)));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(s0, s1));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx512f"))) static uint64_t read_sum_avx512(const uint64_t *words,
                                                                   size_t n_words) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  /* Four lines per round while they last, then one line per round. */
  for (; i + 32 <= n_words; i += 32) {
    s0 = _mm512_add_epi64(s0, _mm512_load_si512(words + i));
    s1 = _mm512_add_epi64(s1, _mm512_load_si512(words + i + 8));
    s2 = _mm512_add_epi64(s2, _mm512_load_si512(words + i + 16));
    s3 = _mm512_add_epi64(s3, _mm512_load_si512(words + i + 24));
  }
  for (; i < n_words; i += 8) s0 = _mm512_add_epi64(s0, _mm512_load_si512(words + i));
  __m512i s = _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3));
  /* Summed as unsigned: the checksum wraps by design, and GCC's
   * _mm512_reduce_add_epi64 adds signed (UBSan reports the wrap). */
  uint64_t lanes[8];
  _mm512_storeu_si512(lanes, s);
  uint64_t sum = 0;
  for (int lane = 0; lane < 8; lane++) sum += lanes[lane];
  return sum;
}
#endif

uint64_t pio_bench_read_sum(pio_bench_isa isa, const uint64_t *words, size_t n_words) {
#if PIO_BENCH_X86
  if (isa == PIO_BENCH_ISA_AVX512) return read_sum_avx512(words, n_words);
  if (isa == PIO_BENCH_ISA_AVX2) return read_sum_avx2(words, n_words);
#endif
  return read_sum_scalar(words, n_words);
}

/* ---- f32 FMA chains ---------------------------------------------------- */

static float fma_scalar(uint64_t iterations) {
  /* volatile constants keep the compiler from folding the recurrence. */
  volatile float vb = 0.9f, vc = 0.1f;
  float b = vb, c = vc;
  float x[SCALAR_CHAINS];
  for (int k = 0; k < SCALAR_CHAINS; k++) x[k] = 2.0f + (float)k;
  for (uint64_t it = 0; it < iterations; it++)
#pragma GCC unroll 8
    for (int k = 0; k < SCALAR_CHAINS; k++) x[k] = x[k] * b + c;
  float sum = 0.0f;
  for (int k = 0; k < SCALAR_CHAINS; k++) sum += x[k];
  return sum;
}

#if PIO_BENCH_X86
__attribute__((target("avx2,fma"))) static float fma_avx2(uint64_t iterations) {
  volatile float vb = 0.9f, vc = 0.1f;
  const __m256 b = _mm256_set1_ps(vb), c = _mm256_set1_ps(vc);
  __m256 x[VEC_ACCUMULATORS];
  /* Chain k = 8 * accumulator + lane starts at 2 + k. */
  for (int a = 0; a < VEC_ACCUMULATORS; a++)
    x[a] = _mm256_add_ps(_mm256_set1_ps(2.0f + 8.0f * (float)a),
                         _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));
  for (uint64_t it = 0; it < iterations; it++)
#pragma GCC unroll 16
    for (int a = 0; a < VEC_ACCUMULATORS; a++) x[a] = _mm256_fmadd_ps(x[a], b, c);
  __m256 s = x[0];
  for (int a = 1; a < VEC_ACCUMULATORS; a++) s = _mm256_add_ps(s, x[a]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float sum = 0.0f;
  for (int l = 0; l < 8; l++) sum += lanes[l];
  return sum;
}

__attribute__((target("avx512f"))) static float fma_avx512(uint64_t iterations) {
  volatile float vb = 0.9f, vc = 0.1f;
  const __m512 b = _mm512_set1_ps(vb), c = _mm512_set1_ps(vc);
  const __m512 lane = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512 x[VEC_ACCUMULATORS];
  for (int a = 0; a < VEC_ACCUMULATORS; a++)
    x[a] = _mm512_add_ps(_mm512_set1_ps(2.0f + 16.0f * (float)a), lane);
  for (uint64_t it = 0; it < iterations; it++)
#pragma GCC unroll 16
    for (int a = 0; a < VEC_ACCUMULATORS; a++) x[a] = _mm512_fmadd_ps(x[a], b, c);
  __m512 s = x[0];
  for (int a = 1; a < VEC_ACCUMULATORS; a++) s = _mm512_add_ps(s, x[a]);
  return _mm512_reduce_add_ps(s);
}

/* ---- bf16 dot-product chains -------------------------------------------- */

__attribute__((target("avx512f,avx512bf16"))) static float bf16_avx512(uint64_t iterations) {
  volatile float va = 0.5f, vb = 0.25f;
  const __m512 fa = _mm512_set1_ps(va), fb = _mm512_set1_ps(vb);
  /* 32 bf16 values per register: every one 0.5 (a) or 0.25 (b), exact. */
  const __m512bh a = _mm512_cvtne2ps_pbh(fa, fa), b = _mm512_cvtne2ps_pbh(fb, fb);
  const __m512 lane = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512 x[BF16_ACCUMULATORS];
  for (int k = 0; k < BF16_ACCUMULATORS; k++)
    x[k] = _mm512_add_ps(_mm512_set1_ps(16.0f * (float)k), lane);
  for (uint64_t it = 0; it < iterations; it++)
#pragma GCC unroll 16
    for (int k = 0; k < BF16_ACCUMULATORS; k++) x[k] = _mm512_dpbf16_ps(x[k], a, b);
  __m512 s = x[0];
  for (int k = 1; k < BF16_ACCUMULATORS; k++) s = _mm512_add_ps(s, x[k]);
  return _mm512_reduce_add_ps(s);
}
#endif

float pio_bench_fma_f32(pio_bench_isa isa, uint64_t iterations) {
#if PIO_BENCH_X86
  if (isa == PIO_BENCH_ISA_AVX512) return fma_avx512(iterations);
  if (isa == PIO_BENCH_ISA_AVX2) return fma_avx2(iterations);
#endif
  return fma_scalar(iterations);
}

float pio_bench_bf16_dot(uint64_t iterations) {
#if PIO_BENCH_X86
  if (pio_bench_bf16_available()) return bf16_avx512(iterations);
#endif
  (void)iterations;
  return 0.0f;
}
