/* benchmarks/cmd_run.c — `pio-bench run`: parses the options, runs the
 * forward-pass benchmark and prints the table and/or JSON.  The only part
 * that prints and chooses an exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_options.h"
#include "pio/host.h"
#include "pio/kernels.h"
#include "run_bench.h"

#define SCENARIO "run"

static void usage(FILE *f) {
  fprintf(f,
          "usage: pio-bench run --model NAME [--synthetic[=SEED]] [--dtype bf16|f16|f32]\n"
          "                     [--weights map|read] [--kernel PATH]\n"
          "                     [--prompt-tokens P] [--gen-tokens N] [--threads T]\n"
          "                     [--repeat R] [--json] [--json-out FILE]\n"
          "                     [--bandwidth-mib MIB] [--plugin-path DIR]... [--no-progress]\n"
          "\n"
          "Times a model's forward pass: load, time to first token, prefill and decode\n"
          "tokens/s (medians of R runs), each beside its limit measured in the same run\n"
          "(memory read bandwidth for decode, the compute peak for prefill).\n"
          "\n"
          "  --model NAME        a preset (e.g. llama-3.2-1b) or a Hugging Face model folder\n"
          "  --synthetic[=SEED]  random weights of the model's shapes (seed 0 by default)\n"
          "  --dtype D           synthetic weight type: bf16 (default), f16 or f32\n"
          "  --weights map|read  weights from files mapped in place (default) or read\n"
          "                      into the model's memory with huge pages\n"
          "  --kernel PATH       matmul path for every matmul: scalar, avx2, avx512,\n"
          "                      avx512bf16 or amx_bf16 (default auto: the plugin's\n"
          "                      plan, measured here; the table says which ran and why)\n"
          "  --prompt-tokens P   prefill length (default %d)\n"
          "  --gen-tokens N      decode steps after the prompt (default %d)\n"
          "  --threads T         threads of the model and of the limits (default: all cores)\n"
          "  --repeat R          timed runs, the model created once (default %d)\n"
          "  --json              JSON on stdout instead of the table\n"
          "  --json-out FILE     also write the JSON to FILE\n"
          "  --bandwidth-mib MIB buffer of the bandwidth measurement (default: the bytes a\n"
          "                      token reads, at most 1024)\n"
          "  --plugin-path DIR   look for plugins in DIR first (repeatable)\n"
          "  --no-progress       no status line on stderr\n",
          PIO_BENCH_RUN_PROMPT_DEFAULT, PIO_BENCH_RUN_GEN_DEFAULT, PIO_BENCH_RUN_REPEAT_DEFAULT);
}

enum {
  OPT_MODEL = 256, OPT_SYNTHETIC, OPT_DTYPE, OPT_WEIGHTS, OPT_PROMPT, OPT_GEN, OPT_THREADS, OPT_REPEAT,
  OPT_JSON, OPT_JSON_OUT, OPT_BANDWIDTH, OPT_PLUGIN_PATH, OPT_NO_PROGRESS, OPT_KERNEL, OPT_HELP
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

/* One option into opts; 0 on success, 1 for --help, -1 on a bad value. */
static int apply_option(int c, const char *arg, const char *argv_opt, pio_bench_run_options *o) {
  uint64_t mib;
  switch (c) {
    case OPT_MODEL: o->model = arg; return 0;
    case OPT_SYNTHETIC:
      o->synthetic = 1;
      return arg == NULL ? 0 : pio_bench_parse_u64(SCENARIO, "--synthetic", arg, 0, UINT64_MAX,
                                                   &o->seed);
    case OPT_DTYPE: return parse_weight_dtype(arg, &o->dtype);
    case OPT_WEIGHTS:
      if (pio_weights_load_parse(arg, &o->weights_load) == 0) return 0;
      fprintf(stderr, "pio-bench run: --weights: expected map or read, found '%s'\n", arg);
      return -1;
    case OPT_PROMPT:
      return pio_bench_parse_u32(SCENARIO, "--prompt-tokens", arg, 1, 1u << 20, &o->prompt_tokens);
    case OPT_GEN:
      return pio_bench_parse_u32(SCENARIO, "--gen-tokens", arg, 1, 1u << 20, &o->gen_tokens);
    case OPT_THREADS: return pio_bench_parse_u32(SCENARIO, "--threads", arg, 1, 1024, &o->threads);
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
      if (o->n_plugin_paths == PIO_BENCH_MAX_PLUGIN_PATHS) {
        pio_bench_usage_error(SCENARIO, "--plugin-path: at most %d folders",
                              PIO_BENCH_MAX_PLUGIN_PATHS);
        return -1;
      }
      o->plugin_paths[o->n_plugin_paths++] = arg;
      return 0;
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
    case OPT_HELP: return 1;
    default: pio_bench_option_error(SCENARIO, c, argv_opt, long_options); return -1;
  }
}

/* 0: run; 1: help printed; -1: bad arguments (message printed). */
static int parse_args(int argc, char **argv, pio_bench_run_options *o) {
  memset(o, 0, sizeof *o);
  o->dtype = PIO_DTYPE_BF16;
  o->prompt_tokens = PIO_BENCH_RUN_PROMPT_DEFAULT;
  o->gen_tokens = PIO_BENCH_RUN_GEN_DEFAULT;
  o->repeat = PIO_BENCH_RUN_REPEAT_DEFAULT;
  o->progress = 1;
  opterr = 0;
  optind = 0; /* GNU: a full re-initialisation, in case main parsed options */
  for (;;) {
    int c = getopt_long(argc, argv, ":h", long_options, NULL);
    if (c == -1) break;
    if (c == 'h') c = OPT_HELP;
    /* The element just consumed: the option a message should name. */
    const char *seen = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
    int r = apply_option(c, optarg, seen, o);
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
  if (o->model == NULL) {
    pio_bench_usage_error(SCENARIO, "--model NAME is required (a preset or a model folder)");
    return -1;
  }
  return 0;
}

static int write_json_file(const char *path, const char *json) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "pio-bench run: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  int ok = fputs(json, f) >= 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok) fprintf(stderr, "pio-bench run: cannot write %s: %s\n", path, strerror(errno));
  return ok ? 0 : -1;
}

static int report(const pio_bench_run_options *o, const pio_bench_run_result *r) {
  char *json = NULL;
  if (o->json || o->json_out != NULL) {
    json = pio_bench_run_json(o, r);
    if (json == NULL) {
      fprintf(stderr, "pio-bench run: out of memory formatting JSON\n");
      return PIO_BENCH_STATUS_FAILED;
    }
  }
  if (o->json)
    fputs(json, stdout);
  else
    pio_bench_run_print_table(o, r, stdout);
  int status = PIO_BENCH_STATUS_OK;
  if (o->json_out != NULL && write_json_file(o->json_out, json) != 0)
    status = PIO_BENCH_STATUS_FAILED;
  free(json);
  return status;
}

int pio_bench_cmd_run(int argc, char **argv) {
  pio_bench_run_options o;
  int parsed = parse_args(argc, argv, &o);
  if (parsed == 1) return PIO_BENCH_STATUS_OK;
  if (parsed != 0) return PIO_BENCH_STATUS_USAGE;
  pio_bench_progress progress;
  pio_bench_progress_init(&progress, o.progress);
  pio_bench_run_result r;
  pio_error err = {0};
  int exit_code = PIO_BENCH_STATUS_FAILED;
  pio_status st = pio_bench_run_measure(&o, &progress, &r, &exit_code, &err);
  pio_bench_progress_clear(&progress);
  if (st == PIO_OK && pio_bench_run_check(&r, &err) != PIO_OK) {
    st = err.code;
    exit_code = PIO_BENCH_STATUS_FAILED;
  }
  if (st != PIO_OK) {
    pio_bench_report_error("run", o.json, &err);
    pio_bench_run_result_free(&r);
    return exit_code;
  }
  int status = report(&o, &r);
  pio_bench_run_result_free(&r);
  return status;
}
