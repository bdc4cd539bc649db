/* benchmarks/stats.c — monotonic clock and medians for pio-bench. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

double pio_bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double pio_bench_median(double *values, size_t n) {
  if (n == 0) return NAN;
  qsort(values, n, sizeof *values, compare_doubles);
  if (n % 2 == 1) return values[n / 2];
  return 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double pio_bench_percentile(double *values, size_t n, double p) {
  if (n == 0) return NAN;
  qsort(values, n, sizeof *values, compare_doubles);
  /* Nearest rank: the smallest value with at least p of them at or below. */
  double rank = ceil(p / 100.0 * (double)n);
  size_t i = rank < 1.0 ? 0 : (size_t)rank - 1;
  return values[i < n ? i : n - 1];
}

double pio_bench_min(const double *values, size_t n) {
  if (n == 0) return NAN;
  double m = values[0];
  for (size_t i = 1; i < n; i++)
    if (values[i] < m) m = values[i];
  return m;
}

double pio_bench_max(const double *values, size_t n) {
  if (n == 0) return NAN;
  double m = values[0];
  for (size_t i = 1; i < n; i++)
    if (values[i] > m) m = values[i];
  return m;
}
