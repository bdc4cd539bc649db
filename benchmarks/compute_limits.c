/* benchmarks/compute_limits.c — measures memory read bandwidth and the f32
 * and bf16 compute peaks with a thread pool, as medians of timed passes
 * that a sampler can spread over a benchmark's run. */
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

static pio_status check_passes(uint32_t passes, pio_error *err) {
  if (passes == 0 || passes > MAX_PASSES)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "passes must be between 1 and %d, got %u", MAX_PASSES, passes);
  return PIO_OK;
}

static uint32_t pool_threads(pio_threadpool *pool) {
  return pool != NULL ? pio_threadpool_size(pool) : 1;
}

/* ---- read bandwidth ----------------------------------------------------- */

typedef struct read_task {
  pio_threadpool *pool;
  uint64_t *words; /* words[n_lines * LINE_WORDS], from pio_pages_alloc */
  size_t n_lines;
  pio_bench_isa isa;
  uint64_t *sums;  /* sums[n_threads]: each thread's share of the checksum */
  uint32_t n_threads;
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

uint64_t pio_bench_read_buffer_size(uint64_t bytes) {
  if (bytes < PIO_BENCH_READ_BUFFER_MIN) bytes = PIO_BENCH_READ_BUFFER_MIN;
  return bytes / (PAGE_LINES * 64) * (PAGE_LINES * 64);
}

static void read_free(read_task *t) {
  free(t->sums);
  pio_pages_free(t->words, t->n_lines * 64);
  t->sums = NULL;
  t->words = NULL;
}

/* One timed pass; PIO_ERR_INTERNAL when its checksum is wrong. */
static pio_status read_pass(read_task *t, double *bytes_per_s, pio_error *err) {
  memset(t->sums, 0, t->n_threads * sizeof *t->sums);
  double t0 = pio_bench_now();
  pio_threadpool_run(t->pool, read_task_run, t);
  double elapsed = pio_bench_now() - t0;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < t->n_threads; i++) sum += t->sums[i];
  if (sum != expected_sum((uint64_t)t->n_lines * LINE_WORDS))
    return pio_error_set(err, PIO_ERR_INTERNAL, "the %s read loop returned a wrong checksum",
                         pio_bench_isa_name(t->isa));
  *bytes_per_s = (double)(t->n_lines * 64) / elapsed;
  return PIO_OK;
}

/* Allocates and fills the buffer, then reads it once untimed. */
static pio_status read_init(read_task *t, pio_threadpool *pool, pio_bench_isa isa,
                            uint64_t bytes, pio_error *err) {
  memset(t, 0, sizeof *t);
  if (!pio_bench_isa_available(isa))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "this CPU cannot run the %s read loop",
                         pio_bench_isa_name(isa));
  t->pool = pool;
  t->isa = isa;
  t->n_threads = pool_threads(pool);
  t->n_lines = (size_t)(pio_bench_read_buffer_size(bytes) / 64);
  /* The memory model weights live in (huge pages advised), so the limit is
   * the one their stream meets, not one lowered by TLB misses. */
  void *buffer = NULL;
  if (pio_pages_alloc(t->n_lines * 64, &buffer, err) != PIO_OK) {
    t->n_lines = 0;
    return pio_error_prefix(err, "read-bandwidth buffer");
  }
  t->words = buffer;
  t->sums = calloc(t->n_threads, sizeof *t->sums);
  if (t->sums == NULL) {
    read_free(t);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate read-bandwidth sums");
  }
  /* Every thread fills its own share, so the pages exist before timing. */
  t->fill = 1;
  pio_threadpool_run(pool, read_task_run, t);
  t->fill = 0;
  double ignored;
  pio_status s = read_pass(t, &ignored, err); /* untimed: settles TLB and clocks */
  if (s != PIO_OK) read_free(t);
  return s;
}

pio_status pio_bench_measure_read_bandwidth(pio_threadpool *pool, pio_bench_isa isa,
                                            uint64_t bytes, uint32_t passes,
                                            double *bytes_per_s, pio_error *err) {
  pio_status s = check_passes(passes, err);
  if (s != PIO_OK) return s;
  double *rates = calloc(passes, sizeof *rates);
  if (rates == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate timings");
  read_task t;
  s = read_init(&t, pool, isa, bytes, err);
  for (uint32_t p = 0; p < passes && s == PIO_OK; p++) s = read_pass(&t, &rates[p], err);
  if (s == PIO_OK) *bytes_per_s = pio_bench_median(rates, passes);
  read_free(&t);
  free(rates);
  return s;
}

/* ---- compute peaks ------------------------------------------------------ */

typedef struct compute_task {
  pio_threadpool *pool;
  int bf16;          /* 1: vdpbf16ps chains, 0: f32 FMA chains of isa */
  pio_bench_isa isa;
  uint64_t iterations;
  double flop_per_iteration; /* one thread's work of one iteration */
  uint32_t n_threads;
  float results[PIO_BENCH_MAX_THREADS]; /* kept so the loops cannot be dropped */
} compute_task;

static void compute_task_run(void *ctx, uint32_t i, uint32_t n) {
  (void)n;
  compute_task *t = ctx;
  float r = t->bf16 ? pio_bench_bf16_dot(t->iterations) : pio_bench_fma_f32(t->isa, t->iterations);
  if (i < PIO_BENCH_MAX_THREADS) t->results[i] = r;
}

static double compute_seconds(compute_task *t) {
  double t0 = pio_bench_now();
  pio_threadpool_run(t->pool, compute_task_run, t);
  return pio_bench_now() - t0;
}

static double compute_pass(compute_task *t) {
  return t->flop_per_iteration * (double)t->iterations * t->n_threads / compute_seconds(t);
}

/* Grows the count until a pass takes a measurable time, then scales it so
 * one pass lasts about pass_seconds. */
static void compute_calibrate(compute_task *t, double pass_seconds) {
  t->iterations = CALIBRATION_ITERATIONS;
  double elapsed = compute_seconds(t);
  while (elapsed < pass_seconds / 20 && t->iterations < (1ull << 40)) {
    t->iterations *= 4;
    elapsed = compute_seconds(t);
  }
  double scaled = (double)t->iterations * pass_seconds / (elapsed > 0 ? elapsed : 1e-9);
  t->iterations = scaled < 1.0 ? 1 : (uint64_t)scaled;
}

static pio_status compute_init(compute_task *t, pio_threadpool *pool, int bf16, pio_bench_isa isa,
                               double pass_seconds, pio_error *err) {
  memset(t, 0, sizeof *t);
  t->pool = pool;
  t->bf16 = bf16;
  t->isa = isa;
  t->n_threads = pool_threads(pool);
  if (bf16) {
    if (!pio_bench_bf16_available())
      return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                           "this CPU has no AVX-512 BF16 dot product (avx512_bf16)");
    t->flop_per_iteration = 4.0 * pio_bench_bf16_chains();
  } else {
    if (!pio_bench_isa_available(isa))
      return pio_error_set(err, PIO_ERR_UNSUPPORTED, "this CPU cannot run the %s FMA loop",
                           pio_bench_isa_name(isa));
    t->flop_per_iteration = 2.0 * pio_bench_fma_chains(isa);
  }
  compute_calibrate(t, pass_seconds > 0.0 ? pass_seconds : PIO_BENCH_COMPUTE_PASS_SECONDS);
  return PIO_OK;
}

static pio_status measure_compute(pio_threadpool *pool, int bf16, pio_bench_isa isa,
                                  uint32_t passes, double pass_seconds, double *flops_per_s,
                                  pio_error *err) {
  pio_status s = check_passes(passes, err);
  if (s != PIO_OK) return s;
  compute_task t;
  s = compute_init(&t, pool, bf16, isa, pass_seconds, err);
  if (s != PIO_OK) return s;
  double *rates = calloc(passes, sizeof *rates);
  if (rates == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate timings");
  for (uint32_t p = 0; p < passes; p++) rates[p] = compute_pass(&t);
  *flops_per_s = pio_bench_median(rates, passes);
  free(rates);
  return PIO_OK;
}

pio_status pio_bench_measure_f32_peak(pio_threadpool *pool, pio_bench_isa isa,
                                      uint32_t passes, double pass_seconds,
                                      double *flops_per_s, pio_error *err) {
  return measure_compute(pool, 0, isa, passes, pass_seconds, flops_per_s, err);
}

pio_status pio_bench_measure_bf16_peak(pio_threadpool *pool, uint32_t passes,
                                       double pass_seconds, double *flops_per_s,
                                       pio_error *err) {
  return measure_compute(pool, 1, PIO_BENCH_ISA_AVX512, passes, pass_seconds, flops_per_s, err);
}

/* ---- sampler: passes spread over a run ----------------------------------- */

struct pio_bench_limits_sampler {
  read_task read;
  compute_task f32;
  compute_task bf16;
  int has_bf16;
  uint32_t capacity, count; /* timed passes of each limit held / taken */
  double *read_rates, *f32_rates, *bf16_rates;
};

void pio_bench_limits_sampler_destroy(pio_bench_limits_sampler *s) {
  if (s == NULL) return;
  read_free(&s->read);
  free(s->read_rates);
  free(s->f32_rates);
  free(s->bf16_rates);
  free(s);
}

pio_status pio_bench_limits_sampler_create(pio_threadpool *pool,
                                           const pio_bench_limits_options *opts,
                                           uint32_t max_passes, pio_bench_limits_sampler **out,
                                           pio_error *err) {
  pio_status st = check_passes(max_passes, err);
  if (st != PIO_OK) return st;
  if (pool_threads(pool) > PIO_BENCH_MAX_THREADS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "at most %d threads, got %u",
                         PIO_BENCH_MAX_THREADS, pool_threads(pool));
  uint64_t bytes = opts != NULL && opts->read_buffer_bytes != 0 ? opts->read_buffer_bytes
                                                                : PIO_BENCH_READ_BUFFER_DEFAULT;
  double pass_s = opts != NULL ? opts->compute_pass_seconds : 0.0;
  pio_bench_limits_sampler *s = calloc(1, sizeof *s);
  if (s == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate a limits sampler");
  s->capacity = max_passes;
  s->read_rates = calloc(max_passes, sizeof *s->read_rates);
  s->f32_rates = calloc(max_passes, sizeof *s->f32_rates);
  s->bf16_rates = calloc(max_passes, sizeof *s->bf16_rates);
  if (s->read_rates == NULL || s->f32_rates == NULL || s->bf16_rates == NULL)
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate limit timings");
  pio_bench_isa isa = pio_bench_isa_best();
  if (st == PIO_OK && read_init(&s->read, pool, isa, bytes, err) != PIO_OK)
    st = pio_error_prefix(err, "measuring memory read bandwidth");
  if (st == PIO_OK && compute_init(&s->f32, pool, 0, isa, pass_s, err) != PIO_OK)
    st = pio_error_prefix(err, "measuring the f32 FMA peak");
  s->has_bf16 = pio_bench_bf16_available();
  if (st == PIO_OK && s->has_bf16 &&
      compute_init(&s->bf16, pool, 1, isa, pass_s, err) != PIO_OK)
    st = pio_error_prefix(err, "measuring the bf16 dot-product peak");
  if (st != PIO_OK) {
    pio_bench_limits_sampler_destroy(s);
    return st;
  }
  *out = s;
  return PIO_OK;
}

pio_status pio_bench_limits_sample(pio_bench_limits_sampler *s, uint32_t passes,
                                   pio_error *err) {
  if (passes > s->capacity - s->count)
    return pio_error_set(err, PIO_ERR_LIMIT, "limits sampler holds %u passes, %u taken, %u asked",
                         s->capacity, s->count, passes);
  for (uint32_t p = 0; p < passes; p++, s->count++) {
    pio_status st = read_pass(&s->read, &s->read_rates[s->count], err);
    if (st != PIO_OK) return st;
    s->f32_rates[s->count] = compute_pass(&s->f32);
    if (s->has_bf16) s->bf16_rates[s->count] = compute_pass(&s->bf16);
  }
  return PIO_OK;
}

void pio_bench_limits_sampler_result(const pio_bench_limits_sampler *s, pio_bench_limits *out) {
  memset(out, 0, sizeof *out);
  out->n_threads = s->read.n_threads;
  out->passes = s->count;
  out->read_buffer_bytes = (uint64_t)s->read.n_lines * 64;
  out->read_isa = s->read.isa;
  out->f32_isa = s->f32.isa;
  out->has_bf16 = s->has_bf16;
  /* Medians sort, so they work on copies: the sampler may take more. */
  double *tmp = calloc(s->count > 0 ? s->count : 1, sizeof *tmp);
  if (tmp == NULL || s->count == 0) {
    free(tmp);
    return;
  }
  size_t bytes = s->count * sizeof *tmp;
  memcpy(tmp, s->read_rates, bytes);
  out->read_bytes_per_s = pio_bench_median(tmp, s->count);
  memcpy(tmp, s->f32_rates, bytes);
  out->f32_flops_per_s = pio_bench_median(tmp, s->count);
  if (s->has_bf16) {
    memcpy(tmp, s->bf16_rates, bytes);
    out->bf16_flops_per_s = pio_bench_median(tmp, s->count);
  }
  free(tmp);
}

pio_status pio_bench_measure_limits(pio_threadpool *pool, const pio_bench_limits_options *opts,
                                    pio_bench_limits *out, pio_error *err) {
  uint32_t passes = opts != NULL && opts->passes != 0 ? opts->passes
                                                      : PIO_BENCH_LIMIT_PASSES_DEFAULT;
  pio_bench_limits_sampler *s = NULL;
  pio_status st = pio_bench_limits_sampler_create(pool, opts, passes, &s, err);
  if (st != PIO_OK) return st;
  st = pio_bench_limits_sample(s, passes, err);
  if (st == PIO_OK) pio_bench_limits_sampler_result(s, out);
  pio_bench_limits_sampler_destroy(s);
  return st;
}
