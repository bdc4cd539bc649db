/* benchmarks/compute_limits.h — the machine's limits for the forward pass,
 * measured by pio-bench in the same run as the model: memory read bandwidth
 * (the decode limit), the f32 FMA peak and the bf16 dot-product peak (the
 * prefill limits), all with the benchmark's thread pool. */
#ifndef PIO_BENCH_COMPUTE_LIMITS_H
#define PIO_BENCH_COMPUTE_LIMITS_H

#include <stdint.h>

#include "pio/status.h"
#include "pio/threadpool.h"

#include "compute_kernels.h"

#define PIO_BENCH_READ_BUFFER_DEFAULT (1ull << 30) /* 1 GiB: far past any LLC */
#define PIO_BENCH_READ_BUFFER_MIN (1ull << 20)
#define PIO_BENCH_LIMIT_PASSES_DEFAULT 5
#define PIO_BENCH_COMPUTE_PASS_SECONDS 0.05
#define PIO_BENCH_MAX_THREADS 1024

typedef struct pio_bench_limits_options {
  uint64_t read_buffer_bytes; /* 0: PIO_BENCH_READ_BUFFER_DEFAULT */
  uint32_t passes;            /* timed passes of each limit; 0: the default */
  double compute_pass_seconds; /* length of one FMA / bf16 pass; 0: the default */
} pio_bench_limits_options;

typedef struct pio_bench_limits {
  uint32_t n_threads;         /* threads of the pool every figure used */
  uint32_t passes;
  uint64_t read_buffer_bytes;
  pio_bench_isa read_isa;
  double read_bytes_per_s;    /* median over passes, all threads reading */
  pio_bench_isa f32_isa;
  double f32_flops_per_s;     /* median over passes, all threads; FMA = 2 FLOP */
  int has_bf16;               /* CPU has avx512_bf16 */
  double bf16_flops_per_s;    /* vdpbf16ps peak, all threads; 0 when !has_bf16 */
} pio_bench_limits;

/* The buffer size a read-bandwidth measurement of `bytes` uses: at least
 * PIO_BENCH_READ_BUFFER_MIN, rounded down to whole 4 KiB pages. */
uint64_t pio_bench_read_buffer_size(uint64_t bytes);

/*
 * Stream-reads a buffer of pio_bench_read_buffer_size(bytes) `passes`
 * times with every thread of pool (NULL: the caller's thread) using isa's
 * loads, after one untimed pass; *bytes_per_s is the median.  The buffer
 * comes from pio_pages_alloc, as model weights do, and is filled first so
 * its pages are real.  PIO_ERR_NO_MEMORY when it cannot be allocated;
 * PIO_ERR_INTERNAL when a pass's checksum is wrong (a loop that skipped
 * data).
 */
pio_status pio_bench_measure_read_bandwidth(pio_threadpool *pool, pio_bench_isa isa,
                                            uint64_t bytes, uint32_t passes,
                                            double *bytes_per_s, pio_error *err);

/* f32 FMA peak of isa: every thread runs independent FMA chains for about
 * pass_seconds; *flops_per_s is the median over passes of all threads'
 * FLOP (2 per FMA) divided by the pass's wall time. */
pio_status pio_bench_measure_f32_peak(pio_threadpool *pool, pio_bench_isa isa,
                                      uint32_t passes, double pass_seconds,
                                      double *flops_per_s, pio_error *err);

/* The same with vdpbf16ps (4 FLOP per lane and instruction).
 * PIO_ERR_UNSUPPORTED when the CPU lacks avx512_bf16. */
pio_status pio_bench_measure_bf16_peak(pio_threadpool *pool, uint32_t passes,
                                       double pass_seconds, double *flops_per_s,
                                       pio_error *err);

/* All three with the widest ISA available (opts may be NULL), their
 * passes taken one after another. */
pio_status pio_bench_measure_limits(pio_threadpool *pool, const pio_bench_limits_options *opts,
                                    pio_bench_limits *out, pio_error *err);

/*
 * A sampler spreads the passes over a benchmark, so that on a shared
 * machine the limits see the same load as the figures they bound: create
 * it (buffer filled, compute loops calibrated, nothing timed yet), take a
 * few passes of every limit between the benchmark's repetitions, then read
 * the medians of all passes taken.  pool must outlive the sampler and have
 * at most PIO_BENCH_MAX_THREADS threads; opts->passes is ignored.
 * *out owned by the caller (pio_bench_limits_sampler_destroy).
 */
typedef struct pio_bench_limits_sampler pio_bench_limits_sampler;
pio_status pio_bench_limits_sampler_create(pio_threadpool *pool,
                                           const pio_bench_limits_options *opts,
                                           uint32_t max_passes, pio_bench_limits_sampler **out,
                                           pio_error *err);
void pio_bench_limits_sampler_destroy(pio_bench_limits_sampler *sampler);
/* Takes `passes` timed passes of each limit; PIO_ERR_LIMIT past max_passes. */
pio_status pio_bench_limits_sample(pio_bench_limits_sampler *sampler, uint32_t passes,
                                   pio_error *err);
/* Medians of every pass taken so far (0 figures when none). */
void pio_bench_limits_sampler_result(const pio_bench_limits_sampler *sampler,
                                     pio_bench_limits *out);

#endif
