/* benchmarks/progress.h — one self-overwriting status line on stderr while
 * a benchmark runs, shown only when stderr is a terminal. */
#ifndef PIO_BENCH_PROGRESS_H
#define PIO_BENCH_PROGRESS_H

typedef struct pio_bench_progress {
  int enabled; /* stderr is a terminal and the caller did not turn it off */
  int width;   /* characters of the line last written, to blank them */
} pio_bench_progress;

/* enabled only when `wanted` and stderr is a terminal. */
void pio_bench_progress_init(pio_bench_progress *p, int wanted);
/* Replaces the line with a printf-formatted one. */
void pio_bench_progress_update(pio_bench_progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Blanks the line so what follows starts on a clean one. */
void pio_bench_progress_clear(pio_bench_progress *p);

#endif
