/* benchmarks/run_sweep_report.c — a sweep's results for people (a table,
 * Markdown) and for scripts (CSV, JSON lines): one line a configuration,
 * each median with its spread and beside its limit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run_sweep.h"

/* A configuration and the spread of its two medians, for one line. */
typedef struct sweep_row {
  const pio_bench_run_options *o;
  const pio_bench_run_result *r;
  pio_bench_spread prefill, decode;
} sweep_row;

static sweep_row row_of(const pio_bench_run_point *p) {
  sweep_row w = {&p->opts, &p->result, {0, 0, 0}, {0, 0, 0}};
  w.prefill = pio_bench_rate_spread(p->result.prefill_s, p->result.repeat, p->opts.prompt_tokens,
                                    p->result.prefill_tok_s);
  w.decode = pio_bench_rate_spread(p->result.decode_s, p->result.repeat, p->opts.gen_tokens,
                                   p->result.decode_tok_s);
  return w;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_text(FILE *f, const char *text) {
  int quote = text[strcspn(text, ",\"\n\r")] != '\0';
  if (!quote) {
    fputs(text, f);
    return;
  }
  fputc('"', f);
  for (const char *c = text; *c; c++) {
    if (*c == '"') fputc('"', f);
    fputc(*c, f);
  }
  fputc('"', f);
}

static const char csv_header[] =
    "model,plugin,prompt_tokens,gen_tokens,threads,repeat,kernel_prefill,kernel_decode,"
    "load_seconds,time_to_first_token_seconds,prefill_tokens_per_second,"
    "prefill_spread_percent,prefill_limit_tokens_per_second,prefill_percent_of_limit,"
    "decode_tokens_per_second,decode_spread_percent,decode_limit_tokens_per_second,"
    "decode_percent_of_limit,weight_bytes_per_token,peak_rss_bytes\n";

static void print_csv(FILE *f, const pio_bench_run_point *points, size_t n) {
  fputs(csv_header, f);
  for (size_t i = 0; i < n; i++) {
    sweep_row w = row_of(&points[i]);
    csv_text(f, w.o->model);
    fputc(',', f);
    csv_text(f, w.r->plugin_name);
    fprintf(f, ",%u,%u,%u,%u,", w.o->prompt_tokens, w.o->gen_tokens, w.r->stats.n_threads,
            w.r->repeat);
    csv_text(f, w.r->kernel_prefill);
    fputc(',', f);
    csv_text(f, w.r->kernel_decode);
    fprintf(f, ",%.6g,%.6g,%.6g,%.3g,%.6g,%.3g,%.6g,%.3g,%.6g,%.3g,%llu,%llu\n", w.r->load_s,
            w.r->ttft_median_s, w.r->prefill_tok_s, w.prefill.percent, w.r->prefill_limit_tok_s,
            w.r->prefill_percent, w.r->decode_tok_s, w.decode.percent, w.r->decode_limit_tok_s,
            w.r->decode_percent, (unsigned long long)w.r->stats.weight_bytes_per_token,
            (unsigned long long)w.r->peak_rss_bytes);
  }
}

static void print_md(FILE *f, const pio_bench_run_point *points, size_t n) {
  fputs("| model | prompt | gen | threads | kernel | TTFT (s) | prefill tok/s | limit | % "
        "| decode tok/s | limit | % |\n"
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
        f);
  for (size_t i = 0; i < n; i++) {
    sweep_row w = row_of(&points[i]);
    fprintf(f, "| %s | %u | %u | %u | %s / %s | %.4f | %.2f ±%.1f%% | %.2f | %.1f "
               "| %.2f ±%.1f%% | %.2f | %.1f |\n",
            w.o->model, w.o->prompt_tokens, w.o->gen_tokens, w.r->stats.n_threads,
            w.r->kernel_prefill, w.r->kernel_decode, w.r->ttft_median_s, w.r->prefill_tok_s,
            w.prefill.percent, w.r->prefill_limit_tok_s, w.r->prefill_percent, w.r->decode_tok_s,
            w.decode.percent, w.r->decode_limit_tok_s, w.r->decode_percent);
  }
}

static int print_jsonl(FILE *f, const pio_bench_run_point *points, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char *line =
        pio_bench_json_text(pio_bench_run_json_object(&points[i].opts, &points[i].result, 1), 0);
    if (line == NULL) return -1;
    fputs(line, f);
    free(line);
  }
  return 0;
}

void pio_bench_sweep_print_table(FILE *f, const pio_bench_run_point *points, size_t n) {
  fprintf(f, "pio-bench run: %zu configurations, each beside its limits measured in the same "
             "run; medians ± half their spread\n\n",
          n);
  fprintf(f, "%-20s %6s %5s %7s %-22s %9s  %-22s %13s %6s  %-22s %13s %6s\n", "model",
          "prompt", "gen", "threads", "kernel prefill/decode", "TTFT s", "prefill tok/s",
          "limit", "%", "decode tok/s", "limit", "%");
  for (size_t i = 0; i < n; i++) {
    sweep_row w = row_of(&points[i]);
    char kernel[136], pre[40], dec[40];
    snprintf(kernel, sizeof kernel, "%s/%s", w.r->kernel_prefill, w.r->kernel_decode);
    snprintf(pre, sizeof pre, "%.2f ±%.1f%%", w.r->prefill_tok_s, w.prefill.percent);
    snprintf(dec, sizeof dec, "%.2f ±%.1f%%", w.r->decode_tok_s, w.decode.percent);
    /* "±" takes two bytes and one column. */
    fprintf(f, "%-20.20s %6u %5u %7u %-22.22s %9.4f  %-23s %13.2f %5.1f%%  %-23s %13.2f %5.1f%%\n",
            w.o->model, w.o->prompt_tokens, w.o->gen_tokens, w.r->stats.n_threads, kernel,
            w.r->ttft_median_s, pre, w.r->prefill_limit_tok_s, w.r->prefill_percent, dec,
            w.r->decode_limit_tok_s, w.r->decode_percent);
  }
}

int pio_bench_sweep_print(FILE *f, pio_bench_out_format format, const pio_bench_run_point *points,
                          size_t n) {
  switch (format) {
    case PIO_BENCH_OUT_CSV: print_csv(f, points, n); return 0;
    case PIO_BENCH_OUT_MD: print_md(f, points, n); return 0;
    case PIO_BENCH_OUT_JSONL: return print_jsonl(f, points, n);
    case PIO_BENCH_OUT_TABLE: pio_bench_sweep_print_table(f, points, n); return 0;
  }
  return -1;
}
