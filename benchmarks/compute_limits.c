/* benchmarks/compute_limits.c — measures memory read bandwidth and the
 * compute peak of each multiply instruction with a thread pool, as the best
 * and the median of timed passes that a sampler can spread over a
 * benchmark's run. */
#include "compute_limits.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pio/memory.h"

#include "stats.h"

#define LINE_WORDS 8         /* 64-byte cache line of 64-bit words */
#define PAGE_LINES 64        /* 4 KiB: threads split the buffer by pages */
#define FILL_MULTIPLIER 0x9E3779B97F4A7C15ull
#define CALIBRATION_ITERATIONS 4096ull
#define MAX_PASSES 1000
#define READ_PASS_SECONDS 0.002

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
  uint32_t sweeps; /* reads of the whole buffer a pass makes */
  uint32_t streams; /* concurrent streams of the read loop, as calibrated */
  int prefetch;     /* whether the read loop prefetches ahead, as calibrated */
  int fill;        /* 1: write the pattern instead of reading */
  pio_chunks chunks; /* lines a read pass hands out */
} read_task;

/* Smallest share of a read pass: 64 KiB, as the decode matmuls take. */
#define READ_CHUNK_LINES 1024

static void read_task_run(void *ctx, uint32_t i, uint32_t n) {
  read_task *t = ctx;
  size_t begin, end;
  if (t->fill) {
    pio_split_range(t->n_lines, PAGE_LINES, i, n, &begin, &end);
    uint64_t *w = t->words + begin * LINE_WORDS;
    for (size_t k = 0; k < (end - begin) * LINE_WORDS; k++)
      w[k] = (begin * LINE_WORDS + k) * FILL_MULTIPLIER;
    return;
  }
  /* Guided chunks, as the matmuls take rows: a pass ends when the memory
   * has delivered the buffer, not when the slowest thread's fixed half
   * has (which a decode matmul, taking chunks, never waits for). */
  uint64_t sum = 0;
  while (pio_chunks_take(&t->chunks, &begin, &end))
    for (uint32_t k = 0; k < t->sweeps; k++)
      sum += pio_bench_read_sum(t->isa, t->streams, t->prefetch, t->words + begin * LINE_WORDS,
                                (end - begin) * LINE_WORDS);
  t->sums[i] = sum;
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
  pio_chunks_init(&t->chunks, t->n_lines, PAGE_LINES, READ_CHUNK_LINES, t->n_threads);
  double t0 = pio_bench_now();
  pio_threadpool_run(t->pool, read_task_run, t);
  double elapsed = pio_bench_now() - t0;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < t->n_threads; i++) sum += t->sums[i];
  if (sum != t->sweeps * expected_sum((uint64_t)t->n_lines * LINE_WORDS))
    return pio_error_set(err, PIO_ERR_INTERNAL, "the %s read loop returned a wrong checksum",
                         pio_bench_isa_name(t->isa));
  *bytes_per_s = (double)t->sweeps * (double)(t->n_lines * 64) / elapsed;
  return PIO_OK;
}

/* Best pass of this many is a stream count's rate in the calibration. */
#define STREAM_CALIBRATION_TRIES 3

/* Picks the stream count, and whether to prefetch, that the read loop
 * runs fastest with on this CPU, as the peaks pick their width: how many
 * rows a core can stream at once differs between cores (four were enough
 * on Zen 3 and Sapphire Rapids; a Zen 5 matmul reading six rows ran above
 * a four-stream loop), and on an Intel Xeon without avx512_bf16 the decode,
 * which prefetches 4 KiB ahead there, ran above every loop that did not.
 * A bound must be the fastest way this machine reads, not one pattern of
 * it.  The tries of the patterns are interleaved, so a minute of load
 * elsewhere does not decide for one. */
static pio_status calibrate_streams(read_task *t, pio_error *err) {
  /* Pattern c: streams c / 2, prefetch c % 2; the scalar loop takes no prefetch. */
  enum { PATTERNS = 2 * PIO_BENCH_READ_STREAM_COUNTS };
  const uint32_t step = t->isa == PIO_BENCH_ISA_SCALAR ? 2 : 1;
  double best[PATTERNS] = {0};
  for (int k = 0; k < STREAM_CALIBRATION_TRIES; k++)
    for (uint32_t c = 0; c < PATTERNS; c += step) {
      t->streams = pio_bench_read_streams[c / 2];
      t->prefetch = (int)(c % 2);
      double rate = 0.0;
      pio_status s = read_pass(t, &rate, err);
      if (s != PIO_OK) return s;
      if (rate > best[c]) best[c] = rate;
    }
  uint32_t pick = 0;
  for (uint32_t c = step; c < PATTERNS; c += step)
    if (best[c] > best[pick]) pick = c;
  t->streams = pio_bench_read_streams[pick / 2];
  t->prefetch = (int)(pick % 2);
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
  /* Untimed: settles TLB and clocks.  A buffer small enough to be read in
   * less than READ_PASS_SECONDS is read several times a pass, so that
   * waking the pool does not count as time spent reading: the limit of a
   * model whose weights sit in a cache is that cache's rate. */
  t->sweeps = 1;
  t->streams = pio_bench_read_streams[PIO_BENCH_READ_STREAM_COUNTS - 1];
  double rate = 0.0;
  pio_status s = read_pass(t, &rate, err);
  for (int i = 0; i < 2 && s == PIO_OK; i++) { /* the first pass may fault pages in */
    double seconds = (double)(t->n_lines * 64) / rate;
    if (seconds < READ_PASS_SECONDS) t->sweeps = (uint32_t)(READ_PASS_SECONDS / seconds) + 1;
    s = read_pass(t, &rate, err);
  }
  if (s == PIO_OK) s = calibrate_streams(t, err);
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

/* Calibration passes are this share of a timed pass; the best of this many
 * is a width's rate. */
#define CALIBRATION_SHARE 0.2
#define CALIBRATION_TRIES 5
/* Untimed rounds each share runs on its core before its timed ones, as a
 * share of them: a core that has not run the instruction for a while runs
 * it slower at first (AMX's tile unit powers up and the core takes a lower
 * frequency licence for it), and a bound must be the rate once it has. */
#define WARM_UP_SHARE 0.25

typedef struct compute_task {
  pio_threadpool *pool;
  pio_bench_peak peak;
  uint32_t variant;  /* width the calibration chose */
  uint64_t rounds;
  uint32_t n_threads;
  uint32_t n_cpus;   /* CPUs share i is pinned to in turn (cpus[i % n_cpus]); 0: not pinned */
  int cpus[PIO_BENCH_MAX_THREADS];
  double results[PIO_BENCH_MAX_THREADS]; /* kept so the loops cannot be dropped */
  double seconds[PIO_BENCH_MAX_THREADS]; /* each share's timed rounds */
} compute_task;

/* The CPUs this thread may run on, in order, into t->cpus. */
static void list_cpus(compute_task *t) {
  t->n_cpus = 0;
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return;
  for (int c = 0; c < CPU_SETSIZE && t->n_cpus < PIO_BENCH_MAX_THREADS; c++)
    if (CPU_ISSET(c, &set)) t->cpus[t->n_cpus++] = c;
#endif
}

/* Share i's thread onto CPU cpus[i % n_cpus] for the share, so no two
 * shares of a pass share a core while another core idles (the scheduler
 * may put two woken threads on one core for a while); its mask before is
 * kept in *saved.  0 when not pinned. */
#ifdef __linux__
static int pin_share(const compute_task *t, uint32_t i, cpu_set_t *saved) {
  if (t->n_cpus == 0 || pthread_getaffinity_np(pthread_self(), sizeof *saved, saved) != 0)
    return 0;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(t->cpus[i % t->n_cpus], &one);
  return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}
#endif

static void compute_task_run(void *ctx, uint32_t i, uint32_t n) {
  (void)n;
  compute_task *t = ctx;
#ifdef __linux__
  cpu_set_t saved;
  const int pinned = pin_share(t, i, &saved);
#endif
  double r = pio_bench_peak_run(t->peak, t->variant, (uint64_t)((double)t->rounds * WARM_UP_SHARE));
  const double t0 = pio_bench_now();
  r += pio_bench_peak_run(t->peak, t->variant, t->rounds);
  const double seconds = pio_bench_now() - t0;
#ifdef __linux__
  if (pinned) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
#endif
  if (i < PIO_BENCH_MAX_THREADS) {
    t->results[i] = r;
    t->seconds[i] = seconds > 0.0 ? seconds : 1e-9;
  }
}

static uint32_t timed_shares(const compute_task *t) {
  return t->n_threads < PIO_BENCH_MAX_THREADS ? t->n_threads : PIO_BENCH_MAX_THREADS;
}

/* One pass; the longest share's timed seconds. */
static double compute_seconds(compute_task *t) {
  pio_threadpool_run(t->pool, compute_task_run, t);
  double longest = 0.0;
  for (uint32_t i = 0; i < timed_shares(t); i++)
    if (t->seconds[i] > longest) longest = t->seconds[i];
  return longest;
}

/* One pass's rate: the sum of every share's own rate, each timed on its
 * own core after its warm-up, so neither waking the pool nor a share that
 * started late (or that the caller ran after its own) counts as time the
 * instruction was not issued.  The rate the cores reach together, so a
 * bound. */
static double compute_pass(compute_task *t) {
  pio_threadpool_run(t->pool, compute_task_run, t);
  const double flop = pio_bench_peak_round_flop(t->peak, t->variant) * (double)t->rounds;
  double rate = 0.0;
  for (uint32_t i = 0; i < timed_shares(t); i++) rate += flop / t->seconds[i];
  return rate;
}

/* Grows the round count until a pass takes a measurable time, then scales
 * it so one share's timed rounds last about seconds. */
static void size_rounds(compute_task *t, double seconds) {
  t->rounds = CALIBRATION_ITERATIONS;
  double elapsed = compute_seconds(t);
  while (elapsed < seconds / 20 && t->rounds < (1ull << 40)) {
    t->rounds *= 4;
    elapsed = compute_seconds(t);
  }
  double scaled = (double)t->rounds * seconds / (elapsed > 0 ? elapsed : 1e-9);
  t->rounds = scaled < 1.0 ? 1 : (uint64_t)scaled;
}

/* Runs every width (more accumulators each time) and keeps the widest whose
 * rate is within PLATEAU of the fastest: an instruction of latency L issued
 * P times a cycle needs L x P chains, which differs between cores, and past
 * that the rate stops rising.  Every width is tried, and the plateau's
 * widest taken, so that a pass slowed by other work on a shared machine
 * neither ends the search early nor picks a width short of the plateau.
 * Each width's rate is the best of CALIBRATION_TRIES short passes, and the
 * tries go round the widths in turn, as the read loop's patterns do, so a
 * slow period spreads over all of them.  Tried width after width, once on
 * a 2-vCPU Xeon every width past 4 accumulators came out below 97 % of the
 * 4-accumulator rate, which then "won" at 194 GFLOP/s where the runs beside
 * it measured 358-369 with 28 (session 18). */
#define PLATEAU 0.97
#define MAX_WIDTHS 16

static void calibrate_width(compute_task *t, double pass_seconds) {
  const uint32_t variants = pio_bench_peak_variants(t->peak);
  const uint32_t widths = variants < MAX_WIDTHS ? variants : MAX_WIDTHS;
  double rates[MAX_WIDTHS] = {0}, best = 0.0;
  uint64_t rounds[MAX_WIDTHS] = {0};
  for (uint32_t v = 0; v < widths; v++) {
    t->variant = v;
    size_rounds(t, pass_seconds * CALIBRATION_SHARE);
    rounds[v] = t->rounds;
  }
  for (int i = 0; i < CALIBRATION_TRIES; i++)
    for (uint32_t v = 0; v < widths; v++) {
      t->variant = v;
      t->rounds = rounds[v];
      const double r = compute_pass(t);
      if (r > rates[v]) rates[v] = r;
      if (r > best) best = r;
    }
  t->variant = 0;
  for (uint32_t v = 0; v < widths; v++)
    if (rates[v] >= PLATEAU * best) t->variant = v;
}

static pio_status compute_init(compute_task *t, pio_threadpool *pool, pio_bench_peak peak,
                               double pass_seconds, pio_error *err) {
  memset(t, 0, sizeof *t);
  t->pool = pool;
  t->peak = peak;
  t->n_threads = pool_threads(pool);
  list_cpus(t);
  if (!pio_bench_peak_available(peak))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "this CPU cannot run the %s loop",
                         pio_bench_peak_instruction(peak));
  double seconds = pass_seconds > 0.0 ? pass_seconds : PIO_BENCH_COMPUTE_PASS_SECONDS;
  calibrate_width(t, seconds);
  size_rounds(t, seconds);
  return PIO_OK;
}

pio_status pio_bench_measure_peak(pio_threadpool *pool, pio_bench_peak peak, uint32_t passes,
                                  double pass_seconds, pio_bench_peak_figure *out,
                                  pio_error *err) {
  pio_status s = check_passes(passes, err);
  if (s != PIO_OK) return s;
  compute_task *t = malloc(sizeof *t);
  double *rates = calloc(passes, sizeof *rates);
  if (t == NULL || rates == NULL) {
    free(t);
    free(rates);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate timings");
  }
  s = compute_init(t, pool, peak, pass_seconds, err);
  if (s == PIO_OK) {
    for (uint32_t p = 0; p < passes; p++) rates[p] = compute_pass(t);
    out->measured = 1;
    out->accumulators = pio_bench_peak_accumulators(peak, t->variant);
    out->flops_per_s = pio_bench_max(rates, passes);
    out->median_flops_per_s = pio_bench_median(rates, passes);
  }
  free(rates);
  free(t);
  return s;
}

pio_bench_peak pio_bench_peak_bounding(const char *path, pio_dtype dtype) {
  const int bf16 = dtype == PIO_DTYPE_BF16;
  if (path == NULL) path = "";
  if (strcmp(path, "scalar") == 0) return PIO_BENCH_PEAK_SSE2;
  if (strcmp(path, "avx2") == 0) return PIO_BENCH_PEAK_AVX2_FMA;
  if (strcmp(path, "avx512") == 0) return PIO_BENCH_PEAK_AVX512_FMA;
  /* The bf16 paths widen f32 and f16 weights and use the avx512 FMA. */
  if (strcmp(path, "avx512bf16") == 0)
    return bf16 ? PIO_BENCH_PEAK_BF16_DOT : PIO_BENCH_PEAK_AVX512_FMA;
  if (strcmp(path, "amx_bf16") == 0)
    return bf16 ? PIO_BENCH_PEAK_AMX_BF16 : PIO_BENCH_PEAK_AVX512_FMA;
  return PIO_BENCH_PEAK_COUNT;
}

/* ---- sampler: passes spread over a run ----------------------------------- */

struct pio_bench_limits_sampler {
  read_task read;
  compute_task *peaks[PIO_BENCH_PEAK_COUNT]; /* NULL: not measured */
  uint32_t capacity, count; /* timed passes of each limit held / taken */
  double *read_rates;
  double *peak_rates[PIO_BENCH_PEAK_COUNT];
};

void pio_bench_limits_sampler_destroy(pio_bench_limits_sampler *s) {
  if (s == NULL) return;
  read_free(&s->read);
  free(s->read_rates);
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    free(s->peaks[p]);
    free(s->peak_rates[p]);
  }
  free(s);
}

/* The peaks asked for (0: every one) that this CPU can run. */
static int wants_peak(const pio_bench_limits_options *opts, pio_bench_peak p) {
  uint32_t mask = opts != NULL && opts->peaks != 0 ? opts->peaks : ~0u;
  return ((mask >> p) & 1u) && pio_bench_peak_available(p);
}

static pio_status sampler_add_peak(pio_bench_limits_sampler *s, pio_threadpool *pool,
                                   pio_bench_peak p, double pass_s, pio_error *err) {
  s->peaks[p] = malloc(sizeof *s->peaks[p]);
  s->peak_rates[p] = calloc(s->capacity, sizeof *s->peak_rates[p]);
  if (s->peaks[p] == NULL || s->peak_rates[p] == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate limit timings");
  if (compute_init(s->peaks[p], pool, p, pass_s, err) != PIO_OK)
    return pio_error_prefix(err, "measuring the %s peak", pio_bench_peak_instruction(p));
  return PIO_OK;
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
  if (s->read_rates == NULL)
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate limit timings");
  if (st == PIO_OK && read_init(&s->read, pool, pio_bench_isa_best(), bytes, err) != PIO_OK)
    st = pio_error_prefix(err, "measuring memory read bandwidth");
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT && st == PIO_OK; p++)
    if (wants_peak(opts, (pio_bench_peak)p))
      st = sampler_add_peak(s, pool, (pio_bench_peak)p, pass_s, err);
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
  for (uint32_t i = 0; i < passes; i++, s->count++) {
    pio_status st = read_pass(&s->read, &s->read_rates[s->count], err);
    if (st != PIO_OK) return st;
    for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++)
      if (s->peaks[p] != NULL) s->peak_rates[p][s->count] = compute_pass(s->peaks[p]);
  }
  return PIO_OK;
}

pio_status pio_bench_limits_read_now(pio_bench_limits_sampler *s, double *bytes_per_s,
                                     pio_error *err) {
  return read_pass(&s->read, bytes_per_s, err);
}

/* Median of the first n of rates, on a copy: the sampler may take more. */
static double median_copy(const double *rates, uint32_t n, double *tmp) {
  memcpy(tmp, rates, n * sizeof *tmp);
  return pio_bench_median(tmp, n);
}

void pio_bench_limits_sampler_result(const pio_bench_limits_sampler *s, pio_bench_limits *out) {
  memset(out, 0, sizeof *out);
  out->n_threads = s->read.n_threads;
  out->passes = s->count;
  out->read_buffer_bytes = (uint64_t)s->read.n_lines * 64;
  out->read_isa = s->read.isa;
  out->read_streams = s->read.streams;
  out->read_prefetch = s->read.prefetch;
  double *tmp = calloc(s->count > 0 ? s->count : 1, sizeof *tmp);
  if (tmp == NULL || s->count == 0) {
    free(tmp);
    return;
  }
  out->read_bytes_per_s = pio_bench_max(s->read_rates, s->count);
  out->read_median_bytes_per_s = median_copy(s->read_rates, s->count, tmp);
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    if (s->peaks[p] == NULL) continue;
    out->peaks[p].measured = 1;
    out->peaks[p].accumulators =
        pio_bench_peak_accumulators((pio_bench_peak)p, s->peaks[p]->variant);
    out->peaks[p].flops_per_s = pio_bench_max(s->peak_rates[p], s->count);
    out->peaks[p].median_flops_per_s = median_copy(s->peak_rates[p], s->count, tmp);
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
