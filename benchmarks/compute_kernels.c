/* benchmarks/compute_kernels.c — streaming-read loops and, for each
 * multiply instruction a matmul path uses, loops of independent
 * accumulators in several widths.  Vector loops are compiled with
 * per-function target attributes, so the file builds without -mavx* and the
 * caller picks a loop with pio_cpu_has at run time. */
#include "compute_kernels.h"

#include "pio/cpu.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define PIO_BENCH_X86 1
#include <immintrin.h>
#else
#define PIO_BENCH_X86 0
#endif

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
/* The vector loops read a range as several streams, one from each equal
 * part, as the decode matmuls read several rows at once: a core keeps more
 * lines in flight over several streams than over one, and a limit read as
 * one stream was measured below the matmul it bounds (2 cores of an EPYC). */
static size_t stream_part(size_t n_words, uint32_t streams) {
  return n_words / 8 / streams * 8;
}

/* The line at `line + ahead` bytes into L1 (past the buffer is fine: a
 * prefetch never faults).  An asm statement, as the SDK's: GCC deletes
 * _mm_prefetch in a loop once that loop is inlined into another. */
static inline void prefetch_ahead(const uint64_t *line, uint32_t ahead) {
  __asm__ volatile("prefetcht0 (%0)" : : "r"((uintptr_t)line + ahead));
}

__attribute__((target("avx2"), always_inline)) static inline uint64_t read_sum_avx2_streams(
    const uint64_t *words, size_t n_words, uint32_t streams, uint32_t ahead) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0;
  /* words[n_words], 8 words (one 64-byte line) per stream and round. */
  const size_t part = stream_part(n_words, streams);
  for (size_t i = 0; i < part; i += 8)
#pragma GCC unroll 8
    for (uint32_t q = 0; q < streams; q++) {
      const uint64_t *line = words + q * part + i;
      if (ahead != 0) prefetch_ahead(line, ahead);
      s0 = _mm256_add_epi64(s0, _mm256_load_si256((const __m256i *)line));
      s1 = _mm256_add_epi64(s1, _mm256_load_si256((const __m256i *)(line + 4)));
    }
  for (size_t i = streams * part; i < n_words; i += 8) {
    s0 = _mm256_add_epi64(s0, _mm256_load_si256((const __m256i *)(words + i)));
    s1 = _mm256_add_epi64(s1, _mm256_load_si256((const __m256i *)(words + i + 4)));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(s0, s1));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx512f"), always_inline)) static inline uint64_t read_sum_avx512_streams(
    const uint64_t *words, size_t n_words, uint32_t streams, uint32_t ahead) {
  __m512i s[PIO_BENCH_READ_STREAMS_MAX];
#pragma GCC unroll 8
  for (uint32_t q = 0; q < streams; q++) s[q] = _mm512_setzero_si512();
  const size_t part = stream_part(n_words, streams);
  for (size_t i = 0; i < part; i += 8)
#pragma GCC unroll 8
    for (uint32_t q = 0; q < streams; q++) {
      if (ahead != 0) prefetch_ahead(words + q * part + i, ahead);
      s[q] = _mm512_add_epi64(s[q], _mm512_load_si512(words + q * part + i));
    }
  for (size_t i = streams * part; i < n_words; i += 8)
    s[0] = _mm512_add_epi64(s[0], _mm512_load_si512(words + i));
  __m512i sum_v = s[0];
#pragma GCC unroll 8
  for (uint32_t q = 1; q < streams; q++) sum_v = _mm512_add_epi64(sum_v, s[q]);
  /* Summed as unsigned: the checksum wraps by design, and GCC's
   * _mm512_reduce_add_epi64 adds signed (UBSan reports the wrap). */
  uint64_t lanes[8];
  _mm512_storeu_si512(lanes, sum_v);
  uint64_t sum = 0;
  for (int lane = 0; lane < 8; lane++) sum += lanes[lane];
  return sum;
}

/* Each stream count compiled on its own, with and without the prefetch,
 * so the streams' accumulators stay in registers and the inner loop is
 * unrolled over them. */
#define READ_SUM_WITH(ISA, TARGET, N)                                                        \
  __attribute__((target(TARGET))) static uint64_t read_sum_##ISA##_##N(const uint64_t *w,   \
                                                                       size_t n) {          \
    return read_sum_##ISA##_streams(w, n, N, 0);                                             \
  }                                                                                          \
  __attribute__((target(TARGET))) static uint64_t read_sum_##ISA##_##N##_prefetch(           \
      const uint64_t *w, size_t n) {                                                         \
    return read_sum_##ISA##_streams(w, n, N, PIO_BENCH_READ_PREFETCH);                       \
  }
READ_SUM_WITH(avx2, "avx2", 2)
READ_SUM_WITH(avx2, "avx2", 4)
READ_SUM_WITH(avx2, "avx2", 6)
READ_SUM_WITH(avx2, "avx2", 8)
READ_SUM_WITH(avx512, "avx512f", 2)
READ_SUM_WITH(avx512, "avx512f", 4)
READ_SUM_WITH(avx512, "avx512f", 6)
READ_SUM_WITH(avx512, "avx512f", 8)

typedef uint64_t (*read_sum_fn)(const uint64_t *words, size_t n_words);

static read_sum_fn read_sum_loop(pio_bench_isa isa, uint32_t streams, int prefetch) {
  static const read_sum_fn avx2[2][PIO_BENCH_READ_STREAM_COUNTS] = {
      {read_sum_avx2_2, read_sum_avx2_4, read_sum_avx2_6, read_sum_avx2_8},
      {read_sum_avx2_2_prefetch, read_sum_avx2_4_prefetch, read_sum_avx2_6_prefetch,
       read_sum_avx2_8_prefetch}};
  static const read_sum_fn avx512[2][PIO_BENCH_READ_STREAM_COUNTS] = {
      {read_sum_avx512_2, read_sum_avx512_4, read_sum_avx512_6, read_sum_avx512_8},
      {read_sum_avx512_2_prefetch, read_sum_avx512_4_prefetch, read_sum_avx512_6_prefetch,
       read_sum_avx512_8_prefetch}};
  const uint32_t k = streams / 2 - 1;
  return isa == PIO_BENCH_ISA_AVX512 ? avx512[prefetch != 0][k] : avx2[prefetch != 0][k];
}
#endif

const uint32_t pio_bench_read_streams[PIO_BENCH_READ_STREAM_COUNTS] = {2, 4, 6, 8};

uint64_t pio_bench_read_sum(pio_bench_isa isa, uint32_t streams, int prefetch,
                            const uint64_t *words, size_t n_words) {
#if PIO_BENCH_X86
  if (isa == PIO_BENCH_ISA_AVX512 || isa == PIO_BENCH_ISA_AVX2)
    return read_sum_loop(isa, streams, prefetch)(words, n_words);
#else
  (void)streams;
  (void)prefetch;
#endif
  return read_sum_scalar(words, n_words);
}

/* ---- arithmetic peaks --------------------------------------------------- */

/* Accumulator counts of each loop, increasing.  Enough chains for an
 * instruction is its latency times its issue rate (FMA: 4 cycles x 2 ports
 * = 8 on current cores; vdpbf16ps up to 6 x 2 = 12); the widest variants
 * leave room for cores not yet measured, up to what the register file
 * holds without spilling (16 xmm/ymm, 32 zmm, 8 tiles, two of them taken by
 * the operands; 14 of 16 ymm already spilled with GCC 12). */
static const uint32_t widths_16_regs[] = {2, 4, 8, 10, 12};
static const uint32_t widths_32_regs[] = {4, 8, 12, 16, 24, 28};
static const uint32_t widths_tiles[] = {1, 2, 4, 6};

#define COUNT_OF(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static const uint32_t *peak_widths(pio_bench_peak peak, uint32_t *n) {
  switch (peak) {
    case PIO_BENCH_PEAK_SSE2:
    case PIO_BENCH_PEAK_AVX2_FMA: *n = COUNT_OF(widths_16_regs); return widths_16_regs;
    case PIO_BENCH_PEAK_AVX512_FMA:
    case PIO_BENCH_PEAK_BF16_DOT: *n = COUNT_OF(widths_32_regs); return widths_32_regs;
    case PIO_BENCH_PEAK_AMX_BF16: *n = COUNT_OF(widths_tiles); return widths_tiles;
    default: *n = 0; return NULL;
  }
}

int pio_bench_peak_available(pio_bench_peak peak) {
  switch (peak) {
    case PIO_BENCH_PEAK_SSE2: return 1;
    case PIO_BENCH_PEAK_AVX2_FMA: return pio_bench_isa_available(PIO_BENCH_ISA_AVX2);
    case PIO_BENCH_PEAK_AVX512_FMA: return pio_bench_isa_available(PIO_BENCH_ISA_AVX512);
    case PIO_BENCH_PEAK_BF16_DOT:
      return PIO_BENCH_X86 && pio_cpu_has(PIO_CPU_AVX512F) && pio_cpu_has(PIO_CPU_AVX512_BF16);
    case PIO_BENCH_PEAK_AMX_BF16: return PIO_BENCH_X86 && pio_cpu_amx_granted(NULL);
    default: return 0;
  }
}

const char *pio_bench_peak_key(pio_bench_peak peak) {
  static const char *const keys[PIO_BENCH_PEAK_COUNT] = {"sse2_mul_add", "avx2_fma",
                                                         "avx512_fma", "bf16_dot", "amx_bf16"};
  return (unsigned)peak < PIO_BENCH_PEAK_COUNT ? keys[peak] : "unknown";
}

const char *pio_bench_peak_instruction(pio_bench_peak peak) {
  static const char *const names[PIO_BENCH_PEAK_COUNT] = {
      "mulps+addps xmm", "vfmadd231ps ymm", "vfmadd231ps zmm", "vdpbf16ps zmm", "tdpbf16ps"};
  return (unsigned)peak < PIO_BENCH_PEAK_COUNT ? names[peak] : "unknown";
}

uint32_t pio_bench_peak_variants(pio_bench_peak peak) {
  uint32_t n;
  peak_widths(peak, &n);
  return n;
}

uint32_t pio_bench_peak_accumulators(pio_bench_peak peak, uint32_t variant) {
  uint32_t n;
  const uint32_t *w = peak_widths(peak, &n);
  return variant < n ? w[variant] : 0;
}

double pio_bench_peak_round_flop(pio_bench_peak peak, uint32_t variant) {
  double acc = pio_bench_peak_accumulators(peak, variant);
  switch (peak) {
    case PIO_BENCH_PEAK_SSE2: return acc * 4 * 2;       /* 4 lanes, mul + add */
    case PIO_BENCH_PEAK_AVX2_FMA: return acc * 8 * 2;
    case PIO_BENCH_PEAK_AVX512_FMA: return acc * 16 * 2;
    case PIO_BENCH_PEAK_BF16_DOT: return acc * 16 * 4;  /* 2 multiply-adds per lane */
    case PIO_BENCH_PEAK_AMX_BF16: return acc * 16 * 16 * 32 * 2;
    default: return 0;
  }
}

#if PIO_BENCH_X86
/* One function per width: the accumulators must be registers, so their
 * count is a constant of each loop.  volatile constants keep the compiler
 * from folding the recurrence. */
#define SSE2_LOOP(N)                                                                   \
  static double sse2_##N(uint64_t rounds) {                                           \
    volatile float vb = 0.9f, vc = 0.1f;                                               \
    const __m128 b = _mm_set1_ps(vb), c = _mm_set1_ps(vc);                             \
    __m128 x[N];                                                                       \
    for (int a = 0; a < N; a++)                                                        \
      x[a] = _mm_add_ps(_mm_set1_ps(2.0f + 4.0f * (float)a), _mm_setr_ps(0, 1, 2, 3)); \
    for (uint64_t it = 0; it < rounds; it++) {                                         \
      _Pragma("GCC unroll 32") for (int a = 0; a < N; a++) x[a] =                      \
          _mm_add_ps(_mm_mul_ps(x[a], b), c);                                          \
    }                                                                                  \
    float lanes[4];                                                                    \
    double sum = 0;                                                                    \
    for (int a = 0; a < N; a++) {                                                      \
      _mm_storeu_ps(lanes, x[a]);                                                      \
      for (int l = 0; l < 4; l++) sum += lanes[l];                                     \
    }                                                                                  \
    return sum;                                                                        \
  }

#define AVX2_LOOP(N)                                                                     \
  __attribute__((target("avx2,fma"))) static double avx2_##N(uint64_t rounds) {         \
    volatile float vb = 0.9f, vc = 0.1f;                                                 \
    const __m256 b = _mm256_set1_ps(vb), c = _mm256_set1_ps(vc);                         \
    __m256 x[N];                                                                         \
    for (int a = 0; a < N; a++)                                                          \
      x[a] = _mm256_add_ps(_mm256_set1_ps(2.0f + 8.0f * (float)a),                       \
                           _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7));                      \
    for (uint64_t it = 0; it < rounds; it++) {                                           \
      _Pragma("GCC unroll 32") for (int a = 0; a < N; a++) x[a] =                        \
          _mm256_fmadd_ps(x[a], b, c);                                                   \
    }                                                                                    \
    float lanes[8];                                                                      \
    double sum = 0;                                                                      \
    for (int a = 0; a < N; a++) {                                                        \
      _mm256_storeu_ps(lanes, x[a]);                                                     \
      for (int l = 0; l < 8; l++) sum += lanes[l];                                       \
    }                                                                                    \
    return sum;                                                                          \
  }

#define AVX512_LANES _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

#define AVX512_LOOP(N)                                                                        \
  __attribute__((target("avx512f"))) static double avx512_##N(uint64_t rounds) {             \
    volatile float vb = 0.9f, vc = 0.1f;                                                      \
    const __m512 b = _mm512_set1_ps(vb), c = _mm512_set1_ps(vc);                              \
    __m512 x[N];                                                                              \
    for (int a = 0; a < N; a++)                                                               \
      x[a] = _mm512_add_ps(_mm512_set1_ps(2.0f + 16.0f * (float)a), AVX512_LANES);            \
    for (uint64_t it = 0; it < rounds; it++) {                                                \
      _Pragma("GCC unroll 32") for (int a = 0; a < N; a++) x[a] =                             \
          _mm512_fmadd_ps(x[a], b, c);                                                        \
    }                                                                                         \
    double sum = 0;                                                                           \
    for (int a = 0; a < N; a++) sum += _mm512_reduce_add_ps(x[a]);                            \
    return sum;                                                                               \
  }

/* 32 bf16 values per register: every one 0.5 (a) or 0.25 (b), exact. */
#define BF16_LOOP(N)                                                                       \
  __attribute__((target("avx512f,avx512bf16"))) static double bf16_##N(uint64_t rounds) { \
    volatile float va = 0.5f, vb = 0.25f;                                                  \
    const __m512 fa = _mm512_set1_ps(va), fb = _mm512_set1_ps(vb);                         \
    const __m512bh a = _mm512_cvtne2ps_pbh(fa, fa), b = _mm512_cvtne2ps_pbh(fb, fb);       \
    __m512 x[N];                                                                           \
    for (int k = 0; k < N; k++) x[k] = _mm512_add_ps(_mm512_set1_ps(16.0f * (float)k),     \
                                                     AVX512_LANES);                        \
    for (uint64_t it = 0; it < rounds; it++) {                                             \
      _Pragma("GCC unroll 32") for (int k = 0; k < N; k++) x[k] =                          \
          _mm512_dpbf16_ps(x[k], a, b);                                                    \
    }                                                                                      \
    double sum = 0;                                                                        \
    for (int k = 0; k < N; k++) sum += _mm512_reduce_add_ps(x[k]);                         \
    return sum;                                                                            \
  }

SSE2_LOOP(2) SSE2_LOOP(4) SSE2_LOOP(8) SSE2_LOOP(10) SSE2_LOOP(12)
AVX2_LOOP(2) AVX2_LOOP(4) AVX2_LOOP(8) AVX2_LOOP(10) AVX2_LOOP(12)
AVX512_LOOP(4) AVX512_LOOP(8) AVX512_LOOP(12) AVX512_LOOP(16) AVX512_LOOP(24) AVX512_LOOP(28)
BF16_LOOP(4) BF16_LOOP(8) BF16_LOOP(12) BF16_LOOP(16) BF16_LOOP(24) BF16_LOOP(28)

/* ---- AMX tiles ------------------------------------------------------------ */

/* The 64-byte tile configuration LDTILECFG reads (palette 1). */
typedef struct tile_config {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

/* A constant in memory: GCC 12's _tile_loadconfig tells the compiler it
 * reads 8 bytes only, so the stores of a configuration built on the stack
 * just before it can be dropped (and the first tile load is then SIGILL). */
static const tile_config tiles_16x64 = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16},
};

__attribute__((target("amx-tile"))) void pio_bench_amx_configure(void) {
  _tile_loadconfig(&tiles_16x64);
}

/* Tiles 0..N-1 accumulate A (tile 6) x B (tile 7), both all 0.5 and 0.25
 * in bf16; every tile 16 rows of 64 bytes. */
#define AMX_LOOP(N)                                                                      \
  __attribute__((target("amx-tile,amx-bf16"))) static double amx_##N(uint64_t rounds) { \
    tile_config cfg = {.palette = 1};                                                    \
    for (int t = 0; t < 8; t++) {                                                        \
      cfg.colsb[t] = 64;                                                                 \
      cfg.rows[t] = 16;                                                                  \
    }                                                                                    \
    uint16_t a[16 * 32], b[16 * 32];                                                     \
    for (int i = 0; i < 16 * 32; i++) {                                                  \
      a[i] = 0x3f00; /* 0.5 */                                                           \
      b[i] = 0x3e80; /* 0.25 */                                                          \
    }                                                                                    \
    _tile_loadconfig(&cfg);                                                              \
    _tile_loadd(6, a, 64);                                                               \
    _tile_loadd(7, b, 64);                                                               \
    AMX_ZERO_##N;                                                                        \
    for (uint64_t it = 0; it < rounds; it++) {                                           \
      AMX_DP_##N;                                                                        \
    }                                                                                    \
    float c[6][16 * 16];                                                                 \
    AMX_STORE_##N;                                                                       \
    _tile_release();                                                                     \
    double sum = 0;                                                                      \
    for (int t = 0; t < N; t++)                                                          \
      for (int i = 0; i < 256; i++) sum += c[t][i];                                      \
    return sum;                                                                          \
  }

/* Tile numbers must be constants, so each width lists its tiles. */
#define AMX_ZERO_1 _tile_zero(0)
#define AMX_ZERO_2 AMX_ZERO_1; _tile_zero(1)
#define AMX_ZERO_4 AMX_ZERO_2; _tile_zero(2); _tile_zero(3)
#define AMX_ZERO_6 AMX_ZERO_4; _tile_zero(4); _tile_zero(5)
#define AMX_DP_1 _tile_dpbf16ps(0, 6, 7)
#define AMX_DP_2 AMX_DP_1; _tile_dpbf16ps(1, 6, 7)
#define AMX_DP_4 AMX_DP_2; _tile_dpbf16ps(2, 6, 7); _tile_dpbf16ps(3, 6, 7)
#define AMX_DP_6 AMX_DP_4; _tile_dpbf16ps(4, 6, 7); _tile_dpbf16ps(5, 6, 7)
#define AMX_STORE_1 _tile_stored(0, c[0], 64)
#define AMX_STORE_2 AMX_STORE_1; _tile_stored(1, c[1], 64)
#define AMX_STORE_4 AMX_STORE_2; _tile_stored(2, c[2], 64); _tile_stored(3, c[3], 64)
#define AMX_STORE_6 AMX_STORE_4; _tile_stored(4, c[4], 64); _tile_stored(5, c[5], 64)

AMX_LOOP(1) AMX_LOOP(2) AMX_LOOP(4) AMX_LOOP(6)

typedef double (*peak_loop)(uint64_t rounds);

/* Loops in the order of the width tables above. */
static const peak_loop loops_sse2[] = {sse2_2, sse2_4, sse2_8, sse2_10, sse2_12};
static const peak_loop loops_avx2[] = {avx2_2, avx2_4, avx2_8, avx2_10, avx2_12};
static const peak_loop loops_avx512[] = {avx512_4,  avx512_8,  avx512_12,
                                         avx512_16, avx512_24, avx512_28};
static const peak_loop loops_bf16[] = {bf16_4, bf16_8, bf16_12, bf16_16, bf16_24, bf16_28};
static const peak_loop loops_amx[] = {amx_1, amx_2, amx_4, amx_6};

static peak_loop loop_of(pio_bench_peak peak, uint32_t variant) {
  if (variant >= pio_bench_peak_variants(peak)) return NULL;
  switch (peak) {
    case PIO_BENCH_PEAK_SSE2: return loops_sse2[variant];
    case PIO_BENCH_PEAK_AVX2_FMA: return loops_avx2[variant];
    case PIO_BENCH_PEAK_AVX512_FMA: return loops_avx512[variant];
    case PIO_BENCH_PEAK_BF16_DOT: return loops_bf16[variant];
    case PIO_BENCH_PEAK_AMX_BF16: return loops_amx[variant];
    default: return NULL;
  }
}
#else
/* Elsewhere only the plain-C loop: x = x * 0.9 + 0.1 over 4N lanes. */
static double plain_loop(uint32_t n, uint64_t rounds) {
  volatile float vb = 0.9f, vc = 0.1f;
  float b = vb, c = vc, x[64];
  for (uint32_t k = 0; k < 4 * n; k++) x[k] = 2.0f + (float)k;
  for (uint64_t it = 0; it < rounds; it++)
    for (uint32_t k = 0; k < 4 * n; k++) x[k] = x[k] * b + c;
  double sum = 0;
  for (uint32_t k = 0; k < 4 * n; k++) sum += x[k];
  return sum;
}
#endif

double pio_bench_peak_run(pio_bench_peak peak, uint32_t variant, uint64_t rounds) {
  if (!pio_bench_peak_available(peak)) return 0.0;
#if PIO_BENCH_X86
  peak_loop loop = loop_of(peak, variant);
  return loop != NULL ? loop(rounds) : 0.0;
#else
  uint32_t n = pio_bench_peak_accumulators(peak, variant);
  return n != 0 && n <= 16 ? plain_loop(n, rounds) : 0.0;
#endif
}
