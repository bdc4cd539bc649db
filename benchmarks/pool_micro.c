/* benchmarks/pool_micro.c — what one pio_threadpool_run costs: an empty
 * task run back to back, and after a stretch of serial work on the caller
 * (as between the matmuls of a decode step), on T threads; then a decode
 * matmul (n = 1) of a small bf16 matrix that stays in cache, so the figure
 * is the dispatch, not the memory.
 *
 *   pio-pool-micro [--threads T] [--runs K]
 *
 * Prints medians and the 90th percentile in microseconds.  Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/kernels.h"
#include "stats.h"
#include "tool_number.h"
#include "pio/threadpool.h"

static double now_us(void) { return pio_bench_now() * 1e6; }

static void empty_task(void *ctx, uint32_t i, uint32_t n) {
  (void)ctx, (void)i, (void)n;
}

/* Serial work of about us microseconds on the caller. */
static void spin_us(double us) {
  double until = now_us() + us;
  while (now_us() < until) {
  }
}

static void report(const char *what, double *t, size_t runs) {
  printf("%-52s median %7.2f us  p90 %7.2f us\n", what, pio_bench_median(t, runs),
         pio_bench_percentile(t, runs, 90));
}

#define TOOL "pio-pool-micro"

int main(int argc, char **argv) {
  uint64_t threads = 0, runs = 2000;
  for (int i = 1; i < argc; i++) {
    const int has_value = i + 1 < argc;
    if (has_value && strcmp(argv[i], "--threads") == 0) {
      if (pio_tool_number(TOOL, "--threads", argv[++i], 0, 4096, &threads) != 0) return 2;
    } else if (has_value && strcmp(argv[i], "--runs") == 0) {
      if (pio_tool_number(TOOL, "--runs", argv[++i], 10, 10000000, &runs) != 0) return 2;
    } else {
      return fprintf(stderr, "usage: %s [--threads T] [--runs K]\n", argv[0]), 2;
    }
  }
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  if (pio_threadpool_create((uint32_t)threads, &pool, &err) != PIO_OK)
    return fprintf(stderr, "%s\n", err.message), 1;
  double *t = malloc(runs * sizeof *t);
  if (t == NULL) return fprintf(stderr, "out of memory\n"), 1;
  printf("threads %u\n", pio_threadpool_size(pool));

  static const double gaps[] = {0, 20, 100, 1000};
  for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    for (size_t r = 0; r < runs; r++) {
      spin_us(gaps[g]);
      double t0 = now_us();
      pio_threadpool_run(pool, empty_task, NULL);
      t[r] = now_us() - t0;
    }
    char what[96];
    snprintf(what, sizeof what, "empty run, %.0f us of serial work before each", gaps[g]);
    report(what, t, runs);
  }

  /* Decode matmuls of llama-3.2-1b's smallest shape class, in cache. */
  static const uint32_t shapes[][2] = {{512, 2048}, {2048, 2048}};
  for (size_t s = 0; s < 2; s++) {
    const uint32_t rows = shapes[s][0], cols = shapes[s][1];
    unsigned short *w = calloc((size_t)rows * cols, sizeof *w);
    float *x = calloc(cols, sizeof *x), *y = calloc(rows, sizeof *y);
    if (w == NULL || x == NULL || y == NULL) return fprintf(stderr, "out of memory\n"), 1;
    pio_matrix m = {.data = w, .dtype = PIO_DTYPE_BF16, .rows = rows, .cols = cols};
    const pio_kernel_path path = pio_kernel_best();
    for (size_t r = 0; r < runs; r++) {
      double t0 = now_us();
      pio_matmul(pool, path, &m, x, 1, y);
      t[r] = now_us() - t0;
    }
    char what[96];
    snprintf(what, sizeof what, "matmul %ux%u bf16 x 1 token (%s, in cache)", rows, cols,
             pio_kernel_path_name(path));
    report(what, t, runs);
    free(w), free(x), free(y);
  }
  free(t);
  pio_threadpool_destroy(pool);
  return 0;
}
