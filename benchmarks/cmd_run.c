/* benchmarks/cmd_run.c — `pio-bench run`: parses the options, runs the
 * forward-pass benchmark and prints the table and/or JSON.  The only part
 * that prints and chooses an exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_options.h"
#include "output_file.h"
#include "pio/host.h"
#include "pio/kernels.h"
#include "pio/threadpool.h"
#include "run_bench.h"
#include "run_sweep.h"

#define SCENARIO "run"

static void usage(FILE *f) {
  fprintf(f,
          "usage: pio-bench run --model NAME [--model NAME]... [--synthetic[=SEED]]\n"
          "                     [--dtype bf16|f16|f32] [--weights map|read] [--kernel PATH]\n"
          "                     [--variant NAME]\n"
          "                     [--prompt-tokens P[,P...]] [--gen-tokens N[,N...]]\n"
          "                     [--threads T[,T...]] [--repeat R] [--json] [--json-out FILE]\n"
          "                     [-o|--output table|csv|jsonl|md] [--plot FILE.svg]\n"
          "                     [--bandwidth-mib MIB] [--plugin-path DIR]... [--no-progress]\n"
          "\n"
          "Times a model's forward pass: load, time to first token, prefill and decode\n"
          "tokens/s (medians of R runs, with their spread), each beside its limit\n"
          "measured in the same run (memory read bandwidth for decode, the compute peak\n"
          "for prefill).  Lists of values and repeated --model make a sweep: every\n"
          "combination is measured, each beside its own limits.\n"
          "\n"
          "  --model NAME        a preset (e.g. llama-3.2-1b), a Hugging Face model folder\n"
          "                      or its config.json; repeat it to compare models\n"
          "  --synthetic[=SEED]  random weights of the model's shapes (seed 0 by default)\n"
          "  --dtype D           synthetic weight type: bf16 (default), f16 or f32\n"
          "  --weights map|read  weights from files mapped in place (default) or read\n"
          "                      into the model's memory with huge pages\n"
          "  --kernel auto|scalar|avx2|avx512|avx512bf16|amx_bf16\n"
          "                      matmul path for every matmul (default auto: the plugin's\n"
          "                      plan, measured here; the table says which ran and why)\n"
          "  --variant NAME      the plugin's build, as its manifest names it (pio-host\n"
          "                      info lists them; default: the first this machine runs)\n"
          "  --prompt-tokens P   prefill length, or a comma list of them (default %d)\n"
          "  --gen-tokens N      decode steps after the prompt, or a list (default %d)\n"
          "  --threads T         threads of the model and of the limits, or a list\n"
          "                      (default: all cores)\n"
          "  --repeat R          timed runs, the model created once (default %d)\n"
          "  --json              JSON on stdout instead of the table (a sweep: one\n"
          "                      document holding every run)\n"
          "  --json-out FILE     also write the JSON to FILE\n"
          "  -o, --output F      table (default), csv, jsonl (one run document a line)\n"
          "                      or md (a Markdown table)\n"
          "  --plot FILE.svg     draw each throughput against its limit, per configuration\n"
          "  --bandwidth-mib MIB buffer of the bandwidth measurement (default: the bytes a\n"
          "                      token reads, at most 1024)\n"
          "  --plugin-path DIR   look for plugins in DIR first (repeatable)\n"
          "  --no-progress       no status line on stderr\n",
          PIO_BENCH_RUN_PROMPT_DEFAULT, PIO_BENCH_RUN_GEN_DEFAULT, PIO_BENCH_RUN_REPEAT_DEFAULT);
}

enum {
  OPT_MODEL = 256, OPT_SYNTHETIC, OPT_DTYPE, OPT_WEIGHTS, OPT_PROMPT, OPT_GEN, OPT_THREADS, OPT_REPEAT,
  OPT_JSON, OPT_JSON_OUT, OPT_BANDWIDTH, OPT_PLUGIN_PATH, OPT_NO_PROGRESS, OPT_KERNEL, OPT_HELP,
  OPT_OUTPUT, OPT_PLOT, OPT_VARIANT
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"synthetic", optional_argument, NULL, OPT_SYNTHETIC},
    {"dtype", required_argument, NULL, OPT_DTYPE},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"prompt-tokens", required_argument, NULL, OPT_PROMPT},
    {"gen-tokens", required_argument, NULL, OPT_GEN},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"json", no_argument, NULL, OPT_JSON},
    {"json-out", required_argument, NULL, OPT_JSON_OUT},
    {"bandwidth-mib", required_argument, NULL, OPT_BANDWIDTH},
    {"plugin-path", required_argument, NULL, OPT_PLUGIN_PATH},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"variant", required_argument, NULL, OPT_VARIANT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Synthetic weights come in the types the kernels take. */
static int parse_weight_dtype(const char *text, pio_dtype *out) {
  pio_dtype d;
  if (pio_bench_parse_dtype(SCENARIO, "--dtype", text, &d) != 0) return -1;
  if (d != PIO_DTYPE_BF16 && d != PIO_DTYPE_F16 && d != PIO_DTYPE_F32) {
    fprintf(stderr, "pio-bench run: --dtype: expected bf16, f16 or f32 for weights, found '%s'\n",
            text);
    return -1;
  }
  *out = d;
  return 0;
}

/* "128,512" into values[], each checked as option's value; -1 when one
 * is not a number in [min, max] or there are too many. */
static int parse_list(const char *option, const char *text, uint32_t min, uint32_t max,
                      uint32_t *values, size_t *n) {
  char item[32];
  *n = 0;
  for (const char *p = text;; p++) {
    size_t len = strcspn(p, ",");
    if (*n == PIO_BENCH_SWEEP_AXIS_MAX) {
      pio_bench_usage_error(SCENARIO, "%s: at most %d values", option, PIO_BENCH_SWEEP_AXIS_MAX);
      return -1;
    }
    snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), p);
    if (len >= sizeof item || pio_bench_parse_u32(SCENARIO, option, item, min, max,
                                                  &values[*n]) != 0) {
      if (len >= sizeof item) pio_bench_usage_error(SCENARIO, "%s: '%s' is no number", option, p);
      return -1;
    }
    (*n)++;
    p += len;
    if (*p == '\0') return 0;
  }
}

/* One option into the sweep; 0 on success, 1 for --help, -1 on a bad value. */
static int apply_axis(int c, const char *arg, const char *argv_opt, pio_bench_run_sweep *s);

static int apply_option(int c, const char *arg, const char *argv_opt, pio_bench_run_sweep *s) {
  uint64_t mib;
  pio_bench_run_options *o = &s->base;
  switch (c) {
    case OPT_MODEL:
    case OPT_PROMPT:
    case OPT_GEN:
    case OPT_THREADS:
    case OPT_OUTPUT:
    case OPT_PLOT: return apply_axis(c, arg, argv_opt, s);
    case OPT_SYNTHETIC:
      o->synthetic = 1;
      return arg == NULL ? 0 : pio_bench_parse_u64(SCENARIO, "--synthetic", arg, 0, UINT64_MAX,
                                                   &o->seed);
    case OPT_DTYPE: return parse_weight_dtype(arg, &o->dtype);
    case OPT_WEIGHTS:
      if (pio_weights_load_parse(arg, &o->weights_load) == 0) return 0;
      fprintf(stderr, "pio-bench run: --weights: expected map or read, found '%s'\n", arg);
      return -1;
    case OPT_REPEAT:
      return pio_bench_parse_u32(SCENARIO, "--repeat", arg, 1, PIO_BENCH_RUN_REPEAT_MAX,
                                 &o->repeat);
    case OPT_JSON: o->json = 1; return 0;
    case OPT_JSON_OUT: o->json_out = arg; return 0;
    case OPT_BANDWIDTH:
      if (pio_bench_parse_u64(SCENARIO, "--bandwidth-mib", arg, 1, 1u << 20, &mib) != 0)
        return -1;
      o->read_buffer_bytes = mib << 20;
      return 0;
    case OPT_PLUGIN_PATH:
      return pio_bench_take_plugin_path(SCENARIO, arg, o->plugin_paths, &o->n_plugin_paths);
    case OPT_NO_PROGRESS: o->progress = 0; return 0;
    case OPT_KERNEL: {
      pio_kernel_path path;
      if (strcmp(arg, "auto") != 0 && pio_kernel_path_parse(arg, &path) != 0) {
        pio_bench_usage_error(SCENARIO, "--kernel: expected auto, scalar, avx2, avx512, "
                              "avx512bf16 or amx_bf16, found '%s'", arg);
        return -1;
      }
      o->kernel = strcmp(arg, "auto") == 0 ? NULL : arg;
      return 0;
    }
    case OPT_VARIANT: o->variant = arg; return 0;
    case OPT_HELP: return 1;
    default: pio_bench_option_error(SCENARIO, c, argv_opt, long_options); return -1;
  }
}

static int apply_axis(int c, const char *arg, const char *argv_opt, pio_bench_run_sweep *s) {
  (void)argv_opt;
  switch (c) {
    case OPT_MODEL:
      if (s->n_models == PIO_BENCH_SWEEP_AXIS_MAX) {
        pio_bench_usage_error(SCENARIO, "--model: at most %d models", PIO_BENCH_SWEEP_AXIS_MAX);
        return -1;
      }
      s->models[s->n_models++] = arg;
      return 0;
    case OPT_PROMPT:
      return parse_list("--prompt-tokens", arg, 1, 1u << 20, s->prompt_tokens, &s->n_prompt_tokens);
    case OPT_GEN: return parse_list("--gen-tokens", arg, 1, 1u << 20, s->gen_tokens, &s->n_gen_tokens);
    case OPT_THREADS:
      return parse_list("--threads", arg, 1, PIO_THREADPOOL_MAX_THREADS, s->threads, &s->n_threads);
    case OPT_OUTPUT:
      if (pio_bench_out_format_parse(arg, &s->format) == 0) return 0;
      pio_bench_usage_error(SCENARIO, "-o: expected table, csv, jsonl or md, found '%s'", arg);
      return -1;
    default: s->plot_path = arg; return 0; /* OPT_PLOT */
  }
}

/* A usage error for an output file that cannot be written, before the
 * measurements it would hold; 0 when it can be (or none was asked for). */
static int check_output(const char *option, const char *path) {
  if (path == NULL || pio_output_file_check(path) == 0) return 0;
  pio_bench_usage_error(SCENARIO, "%s %s: %s", option, path, strerror(errno));
  return -1;
}

/* 0: run; 1: help printed; -1: bad arguments (message printed). */
static int parse_args(int argc, char **argv, pio_bench_run_sweep *s) {
  memset(s, 0, sizeof *s);
  pio_bench_run_options *o = &s->base;
  o->dtype = PIO_DTYPE_BF16;
  o->prompt_tokens = PIO_BENCH_RUN_PROMPT_DEFAULT;
  o->gen_tokens = PIO_BENCH_RUN_GEN_DEFAULT;
  o->repeat = PIO_BENCH_RUN_REPEAT_DEFAULT;
  o->progress = 1;
  opterr = 0;
  optind = 0; /* GNU: a full re-initialisation, in case main parsed options */
  for (;;) {
    int c = getopt_long(argc, argv, ":ho:", long_options, NULL);
    if (c == -1) break;
    if (c == 'h') c = OPT_HELP;
    if (c == 'o') c = OPT_OUTPUT;
    /* The element just consumed: the option a message should name. */
    const char *seen = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
    int r = apply_option(c, optarg, seen, s);
    if (r == 1) {
      usage(stdout);
      return 1;
    }
    if (r != 0) return -1;
  }
  if (optind < argc) {
    pio_bench_usage_error(SCENARIO, "unexpected argument '%s'", argv[optind]);
    return -1;
  }
  if (s->n_models == 0) {
    pio_bench_usage_error(SCENARIO, "--model NAME is required (a preset or a model folder)");
    return -1;
  }
  if (pio_bench_sweep_count(s) > PIO_BENCH_SWEEP_MAX_POINTS) {
    pio_bench_usage_error(SCENARIO, "the lists make %zu configurations, more than %d",
                          pio_bench_sweep_count(s), PIO_BENCH_SWEEP_MAX_POINTS);
    return -1;
  }
  if (o->json && s->format != PIO_BENCH_OUT_TABLE) {
    pio_bench_usage_error(SCENARIO, "--json and -o %s: one format on stdout (--json-out FILE "
                          "writes the JSON beside it)", pio_bench_out_format_name(s->format));
    return -1;
  }
  if (check_output("--json-out", o->json_out) != 0 || check_output("--plot", s->plot_path) != 0)
    return -1;
  return 0;
}

static int write_json_file(const char *path, const char *json) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "pio-bench run: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (pio_output_file_close(f, path, fputs(json, f) >= 0) == 0) return 0;
  fprintf(stderr, "pio-bench run: cannot write %s: %s\n", path, strerror(errno));
  return -1;
}

/* One configuration alone, as pio-bench run has always printed it, unless
 * another format is asked for. */
static int report_one(const pio_bench_run_sweep *s, const pio_bench_run_point *p) {
  char *json = NULL;
  if (s->base.json || s->base.json_out != NULL) {
    json = pio_bench_run_json(&p->opts, &p->result);
    if (json == NULL) {
      fprintf(stderr, "pio-bench run: out of memory formatting JSON\n");
      return PIO_BENCH_STATUS_FAILED;
    }
  }
  if (s->base.json)
    fputs(json, stdout);
  else if (s->format == PIO_BENCH_OUT_TABLE)
    pio_bench_run_print_table(&p->opts, &p->result, stdout);
  else
    pio_bench_sweep_print(stdout, s->format, p, 1);
  int status = PIO_BENCH_STATUS_OK;
  if (s->base.json_out != NULL && write_json_file(s->base.json_out, json) != 0)
    status = PIO_BENCH_STATUS_FAILED;
  free(json);
  return status;
}

/* Every configuration together. */
static int report_sweep(const pio_bench_run_sweep *s, const pio_bench_run_point *points,
                        size_t n) {
  char *json = NULL;
  if (s->base.json || s->base.json_out != NULL) {
    json = pio_bench_sweep_json(s, points, n);
    if (json == NULL) {
      fprintf(stderr, "pio-bench run: out of memory formatting JSON\n");
      return PIO_BENCH_STATUS_FAILED;
    }
  }
  int status = PIO_BENCH_STATUS_OK;
  if (s->base.json)
    fputs(json, stdout);
  else if (pio_bench_sweep_print(stdout, s->format, points, n) != 0)
    status = PIO_BENCH_STATUS_FAILED;
  if (s->base.json_out != NULL && write_json_file(s->base.json_out, json) != 0)
    status = PIO_BENCH_STATUS_FAILED;
  free(json);
  return status;
}

/* Measures configuration i into *p; the exit status on failure (the error
 * reported), else PIO_BENCH_STATUS_OK. */
static int measure_point(const pio_bench_run_sweep *s, size_t i, pio_bench_run_point *p) {
  pio_bench_sweep_options(s, i, &p->opts);
  pio_bench_progress progress;
  pio_bench_progress_init(&progress, p->opts.progress);
  pio_error err = {0};
  int exit_code = PIO_BENCH_STATUS_FAILED;
  pio_status st = pio_bench_run_measure(&p->opts, &progress, &p->result, &exit_code, &err);
  pio_bench_progress_clear(&progress);
  if (st == PIO_OK && pio_bench_run_check(&p->result, &err) != PIO_OK) {
    st = err.code;
    exit_code = PIO_BENCH_STATUS_FAILED;
  }
  if (st == PIO_OK) return PIO_BENCH_STATUS_OK;
  if (pio_bench_sweep_count(s) > 1)
    pio_error_prefix(&err, "%s, %u prompt + %u tokens, %u threads", p->opts.model,
                     p->opts.prompt_tokens, p->opts.gen_tokens, p->opts.threads);
  pio_bench_report_error("run", s->base.json, &err);
  return exit_code;
}

int pio_bench_cmd_run(int argc, char **argv) {
  pio_bench_run_sweep s;
  int parsed = parse_args(argc, argv, &s);
  if (parsed == 1) return PIO_BENCH_STATUS_OK;
  if (parsed != 0) return PIO_BENCH_STATUS_USAGE;
  size_t n = pio_bench_sweep_count(&s), done = 0;
  pio_bench_run_point *points = calloc(n, sizeof *points);
  if (points == NULL) {
    fprintf(stderr, "pio-bench run: out of memory\n");
    return PIO_BENCH_STATUS_FAILED;
  }
  int status = PIO_BENCH_STATUS_OK;
  for (; done < n && status == PIO_BENCH_STATUS_OK; done++)
    status = measure_point(&s, done, &points[done]);
  if (status == PIO_BENCH_STATUS_OK)
    status = n == 1 ? report_one(&s, &points[0]) : report_sweep(&s, points, n);
  pio_error err = {0};
  if (status == PIO_BENCH_STATUS_OK && s.plot_path != NULL &&
      pio_bench_sweep_plot(s.plot_path, points, n, &err) != PIO_OK) {
    fprintf(stderr, "pio-bench run: %s\n", err.message);
    status = PIO_BENCH_STATUS_FAILED;
  }
  for (size_t i = 0; i < done; i++) pio_bench_run_result_free(&points[i].result);
  free(points);
  return status;
}
