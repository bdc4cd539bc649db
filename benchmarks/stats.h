/* benchmarks/stats.h — measurement helpers shared by pio-bench scenarios:
 * a monotonic clock and the median of repeated measurements. */
#ifndef PIO_BENCH_STATS_H
#define PIO_BENCH_STATS_H

#include <stddef.h>

/* Seconds on the monotonic clock, from an arbitrary origin. */
double pio_bench_now(void);

/* Median of values[0..n): the middle value, or the mean of the two middle
 * values when n is even; NAN when n is 0.  Sorts values in place. */
double pio_bench_median(double *values, size_t n);

/* The p-th percentile (0-100) of values[0..n) by nearest rank; NAN when n
 * is 0.  Sorts values in place. */
double pio_bench_percentile(double *values, size_t n, double p);

/* Smallest and largest of values[0..n); NAN when n is 0. */
double pio_bench_min(const double *values, size_t n);
double pio_bench_max(const double *values, size_t n);

#endif
