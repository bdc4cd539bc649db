/* benchmarks/compute_limits.h — the machine's limits for the forward pass,
 * measured by pio-bench in the same run as the model: memory read bandwidth
 * (the decode limit) and the peak of each multiply instruction a matmul
 * path uses (the prefill limits), all with the benchmark's thread pool. */
#ifndef PIO_BENCH_COMPUTE_LIMITS_H
#define PIO_BENCH_COMPUTE_LIMITS_H

#include <stdint.h>

#include "pio/dtype.h"
#include "pio/status.h"
#include "pio/threadpool.h"

#include "compute_kernels.h"

#define PIO_BENCH_READ_BUFFER_DEFAULT (1ull << 30) /* 1 GiB: far past any LLC */
#define PIO_BENCH_READ_BUFFER_MIN (64ull << 10)
#define PIO_BENCH_LIMIT_PASSES_DEFAULT 5
#define PIO_BENCH_COMPUTE_PASS_SECONDS 0.01
#define PIO_BENCH_MAX_THREADS 1024

typedef struct pio_bench_limits_options {
  uint64_t read_buffer_bytes; /* 0: PIO_BENCH_READ_BUFFER_DEFAULT */
  uint32_t passes;            /* timed passes of each limit; 0: the default */
  double compute_pass_seconds; /* length of one compute pass; 0: the default */
  uint32_t peaks;             /* bit p: measure pio_bench_peak p; 0: every available one */
} pio_bench_limits_options;

/* One compute peak of a run. */
typedef struct pio_bench_peak_figure {
  int measured;               /* 1 when taken in this run */
  uint32_t accumulators;      /* independent registers (tiles) the calibration chose */
  double flops_per_s;         /* the limit: best pass, all threads pinned; a multiply-add = 2 FLOP */
  double median_flops_per_s;  /* median pass */
} pio_bench_peak_figure;

typedef struct pio_bench_limits {
  uint32_t n_threads;         /* threads of the pool every figure used */
  uint32_t passes;
  uint64_t read_buffer_bytes;
  pio_bench_isa read_isa;
  uint32_t read_streams;      /* concurrent streams the read loop's calibration chose */
  int read_prefetch;          /* 1: it chose to prefetch PIO_BENCH_READ_PREFETCH bytes ahead */
  double read_bytes_per_s;    /* the limit: best pass, all threads reading */
  double read_median_bytes_per_s; /* median pass */
  pio_bench_peak_figure peaks[PIO_BENCH_PEAK_COUNT];
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

/*
 * The peak of one instruction (compute_kernels.h): first the width is
 * calibrated, every thread running the loops of each width in turn (more
 * accumulators each time) until the rate stops rising, so the loop hides
 * the instruction's latency on this CPU; then `passes` passes of about
 * pass_seconds each with the best width.  In a pass share i runs pinned to
 * the i-th CPU this thread may use (its mask restored after), first a
 * quarter of its rounds untimed (the warm-up: a tile or vector unit that
 * was idle runs slower at first), then its timed rounds; the pass's rate
 * is the sum of the shares' own rates, so a share the pool started late
 * does not count as time lost.  out->flops_per_s is the best pass,
 * median_flops_per_s the median.
 * PIO_ERR_UNSUPPORTED when this CPU cannot run the instruction.
 */
pio_status pio_bench_measure_peak(pio_threadpool *pool, pio_bench_peak peak, uint32_t passes,
                                  double pass_seconds, pio_bench_peak_figure *out,
                                  pio_error *err);

/* The instruction whose peak bounds a matmul over weights of dtype on the
 * SDK kernel path named path ("scalar", "avx2", "avx512", "avx512bf16",
 * "amx_bf16"): SSE2 mul+add for scalar code (the most the compiler can make
 * of it on x86-64), the path's FMA for f32 and f16 weights (widened to f32),
 * vdpbf16ps or tdpbf16ps for bf16 weights on the bf16 paths.
 * PIO_BENCH_PEAK_COUNT for a path this build does not know: then only the
 * highest of all peaks is a bound. */
pio_bench_peak pio_bench_peak_bounding(const char *path, pio_dtype dtype);

/* The read bandwidth (widest loads available) and the peaks opts names
 * (opts may be NULL: every available peak), their passes taken one after
 * another. */
pio_status pio_bench_measure_limits(pio_threadpool *pool, const pio_bench_limits_options *opts,
                                    pio_bench_limits *out, pio_error *err);

/*
 * A sampler spreads the passes over a benchmark, so that on a shared
 * machine the limits see the same load as the figures they bound: create
 * it (buffer filled, compute loops calibrated, nothing timed yet), take a
 * few passes of every limit between the benchmark's repetitions, then read
 * the best and the median of all passes taken.  The best pass is the
 * limit: what the machine did when nothing else took its cores, which a
 * figure timed over a shorter, luckier stretch cannot beat; the median
 * shows the load.  pool must outlive the sampler and have
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
/* One timed pass of the read loop alone, not counted among the passes
 * above: the bandwidth of this moment, for a figure timed just beside it. */
pio_status pio_bench_limits_read_now(pio_bench_limits_sampler *sampler, double *bytes_per_s,
                                     pio_error *err);
/* Best and median of every pass taken so far (0 figures when none). */
void pio_bench_limits_sampler_result(const pio_bench_limits_sampler *sampler,
                                     pio_bench_limits *out);

#endif
