/* benchmarks/run_measure.c — `pio-bench run`'s measurement: resolves and
 * loads the model through libpio-host, times create, prefill and decode over
 * repetitions, then measures the machine's limits with the same threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pio/threadpool.h"

#include "bench_model.h"
#include "run_bench.h"
#include "stats.h"

/* Everything loaded for one run, released by session_close. */
typedef struct session {
  pio_bench_model m; /* registry, resolved name, plugin, parsed config */
  int opened;
  pio_model *model;
  int32_t *tokens;   /* tokens[prompt_tokens] */
  float *logits;     /* logits[vocab_size] */
} session;

static void session_close(session *s) {
  if (s->model != NULL) s->m.table->model->destroy(s->model);
  if (s->opened) pio_bench_model_close(&s->m);
  free(s->tokens);
  free(s->logits);
  memset(s, 0, sizeof *s);
}

/* The plugin's model table covers every call the benchmark makes. */
static int has_model(const pio_plugin *p) {
  const pio_model_api *m = PIO_TABLE_HAS(p, pio_plugin, model) ? p->model : NULL;
  return m != NULL && (p->components & PIO_COMPONENT_MODEL) &&
         PIO_TABLE_HAS(m, pio_model_api, stats) && m->create != NULL && m->destroy != NULL &&
         m->forward != NULL && m->reset != NULL && m->stats != NULL;
}

/* Opens the model by name (pio_bench_model_open: registry, resolution,
 * plugin load, config) and checks that it can run as asked. */
static pio_status open_model(const pio_bench_run_options *opts, session *s, int *exit_code,
                             pio_error *err) {
  pio_status st = pio_bench_model_open_variant(opts->model, opts->plugin_paths,
                                               opts->n_plugin_paths, opts->variant, &s->m,
                                               exit_code, err);
  if (st != PIO_OK) return st;
  s->opened = 1;
  *exit_code = PIO_BENCH_STATUS_FAILED;
  if (!has_model(s->m.table))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "plugin '%s' (%s) has no model component with create, forward, "
                         "reset and stats: it cannot run a forward pass",
                         s->m.plugin_name, s->m.resolved.record->dir);
  if (!opts->synthetic && s->m.resolved.weights_dir == NULL) {
    *exit_code = PIO_BENCH_STATUS_USAGE;
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "'%s' is a preset: it has no weights files; add --synthetic for "
                         "random weights of its shapes, or name a Hugging Face model folder",
                         opts->model);
  }
  uint64_t needed = (uint64_t)opts->prompt_tokens + opts->gen_tokens;
  uint32_t context = s->m.summary.max_position;
  if (context != 0 && needed > context) {
    *exit_code = PIO_BENCH_STATUS_USAGE;
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "--prompt-tokens %u + --gen-tokens %u = %llu tokens, more than the "
                         "model's context of %u (max_position_embeddings)",
                         opts->prompt_tokens, opts->gen_tokens, (unsigned long long)needed,
                         context);
  }
  if (s->m.summary.vocab_size == 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: vocab_size is 0", s->m.resolved.config_path);
  return PIO_OK;
}

static pio_status create_model(const pio_bench_run_options *opts, session *s, double *load_s,
                               pio_error *err) {
  pio_model_options mo = {
      .struct_size = sizeof mo,
      .weights_dir = opts->synthetic ? NULL : s->m.resolved.weights_dir,
      .synthetic = opts->synthetic,
      .seed = opts->seed,
      .weight_dtype = opts->dtype,
      .n_threads = opts->threads,
      .max_context = opts->prompt_tokens + opts->gen_tokens,
      .weights_load = opts->weights_load,
      .kernel = opts->kernel,
  };
  double t0 = pio_bench_now();
  pio_status st = pio_model_options_supported(s->m.table, &mo, err);
  if (st == PIO_OK) st = s->m.table->model->create(s->m.config, &mo, &s->model, err);
  *load_s = pio_bench_now() - t0;
  if (st != PIO_OK) return pio_error_prefix(err, "creating the model");
  s->tokens = malloc(opts->prompt_tokens * sizeof *s->tokens);
  s->logits = malloc((size_t)s->m.summary.vocab_size * sizeof *s->logits);
  if (s->tokens == NULL || s->logits == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate prompt and logits buffers");
  /* A fixed, spread-out prompt: the forward pass's cost does not depend on
   * the ids, and the same ids every run keep runs comparable. */
  for (uint32_t i = 0; i < opts->prompt_tokens; i++)
    s->tokens[i] = (int32_t)(((uint64_t)i * 7919u + 17u) % s->m.summary.vocab_size);
  return PIO_OK;
}

static int32_t argmax(const float *x, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return (int32_t)best;
}

/* Whether the plugin chooses tokens itself (ABI 1.2 forward_argmax): a GPU
 * plugin picks it where the logits are, and they never cross the bus. */
static int plugin_argmax(const pio_model_api *m) {
  return PIO_TABLE_HAS(m, pio_model_api, forward_argmax) && m->forward_argmax != NULL;
}

/* The next token after tokens[n]: forward_argmax where the plugin has it,
 * else forward and the argmax here. */
static pio_status next_token(session *s, const int32_t *tokens, uint32_t n, int32_t *next,
                             pio_error *err) {
  const pio_model_api *m = s->m.table->model;
  if (plugin_argmax(m)) return m->forward_argmax(s->model, tokens, n, next, err);
  pio_status st = m->forward(s->model, tokens, n, s->logits, 0, err);
  if (st == PIO_OK) *next = argmax(s->logits, s->m.summary.vocab_size);
  return st;
}

/* One repetition from an empty cache: prefill P tokens, pick the first
 * token (with the prefill, when the plugin picks it), then N greedy
 * single-token decode steps. */
static pio_status run_once(const pio_bench_run_options *opts, session *s, double *prefill_s,
                           double *ttft_s, double *decode_s, int32_t *first, pio_error *err) {
  const pio_model_api *m = s->m.table->model;
  m->reset(s->model);
  int32_t token = 0;
  double t0 = pio_bench_now(), t1;
  if (plugin_argmax(m)) {
    if (m->forward_argmax(s->model, s->tokens, opts->prompt_tokens, &token, err) != PIO_OK)
      return pio_error_prefix(err, "prefill of %u tokens", opts->prompt_tokens);
    t1 = pio_bench_now();
  } else {
    if (m->forward(s->model, s->tokens, opts->prompt_tokens, s->logits, 0, err) != PIO_OK)
      return pio_error_prefix(err, "prefill of %u tokens", opts->prompt_tokens);
    t1 = pio_bench_now();
    token = argmax(s->logits, s->m.summary.vocab_size);
  }
  double t2 = pio_bench_now();
  *first = token;
  for (uint32_t i = 0; i < opts->gen_tokens; i++)
    if (next_token(s, &token, 1, &token, err) != PIO_OK)
      return pio_error_prefix(err, "decode step %u", i + 1);
  double t3 = pio_bench_now();
  *prefill_s = t1 - t0;
  *ttft_s = t2 - t0;
  *decode_s = t3 - t2;
  return PIO_OK;
}

/* Touches every weight, scratch buffer and cache page once, untimed. */
static pio_status warm_up(const pio_bench_run_options *opts, session *s, pio_error *err) {
  const pio_model_api *m = s->m.table->model;
  uint32_t n = opts->prompt_tokens < 8 ? opts->prompt_tokens : 8;
  m->reset(s->model);
  if (m->forward(s->model, s->tokens, n, s->logits, 0, err) != PIO_OK)
    return pio_error_prefix(err, "warm-up prefill");
  int32_t token = argmax(s->logits, s->m.summary.vocab_size);
  if (next_token(s, &token, 1, &token, err) != PIO_OK)
    return pio_error_prefix(err, "warm-up decode");
  return PIO_OK;
}

/* Medians of the per-repetition rates (not rates of median times: the two
 * differ for an even count). */
static void summarize_timings(const pio_bench_run_options *opts, pio_bench_run_result *out) {
  uint32_t n = out->repeat;
  double *tmp = calloc(n, sizeof *tmp);
  if (tmp == NULL) return;
  for (uint32_t i = 0; i < n; i++) tmp[i] = opts->prompt_tokens / out->prefill_s[i];
  out->prefill_tok_s = pio_bench_median(tmp, n);
  for (uint32_t i = 0; i < n; i++) tmp[i] = opts->gen_tokens / out->decode_s[i];
  out->decode_tok_s = pio_bench_median(tmp, n);
  memcpy(tmp, out->ttft_s, n * sizeof *tmp);
  out->ttft_median_s = pio_bench_median(tmp, n);
  free(tmp);
  out->effective_bytes_per_s = out->decode_tok_s * (double)out->stats.weight_bytes_per_token;
}

static void copy_text(char *dst, size_t size, const char *src) {
  snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* The dtypes the matmul weights are held in: the plugin's word (ABI 1.2),
 * else the synthetic dtype asked for, else every dtype (the highest peak
 * then bounds whatever the files hold). */
static uint32_t matmul_dtypes(const pio_bench_run_options *opts, const pio_model_stats *st) {
  if (PIO_TABLE_HAS(st, pio_model_stats, matmul_dtypes) && st->matmul_dtypes != 0)
    return st->matmul_dtypes;
  if (opts->synthetic) return 1u << opts->dtype;
  return (1u << PIO_DTYPE_COUNT) - 1;
}

/* A string field of the plugin's stats, or fallback when its stats do not
 * cover the field (an older ABI) or leave it NULL. */
#define STAT_TEXT(st, field, fallback) \
  (PIO_TABLE_HAS(st, pio_model_stats, field) && (st)->field != NULL ? (st)->field : (fallback))

static pio_status read_stats(const pio_bench_run_options *opts, session *s,
                             pio_bench_run_result *out, pio_error *err) {
  out->stats.struct_size = sizeof out->stats;
  if (s->m.table->model->stats(s->model, &out->stats, err) != PIO_OK)
    return pio_error_prefix(err, "reading the model's figures");
  pio_model_stats *st = &out->stats;
  copy_text(out->kernel, sizeof out->kernel, st->kernel);
  copy_text(out->kernel_prefill, sizeof out->kernel_prefill,
            STAT_TEXT(st, kernel_prefill, out->kernel));
  copy_text(out->kernel_decode, sizeof out->kernel_decode,
            STAT_TEXT(st, kernel_decode, out->kernel));
  copy_text(out->kernel_why, sizeof out->kernel_why,
            STAT_TEXT(st, kernel_why, ""));
  /* The plugin's strings go with the model and its unload. */
  st->kernel = out->kernel;
  st->kernel_prefill = out->kernel_prefill;
  st->kernel_decode = out->kernel_decode;
  st->kernel_why = out->kernel_why;
  copy_text(out->weights_note, sizeof out->weights_note, STAT_TEXT(st, weights_note, ""));
  st->weights_note = out->weights_note;
  out->matmul_dtypes = matmul_dtypes(opts, st);
  out->head_flops_per_token = 2ull * s->m.summary.d_model * s->m.summary.vocab_size;
  copy_text(out->device, sizeof out->device, STAT_TEXT(st, device, "cpu"));
  copy_text(out->device_name, sizeof out->device_name, STAT_TEXT(st, device_name, ""));
  st->device = out->device;
  st->device_name = out->device_name;
  out->on_device = strcmp(out->device, "cuda") == 0;
  out->used_argmax = plugin_argmax(s->m.table->model);
  copy_text(out->plugin_name, sizeof out->plugin_name, s->m.plugin_name);
  copy_text(out->plugin_version, sizeof out->plugin_version, s->m.plugin_version);
  copy_text(out->variant, sizeof out->variant, s->m.variant);
  copy_text(out->architecture, sizeof out->architecture, s->m.resolved.architecture);
  return PIO_OK;
}

/* Timed passes of every limit after each repetition: at least 24 in all
 * and 8 a repetition, so that the best pass is one nothing else slowed. */
#define RUN_LIMIT_PASSES 24u
#define RUN_LIMIT_PASSES_PER_REPETITION 8u

static uint32_t limit_passes_per_repetition(uint32_t repeat) {
  uint32_t per = (RUN_LIMIT_PASSES + repeat - 1) / repeat;
  return per < RUN_LIMIT_PASSES_PER_REPETITION ? RUN_LIMIT_PASSES_PER_REPETITION : per;
}

/* Lets the other pool's workers finish spinning and sleep (the SDK pool
 * spins 0.2 ms after a run), so the model and the limit loops never
 * compete for the cores. */
static void settle(void) {
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
}

/* The read-bandwidth buffer: as asked, else the bytes a decoded token
 * reads (at most the default 1 GiB): a buffer larger than the weights would
 * miss a cache they fit in, and their decode would beat its "limit". */
static uint64_t read_buffer_bytes(const pio_bench_run_options *opts,
                                  const pio_bench_run_result *out) {
  if (opts->read_buffer_bytes != 0) return opts->read_buffer_bytes;
  uint64_t weights = out->stats.weight_bytes_per_token;
  return weights != 0 && weights < PIO_BENCH_READ_BUFFER_DEFAULT ? weights
                                                                 : PIO_BENCH_READ_BUFFER_DEFAULT;
}

/* The peaks the run needs: the one bounding the prefill path for each
 * dtype of the weights (all of them when the path is unknown), and the
 * widest FMA and the bf16 dot product for the table. */
static uint32_t peaks_needed(const pio_bench_run_result *out) {
  uint32_t mask = 1u << PIO_BENCH_PEAK_AVX512_FMA | 1u << PIO_BENCH_PEAK_AVX2_FMA |
                  1u << PIO_BENCH_PEAK_BF16_DOT;
  if (!pio_bench_peak_available(PIO_BENCH_PEAK_AVX2_FMA)) mask |= 1u << PIO_BENCH_PEAK_SSE2;
  if (pio_bench_peak_available(PIO_BENCH_PEAK_AVX512_FMA)) mask &= ~(1u << PIO_BENCH_PEAK_AVX2_FMA);
  for (int d = 0; d < PIO_DTYPE_COUNT; d++) {
    if (!((out->matmul_dtypes >> d) & 1u)) continue;
    pio_bench_peak p = pio_bench_peak_bounding(out->kernel_prefill, (pio_dtype)d);
    mask |= p < PIO_BENCH_PEAK_COUNT ? 1u << p : ~0u;
  }
  return mask;
}

/* What measures the limits: the CPU's sampler and its pool, or, for a
 * model on a CUDA device, the device module's sampler. */
typedef struct limits_run {
  pio_threadpool *pool;
  pio_bench_limits_sampler *cpu;
  pio_bench_device_module *module;
  const pio_bench_device_api *device_api;
  pio_bench_device_sampler *device;
} limits_run;

/* Created after the first repetition, once the model's peak RSS has been
 * read and its stats say where it runs. */
static pio_status start_limits(const pio_bench_run_options *opts, pio_bench_run_result *out,
                               limits_run *l, pio_error *err) {
  const uint32_t max = limit_passes_per_repetition(opts->repeat) * opts->repeat;
  if (out->on_device) {
    pio_status st = pio_bench_device_load(&l->module, &l->device_api, err);
    if (st == PIO_OK) st = l->device_api->create(opts->read_buffer_bytes, max, &l->device, err);
    return st;
  }
  uint32_t n_threads = out->stats.n_threads != 0 ? out->stats.n_threads : opts->threads;
  if (pio_threadpool_create(n_threads, &l->pool, err) != PIO_OK) return err->code;
  pio_bench_limits_options lo = {.read_buffer_bytes = read_buffer_bytes(opts, out),
                                 .peaks = peaks_needed(out)};
  return pio_bench_limits_sampler_create(l->pool, &lo, max, &l->cpu, err);
}

static pio_status sample_limits(limits_run *l, uint32_t passes, pio_error *err) {
  if (l->device != NULL) return l->device_api->sample(l->device, passes, err);
  return pio_bench_limits_sample(l->cpu, passes, err);
}

static void finish_limits(limits_run *l, pio_bench_run_result *out, int ok) {
  if (ok && l->device != NULL) l->device_api->result(l->device, &out->device_limits);
  if (ok && l->cpu != NULL) pio_bench_limits_sampler_result(l->cpu, &out->limits);
  if (l->device != NULL) l->device_api->destroy(l->device);
  pio_bench_device_unload(l->module);
  pio_bench_limits_sampler_destroy(l->cpu);
  pio_threadpool_destroy(l->pool);
}

/* Medians of the paired decode: each token's rate, the passes, and each
 * token's rate over the faster of the two passes beside it. */
static void summarize_paired(pio_bench_run_result *out) {
  const uint32_t n = out->paired_tokens;
  const double bytes = (double)out->stats.weight_bytes_per_token;
  double *tmp = calloc(n + 1, sizeof *tmp);
  if (tmp == NULL) return;
  for (uint32_t i = 0; i < n; i++) tmp[i] = 1.0 / out->paired_token_s[i];
  out->paired_tok_s = pio_bench_median(tmp, n);
  for (uint32_t i = 0; i < n; i++) {
    double before = out->paired_read_bytes_per_s[i], after = out->paired_read_bytes_per_s[i + 1];
    tmp[i] = 100.0 * bytes / out->paired_token_s[i] / (before > after ? before : after);
  }
  out->paired_percent = pio_bench_median(tmp, n);
  memcpy(tmp, out->paired_read_bytes_per_s, (n + 1) * sizeof *tmp);
  out->paired_read_median_bytes_per_s = pio_bench_median(tmp, n + 1);
  free(tmp);
}

/* One more decode from a fresh prefill (untimed), a read pass before each
 * token and one after the last, each token timed alone. */
static pio_status time_paired_decode(const pio_bench_run_options *opts, session *s,
                                     limits_run *l, pio_bench_run_result *out, pio_error *err) {
  const uint32_t n = opts->gen_tokens;
  if (l->cpu == NULL || n == 0 || out->stats.weight_bytes_per_token == 0) return PIO_OK;
  out->paired_token_s = calloc(n, sizeof *out->paired_token_s);
  out->paired_read_bytes_per_s = calloc(n + 1, sizeof *out->paired_read_bytes_per_s);
  if (out->paired_token_s == NULL || out->paired_read_bytes_per_s == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate the paired decode's timings");
  s->m.table->model->reset(s->model);
  int32_t token = 0;
  if (next_token(s, s->tokens, opts->prompt_tokens, &token, err) != PIO_OK)
    return pio_error_prefix(err, "paired decode: prefill of %u tokens", opts->prompt_tokens);
  for (uint32_t i = 0; i <= n; i++) {
    settle();
    if (pio_bench_limits_read_now(l->cpu, &out->paired_read_bytes_per_s[i], err) != PIO_OK)
      return err->code;
    if (i == n) break;
    settle();
    double t0 = pio_bench_now();
    if (next_token(s, &token, 1, &token, err) != PIO_OK)
      return pio_error_prefix(err, "paired decode step %u", i + 1);
    out->paired_token_s[i] = pio_bench_now() - t0;
  }
  out->paired_tokens = n;
  summarize_paired(out);
  return PIO_OK;
}

/* Warm-up, then R repetitions, each followed by passes of the limits so
 * that on a shared machine both see the same load; then the paired decode. */
static pio_status time_repetitions(const pio_bench_run_options *opts, session *s,
                                   pio_bench_progress *progress, pio_bench_run_result *out,
                                   pio_error *err) {
  out->repeat = opts->repeat;
  out->prefill_s = calloc(opts->repeat, sizeof *out->prefill_s);
  out->ttft_s = calloc(opts->repeat, sizeof *out->ttft_s);
  out->decode_s = calloc(opts->repeat, sizeof *out->decode_s);
  if (out->prefill_s == NULL || out->ttft_s == NULL || out->decode_s == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "cannot allocate timings");
  pio_bench_progress_update(progress, "run %s: warm-up", opts->model);
  if (warm_up(opts, s, err) != PIO_OK) return err->code;
  limits_run limits = {0};
  pio_status st = PIO_OK;
  for (uint32_t r = 0; r < opts->repeat && st == PIO_OK; r++) {
    pio_bench_progress_update(progress, "run %s: repetition %u/%u (%u prompt + %u generated)",
                              opts->model, r + 1, opts->repeat, opts->prompt_tokens,
                              opts->gen_tokens);
    int32_t first = 0;
    settle();
    st = run_once(opts, s, &out->prefill_s[r], &out->ttft_s[r], &out->decode_s[r], &first, err);
    if (st != PIO_OK) break;
    if (r == 0) {
      out->first_token = (uint32_t)first;
      st = read_stats(opts, s, out, err);
      /* The model's high-water mark, before the limits' buffer adds to it. */
      struct rusage ru;
      if (getrusage(RUSAGE_SELF, &ru) == 0) out->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
      if (st == PIO_OK) st = start_limits(opts, out, &limits, err);
    }
    pio_bench_progress_update(progress, "run %s: repetition %u/%u: memory bandwidth and compute "
                              "peaks", opts->model, r + 1, opts->repeat);
    settle();
    if (st == PIO_OK) st = sample_limits(&limits, limit_passes_per_repetition(opts->repeat), err);
  }
  if (st == PIO_OK) {
    pio_bench_progress_update(progress, "run %s: decode between read passes", opts->model);
    st = time_paired_decode(opts, s, &limits, out, err);
  }
  finish_limits(&limits, out, st == PIO_OK);
  s->m.table->model->reset(s->model);
  return st;
}

pio_status pio_bench_run_measure(const pio_bench_run_options *opts, pio_bench_progress *progress,
                                 pio_bench_run_result *out, int *exit_code, pio_error *err) {
  memset(out, 0, sizeof *out);
  *exit_code = PIO_BENCH_STATUS_FAILED;
  session s = {0};
  pio_bench_progress_update(progress, "run %s: loading", opts->model);
  pio_status st = open_model(opts, &s, exit_code, err);
  if (st == PIO_OK) st = create_model(opts, &s, &out->load_s, err);
  if (st == PIO_OK) st = time_repetitions(opts, &s, progress, out, err);
  session_close(&s);
  if (st != PIO_OK) return st;
  summarize_timings(opts, out);
  pio_bench_run_derive(opts, out);
  *exit_code = PIO_BENCH_STATUS_OK;
  return PIO_OK;
}

void pio_bench_run_result_free(pio_bench_run_result *result) {
  free(result->prefill_s);
  free(result->ttft_s);
  free(result->decode_s);
  free(result->paired_token_s);
  free(result->paired_read_bytes_per_s);
  result->prefill_s = result->ttft_s = result->decode_s = NULL;
  result->paired_token_s = result->paired_read_bytes_per_s = NULL;
}
