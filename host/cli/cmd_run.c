/* host/cli/cmd_run.c — `pio-host run MODEL --tokens 1,2,3`: resolves the
 * model (a preset or a Hugging Face folder) to its plugin, loads it through
 * libpio-host, runs the prompt, decodes greedily and prints the token ids.
 * --dump-logits writes the prompt's logits, float32 little-endian
 * [n_prompt][vocab], for comparison with a reference.  --prompt and --chat
 * (text in, text out) go on in run_text.c once the model is made; the
 * documents of --json are written here for both.
 *
 * Exit status: 0 all well, 1 a model or plugin problem, 2 bad usage. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "about.h"
#include "cli_common.h"
#include "config_warning.h"
#include "output_file.h"
#include "commands.h"
#include "pio/json.h"
#include "pio/kernels.h"
#include "pio/models.h"
#include "pio/number.h"
#include "pio/threadpool.h"
#include "run_text.h"

/* Longest prompt accepted on the command line. */
#define RUN_MAX_TOKENS (1u << 20)

enum { OPT_TOKENS = 0x200, OPT_MAX_NEW, OPT_THREADS, OPT_DUMP, OPT_SYNTHETIC, OPT_DTYPE, OPT_WEIGHTS,
       OPT_MAX_CONTEXT, OPT_KERNEL, OPT_VARIANT };

typedef struct run_args {
  pio_cli_common common;
  const char *model;
  int32_t *tokens; /* owned */
  uint32_t n_tokens;
  uint32_t max_new;
  uint32_t threads;
  uint32_t max_context;
  const char *dump_path;
  int synthetic;
  uint64_t seed;
  int has_dtype;
  pio_dtype dtype;
  uint32_t weights_load; /* PIO_WEIGHTS_MAP or PIO_WEIGHTS_READ */
  pio_cli_text_options text; /* --prompt / --chat and sampling (run_text.c) */
  const char *kernel;    /* matmul kernel path, NULL: the plugin's plan */
  const char *variant;   /* the plugin's variant to load, NULL: the best this machine runs */
} run_args;

static void print_help(void) {
  fputs("Usage: pio-host run [OPTION...] MODEL --tokens ID,ID,...\n"
        "       pio-host run [OPTION...] DIR --prompt TEXT | --chat\n"
        "\n"
        "Run a model on a prompt of token ids and print the greedily decoded ids;\n"
        "or, for a model folder with tokenizer.json, on text, streaming the text\n"
        "it generates until an EOS id (generation_config.json, config.json).\n"
        "MODEL is a preset name (see manifests/models; needs --synthetic) or a\n"
        "Hugging Face model folder holding config.json and *.safetensors.\n"
        "\n"
        "Options:\n"
        "  --tokens LIST          prompt token ids, comma-separated\n"
        PIO_CLI_TEXT_HELP
        "  --max-new-tokens N     tokens to decode after the prompt (default 16;\n"
        "                         0 runs the prompt only)\n"
        "  --threads T            compute threads (default: all online cores)\n"
        "  --dump-logits FILE     write the prompt's logits to FILE: float32\n"
        "                         little-endian, [prompt tokens][vocab_size]\n"
        "  --synthetic[=SEED]     deterministic random weights of the model's\n"
        "                         shapes instead of files (SEED default 0)\n"
        "  --dtype fp32|bf16|fp16 synthetic weights' dtype (default bf16; weights\n"
        "                         from files keep theirs)\n"
        "  --max-context N        KV-cache capacity (default: prompt + new tokens)\n"
        "  --weights map|read     weights from files: mapped in place (default), or\n"
        "                         read into the model's own memory (huge pages; a\n"
        "                         slower start, faster tokens, and immune to the\n"
        "                         files changing afterwards)\n"
        "  --kernel auto|scalar|avx2|avx512|avx512bf16|amx_bf16\n"
        "                         the matmul kernel path for every matmul (default\n"
        "                         auto: the SDK's measured choice)\n"
        "  --variant NAME         the plugin's build to load, as its manifest names\n"
        "                         it (pio-host info lists them); default: the\n"
        "                         first this machine runs\n" PIO_CLI_COMMON_HELP
        "\n"
        "Output: with --tokens, the new token ids on one line, comma-separated;\n"
        "with --prompt or --chat, the text as it is generated (a line per\n"
        "answer); on stdout, with a summary and timings on stderr.  With --json\n"
        "nothing streams: one document on stdout (docs/json/run.schema.json)\n"
        "holding ids, text and timings; --chat writes one a turn, on one line\n"
        "each (JSON Lines).  Errors are documents too.\n"
        "\n"
        "Exit status: 0 all well; 1 a model or plugin problem; 2 bad usage.\n",
        stdout);
}

static int parse_u32_option(const char *name, const char *text, uint32_t min, uint32_t max,
                            uint32_t *out) {
  uint64_t v = 0;
  char why[160];
  if (pio_parse_u64_explained(text, min, max, &v, why, sizeof why) != 0)
    return pio_cli_usage_error("run", "%s: %s", name, why);
  *out = (uint32_t)v;
  return PIO_CLI_EXIT_OK;
}

/* "1,2,3" into a new array. */
static int parse_tokens(const char *text, run_args *a) {
  size_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  if (n > RUN_MAX_TOKENS)
    return pio_cli_usage_error("run", "--tokens: at most %u tokens, found %zu", RUN_MAX_TOKENS, n);
  free(a->tokens);
  a->tokens = malloc(n * sizeof *a->tokens);
  if (a->tokens == NULL) return pio_cli_usage_error("run", "--tokens: out of memory");
  char *copy = strdup(text);
  if (copy == NULL) return pio_cli_usage_error("run", "--tokens: out of memory");
  a->n_tokens = 0;
  int rc = PIO_CLI_EXIT_OK;
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
    uint64_t v = 0;
    if (pio_parse_u64(item, 0, INT32_MAX, &v) != 0) {
      rc = pio_cli_usage_error("run", "--tokens: expected token ids (whole numbers from 0) "
                               "separated by commas, found '%s'", item);
      break;
    }
    a->tokens[a->n_tokens++] = (int32_t)v;
  }
  free(copy);
  if (rc == PIO_CLI_EXIT_OK && (a->n_tokens == 0 || a->n_tokens != n))
    rc = pio_cli_usage_error("run", "--tokens: expected token ids separated by single commas, "
                             "found '%s'", text);
  return rc;
}

static int parse_option(run_args *a, int opt, const char *arg) {
  uint64_t seed = 0;
  switch (opt) {
    case OPT_TOKENS: return parse_tokens(arg, a);
    case OPT_MAX_NEW: return parse_u32_option("--max-new-tokens", arg, 0, RUN_MAX_TOKENS, &a->max_new);
    case OPT_THREADS:
      return parse_u32_option("--threads", arg, 1, PIO_THREADPOOL_MAX_THREADS, &a->threads);
    case OPT_MAX_CONTEXT:
      return parse_u32_option("--max-context", arg, 1, UINT32_MAX, &a->max_context);
    case OPT_DUMP: a->dump_path = arg; return PIO_CLI_EXIT_OK;
    case OPT_SYNTHETIC:
      a->synthetic = 1;
      if (arg != NULL && pio_parse_u64(arg, 0, UINT64_MAX, &seed) != 0)
        return pio_cli_usage_error("run", "--synthetic: expected a whole-number seed, found "
                                   "'%s'", arg);
      a->seed = seed;
      return PIO_CLI_EXIT_OK;
    case OPT_WEIGHTS:
      if (pio_weights_load_parse(arg, &a->weights_load) != 0)
        return pio_cli_usage_error("run", "--weights: expected map or read, found '%s'", arg);
      return PIO_CLI_EXIT_OK;
    case OPT_KERNEL: {
      pio_kernel_path path;
      if (strcmp(arg, "auto") != 0 && pio_kernel_path_parse(arg, &path) != 0)
        return pio_cli_usage_error("run", "--kernel: expected auto, scalar, avx2, avx512, "
                                   "avx512bf16 or amx_bf16, found '%s'", arg);
      a->kernel = arg;
      return PIO_CLI_EXIT_OK;
    }
    case OPT_VARIANT: a->variant = arg; return PIO_CLI_EXIT_OK;
    case OPT_DTYPE:
      if (pio_dtype_parse(arg, &a->dtype) != 0 ||
          (a->dtype != PIO_DTYPE_F32 && a->dtype != PIO_DTYPE_BF16 && a->dtype != PIO_DTYPE_F16))
        return pio_cli_usage_error("run", "--dtype: expected fp32, bf16 or fp16, found '%s'", arg);
      a->has_dtype = 1;
      return PIO_CLI_EXIT_OK;
    default: {
      int text = pio_cli_text_option(&a->text, opt, arg);
      if (text != 0) return text > 0 ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_USAGE;
      int common = pio_cli_common_option(&a->common, opt, arg);
      return common == 1 ? PIO_CLI_EXIT_OK : pio_cli_option_failed(&a->common, common);
    }
  }
}

static int parse_args(int argc, char **argv, run_args *a) {
  static const struct option options[] = {
      {"tokens", required_argument, NULL, OPT_TOKENS},
      {"max-new-tokens", required_argument, NULL, OPT_MAX_NEW},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"dump-logits", required_argument, NULL, OPT_DUMP},
      {"synthetic", optional_argument, NULL, OPT_SYNTHETIC},
      {"dtype", required_argument, NULL, OPT_DTYPE},
      {"weights", required_argument, NULL, OPT_WEIGHTS},
      {"max-context", required_argument, NULL, OPT_MAX_CONTEXT},
      {"kernel", required_argument, NULL, OPT_KERNEL},
      {"variant", required_argument, NULL, OPT_VARIANT},
      PIO_CLI_TEXT_OPTIONS,
      PIO_CLI_COMMON_OPTIONS,
      {NULL, 0, NULL, 0}};
  a->max_new = 16;
  a->common.command = "run";
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') return pio_cli_bad_option("run", opt, argv, options);
    int rc = parse_option(a, opt == 'h' ? PIO_CLI_OPT_HELP : opt, optarg);
    if (rc != PIO_CLI_EXIT_OK) return rc;
  }
  if (a->common.help) return PIO_CLI_EXIT_OK;
  if (argc - optind != 1)
    return pio_cli_usage_error("run", "expected one MODEL, got %d arguments", argc - optind);
  a->model = argv[optind];
  if (a->model[0] == '\0') return pio_cli_usage_error("run", "MODEL is empty");
  int inputs = (a->n_tokens > 0) + (a->text.prompt != NULL) + a->text.chat;
  if (inputs != 1) return pio_cli_usage_error("run", "give one of --tokens, --prompt or --chat");
  if ((a->text.prompt || a->text.chat) && a->dump_path)
    return pio_cli_usage_error("run", "--dump-logits goes with --tokens");
  if (a->dump_path != NULL && pio_output_file_check(a->dump_path) != 0)
    return pio_cli_usage_error("run", "--dump-logits %s: %s", a->dump_path, strerror(errno));
  return PIO_CLI_EXIT_OK;
}

/* What a run holds; released together by release(). */
typedef struct run_state {
  pio_registry *registry;
  pio_resolved_model resolved;
  pio_loaded_plugin *plugin;
  const pio_plugin *table;
  pio_model_config *config;
  pio_model *model;
  float *logits; /* [n_prompt or 1][vocab] */
} run_state;

static void release(run_state *st) {
  if (st->model != NULL) st->table->model->destroy(st->model);
  if (st->config != NULL) st->table->config->free(st->config);
  if (st->plugin != NULL) pio_plugin_unload(st->plugin);
  pio_resolved_model_clear(&st->resolved);
  if (st->registry != NULL) pio_registry_close(st->registry);
  free(st->logits);
}

static int report(const run_args *a, const pio_error *err, int exit_status) {
  return pio_cli_fail(&a->common, exit_status, err->code, "%s: %s", a->model, err->message);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The plugin's table has config and model components this host can call. */
static int has_model(const pio_plugin *t) {
  return t->config != NULL && t->model != NULL && (t->components & PIO_COMPONENT_MODEL) &&
         PIO_TABLE_HAS(t->config, pio_config_api, summarize) &&
         PIO_TABLE_HAS(t->model, pio_model_api, stats) && t->model->create != NULL &&
         t->model->forward != NULL && t->model->destroy != NULL;
}

/* Index of the largest of row[n]; the first one on a tie, as torch.argmax. */
static int32_t argmax(const float *row, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (row[i] > row[best]) best = i;
  return (int32_t)best;
}

/* rows x vocab floats to path, little-endian whatever this machine is. */
static pio_status dump_logits(const char *path, const float *logits, size_t count,
                              pio_error *err) {
  FILE *f = fopen(path, "wb");
  if (f == NULL)
    return pio_error_set(err, PIO_ERR_IO, "--dump-logits %s: %s", path, strerror(errno));
  int ok = 1;
  for (size_t i = 0; ok && i < count; i++) {
    uint32_t bits;
    memcpy(&bits, &logits[i], sizeof bits);
    unsigned char le[4] = {(unsigned char)bits, (unsigned char)(bits >> 8),
                           (unsigned char)(bits >> 16), (unsigned char)(bits >> 24)};
    ok = fwrite(le, 1, 4, f) == 4;
  }
  if (pio_output_file_close(f, path, ok) != 0)
    return pio_error_set(err, PIO_ERR_IO, "--dump-logits %s: %s", path, strerror(errno));
  return PIO_OK;
}

/* Resolves, loads and parses: everything up to creating the model. */
static int open_model(const run_args *a, run_state *st, pio_error *err) {
  st->registry = pio_cli_open_registry(&a->common, 0);
  if (st->registry == NULL) return PIO_CLI_EXIT_PLUGIN;
  pio_status s = pio_model_resolve(st->registry, a->model, &st->resolved, err);
  if (s != PIO_OK)
    return report(a, err, s == PIO_ERR_NOT_FOUND ? PIO_CLI_EXIT_USAGE : PIO_CLI_EXIT_PLUGIN);
  if (st->resolved.weights_dir == NULL && (a->text.prompt || a->text.chat)) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "--prompt and --chat need a Hugging Face model "
                  "folder (tokenizer.json beside config.json), not a preset");
    return report(a, err, PIO_CLI_EXIT_USAGE);
  }
  if (st->resolved.weights_dir == NULL && !a->synthetic) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "a preset has no weights; add --synthetic, "
                  "or name a Hugging Face model folder");
    return report(a, err, PIO_CLI_EXIT_USAGE);
  }
  s = pio_plugin_load_variant(st->resolved.record, a->variant, &st->plugin, err);
  if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  st->table = pio_loaded_plugin_table(st->plugin);
  if (!has_model(st->table)) {
    pio_error_set(err, PIO_ERR_UNSUPPORTED, "plugin '%s' has no model component: it cannot "
                  "run models", st->resolved.record->name);
    return report(a, err, PIO_CLI_EXIT_PLUGIN);
  }
  s = st->table->config->parse_file(st->resolved.config_path, &st->config, err);
  if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  pio_warn_unread_config_fields(stderr, "pio-host run", st->table, st->resolved.config_path);
  return PIO_CLI_EXIT_OK;
}

/* prompt_tokens: --prompt's ids (run_text.c encoded them). */
static int create_model(const run_args *a, run_state *st, pio_model_summary *sum,
                        uint32_t prompt_tokens, pio_error *err) {
  memset(sum, 0, sizeof *sum);
  sum->struct_size = sizeof *sum;
  pio_status s = st->table->config->summarize(st->config, sum, err);
  if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  pio_model_options o;
  memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.weights_dir = a->synthetic ? NULL : st->resolved.weights_dir;
  o.synthetic = a->synthetic;
  o.seed = a->seed;
  o.weight_dtype = a->has_dtype ? a->dtype : PIO_DTYPE_BF16;
  o.n_threads = a->threads;
  o.weights_load = a->weights_load;
  o.kernel = a->kernel;
  /* Just the context this run needs, unless asked for more. */
  const uint64_t prompt = a->text.prompt ? prompt_tokens : a->n_tokens;
  /* a chat takes what the plugin gives by default: min(max_position, 4096) */
  uint64_t needed = a->text.chat ? 0 : prompt + (a->max_new > 0 ? a->max_new - 1 : 0);
  /* a prompt too long for the model is refused by the prefill, naming its
   * tokens and the cache, rather than by create naming a max_context the
   * user never gave */
  if (a->text.prompt && sum->max_position > 0 && needed > sum->max_position)
    needed = sum->max_position;
  o.max_context = a->max_context ? a->max_context : (uint32_t)(needed > UINT32_MAX ? UINT32_MAX : needed);
  s = pio_model_options_supported(st->table, &o, err);
  if (s == PIO_OK) s = st->table->model->create(st->config, &o, &st->model, err);
  if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  const size_t rows = a->dump_path ? a->n_tokens : 1;
  st->logits = malloc(rows * sum->vocab_size * sizeof *st->logits);
  if (st->logits == NULL) {
    pio_error_set(err, PIO_ERR_NO_MEMORY, "logits of %zu tokens: out of memory", rows);
    return report(a, err, PIO_CLI_EXIT_PLUGIN);
  }
  return PIO_CLI_EXIT_OK;
}

/* What a run measured, for the summary line or the JSON document. */
typedef struct run_result {
  int32_t *ids; /* the decoded ids, max_new of them; owned */
  uint32_t n_ids;
  double prefill_s, decode_s;
  pio_model_stats stats;
  int has_stats;
} run_result;

static double per_second(double n, double s) { return s > 0 ? n / s : 0; }

static void print_text(const run_args *a, const run_state *st, const run_result *r) {
  for (uint32_t i = 0; i < r->n_ids; i++) printf(i == 0 ? "%d" : ",%d", (int)r->ids[i]);
  putchar('\n');
  fflush(stdout);
  uint32_t decoded = a->max_new > 1 ? a->max_new - 1 : 0;
  const char *variant = pio_loaded_plugin_variant(st->plugin);
  if (r->has_stats)
    fprintf(stderr, "pio-host run: plugin %s%s%s%s, kernel %s, %u threads: prefill %u tokens in "
            "%.3f s (%.1f tokens/s); decode %u tokens in %.3f s (%.1f tokens/s)\n",
            st->resolved.record->name, variant ? " (variant " : "", variant ? variant : "",
            variant ? ")" : "", r->stats.kernel ? r->stats.kernel : "?",
            r->stats.n_threads, a->n_tokens, r->prefill_s, per_second(a->n_tokens, r->prefill_s),
            decoded, r->decode_s, per_second(decoded, r->decode_s));
  if (r->has_stats && PIO_TABLE_HAS(&r->stats, pio_model_stats, weights_note) &&
      r->stats.weights_note != NULL)
    fprintf(stderr, "pio-host run: weights: %s\n", r->stats.weights_note);
}

/* What the run's timings say, in the document. */
typedef struct run_timing {
  size_t prompt_tokens, prefilled, decode_steps;
  double prefill_s, decode_s;
} run_timing;

static json_object *json_int(pio_json_build *b, int64_t v) {
  return pio_json_made(b, json_object_new_int64(v));
}

static json_object *json_double(pio_json_build *b, double v) {
  return pio_json_made(b, json_object_new_double(v));
}

/* The document "pio-host run" (docs/json/run.schema.json) with what every
 * run has: the model, its plugin, the compute path, the timings and the
 * ids generated, in b's document doc. */
static void run_document(pio_json_build *b, json_object *doc, const run_args *a,
                         const run_state *st, const pio_model_stats *stats,
                         const int32_t *generated, size_t n_generated, const run_timing *tm) {
  pio_json_set(b, doc, "model", pio_json_text(b, a->model));
  pio_json_set(b, doc, "plugin", pio_json_text(b, st->resolved.record->name));
  pio_json_set(b, doc, "variant", pio_json_text(b, pio_loaded_plugin_variant(st->plugin)));
  pio_json_set(b, doc, "config", pio_json_text(b, st->resolved.config_path));
  pio_json_set(b, doc, "synthetic", pio_json_made(b, json_object_new_boolean(a->synthetic)));
  pio_json_set(b, doc, "kernel", pio_json_text(b, stats ? stats->kernel : NULL));
  pio_json_set(b, doc, "threads", json_int(b, stats ? stats->n_threads : 0));
  pio_json_set(b, doc, "prompt_tokens", json_int(b, (int64_t)tm->prompt_tokens));
  json_object *ids = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; ids != NULL && i < n_generated; i++)
    pio_json_push(b, ids, json_int(b, generated[i]));
  pio_json_set(b, doc, "generated", ids);
  pio_json_set(b, doc, "prefill_s", json_double(b, tm->prefill_s));
  pio_json_set(b, doc, "prefill_tokens_per_s",
               json_double(b, per_second((double)tm->prefilled, tm->prefill_s)));
  pio_json_set(b, doc, "decode_tokens", json_int(b, (int64_t)tm->decode_steps));
  pio_json_set(b, doc, "decode_s", json_double(b, tm->decode_s));
  pio_json_set(b, doc, "decode_tokens_per_s",
               json_double(b, per_second((double)tm->decode_steps, tm->decode_s)));
  const char *note =
      stats && PIO_TABLE_HAS(stats, pio_model_stats, weights_note) ? stats->weights_note : NULL;
  pio_json_set(b, doc, "weights_note", pio_json_text(b, note));
}

/* Prints b's document doc (pretty, or on one line for a chat's JSON
 * Lines) and frees it. */
static int print_document(const run_args *a, pio_json_build *b, json_object *doc) {
  doc = pio_json_done(b, doc);
  int rc = doc == NULL    ? -1
           : a->text.chat ? pio_about_print_json_line(stdout, doc)
                          : pio_about_print_json(stdout, doc);
  json_object_put(doc);
  fflush(stdout);
  return rc == 0
             ? PIO_CLI_EXIT_OK
             : pio_cli_fail(&a->common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
}

static int print_json(const run_args *a, const run_state *st, const run_result *r) {
  uint32_t decoded = a->max_new > 1 ? a->max_new - 1 : 0;
  run_timing tm = {a->n_tokens, a->n_tokens, decoded, r->prefill_s, r->decode_s};
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, pio_cli_document(&a->common));
  run_document(&b, doc, a, st, r->has_stats ? &r->stats : NULL, r->ids, r->n_ids, &tm);
  return print_document(a, &b, doc);
}

/* What --prompt and --chat hand back for each answer (run_text.h). */
typedef struct text_context {
  const run_args *a;
  const run_state *st;
} text_context;

static json_object *sampling_object(pio_json_build *b, const pio_sampling *s) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "temperature", json_double(b, s->temperature));
  pio_json_set(b, o, "top_k", json_int(b, s->top_k));
  pio_json_set(b, o, "top_p", json_double(b, s->top_p));
  pio_json_set(b, o, "min_p", json_double(b, s->min_p));
  pio_json_set(b, o, "repeat_penalty", json_double(b, s->repeat_penalty));
  pio_json_set(b, o, "seed", pio_json_made(b, json_object_new_uint64(s->seed)));
  return o;
}

static int print_answer(void *ctx, const pio_cli_text_answer *an) {
  const text_context *c = ctx;
  pio_model_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  pio_error err;
  pio_error_clear(&err);
  int has_stats = c->st->table->model->stats(c->st->model, &stats, &err) == PIO_OK;
  run_timing tm = {an->prompt_tokens, an->prompt_tokens - an->cached_tokens, an->decode_steps,
                   an->prefill_s, an->decode_s};
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, pio_cli_document(&c->a->common));
  run_document(&b, doc, c->a, c->st, has_stats ? &stats : NULL, an->ids, an->n_ids, &tm);
  pio_json_set(&b, doc, c->a->text.chat ? "user" : "prompt",
               pio_json_made(&b, json_object_new_string_len(an->input, (int)an->input_len)));
  if (c->a->text.chat) pio_json_set(&b, doc, "turn", json_int(&b, an->turn));
  pio_json_set(&b, doc, "cached_tokens", json_int(&b, (int64_t)an->cached_tokens));
  pio_json_set(&b, doc, "text",
               pio_json_made(&b, json_object_new_string_len(an->text, (int)an->text_len)));
  static const char *const stop_names[] = {
      [PIO_CLI_STOP_EOS] = "eos",
      [PIO_CLI_STOP_MAX_NEW] = "max_new_tokens",
      [PIO_CLI_STOP_INTERRUPT] = "interrupted",
  };
  pio_json_set(&b, doc, "stop", pio_json_text(&b, stop_names[an->stop]));
  pio_json_set(&b, doc, "sampling", sampling_object(&b, an->sampling));
  return print_document(c->a, &b, doc);
}

/* Prefill, optional dump, greedy decode into r->ids. */
static int generate(const run_args *a, run_state *st, const pio_model_summary *sum,
                    run_result *r, pio_error *err) {
  const pio_model_api *api = st->table->model;
  const size_t vocab = sum->vocab_size;
  const int all = a->dump_path != NULL;
  if (a->max_new > 0 && (r->ids = malloc(a->max_new * sizeof *r->ids)) == NULL) {
    pio_error_set(err, PIO_ERR_NO_MEMORY, "%u new tokens: out of memory", a->max_new);
    return report(a, err, PIO_CLI_EXIT_PLUGIN);
  }
  double t0 = now_s();
  pio_status s = api->forward(st->model, a->tokens, a->n_tokens, st->logits, all, err);
  if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  r->prefill_s = now_s() - t0;
  if (all && dump_logits(a->dump_path, st->logits, a->n_tokens * vocab, err) != PIO_OK)
    return report(a, err, PIO_CLI_EXIT_PLUGIN);
  const float *last = st->logits + (all ? (size_t)(a->n_tokens - 1) * vocab : 0);
  t0 = now_s();
  for (uint32_t i = 0; i < a->max_new; i++) {
    int32_t next = argmax(i == 0 ? last : st->logits, vocab);
    r->ids[r->n_ids++] = next;
    if (i + 1 == a->max_new) break;
    s = api->forward(st->model, &next, 1, st->logits, 0, err);
    if (s != PIO_OK) return report(a, err, PIO_CLI_EXIT_PLUGIN);
  }
  r->decode_s = now_s() - t0;
  memset(&r->stats, 0, sizeof r->stats);
  r->stats.struct_size = sizeof r->stats;
  r->has_stats = api->stats(st->model, &r->stats, err) == PIO_OK;
  return PIO_CLI_EXIT_OK;
}

static int run_model(const run_args *a) {
  run_state st;
  memset(&st, 0, sizeof st);
  pio_error err;
  pio_error_clear(&err);
  pio_model_summary sum;
  run_result result;
  memset(&result, 0, sizeof result);
  const int text_run = a->text.prompt || a->text.chat;
  pio_cli_text *text = NULL; /* read before the weights: its mistakes cost no load */
  uint32_t prompt_tokens = 0;
  int rc = open_model(a, &st, &err);
  if (rc == PIO_CLI_EXIT_OK && text_run)
    rc = pio_cli_text_open(&a->text, a->model, st.resolved.weights_dir, &a->common, &text,
                           &prompt_tokens);
  if (rc == PIO_CLI_EXIT_OK) rc = create_model(a, &st, &sum, prompt_tokens, &err);
  if (rc == PIO_CLI_EXIT_OK && text_run) {
    text_context ctx = {a, &st};
    pio_cli_text_model m = {st.resolved.record->name, st.table->model, st.model,
                            (uint32_t)sum.vocab_size, 0, a->max_new, st.logits, print_answer, &ctx};
    pio_model_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    m.max_context = st.table->model->stats(st.model, &stats, &err) == PIO_OK ? stats.max_context : 0;
    rc = pio_cli_run_text(text, &m);
  } else if (rc == PIO_CLI_EXIT_OK) {
    rc = generate(a, &st, &sum, &result, &err);
    if (rc == PIO_CLI_EXIT_OK && !a->common.json) print_text(a, &st, &result);
    if (rc == PIO_CLI_EXIT_OK && a->common.json) rc = print_json(a, &st, &result);
  }
  pio_cli_text_close(text);
  free(result.ids);
  release(&st);
  return rc;
}

int pio_cli_run(int argc, char **argv) {
  run_args a;
  memset(&a, 0, sizeof a);
  pio_sampling_defaults(&a.text.sampling);
  int rc = parse_args(argc, argv, &a);
  if (rc == PIO_CLI_EXIT_OK && a.common.help) print_help();
  if (rc == PIO_CLI_EXIT_OK && !a.common.help) rc = run_model(&a);
  free(a.tokens);
  pio_cli_common_free(&a.common);
  return rc;
}
