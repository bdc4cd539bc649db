/* benchmarks/compute_kernels.h — the hot loops behind the machine limits
 * pio-bench measures: a streaming read, independent f32 FMA chains and
 * bf16 dot-product chains, one function per instruction set, chosen at run
 * time so the binary runs on CPUs without AVX2 or AVX-512. */
#ifndef PIO_BENCH_COMPUTE_KERNELS_H
#define PIO_BENCH_COMPUTE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

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

/* Sum of the 64-bit words words[0..n_words) modulo 2^64, reading each
 * exactly once with the loads of isa (which must be available).  words must
 * be 64-byte aligned and n_words a multiple of 8.  Every path returns the
 * same sum; the sum is what keeps the compiler from dropping the loads. */
uint64_t pio_bench_read_sum(pio_bench_isa isa, const uint64_t *words, size_t n_words);

/* Runs `iterations` rounds of independent chains x = x * 0.9f + 0.1f with
 * isa's FMA (mul + add on the scalar path), chain k of the
 * pio_bench_fma_chains(isa) chains starting at 2.0f + k.  Returns the sum
 * of the final values, so a test can recompute it; each round is
 * pio_bench_fma_chains(isa) fused multiply-adds, 2 FLOP each. */
float pio_bench_fma_f32(pio_bench_isa isa, uint64_t iterations);
/* Independent f32 lanes the FMA loop of isa keeps in flight. */
uint32_t pio_bench_fma_chains(pio_bench_isa isa);

/* Whether the CPU has the AVX-512 BF16 dot product (vdpbf16ps). */
int pio_bench_bf16_available(void);
/* Runs `iterations` rounds of pio_bench_bf16_chains() independent lanes
 * acc += a0*b0 + a1*b1 with vdpbf16ps, every a = 0.5 and b = 0.25 (so each
 * round adds 0.25 to every lane), lane k starting at k.  Returns the sum of
 * the final lanes.  Each round is 2 multiply-adds per lane, 4 FLOP.  Only
 * when pio_bench_bf16_available(); returns 0 otherwise. */
float pio_bench_bf16_dot(uint64_t iterations);
uint32_t pio_bench_bf16_chains(void);

#endif
