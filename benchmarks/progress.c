/* benchmarks/progress.c — the status line of pio-bench on a terminal. */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

void pio_bench_progress_init(pio_bench_progress *p, int wanted) {
  p->enabled = wanted && isatty(STDERR_FILENO);
  p->width = 0;
}

void pio_bench_progress_update(pio_bench_progress *p, const char *fmt, ...) {
  if (!p->enabled) return;
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n >= (int)sizeof line) n = (int)sizeof line - 1;
  /* Pad with spaces over the tail of a longer previous line. */
  fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
  fflush(stderr);
  p->width = n;
}

void pio_bench_progress_clear(pio_bench_progress *p) {
  if (!p->enabled || p->width == 0) return;
  fprintf(stderr, "\r%*s\r", p->width, "");
  fflush(stderr);
  p->width = 0;
}
