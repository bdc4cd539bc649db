/* benchmarks/kernels_micro.c — a kernel-level microbenchmark for tuning the
 * matmul paths and the synthetic fill: the median time of pio_matmul over
 * weights larger than the caches, as GB/s of weights and GFLOP/s.
 *
 *   pio-kernels-micro [--path NAME] [--dtype bf16] [--rows R] [--cols C]
 *                     [--n TOKENS] [--threads T] [--reps K] [--mib M] [--fill]
 *                     [--small-pages] [--peaks] [--layout rows|tiles|pairs]
 *
 * --layout rewrites the weights into that layout first (pio/kernels.h), as
 * a model holds them (pio_kernel_plan_layout).
 *
 * --peaks prints every compute peak this CPU has (compute_limits.h: pinned
 * shares after a warm-up, best and median of --reps passes) and exits.
 *
 * Each timed pass is followed by a read-bandwidth pass over a buffer of the
 * same size, so the ratio of the two medians holds even on a loaded
 * machine.  --mib (default 512, or 4x the L3 where that is larger) is the
 * size of both.  Not a test: timings depend on the machine and its load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compute_limits.h"
#include "pio/kernels.h"
#include "pio/memory.h"
#include "pio/synthetic.h"
#include "tool_number.h"

typedef struct options {
  pio_kernel_path path;
  pio_dtype dtype;
  uint32_t rows, cols, threads;
  size_t n, reps, mib;
  int fill, small_pages, peaks;
  pio_matrix_layout layout;
} options;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int parse_path(const char *name, pio_kernel_path *out) {
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++) {
    if (strcmp(name, pio_kernel_path_name((pio_kernel_path)p)) == 0) {
      *out = (pio_kernel_path)p;
      return 0;
    }
  }
  return -1;
}

static int parse_layout(const char *name, pio_matrix_layout *out) {
  for (int l = PIO_LAYOUT_ROWS; l <= PIO_LAYOUT_PAIRS; l++) {
    if (strcmp(name, pio_matrix_layout_name((pio_matrix_layout)l)) == 0) {
      *out = (pio_matrix_layout)l;
      return 0;
    }
  }
  return -1;
}

/* --rows, --cols, --n, --threads, --reps or --mib: 1 when `option` is
 * one of them and `text` its value in range, 0 when it is none of them,
 * -1 (after a message) when the value is wrong. */
static int number_option(const char *option, const char *text, options *o) {
  static const struct {
    const char *name;
    uint64_t min, max;
  } spec[] = {{"--rows", 1, 1u << 20}, {"--cols", 1, 1u << 20}, {"--n", 1, 1u << 16},
              {"--threads", 0, 4096},  {"--reps", 1, 100000},   {"--mib", 1, 1u << 20}};
  for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
    if (strcmp(option, spec[i].name) != 0) continue;
    uint64_t v = 0;
    if (pio_tool_number("pio-kernels-micro", option, text, spec[i].min, spec[i].max, &v) != 0)
      return -1;
    switch (i) {
      case 0: o->rows = (uint32_t)v; break;
      case 1: o->cols = (uint32_t)v; break;
      case 2: o->n = (size_t)v; break;
      case 3: o->threads = (uint32_t)v; break;
      case 4: o->reps = (size_t)v; break;
      default: o->mib = (size_t)v; break;
    }
    return 1;
  }
  return 0;
}

/* MiB of weights (and of the read pass beside them) when --mib is not
 * given: 512, or four times the last-level cache where that is larger.  A
 * Xeon with 300 MiB of L3 read a 512 MiB buffer at 205-226 GB/s and a
 * 2 GiB one at 159-161 (docs/kernels.md, session 14): the cache's rate,
 * not the memory's. */
static size_t default_mib(void) {
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  size_t mib = l3 > 0 ? 4 * ((size_t)l3 >> 20) : 0;
  return mib > 512 ? mib : 512;
}

static int parse_options(int argc, char **argv, options *o) {
  *o = (options){.path = pio_kernel_best(), .dtype = PIO_DTYPE_BF16, .rows = 2048,
                 .cols = 8192, .threads = 0, .n = 1, .reps = 20, .mib = 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--fill") == 0) { o->fill = 1; continue; }
    if (strcmp(a, "--small-pages") == 0) { o->small_pages = 1; continue; }
    if (strcmp(a, "--peaks") == 0) { o->peaks = 1; continue; }
    if (v == NULL) return -1;
    i++;
    const int number = number_option(a, v, o);
    if (number < 0) return -1;
    if (number > 0) continue;
    if (strcmp(a, "--path") == 0) { if (parse_path(v, &o->path) != 0) return -1; }
    else if (strcmp(a, "--dtype") == 0) { if (pio_dtype_parse(v, &o->dtype) != 0) return -1; }
    else if (strcmp(a, "--layout") == 0) { if (parse_layout(v, &o->layout) != 0) return -1; }
    else return -1;
  }
  if (o->mib == 0) o->mib = default_mib();
  return 0;
}

/* Every compute peak this CPU has, o->reps passes each. */
static int bench_peaks(const options *o, pio_threadpool *pool) {
  uint32_t passes = o->reps < 1000 ? (uint32_t)o->reps : 1000;
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    if (!pio_bench_peak_available((pio_bench_peak)p)) continue;
    pio_bench_peak_figure fig = {0};
    pio_error err = {0};
    if (pio_bench_measure_peak(pool, (pio_bench_peak)p, passes, 0.0, &fig, &err) != PIO_OK)
      return fprintf(stderr, "%s\n", err.message), 1;
    printf("peak %s threads=%u: best %.1f GFLOP/s, median %.1f (%u accumulators, %u passes)\n",
           pio_bench_peak_instruction((pio_bench_peak)p), pio_threadpool_size(pool),
           fig.flops_per_s * 1e-9, fig.median_flops_per_s * 1e-9, fig.accumulators, passes);
  }
  return 0;
}

/* Times filling o->mib MiB of weights. */
static int bench_fill(const options *o, pio_threadpool *pool) {
  size_t n = o->mib * (1u << 20) / pio_dtype_size(o->dtype);
  void *buf = NULL;
  pio_error err = {0};
  if (o->small_pages) buf = malloc(n * pio_dtype_size(o->dtype));
  else if (pio_pages_alloc(n * pio_dtype_size(o->dtype), &buf, &err) != PIO_OK) buf = NULL;
  if (buf == NULL) return 1;
  for (size_t rep = 0; rep < 3; rep++) {
    double t0 = now_s();
    if (pio_synthetic_fill(pool, rep, 1, PIO_SYNTHETIC_NORMAL, 0, 0.02f, o->dtype, buf, n, &err))
      return fprintf(stderr, "%s\n", err.message), 1;
    double dt = now_s() - t0;
    printf("fill %s %zu MiB: %.3f s (%.2f GB/s)%s\n", pio_dtype_name(o->dtype), o->mib, dt,
           (double)n * pio_dtype_size(o->dtype) / dt * 1e-9, rep == 0 ? " (first touch)" : "");
  }
  if (o->small_pages) free(buf);
  else pio_pages_free(buf, n * pio_dtype_size(o->dtype));
  return 0;
}

int main(int argc, char **argv) {
  options o;
  if (parse_options(argc, argv, &o) != 0) {
    fprintf(stderr, "usage: %s [--path scalar|avx2|avx512|avx512bf16|amx_bf16] [--dtype bf16]"
                    " [--rows R] [--cols C] [--n TOKENS] [--threads T] [--reps K] [--mib M]"
                    " [--fill] [--small-pages] [--peaks] [--layout rows|tiles|pairs]\n",
            argv[0]);
    return 2;
  }
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  if (pio_threadpool_create(o.threads, &pool, &err) != PIO_OK)
    return fprintf(stderr, "%s\n", err.message), 1;
  if (o.fill) return bench_fill(&o, pool);
  if (o.peaks) {
    int rc = bench_peaks(&o, pool);
    pio_threadpool_destroy(pool);
    return rc;
  }
  if (!pio_kernel_path_available(o.path))
    return fprintf(stderr, "path %s not available here\n", pio_kernel_path_name(o.path)), 1;

  /* Enough distinct matrices that the set exceeds the caches, as a
   * model's layers do. */
  size_t matrix_bytes = (size_t)o.rows * o.cols * pio_dtype_size(o.dtype);
  size_t copies = o.mib * (1u << 20) / matrix_bytes;
  if (copies == 0) copies = 1;
  /* Weights in huge pages, as a plugin should hold them (--small-pages:
   * plain malloc, to see the difference). */
  char *weights = NULL;
  if (o.small_pages) weights = malloc(copies * matrix_bytes);
  else if (pio_pages_alloc(copies * matrix_bytes, (void **)&weights, &err) != PIO_OK) weights = NULL;
  float *x = malloc(o.n * o.cols * sizeof *x), *y = malloc(o.n * o.rows * sizeof *y);
  pio_matrix *mats = malloc(copies * sizeof *mats);
  if (weights == NULL || x == NULL || y == NULL || mats == NULL)
    return fprintf(stderr, "out of memory\n"), 1;
  pio_synthetic_fill(pool, 1, 1, PIO_SYNTHETIC_NORMAL, 0, 0.02f, o.dtype, weights,
                     copies * matrix_bytes / pio_dtype_size(o.dtype), &err);
  pio_synthetic_fill(pool, 1, 2, PIO_SYNTHETIC_NORMAL, 0, 1, PIO_DTYPE_F32, x, o.n * o.cols, &err);

  /* --layout: each copy rewritten into that layout first, as a model holds
   * its matrices. */
  for (size_t c = 0; c < copies; c++) {
    mats[c] = (pio_matrix){.data = weights + c * matrix_bytes, .dtype = o.dtype, .rows = o.rows,
                           .cols = o.cols};
    if (o.layout != PIO_LAYOUT_ROWS &&
        pio_matrix_set_layout(pool, &mats[c], o.layout, weights + c * matrix_bytes, &err) != PIO_OK)
      return fprintf(stderr, "--layout: %s\n", err.message), 1;
  }
  double *times = malloc(o.reps * sizeof *times), *bws = malloc(o.reps * sizeof *bws);
  for (size_t rep = 0; rep < o.reps + 2; rep++) { /* 2 warm-up passes */
    double t0 = now_s();
    for (size_t c = 0; c < copies; c++) pio_matmul(pool, o.path, &mats[c], x, o.n, y);
    if (rep >= 2) {
      times[rep - 2] = (now_s() - t0) / (double)copies;
      if (pio_bench_measure_read_bandwidth(pool, pio_bench_isa_best(), copies * matrix_bytes, 1,
                                           &bws[rep - 2], &err) != PIO_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    }
  }
  qsort(times, o.reps, sizeof *times, compare_double);
  qsort(bws, o.reps, sizeof *bws, compare_double);
  printf("read bandwidth, interleaved: median %.1f GB/s (best %.1f) over %zu MiB\n",
         bws[o.reps / 2] * 1e-9, bws[o.reps - 1] * 1e-9, copies * matrix_bytes >> 20);
  double median = times[o.reps / 2], best = times[0];
  double flop = 2.0 * o.rows * o.cols * (double)o.n;
  printf("%s %s %s rows=%u cols=%u n=%zu threads=%u: median %.1f us  %.1f GB/s  %.1f GFLOP/s"
         "  (best %.1f GB/s %.1f GFLOP/s)\n",
         pio_kernel_path_name(o.path), pio_dtype_name(o.dtype), pio_matrix_layout_name(o.layout),
         o.rows, o.cols, o.n,
         pio_threadpool_size(pool), median * 1e6, matrix_bytes / median * 1e-9,
         flop / median * 1e-9, matrix_bytes / best * 1e-9, flop / best * 1e-9);
  free(times);
  free(bws);
  free(mats);
  if (o.small_pages) free(weights);
  else pio_pages_free(weights, copies * matrix_bytes);
  free(x);
  free(y);
  pio_threadpool_destroy(pool);
  return 0;
}
