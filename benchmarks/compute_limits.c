/* benchmarks/compute_limits.c — measures memory read bandwidth and the f32
 * and bf16 compute peaks with a thread pool, as medians of timed passes. */
#include "compute_limits.h"

#include <stdlib.h>
#include <string.h>

#include "pio/memory.h"

#include "stats.h"

#define LINE_WORDS 8         /* 64-byte cache line of 64-bit words */
#define PAGE_LINES 64        /* 4 KiB: threads split the buffer by pages */
#define FILL_MULTIPLIER 0x9E3779B97F4A7C15ull
#define CALIBRATION_ITERATIONS 4096ull
#define MAX_PASSES 1000

/* ---- read bandwidth ----------------------------------------------------- */

typedef struct read_task {
  uint64_t *words; /* words[n_lines * LINE_WORDS] */
  size_t n_lines;
  pio_bench_isa isa;
  uint64_t *sums;  /* sums[n_threads]: each thread's share of the checksum */
  int fill;        /* 1: write the pattern instead of reading */
} read_task;

static void read_task_run(void *ctx, uint32_t i, uint32_t n) {
  read_task *t = ctx;
  size_t begin, end;
  pio_split_range(t->n_lines, PAGE_LINES, i, n, &begin, &end);
  uint64_t *w = t->words + begin * LINE_WORDS;
  size_t n_words = (end - begin) * LINE_WORDS;
  if (t->fill) {
    for (size_t k = 0; k < n_words; k++) w[k] = (begin * LINE_WORDS + k) * FILL_MULTIPLIER;
    return;
  }
  t->sums[i] = pio_bench_read_sum(t->isa, w, n_words);
}

/* Sum of k * FILL_MULTIPLIER for k in [0, n) modulo 2^64. */
static uint64_t expected_sum(uint64_t n) {
  uint64_t a = n, b = n - 1;
  if (a % 2 == 0) a /= 2; else b /= 2;
  return a * b * FILL_MULTIPLIER;
}

static double time_read_pass(pio_threadpool *pool, read_task *t, uint32_t n_threads,
                             int *checksum_ok) {
  memset(t->sums, 0, n_threads * sizeof *t->sums);
  double t0 = pio_bench_now();
  pio_threadpool_run(pool, read_task_run, t);
  double elapsed = pio_bench_now() - t0;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n_threads; i++) sum += t->sums[i];
  *checksum_ok = sum == expected_sum((uint64_t)t->n_lines * LINE_WORDS);
  return elapsed;
}

uint64_t pio_bench_read_buffer_size(uint64_t bytes) {
  if (bytes < PIO_BENCH_READ_BUFFER_MIN) bytes = PIO_BENCH_READ_BUFFER_MIN;
  return bytes / (PAGE_LINES * 64) * (PAGE_LINES * 64);
}

static pio_status check_passes(uint32_t passes, pio_error *err) {
  if (passes == 0 || passes > MAX_PASSES)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "passes must be between 1 and %d, got %u", MAX_PASSES, passes);
  return PIO_OK;
}

pio_status pio_bench_measure_read_bandwidth(pio_threadpool *pool, pio_bench_isa isa,
                                            uint64_t bytes, uint32_t passes,
                                            double *bytes_per_s, pio_error *err) {
  pio_status status = check_passes(passes, err);
  if (status != PIO_OK) return status;
  if (!pio_bench_isa_available(isa))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "this CPU cannot run the %s read loop",
                         pio_bench_isa_name(isa));
  uint32_t n_threads = pool != NULL ? pio_threadpool_size(pool) : 1;
  size_t n_lines = (size_t)(pio_bench_read_buffer_size(bytes) / 64);
  read_task t = {.n_lines = n_lines, .isa = isa, .fill = 1};
  /* The memory model weights live in (huge pages advised), so the limit is
   * the one their stream meets, not one inflated by TLB misses. */
  void *buffer = NULL;
  status = pio_pages_alloc(n_lines * 64, &buffer, err);
  if (status != PIO_OK) return pio_error_prefix(err, "read-bandwidth buffer");
  t.words = buffer;
  t.sums = calloc(n_threads, sizeof *t.sums);
  double *seconds = calloc(passes, sizeof *seconds);
  if (t.sums == NULL || seconds == NULL) {
    status = pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate read-bandwidth timings");
    goto done;
  }
  /* Fill with every thread so the pages exist (and sit near their reader). */
  pio_threadpool_run(pool, read_task_run, &t);
  t.fill = 0;
  int ok = 1;
  time_read_pass(pool, &t, n_threads, &ok); /* untimed: settles TLB and clocks */
  for (uint32_t p = 0; p < passes && ok; p++) seconds[p] = time_read_pass(pool, &t, n_threads, &ok);
  if (!ok) {
    status = pio_error_set(err, PIO_ERR_INTERNAL,
                           "the %s read loop returned a wrong checksum",
                           pio_bench_isa_name(isa));
    goto done;
  }
  *bytes_per_s = (double)(n_lines * 64) / pio_bench_median(seconds, passes);
done:
  free(seconds);
  free(t.sums);
  pio_pages_free(buffer, n_lines * 64);
  return status;
}

/* ---- compute peaks ------------------------------------------------------ */

typedef struct compute_task {
  int bf16;          /* 1: vdpbf16ps chains, 0: f32 FMA chains of isa */
  pio_bench_isa isa;
  uint64_t iterations;
  float *results;    /* results[n_threads]: kept so the loops cannot be dropped */
} compute_task;

static void compute_task_run(void *ctx, uint32_t i, uint32_t n) {
  (void)n;
  compute_task *t = ctx;
  t->results[i] = t->bf16 ? pio_bench_bf16_dot(t->iterations)
                          : pio_bench_fma_f32(t->isa, t->iterations);
}

static double time_compute_pass(pio_threadpool *pool, compute_task *t) {
  double t0 = pio_bench_now();
  pio_threadpool_run(pool, compute_task_run, t);
  return pio_bench_now() - t0;
}

/* Median FLOP/s over passes of about pass_seconds each; flop_per_iteration
 * counts one thread's work of one iteration. */
static pio_status measure_compute(pio_threadpool *pool, compute_task *t, double flop_per_iteration,
                                  uint32_t passes, double pass_seconds, double *flops_per_s,
                                  pio_error *err) {
  pio_status status = check_passes(passes, err);
  if (status != PIO_OK) return status;
  if (!(pass_seconds > 0.0)) pass_seconds = PIO_BENCH_COMPUTE_PASS_SECONDS;
  uint32_t n_threads = pool != NULL ? pio_threadpool_size(pool) : 1;
  t->results = calloc(n_threads, sizeof *t->results);
  double *rates = calloc(passes, sizeof *rates);
  if (t->results == NULL || rates == NULL) {
    free(t->results);
    free(rates);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate compute-peak buffers");
  }
  /* Calibrate: grow the count until a pass takes a measurable time, then
   * scale it to pass_seconds. */
  t->iterations = CALIBRATION_ITERATIONS;
  double elapsed = time_compute_pass(pool, t);
  while (elapsed < pass_seconds / 20 && t->iterations < (1ull << 40)) {
    t->iterations *= 4;
    elapsed = time_compute_pass(pool, t);
  }
  double scaled = (double)t->iterations * pass_seconds / (elapsed > 0 ? elapsed : 1e-9);
  t->iterations = scaled < 1.0 ? 1 : (uint64_t)scaled;
  for (uint32_t p = 0; p < passes; p++) {
    double s = time_compute_pass(pool, t);
    rates[p] = flop_per_iteration * (double)t->iterations * n_threads / s;
  }
  *flops_per_s = pio_bench_median(rates, passes);
  free(rates);
  free(t->results);
  t->results = NULL;
  return PIO_OK;
}

pio_status pio_bench_measure_f32_peak(pio_threadpool *pool, pio_bench_isa isa,
                                      uint32_t passes, double pass_seconds,
                                      double *flops_per_s, pio_error *err) {
  if (!pio_bench_isa_available(isa))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "this CPU cannot run the %s FMA loop",
                         pio_bench_isa_name(isa));
  compute_task t = {.bf16 = 0, .isa = isa};
  return measure_compute(pool, &t, 2.0 * pio_bench_fma_chains(isa), passes, pass_seconds,
                         flops_per_s, err);
}

pio_status pio_bench_measure_bf16_peak(pio_threadpool *pool, uint32_t passes,
                                       double pass_seconds, double *flops_per_s,
                                       pio_error *err) {
  if (!pio_bench_bf16_available())
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "this CPU has no AVX-512 BF16 dot product (avx512_bf16)");
  compute_task t = {.bf16 = 1};
  return measure_compute(pool, &t, 4.0 * pio_bench_bf16_chains(), passes, pass_seconds,
                         flops_per_s, err);
}

pio_status pio_bench_measure_limits(pio_threadpool *pool, const pio_bench_limits_options *opts,
                                    pio_bench_limits *out, pio_error *err) {
  pio_bench_limits_options o = {0};
  if (opts != NULL) o = *opts;
  if (o.read_buffer_bytes == 0) o.read_buffer_bytes = PIO_BENCH_READ_BUFFER_DEFAULT;
  if (o.passes == 0) o.passes = PIO_BENCH_LIMIT_PASSES_DEFAULT;
  if (!(o.compute_pass_seconds > 0.0)) o.compute_pass_seconds = PIO_BENCH_COMPUTE_PASS_SECONDS;

  memset(out, 0, sizeof *out);
  out->n_threads = pool != NULL ? pio_threadpool_size(pool) : 1;
  out->passes = o.passes;
  out->read_buffer_bytes = pio_bench_read_buffer_size(o.read_buffer_bytes);
  out->read_isa = pio_bench_isa_best();
  out->f32_isa = out->read_isa;
  pio_status s = pio_bench_measure_read_bandwidth(pool, out->read_isa, o.read_buffer_bytes,
                                                  o.passes, &out->read_bytes_per_s, err);
  if (s != PIO_OK) return pio_error_prefix(err, "measuring memory read bandwidth");
  s = pio_bench_measure_f32_peak(pool, out->f32_isa, o.passes, o.compute_pass_seconds,
                                 &out->f32_flops_per_s, err);
  if (s != PIO_OK) return pio_error_prefix(err, "measuring the f32 FMA peak");
  out->has_bf16 = pio_bench_bf16_available();
  if (out->has_bf16) {
    s = pio_bench_measure_bf16_peak(pool, o.passes, o.compute_pass_seconds,
                                    &out->bf16_flops_per_s, err);
    if (s != PIO_OK) return pio_error_prefix(err, "measuring the bf16 dot-product peak");
  }
  return PIO_OK;
}
