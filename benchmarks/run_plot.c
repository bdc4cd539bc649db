/* benchmarks/run_plot.c — `pio-bench run --plot FILE.svg`: each
 * configuration's prefill and decode throughput drawn against its limit
 * measured in the same run, one horizontal bar pair a configuration (the
 * limit pale, the figure dark inside it), one panel a phase, each on its
 * own linear scale.  Plain SVG 1.1, no script, no external resource. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output_file.h"
#include "run_sweep.h"

#define PLOT_WIDTH 960
#define PLOT_LABEL 300 /* px for the configuration's name */
#define PLOT_VALUE 190 /* px for the figures after the bars */
#define PLOT_ROW 22
#define PLOT_BAR 14
#define PLOT_PANEL_HEAD 34

/* Text for inside an SVG element: &, < and > escaped. */
static void xml_text(FILE *f, const char *text) {
  for (const char *c = text; *c; c++) {
    if (*c == '&') fputs("&amp;", f);
    else if (*c == '<') fputs("&lt;", f);
    else if (*c == '>') fputs("&gt;", f);
    else fputc(*c, f);
  }
}

static void label_of(const pio_bench_run_point *p, char *out, size_t size) {
  snprintf(out, size, "%s  p%u g%u t%u", p->opts.model, p->opts.prompt_tokens,
           p->opts.gen_tokens, p->result.stats.n_threads);
}

typedef struct phase {
  const char *title;
  double (*value)(const pio_bench_run_result *r);
  double (*limit)(const pio_bench_run_result *r);
} phase;

static double prefill(const pio_bench_run_result *r) { return r->prefill_tok_s; }
static double prefill_limit(const pio_bench_run_result *r) { return r->prefill_limit_tok_s; }
static double decode(const pio_bench_run_result *r) { return r->decode_tok_s; }
static double decode_limit(const pio_bench_run_result *r) { return r->decode_limit_tok_s; }

/* One panel from y; returns the y below it. */
static int panel(FILE *f, const phase *ph, const pio_bench_run_point *points, size_t n, int y) {
  double top = 0;
  for (size_t i = 0; i < n; i++) {
    double v = ph->value(&points[i].result), l = ph->limit(&points[i].result);
    if (v > top) top = v;
    if (l > top) top = l;
  }
  if (!(top > 0)) top = 1;
  const double span = PLOT_WIDTH - PLOT_LABEL - PLOT_VALUE - 20;
  fprintf(f, "<text x=\"10\" y=\"%d\" class=\"head\">%s (tokens/s; pale: the limit measured in "
             "the same run)</text>\n",
          y + 20, ph->title);
  y += PLOT_PANEL_HEAD;
  for (size_t i = 0; i < n; i++) {
    const pio_bench_run_result *r = &points[i].result;
    double v = ph->value(r), l = ph->limit(r);
    char label[256];
    label_of(&points[i], label, sizeof label);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"label\">", PLOT_LABEL - 8, y + PLOT_BAR - 2);
    xml_text(f, label);
    fputs("</text>\n", f);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"limit\"/>\n",
            PLOT_LABEL, y, span * (l > 0 ? l : 0) / top, PLOT_BAR);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"value\"/>\n",
            PLOT_LABEL, y + 3, span * (v > 0 ? v : 0) / top, PLOT_BAR - 6);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"figure\">%.4g of %.4g (%.1f %%)</text>\n",
            PLOT_LABEL + span + 8, y + PLOT_BAR - 2, v, l, l > 0 ? 100.0 * v / l : 0.0);
    y += PLOT_ROW;
  }
  return y + 10;
}

pio_status pio_bench_sweep_plot(const char *path, const pio_bench_run_point *points, size_t n,
                                pio_error *err) {
  static const phase phases[] = {{"prefill", prefill, prefill_limit},
                                 {"decode", decode, decode_limit}};
  FILE *f = fopen(path, "w");
  if (f == NULL) return pio_error_set(err, PIO_ERR_IO, "--plot %s: %s", path, strerror(errno));
  int height = 40 + 2 * (PLOT_PANEL_HEAD + (int)n * PLOT_ROW + 10);
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\">\n"
             "<title>pio-bench run: throughput against its limit</title>\n"
             "<style>text{font-family:sans-serif;font-size:12px}.head{font-weight:bold;"
             "font-size:13px}.label{text-anchor:end}.limit{fill:#c6dbef}.value{fill:#08519c}"
             "</style>\n"
             "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          PLOT_WIDTH, height, PLOT_WIDTH, height);
  int y = 10;
  for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++)
    y = panel(f, &phases[p], points, n, y);
  fputs("</svg>\n", f);
  if (pio_output_file_close(f, path, 1) != 0)
    return pio_error_set(err, PIO_ERR_IO, "--plot %s: %s", path, strerror(errno));
  return PIO_OK;
}
