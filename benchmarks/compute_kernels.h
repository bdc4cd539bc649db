/* benchmarks/compute_kernels.h — the hot loops behind the machine limits
 * pio-bench measures: a streaming read, and for every instruction a matmul
 * path multiplies with (SSE2 mul+add, AVX2 and AVX-512 FMA, vdpbf16ps, AMX
 * tdpbf16ps) loops of independent accumulators in several widths, so the
 * limits can raise the count until the rate stops rising.  Each loop is
 * chosen at run time, so the binary runs on CPUs without AVX2, AVX-512 or
 * AMX. */
#ifndef PIO_BENCH_COMPUTE_KERNELS_H
#define PIO_BENCH_COMPUTE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/kernels.h"

typedef enum pio_bench_isa {
  PIO_BENCH_ISA_SCALAR = 0,
  PIO_BENCH_ISA_AVX2 = 1,   /* AVX2 + FMA */
  PIO_BENCH_ISA_AVX512 = 2, /* AVX-512 F */
  PIO_BENCH_ISA_COUNT
} pio_bench_isa;

/* Whether this CPU and this build can run isa. */
int pio_bench_isa_available(pio_bench_isa isa);
/* The widest available. */
pio_bench_isa pio_bench_isa_best(void);
/* "scalar", "avx2", "avx512". */
const char *pio_bench_isa_name(pio_bench_isa isa);

/* The stream counts a vector read loop can take, increasing. */
#define PIO_BENCH_READ_STREAM_COUNTS 4
#define PIO_BENCH_READ_STREAMS_MAX 8
extern const uint32_t pio_bench_read_streams[PIO_BENCH_READ_STREAM_COUNTS];
/* How far ahead a read loop that prefetches asks for each stream's lines
 * (prefetcht0): the distance the SDK's avx512 one-token kernel prefetches
 * at on Intel CPUs, where a loop without it read below the decode it
 * bounds (docs/benchmark-run.md). */
#define PIO_BENCH_READ_PREFETCH PIO_KERNEL_ONE_TOKEN_PREFETCH_INTEL

/* Sum of the 64-bit words words[0..n_words) modulo 2^64, reading each
 * exactly once with the loads of isa (which must be available) as
 * `streams` concurrent streams, one from each equal part of the range
 * (streams one of pio_bench_read_streams; the scalar loop ignores it),
 * each stream's line PIO_BENCH_READ_PREFETCH bytes ahead prefetched when
 * prefetch is set (the vector loops only).  words must be 64-byte aligned
 * and n_words a multiple of 8.  Every path returns the same sum; the sum is
 * what keeps the compiler from dropping the loads. */
uint64_t pio_bench_read_sum(pio_bench_isa isa, uint32_t streams, int prefetch,
                            const uint64_t *words, size_t n_words);

/* The arithmetic instructions whose peak bounds a matmul path. */
typedef enum pio_bench_peak {
  PIO_BENCH_PEAK_SSE2 = 0,   /* mulps + addps, 4 lanes: the most the baseline (scalar)
                                path can be compiled to */
  PIO_BENCH_PEAK_AVX2_FMA,   /* vfmadd ymm, 8 lanes */
  PIO_BENCH_PEAK_AVX512_FMA, /* vfmadd zmm, 16 lanes */
  PIO_BENCH_PEAK_BF16_DOT,   /* vdpbf16ps zmm: 32 bf16 products into 16 f32 lanes */
  PIO_BENCH_PEAK_AMX_BF16,   /* tdpbf16ps: a 16x32 by 32x16 bf16 tile product into 16x16 f32 */
  PIO_BENCH_PEAK_COUNT
} pio_bench_peak;

/* Whether this CPU (and, for AMX, the kernel's grant of tile data) can run
 * the loops of peak. */
int pio_bench_peak_available(pio_bench_peak peak);
/* Key for JSON: "sse2_mul_add", "avx2_fma", "avx512_fma", "bf16_dot", "amx_bf16". */
const char *pio_bench_peak_key(pio_bench_peak peak);
/* The instruction, for people: "mulps+addps", "vfmadd231ps ymm", ... */
const char *pio_bench_peak_instruction(pio_bench_peak peak);

/* Loops of each peak come in widths (variants 0..variants-1, increasing):
 * variant v keeps pio_bench_peak_accumulators(peak, v) registers (tiles
 * for AMX) of independent chains. */
uint32_t pio_bench_peak_variants(pio_bench_peak peak);
uint32_t pio_bench_peak_accumulators(pio_bench_peak peak, uint32_t variant);
/* FLOP of one round of variant (a multiply-add is 2). */
double pio_bench_peak_round_flop(pio_bench_peak peak, uint32_t variant);

/*
 * Runs `rounds` rounds of variant; each round updates every accumulator
 * once.  Returns a sum of the final values that a test can recompute:
 * - SSE2 and FMA: lane k (of all accumulators' lanes) starts at 2 + k and
 *   each round does x = x * 0.9f + 0.1f (fused on the FMA loops).
 * - bf16 dot: lane k starts at k; each round adds 0.5*0.25 + 0.5*0.25.
 * - AMX: every f32 of every accumulator tile starts at 0 and each round adds
 *   32 products 0.5 * 0.25 (4.0).
 * 0 when the peak is not available.
 */
double pio_bench_peak_run(pio_bench_peak peak, uint32_t variant, uint64_t rounds);

/* Configures the eight AMX tiles as 16 rows of 64 bytes (palette 1), as
 * the AMX loops and kernels use them.  x86-64 only, and only once the
 * kernel granted tile data (pio_bench_peak_available(PIO_BENCH_PEAK_AMX_BF16)). */
void pio_bench_amx_configure(void);

#endif
