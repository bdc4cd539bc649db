/* benchmarks/bench_options.c — option values of pio-bench scenarios,
 * checked with messages a person can act on. */
#include "bench_options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "about.h"
#include "pio/number.h"
#include "plugin_path_warning.h"
#include "suggest.h"

static int bad(const char *scenario, const char *option, const char *expected,
               const char *text) {
  pio_bench_usage_error(scenario, "%s: expected %s, found '%s'", option, expected, text);
  return -1;
}

int pio_bench_parse_u64(const char *scenario, const char *option, const char *text,
                        uint64_t min, uint64_t max, uint64_t *out) {
  char why[160];
  if (pio_parse_u64_explained(text, min, max, out, why, sizeof why) == 0) return 0;
  pio_bench_usage_error(scenario, "%s: %s", option, why);
  return -1;
}

int pio_bench_parse_u32(const char *scenario, const char *option, const char *text,
                        uint32_t min, uint32_t max, uint32_t *out) {
  uint64_t v = 0;
  if (pio_bench_parse_u64(scenario, option, text, min, max, &v) != 0) return -1;
  *out = (uint32_t)v;
  return 0;
}

int pio_bench_parse_double(const char *scenario, const char *option, const char *text,
                           double min, double max, double *out) {
  char expected[96];
  snprintf(expected, sizeof expected, "a number from %g to %g", min, max);
  if (pio_parse_double(text, min, max, out) != 0)
    return bad(scenario, option, expected, text ? text : "");
  return 0;
}

int pio_bench_parse_dtype(const char *scenario, const char *option, const char *text,
                          pio_dtype *out) {
  if (text != NULL && pio_dtype_parse(text, out) == 0) return 0;
  return bad(scenario, option, "one of fp32, bf16, fp16, fp8, int8", text ? text : "");
}

int pio_bench_parse_access(const char *scenario, const char *option, const char *text,
                           pio_kv_access *out) {
  if (text != NULL && strcmp(text, "block") == 0) *out = PIO_KV_ACCESS_BLOCK;
  else if (text != NULL && strcmp(text, "layer") == 0) *out = PIO_KV_ACCESS_LAYER;
  else return bad(scenario, option, "block or layer", text ? text : "");
  return 0;
}

int pio_bench_parse_formula(const char *scenario, const char *option, const char *text,
                            pio_kv_formula *out) {
  if (text != NULL && strcmp(text, "pio") == 0) *out = PIO_KV_FORMULA_PIO;
  else if (text != NULL && strcmp(text, "kvbench") == 0) *out = PIO_KV_FORMULA_KVBENCH;
  else return bad(scenario, option, "pio or kvbench", text ? text : "");
  return 0;
}

static const char *const scales_names[] = {"none", "tensor", "head", "token-head"};

int pio_bench_parse_scales(const char *scenario, const char *option, const char *text,
                           pio_kv_scales *out) {
  for (size_t i = 0; text != NULL && i < sizeof scales_names / sizeof scales_names[0]; i++)
    if (strcmp(text, scales_names[i]) == 0) {
      *out = (pio_kv_scales)i;
      return 0;
    }
  return bad(scenario, option, "none, tensor, head or token-head", text ? text : "");
}

const char *pio_bench_scales_name(pio_kv_scales scales) {
  return (size_t)scales < sizeof scales_names / sizeof scales_names[0] ? scales_names[scales]
                                                                       : "?";
}

/* Set by pio_bench_usage_errors_as_json. */
static int usage_errors_as_json;

int pio_bench_take_plugin_path(const char *scenario, const char *dir, const char **paths,
                               size_t *n) {
  if (*n == PIO_BENCH_MAX_PLUGIN_PATHS) {
    pio_bench_usage_error(scenario, "--plugin-path: at most %d folders",
                          PIO_BENCH_MAX_PLUGIN_PATHS);
    return -1;
  }
  paths[(*n)++] = dir;
  char prefix[64];
  snprintf(prefix, sizeof prefix, "pio-bench %s", scenario);
  pio_warn_plugin_path(stderr, prefix, dir);
  return 0;
}

void pio_bench_usage_errors_as_json(int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--json") == 0) usage_errors_as_json = 1;
}

void pio_bench_usage_error(const char *scenario, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (usage_errors_as_json) {
    pio_error err;
    pio_error_clear(&err);
    err.code = PIO_ERR_INVALID_ARGUMENT;
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    pio_bench_report_error(scenario, 1, &err);
    return;
  }
  fprintf(stderr, "pio-bench %s: ", scenario);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see pio-bench %s --help)\n", scenario);
}

void pio_bench_report_error(const char *scenario, int json, const pio_error *err) {
  if (!json) {
    fprintf(stderr, "pio-bench %s: %s\n", scenario, err->message);
    return;
  }
  char kind[64];
  snprintf(kind, sizeof kind, "pio-bench %s", scenario);
  pio_about_print_json_error(stdout, "pio-bench", kind, err->code, err->message);
}

void pio_bench_option_error(const char *scenario, int opt, const char *given,
                            const struct option *options) {
  if (opt == ':') {
    pio_bench_usage_error(scenario, "missing value for '%s'", given);
    return;
  }
  char buf[80];
  const char *near = pio_suggest_option(given, options, buf, sizeof buf);
  if (near != NULL)
    pio_bench_usage_error(scenario, "unknown option '%s'; did you mean '%s'?", given, near);
  else
    pio_bench_usage_error(scenario, "unknown option '%s'", given);
}
