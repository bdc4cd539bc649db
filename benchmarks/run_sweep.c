/* benchmarks/run_sweep.c — the configurations of a `pio-bench run` sweep,
 * the spread of each median, and the sweep's JSON document (run_sweep.h). */
#include "run_sweep.h"

#include <json-c/json.h>
#include <math.h>
#include <string.h>

#include "about.h"
#include "pio/json.h"

static const char *const format_names[] = {"table", "csv", "jsonl", "md"};
#define FORMAT_COUNT (sizeof format_names / sizeof format_names[0])

int pio_bench_out_format_parse(const char *text, pio_bench_out_format *out) {
  for (size_t i = 0; i < FORMAT_COUNT; i++)
    if (strcmp(text, format_names[i]) == 0) {
      *out = (pio_bench_out_format)i;
      return 0;
    }
  return -1;
}

const char *pio_bench_out_format_name(pio_bench_out_format format) {
  return (size_t)format < FORMAT_COUNT ? format_names[format] : "?";
}

/* An axis left empty takes the base options' one value. */
static size_t axis(size_t n) { return n > 0 ? n : 1; }

size_t pio_bench_sweep_count(const pio_bench_run_sweep *s) {
  return axis(s->n_models) * axis(s->n_prompt_tokens) * axis(s->n_gen_tokens) *
         axis(s->n_threads);
}

void pio_bench_sweep_options(const pio_bench_run_sweep *s, size_t i, pio_bench_run_options *out) {
  *out = s->base;
  size_t t = i % axis(s->n_threads);
  i /= axis(s->n_threads);
  size_t g = i % axis(s->n_gen_tokens);
  i /= axis(s->n_gen_tokens);
  size_t p = i % axis(s->n_prompt_tokens);
  size_t m = i / axis(s->n_prompt_tokens);
  if (s->n_models > 0) out->model = s->models[m];
  if (s->n_prompt_tokens > 0) out->prompt_tokens = s->prompt_tokens[p];
  if (s->n_gen_tokens > 0) out->gen_tokens = s->gen_tokens[g];
  if (s->n_threads > 0) out->threads = s->threads[t];
}

static pio_bench_spread spread_of(double lo, double hi, double median) {
  pio_bench_spread sp = {lo, hi, NAN};
  if (median > 0 && isfinite(lo) && isfinite(hi)) sp.percent = 100.0 * (hi - lo) / (2 * median);
  return sp;
}

pio_bench_spread pio_bench_rate_spread(const double *seconds, uint32_t n, double tokens,
                                       double median) {
  double lo = INFINITY, hi = -INFINITY;
  for (uint32_t i = 0; i < n; i++) {
    if (!(seconds[i] > 0)) continue;
    double rate = tokens / seconds[i];
    if (rate < lo) lo = rate;
    if (rate > hi) hi = rate;
  }
  return spread_of(lo, hi, median);
}

pio_bench_spread pio_bench_time_spread(const double *seconds, uint32_t n, double median) {
  double lo = INFINITY, hi = -INFINITY;
  for (uint32_t i = 0; i < n; i++) {
    if (seconds[i] < lo) lo = seconds[i];
    if (seconds[i] > hi) hi = seconds[i];
  }
  return spread_of(lo, hi, median);
}

static json_object *text_list(pio_json_build *b, const char *const *items, size_t n,
                              const char *fallback) {
  json_object *a = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; i < axis(n); i++)
    pio_json_push(b, a, pio_json_made(b, json_object_new_string(n > 0 ? items[i] : fallback)));
  return a;
}

static json_object *count_list(pio_json_build *b, const uint32_t *items, size_t n,
                               uint32_t fallback) {
  json_object *a = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; i < axis(n); i++)
    pio_json_push(b, a, pio_json_made(b, json_object_new_int64(n > 0 ? items[i] : fallback)));
  return a;
}

char *pio_bench_sweep_json(const pio_bench_run_sweep *s, const pio_bench_run_point *points,
                           size_t n) {
  pio_json_build build = {0}, *b = &build;
  json_object *doc = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench run"));
  pio_json_set(b, doc, "scenario", pio_json_made(b, json_object_new_string("run")));
  json_object *sweep = pio_json_made(b, json_object_new_object());
  pio_json_set(b, sweep, "models", text_list(b, s->models, s->n_models, s->base.model));
  pio_json_set(b, sweep, "prompt_tokens",
               count_list(b, s->prompt_tokens, s->n_prompt_tokens, s->base.prompt_tokens));
  pio_json_set(b, sweep, "gen_tokens",
               count_list(b, s->gen_tokens, s->n_gen_tokens, s->base.gen_tokens));
  pio_json_set(b, sweep, "threads", count_list(b, s->threads, s->n_threads, s->base.threads));
  pio_json_set(b, doc, "sweep", sweep);
  json_object *runs = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; i < n; i++)
    pio_json_push(
        b, runs,
        pio_json_made(b, pio_bench_run_json_object(&points[i].opts, &points[i].result, 0)));
  pio_json_set(b, doc, "runs", runs);
  return pio_bench_json_text(pio_json_done(b, doc), 1);
}
