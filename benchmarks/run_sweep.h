/* benchmarks/run_sweep.h — `pio-bench run` over several configurations:
 * models, prompt lengths, decode lengths and thread counts given as lists
 * (--prompt-tokens 128,512 --threads 1,2, --model repeated), each
 * configuration measured beside its own limits (run_bench.h), then
 * reported together: a table with the spread of each median, CSV, JSON
 * lines or Markdown (-o), one JSON document (--json), and an SVG of each
 * throughput against its limit (--plot). */
#ifndef PIO_BENCH_RUN_SWEEP_H
#define PIO_BENCH_RUN_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "run_bench.h"

/* Most values one axis takes, and most configurations one sweep runs. */
#define PIO_BENCH_SWEEP_AXIS_MAX 16
#define PIO_BENCH_SWEEP_MAX_POINTS 256

typedef enum pio_bench_out_format {
  PIO_BENCH_OUT_TABLE = 0, /* for people (the default) */
  PIO_BENCH_OUT_CSV,       /* one header line, one line a configuration */
  PIO_BENCH_OUT_JSONL,     /* one run document (docs/json/bench-run.schema.json) a line */
  PIO_BENCH_OUT_MD         /* a Markdown table */
} pio_bench_out_format;

/* "table", "csv", "jsonl" or "md" into *out; -1 for any other word. */
int pio_bench_out_format_parse(const char *text, pio_bench_out_format *out);
/* The word of pio_bench_out_format_parse for format. */
const char *pio_bench_out_format_name(pio_bench_out_format format);

typedef struct pio_bench_run_sweep {
  pio_bench_run_options base; /* everything but the axes; base.model unused */
  const char *models[PIO_BENCH_SWEEP_AXIS_MAX];
  size_t n_models;
  uint32_t prompt_tokens[PIO_BENCH_SWEEP_AXIS_MAX];
  size_t n_prompt_tokens;
  uint32_t gen_tokens[PIO_BENCH_SWEEP_AXIS_MAX];
  size_t n_gen_tokens;
  uint32_t threads[PIO_BENCH_SWEEP_AXIS_MAX]; /* 0: every online core */
  size_t n_threads;
  pio_bench_out_format format;
  const char *plot_path; /* --plot FILE.svg, or NULL */
} pio_bench_run_sweep;

/* One configuration and what it measured. */
typedef struct pio_bench_run_point {
  pio_bench_run_options opts;
  pio_bench_run_result result;
} pio_bench_run_point;

/* How many configurations the axes make: their product. */
size_t pio_bench_sweep_count(const pio_bench_run_sweep *s);
/* Configuration i, models outermost, then prompt, decode length, threads. */
void pio_bench_sweep_options(const pio_bench_run_sweep *s, size_t i, pio_bench_run_options *out);

/* How far the repetitions of a median spread: the least and most of the
 * per-repetition figures, and half their range as a percentage of the
 * median (the "±" printed beside it). */
typedef struct pio_bench_spread {
  double min, max, percent;
} pio_bench_spread;

/* The spread of a rate: tokens / seconds[i] for each repetition, around
 * median (tokens / the median time). */
pio_bench_spread pio_bench_rate_spread(const double *seconds, uint32_t n, double tokens,
                                       double median);
/* The spread of times themselves, around median. */
pio_bench_spread pio_bench_time_spread(const double *seconds, uint32_t n, double median);

/* The results in format on f (not TABLE: that is pio_bench_sweep_print_table). */
int pio_bench_sweep_print(FILE *f, pio_bench_out_format format, const pio_bench_run_point *points,
                          size_t n);
/* Every configuration, one line each, with the spread of each median. */
void pio_bench_sweep_print_table(FILE *f, const pio_bench_run_point *points, size_t n);
/* The document "pio-bench run" holding every run ("runs") and the axes
 * ("sweep"); owned by the caller (free).  NULL when out of memory. */
char *pio_bench_sweep_json(const pio_bench_run_sweep *s, const pio_bench_run_point *points,
                           size_t n);

/* An SVG of each configuration's prefill and decode throughput against its
 * limit, written to path. */
pio_status pio_bench_sweep_plot(const char *path, const pio_bench_run_point *points, size_t n,
                                pio_error *err);

#endif
