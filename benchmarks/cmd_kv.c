/* benchmarks/cmd_kv.c — `pio-bench kv`: the KV-cache cost of a model named
 * by preset or folder.  Every figure comes from the model's plugin through
 * the kv_cache component; this file reads the options and runs the steps. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kv_bench.h"

static const char kv_usage[] =
    "usage: pio-bench kv --model NAME [options]\n"
    "\n"
    "KV-cache size of a model: bytes per token for the whole model and per rank,\n"
    "IO bytes per page and rank, KV bytes for a request and a batch, pages per\n"
    "request, and what fits in a rank's memory after the weights.  The figures\n"
    "come from the model's plugin (its kv_cache component), loaded by name.\n"
    "\n"
    "  --model NAME         preset (llama-3.1-8b, deepseek-r1, ...) or a Hugging\n"
    "                       Face model folder holding config.json\n"
    "  --kv-dtype T         KV-cache element type: fp32 bf16 fp16 fp8 int8 (what\n"
    "                       config.json's quantization_config.kv_cache_scheme says,\n"
    "                       else bf16)\n"
    "  --kv-scales S        scales of an fp8 or int8 cache, f32 each: none, tensor\n"
    "                       (one K and one V a layer), head (a layer and KV head),\n"
    "                       token-head (a token, layer and KV head) (token-head, or\n"
    "                       the kv_cache_scheme's)\n"
    "  --state-dtype T      element type of recurrent state (Mamba layers) (bf16)\n"
    "  --prefill-chunk N    tokens one prefill step computes, in flight beside a\n"
    "                       sliding window; 0: the whole prompt at once (2048)\n"
    "  --tp N               tensor-parallel ranks (1)\n"
    "  --pp N               pipeline-parallel stages (1)\n"
    "  --page-size N        tokens per KV page (16)\n"
    "  --access A           block: one IO carries a page of every layer of a stage;\n"
    "                       layer: one IO per layer (block)\n"
    "  --isl N              input sequence length in tokens (4096)\n"
    "  --osl N              output sequence length in tokens (1024)\n"
    "  --batch N            concurrent requests (1)\n"
    "  --memory-gb X        memory of one rank in GB (10^9 bytes): report how many\n"
    "                       tokens and requests fit after the weights (refused when\n"
    "                       the weights alone do not fit)\n"
    "  --weight-dtype T     element type of the weights for --memory-gb (their\n"
    "                       bytes as config.json's quantization_config stores them,\n"
    "                       else bf16)\n"
    "  --formula F          pio: real sharding (KV heads split across ranks, copied\n"
    "                       when tp exceeds them; MLA latent on every rank);\n"
    "                       kvbench: NVIDIA kvbench's arithmetic, exactly (pio)\n"
    "  --plugin-path DIR    search DIR for plugins first (repeatable)\n"
    "  --json               print JSON instead of the table\n"
    "  -h, --help           this help\n"
    "\n"
    "kvbench's spellings work too: --page_size, --access_pattern, --num_requests\n"
    "(--batch), and model names such as llama3.1-8b.\n"
    "\n"
    "Exit status: 0 ok, 1 a file or plugin failed, 2 a bad option or model name.\n"
    "docs/benchmarks.md explains every figure and formula.\n";

enum {
  OPT_MODEL = 256, OPT_KV_DTYPE, OPT_KV_SCALES, OPT_STATE_DTYPE, OPT_PREFILL_CHUNK,
  OPT_WEIGHT_DTYPE, OPT_TP, OPT_PP, OPT_PAGE, OPT_ACCESS,
  OPT_ISL, OPT_OSL, OPT_BATCH, OPT_MEMORY, OPT_FORMULA, OPT_PLUGIN_PATH, OPT_JSON
};

static const struct option kv_long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL},
    {"kv-dtype", required_argument, NULL, OPT_KV_DTYPE},
    {"kv-scales", required_argument, NULL, OPT_KV_SCALES},
    {"state-dtype", required_argument, NULL, OPT_STATE_DTYPE},
    {"prefill-chunk", required_argument, NULL, OPT_PREFILL_CHUNK},
    {"weight-dtype", required_argument, NULL, OPT_WEIGHT_DTYPE},
    {"tp", required_argument, NULL, OPT_TP},
    {"pp", required_argument, NULL, OPT_PP},
    {"page-size", required_argument, NULL, OPT_PAGE},
    {"access", required_argument, NULL, OPT_ACCESS},
    {"isl", required_argument, NULL, OPT_ISL},
    {"osl", required_argument, NULL, OPT_OSL},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"memory-gb", required_argument, NULL, OPT_MEMORY},
    {"formula", required_argument, NULL, OPT_FORMULA},
    {"plugin-path", required_argument, NULL, OPT_PLUGIN_PATH},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    /* NVIDIA kvbench's spellings of the same options. */
    {"page_size", required_argument, NULL, OPT_PAGE},
    {"access_pattern", required_argument, NULL, OPT_ACCESS},
    {"num_requests", required_argument, NULL, OPT_BATCH},
    {NULL, 0, NULL, 0}};

static void kv_defaults(pio_bench_kv_options *o) {
  memset(o, 0, sizeof *o);
  o->kv_dtype = PIO_DTYPE_BF16;
  o->kv_scales = PIO_KV_SCALES_NONE;
  o->state_dtype = PIO_DTYPE_BF16;
  o->prefill_chunk = 2048;
  o->weight_dtype = PIO_DTYPE_BF16;
  o->tp = 1;
  o->pp = 1;
  o->page_size = 16;
  o->access = PIO_KV_ACCESS_BLOCK;
  o->formula = PIO_KV_FORMULA_PIO;
  o->isl = 4096;
  o->osl = 1024;
  o->batch = 1;
  o->memory_gb = -1.0;
}

/* One option; 0 when taken, -1 when its value is bad (already reported). */
static int kv_take(pio_bench_kv_options *o, int id, const char *v) {
  const uint32_t tokens = PIO_BENCH_KV_MAX_TOKENS;
  switch (id) {
    case OPT_MODEL: o->model = v; return 0;
    case OPT_KV_DTYPE:
      o->kv_dtype_given = 1;
      return pio_bench_parse_dtype("kv", "--kv-dtype", v, &o->kv_dtype);
    case OPT_KV_SCALES:
      o->kv_scales_given = 1;
      return pio_bench_parse_scales("kv", "--kv-scales", v, &o->kv_scales);
    case OPT_STATE_DTYPE:
      return pio_bench_parse_dtype("kv", "--state-dtype", v, &o->state_dtype);
    case OPT_PREFILL_CHUNK:
      return pio_bench_parse_u32("kv", "--prefill-chunk", v, 0, tokens, &o->prefill_chunk);
    case OPT_WEIGHT_DTYPE:
      o->weight_dtype_given = 1;
      return pio_bench_parse_dtype("kv", "--weight-dtype", v, &o->weight_dtype);
    case OPT_TP: return pio_bench_parse_u32("kv", "--tp", v, 1, 65536, &o->tp);
    case OPT_PP: return pio_bench_parse_u32("kv", "--pp", v, 1, 65536, &o->pp);
    case OPT_PAGE: return pio_bench_parse_u32("kv", "--page-size", v, 1, tokens, &o->page_size);
    case OPT_ACCESS: return pio_bench_parse_access("kv", "--access", v, &o->access);
    case OPT_ISL: return pio_bench_parse_u32("kv", "--isl", v, 0, tokens, &o->isl);
    case OPT_OSL: return pio_bench_parse_u32("kv", "--osl", v, 0, tokens, &o->osl);
    case OPT_BATCH:
      return pio_bench_parse_u32("kv", "--batch", v, 1, PIO_BENCH_KV_MAX_BATCH, &o->batch);
    case OPT_MEMORY:
      return pio_bench_parse_double("kv", "--memory-gb", v, 0.0, 1e9, &o->memory_gb);
    case OPT_FORMULA: return pio_bench_parse_formula("kv", "--formula", v, &o->formula);
    case OPT_JSON: o->json = 1; return 0;
    case OPT_PLUGIN_PATH:
      return pio_bench_take_plugin_path("kv", v, o->plugin_paths, &o->n_plugin_paths);
  }
  return -1;
}

/* Parses argv into o.  Returns -1 to exit with status 2, 1 for --help. */
static int kv_parse(int argc, char **argv, pio_bench_kv_options *o) {
  kv_defaults(o);
  optind = 1;
  opterr = 0;
  int id;
  while ((id = getopt_long(argc, argv, ":h", kv_long_options, NULL)) != -1) {
    if (id == 'h') return 1;
    if (id == '?' || id == ':') {
      pio_bench_option_error("kv", id, argv[optind - 1], kv_long_options);
      return -1;
    }
    if (kv_take(o, id, optarg) != 0) return -1;
  }
  if (optind < argc) {
    pio_bench_usage_error("kv", "unexpected argument '%s'", argv[optind]);
    return -1;
  }
  if (o->model == NULL) {
    pio_bench_usage_error("kv", "--model NAME is required");
    return -1;
  }
  return 0;
}

int pio_bench_cmd_kv(int argc, char **argv) {
  pio_bench_kv_options opts;
  int parsed = kv_parse(argc, argv, &opts);
  if (parsed == 1) {
    fputs(kv_usage, stdout);
    return PIO_BENCH_STATUS_OK;
  }
  if (parsed != 0) return PIO_BENCH_STATUS_USAGE;
  pio_bench_model model;
  pio_error err = {0};
  int status = PIO_BENCH_STATUS_FAILED;
  pio_status s = pio_bench_model_open(opts.model, opts.plugin_paths, opts.n_plugin_paths,
                                      &model, &status, &err);
  if (s != PIO_OK) {
    pio_bench_report_error("kv", opts.json, &err);
    return status;
  }
  pio_bench_kv_report report;
  s = pio_bench_kv_derive(&opts, &model, &report, &err);
  if (s != PIO_OK) {
    /* The plugin refuses sharding it cannot do; that is the request's fault. */
    pio_bench_report_error("kv", opts.json, &err);
    status = s == PIO_ERR_INVALID_ARGUMENT || s == PIO_ERR_UNSUPPORTED ? PIO_BENCH_STATUS_USAGE
                                                                       : PIO_BENCH_STATUS_FAILED;
  } else if (opts.json) {
    status = pio_bench_kv_print_json(&opts, &model, &report, stdout) == 0
                 ? PIO_BENCH_STATUS_OK : PIO_BENCH_STATUS_FAILED;
  } else {
    pio_bench_kv_print_table(&opts, &model, &report, stdout);
    status = PIO_BENCH_STATUS_OK;
  }
  pio_bench_model_close(&model);
  return status;
}
