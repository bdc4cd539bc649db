/* cuda/tools/tune.c — pio-cuda-tune: the decode step's launch settings
 * (lc_decode_tuning) timed against each other on one synthetic model, and
 * prefill of a prompt, for choosing lc_decode_tuning_default.  Not a test
 * and not installed: a measuring tool for GPU sessions.
 *
 *   pio-cuda-tune CONFIG.json [PROMPT_TOKENS] [STEPS]
 *
 * Prints, per setting (the model's default first and last), the median
 * time of one decode step (the graph replayed STEPS times between CUDA
 * events, three times) and the weight bytes per token over it, beside
 * nothing: the limit is pio-bench run's.
 * PIO_TUNE_SWEEP="pdl,blk,stages,splits,min[,S[,bound]][/kind:blk:stages...][!MASK];..."
 * times those settings instead of the built-in sweep (S: attn_block_splits;
 * bound: attn_bound, 512 or 1024; !MASK: timing probes, LC_PROBE_* in
 * kernels/launch.h, whose logits are wrong).  PIO_TUNE_ROUNDS=N times the
 * whole sweep N times, interleaved (each setting captured again each
 * round), and prints each setting's median over the rounds with its
 * fastest and slowest round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/llama_config.h"
#include "cuda/cuda_model.h"
#include "cuda/cuda_status.h"
#include "pio/number.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* t's settings of single GEMVs, "/kind:blocks:stages" each ("" if none). */
static const char *kinds_text(const lc_decode_tuning *t) {
  static char buf[128];
  size_t n = 0;
  buf[0] = '\0';
  for (int k = 0; k < LC_GEMV_KINDS && n < sizeof buf; k++)
    if (t->kind_blocks_per_sm[k] != 0 || t->kind_stages[k] != 0)
      n += (size_t)snprintf(buf + n, sizeof buf - n, "/%d:%u:%u", k, t->kind_blocks_per_sm[k],
                            t->kind_stages[k]);
  return buf;
}

/* t as lc_decode_tuning_parse reads it. */
static const char *setting_text(const lc_decode_tuning *t) {
  static char buf[256];
  int n = snprintf(buf, sizeof buf, "%d,%u,%u,%u,%u", t->pdl, t->blocks_per_sm, t->stages,
                   t->attn_splits, t->attn_min_positions);
  if (t->attn_block_splits != 0 || t->attn_bound != 0)
    n += snprintf(buf + n, sizeof buf - (size_t)n, ",%u", t->attn_block_splits);
  if (t->attn_bound != 0) n += snprintf(buf + n, sizeof buf - (size_t)n, ",%u", t->attn_bound);
  n += snprintf(buf + n, sizeof buf - (size_t)n, "%s", kinds_text(t));
  if (t->probe != 0) snprintf(buf + n, sizeof buf - (size_t)n, "!%u", t->probe);
  return buf;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median seconds of one step over 3 timed runs of `steps` replays. */
static double time_steps(pio_model *m, uint32_t steps, pio_error *err) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  float ms[3];
  for (int w = 0; w < 5; w++) cudaGraphLaunch(m->step_graph, m->stream);
  for (int r = 0; r < 3; r++) {
    cudaEventRecord(a, m->stream);
    for (uint32_t i = 0; i < steps; i++) cudaGraphLaunch(m->step_graph, m->stream);
    cudaEventRecord(b, m->stream);
    if (lc_cuda_check(cudaEventSynchronize(b), err, "timed steps") != PIO_OK) return -1;
    cudaEventElapsedTime(&ms[r], a, b);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  qsort(ms, 3, sizeof ms[0], cmp_float);
  return ms[1] / 1e3 / steps;
}

/* A whole number from 1 to max into *out, or a message naming it. */
static int count(const char *what, const char *text, uint32_t max, uint32_t *out) {
  uint64_t v = 0;
  char why[160];
  if (pio_parse_u64_explained(text, 1, max, &v, why, sizeof why) != 0) {
    fprintf(stderr, "pio-cuda-tune: %s: %s\n", what, why);
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CONFIG.json [PROMPT_TOKENS] [STEPS]\n", argv[0]);
    return 2;
  }
  /* The numbers, checked before any model is made. */
  enum { MAX_SWEEP = 64, MAX_ROUNDS = 15 };
  const char *rounds_env = getenv("PIO_TUNE_ROUNDS");
  uint32_t rounds = 1, prompt = 128, steps = 50;
  if (rounds_env != NULL && rounds_env[0] != '\0' &&
      count("PIO_TUNE_ROUNDS", rounds_env, MAX_ROUNDS, &rounds) != 0)
    return 2;
  if (argc > 2 && count("PROMPT_TOKENS", argv[2], 1u << 16, &prompt) != 0) return 2;
  if (argc > 3 && count("STEPS", argv[3], 100000, &steps) != 0) return 2;
  pio_error err = {0};
  pio_model_config *c = NULL;
  if (llama_config_parse_file(argv[1], &c, &err) != PIO_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .seed = 1,
                         .weight_dtype = PIO_DTYPE_BF16, .max_context = prompt + 64};
  pio_model *m = NULL;
  if (lc_model_create(c, &o, &m, &err) != PIO_OK) {
    fprintf(stderr, "create: %s\n", err.message);
    return 1;
  }
  int32_t *tokens = malloc(prompt * sizeof *tokens);
  for (uint32_t i = 0; i < prompt; i++) tokens[i] = (int32_t)((i * 7919u + 17u) % c->vocab_size);
  int32_t next = 0;
  /* Prefill: three timed passes from an empty cache. */
  double best = 1e9;
  for (int r = 0; r < 3; r++) {
    lc_model_reset(m);
    double t0 = now();
    if (lc_model_forward_argmax(m, tokens, prompt, &next, &err) != PIO_OK) {
      fprintf(stderr, "prefill: %s\n", err.message);
      return 1;
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%s on %s: %.3f GB of weights a token, %.2f GFLOP a token\n", argv[1], m->device_name,
         m->weight_bytes_per_token / 1e9, m->flops_per_token / 1e9);
  printf("prefill %u tokens: best of 3 %.3f ms, %.1f tok/s, %.1f TFLOP/s (matrices only)\n",
         prompt, best * 1e3, prompt / best, prompt * (double)m->flops_per_token / best / 1e12);
  /* Decode settings: the step graph at position `prompt`, replayed. */
  m->dec.host_step->token = next;
  m->dec.host_step->pos = prompt;
  /* Settings as lc_decode_tuning_parse reads them: pdl, blocks a
   * multiprocessor, ring stages, attention splits, fewest positions a
   * split, then any GEMV's own blocks and stages (/kind:blocks:stages;
   * kinds 0-4: qkv, o_proj, gate_up, down, lm_head).  The model's default
   * first and last; PIO_TUNE_SWEEP="...;..." times those instead. */
  static lc_decode_tuning sweep[MAX_SWEEP];
  size_t n_sweep = 0;
  const char *spec = getenv("PIO_TUNE_SWEEP");
  const int own = spec == NULL || spec[0] == '\0';
  if (own) {
    spec = "1,2,8,32,8;1,1,4,32,8;1,2,8,8,8;1,1,4,8,8;1,2,8,32,16;1,1,4,32,16;1,1,5,32,8;"
           "0,2,8,32,8";
    sweep[n_sweep++] = lc_decode_tuning_default(m);
  }
  for (const char *q = spec; *q != '\0' && n_sweep + 1 < MAX_SWEEP;) {
    const char *end = lc_decode_tuning_parse(q, &sweep[n_sweep]);
    if (end == NULL || (*end != ';' && *end != '\0')) {
      fprintf(stderr, "PIO_TUNE_SWEEP: bad setting at '%s'\n", q);
      return 2;
    }
    n_sweep++;
    q = end;
    if (*q == ';') q++;
  }
  if (own) sweep[n_sweep++] = lc_decode_tuning_default(m);
  const size_t vocab = c->vocab_size;
  float *ref = malloc(vocab * sizeof *ref), *got = malloc(vocab * sizeof *got);
  int have_ref = 0;
  /* PIO_TUNE_DEFAULT_ONLY=1: the first setting only (for a profiler). */
  const char *only = getenv("PIO_TUNE_DEFAULT_ONLY");
  const size_t n_settings = only != NULL && only[0] == '1' ? 1 : n_sweep;
  static double times[MAX_SWEEP][MAX_ROUNDS];
  static float worst_of[MAX_SWEEP];
  static char failed[MAX_SWEEP][160];
  for (uint32_t r = 0; r < rounds; r++)
    for (size_t i = 0; i < n_settings; i++) {
      times[i][r] = -1;
      if (failed[i][0] != '\0') continue;
      if (lc_decode_capture(m, &sweep[i], &err) != PIO_OK) {
        snprintf(failed[i], sizeof failed[i], "capture failed: %.140s", err.message);
        continue;
      }
      const double t = time_steps(m, steps, &err);
      if (t < 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
      }
      times[i][r] = t;
      /* The same math in every setting (a row's sum does not depend on
       * which warp takes it), so logits must agree bit for bit where the
       * splits agree: a difference means a race between kernels.  The
       * first setting that is not a probe is the reference. */
      if (lc_cuda_check(cudaMemcpy(got, m->dec.logits, vocab * sizeof *got,
                                   cudaMemcpyDeviceToHost), &err, "logits") != PIO_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
      }
      if (!have_ref && sweep[i].probe == 0) memcpy(ref, got, vocab * sizeof *ref), have_ref = 1;
      float worst = 0;
      for (size_t v = 0; v < vocab; v++) {
        const float dlt = got[v] > ref[v] ? got[v] - ref[v] : ref[v] - got[v];
        if (!(dlt <= worst)) worst = dlt;
      }
      if (r == 0 || !(worst <= worst_of[i])) worst_of[i] = worst;
    }
  printf("%10s %9s %8s %9s %9s  %-22s %s (median of %d round%s)\n", "us/step", "tok/s", "GB/s",
         "fastest", "slowest", "max |logit - first's|", "setting", (int)rounds, rounds > 1 ? "s" : "");
  for (size_t i = 0; i < n_settings; i++) {
    if (failed[i][0] != '\0') {
      printf("%10s %9s %8s %9s %9s  %-22s %s  %s\n", "-", "-", "-", "-", "-", "-",
             setting_text(&sweep[i]), failed[i]);
      continue;
    }
    double v[MAX_ROUNDS] = {0};
    for (uint32_t r = 0; r < rounds; r++) v[r] = times[i][r];
    qsort(v, (size_t)rounds, sizeof v[0], cmp_double);
    const double t = rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2;
    char dl[32];
    if (sweep[i].probe != 0) snprintf(dl, sizeof dl, "probe,wrong");
    else snprintf(dl, sizeof dl, "%g", worst_of[i]);
    printf("%10.1f %9.1f %8.1f %9.1f %9.1f  %-22s %s\n", t * 1e6, 1.0 / t,
           m->weight_bytes_per_token / t / 1e9, v[0] * 1e6, v[rounds - 1] * 1e6, dl,
           setting_text(&sweep[i]));
  }
  /* The default again, end to end as forward_argmax runs it (host sync
   * and the token copied back each step). */
  const lc_decode_tuning def = lc_decode_tuning_default(m);
  if (lc_decode_capture(m, &def, &err) != PIO_OK) return 1;
  lc_model_reset(m);
  if (lc_model_forward_argmax(m, tokens, prompt, &next, &err) != PIO_OK) return 1;
  const uint32_t n = 60; /* the cache holds prompt + 64 */
  double t0 = now();
  for (uint32_t i = 0; i < n; i++)
    if (lc_model_forward_argmax(m, &next, 1, &next, &err) != PIO_OK) {
      fprintf(stderr, "decode: %s\n", err.message);
      return 1;
    }
  const double t = (now() - t0) / n;
  printf("default end to end (forward_argmax, %u steps): %.1f us/step, %.1f tok/s, %.1f GB/s\n",
         n, t * 1e6, 1.0 / t, m->weight_bytes_per_token / t / 1e9);
  free(tokens);
  free(ref);
  free(got);
  lc_model_destroy(m);
  llama_config_free(c);
  return 0;
}
