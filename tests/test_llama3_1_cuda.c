/* tests/test_llama3_1_cuda.c — the llama3_1 CUDA module against the CPU
 * module, both loaded as users load them (their .so files, through
 * libltdl): tiny random models of several shapes give the same logits
 * within bf16 rounding in prefill and in decode, the same weights from
 * synthetic seeds and from safetensors files; forward_argmax picks the
 * logits' argmax; reset, chunked prompts and bad calls behave as on the
 * CPU.  Needs a CUDA device of compute capability 9.0: without one it
 * exits 77 (meson's skip) saying why.
 *
 *     test_llama3_1_cuda PLUGIN_DIR      (build/plugins/llama3_1) */
#include <check.h>
#include <ltdl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file_helpers.h"
#include "pio/plugin.h"

/* Largest |gpu - cpu| / |cpu| (L2 over a row of logits) accepted: bf16
 * keeps 8 bits of mantissa, and the two modules round activations to
 * bf16 at different places (the CPU's bf16 kernel at every matmul input,
 * the GPU also in its KV cache and attention probabilities). */
#define ROW_TOLERANCE 3e-2
/* Greedy tokens are compared only where the CPU's best logit leads the
 * second by more than this (of the row's largest |logit|). */
#define CLEAR_MARGIN 0.05

static const char *plugin_dir;
static const pio_plugin *cpu_plugin, *gpu_plugin;

static const pio_plugin *load(const char *module, const char *entry) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", plugin_dir, module);
  lt_dlhandle h = lt_dlopenext(path);
  if (h == NULL) {
    fprintf(stderr, "cannot load %s: %s\n", path, lt_dlerror());
    exit(1);
  }
  pio_plugin_entry_fn fn = (pio_plugin_entry_fn)(uintptr_t)lt_dlsym(h, entry);
  if (fn == NULL) {
    fprintf(stderr, "%s has no %s\n", path, entry);
    exit(1);
  }
  static pio_host_services host = {.struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR,
                                   .abi_minor = PIO_ABI_MINOR, .host_version = "test"};
  pio_error err = {0};
  const pio_plugin *p = fn(&host, &err);
  if (p == NULL) {
    fprintf(stderr, "%s: %s\n", entry, err.message);
    exit(1);
  }
  return p;
}

/* ---- models ------------------------------------------------------------ */

typedef struct shape {
  int d, ff, layers, heads, kv, head_dim, vocab, tied, llama3;
} shape;

static void config_text(const shape *s, char *text, size_t size) {
  snprintf(text, size,
           "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": %d, "
           "\"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
           "\"num_key_value_heads\": %d, \"head_dim\": %d, \"vocab_size\": %d, "
           "\"max_position_embeddings\": 2048, \"rms_norm_eps\": 1e-5, \"rope_theta\": %s, "
           "\"tie_word_embeddings\": %s, \"rope_scaling\": %s}",
           s->d, s->ff, s->layers, s->heads, s->kv, s->head_dim, s->vocab,
           s->llama3 ? "500000.0" : "10000.0", s->tied ? "true" : "false",
           s->llama3 ? "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                       "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}"
                     : "null");
}

static pio_model_config *config_of(const pio_plugin *p, const shape *s) {
  char text[1024];
  config_text(s, text, sizeof text);
  return config_parse_text(p->config->parse_file, text);
}

typedef struct pair {
  pio_model_config *cpu_config, *gpu_config;
  pio_model *cpu, *gpu;
  uint32_t vocab;
} pair;

static pio_status create(const pio_plugin *p, const pio_model_config *c,
                         const pio_model_options *o, pio_model **out, pio_error *err) {
  return p->model->create(c, o, out, err);
}

/* Both modules' model of shape s: synthetic bf16 weights of one seed, or
 * the files in weights_dir. */
static pair make_pair(const shape *s, uint32_t max_context, const char *weights_dir) {
  pair pr = {.vocab = (uint32_t)s->vocab};
  pr.cpu_config = config_of(cpu_plugin, s);
  pr.gpu_config = config_of(gpu_plugin, s);
  pio_model_options o = {.struct_size = sizeof o, .synthetic = weights_dir == NULL,
                         .weights_dir = weights_dir, .seed = 7, .weight_dtype = PIO_DTYPE_BF16,
                         .n_threads = 2, .max_context = max_context};
  pio_error err = {0};
  if (create(cpu_plugin, pr.cpu_config, &o, &pr.cpu, &err) != PIO_OK)
    ck_abort_msg("CPU create: %s", err.message);
  if (create(gpu_plugin, pr.gpu_config, &o, &pr.gpu, &err) != PIO_OK)
    ck_abort_msg("GPU create: %s", err.message);
  return pr;
}

static void free_pair(pair *pr) {
  cpu_plugin->model->destroy(pr->cpu);
  gpu_plugin->model->destroy(pr->gpu);
  cpu_plugin->config->free(pr->cpu_config);
  gpu_plugin->config->free(pr->gpu_config);
}

static void forward_ok(const pio_plugin *p, pio_model *m, const int32_t *tokens, uint32_t n,
                       float *logits, int all) {
  pio_error err = {0};
  if (p->model->forward(m, tokens, n, logits, all, &err) != PIO_OK)
    ck_abort_msg("%s forward of %u tokens: %s", p == gpu_plugin ? "GPU" : "CPU", n,
                 err.message);
}

static void prompt(int32_t *tokens, uint32_t n, uint32_t vocab) {
  for (uint32_t i = 0; i < n; i++) tokens[i] = (int32_t)((i * 7919u + 13u) % vocab);
}

/* ---- comparisons -------------------------------------------------------- */

static double row_error(const float *gpu, const float *cpu, uint32_t n) {
  double diff = 0, ref = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!isfinite(gpu[i])) return INFINITY;
    diff += ((double)gpu[i] - cpu[i]) * ((double)gpu[i] - cpu[i]);
    ref += (double)cpu[i] * cpu[i];
  }
  return sqrt(diff / (ref > 0 ? ref : 1));
}

static uint32_t argmax(const float *x, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

/* Whether x's best logit leads the runner-up clearly. */
static int clear_winner(const float *x, uint32_t n) {
  const uint32_t best = argmax(x, n);
  float second = -INFINITY, scale = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (i != best && x[i] > second) second = x[i];
    scale = fmaxf(scale, fabsf(x[i]));
  }
  return x[best] - second > CLEAR_MARGIN * scale;
}

/* Worst row error of rows[n][vocab], with a line for the log. */
static double check_rows(const char *what, const float *gpu, const float *cpu, uint32_t rows,
                         uint32_t vocab) {
  double worst = 0;
  for (uint32_t r = 0; r < rows; r++) {
    const double e = row_error(gpu + (size_t)r * vocab, cpu + (size_t)r * vocab, vocab);
    if (!(e <= worst)) worst = e;
  }
  printf("  %-44s worst row error %.2e over %u rows\n", what, worst, rows);
  ck_assert_msg(worst < ROW_TOLERANCE, "%s: row error %.3e over %.1e", what, worst,
                ROW_TOLERANCE);
  return worst;
}

/* Prefill of P tokens (all logits), then steps decode steps fed the CPU's
 * greedy choice, comparing every row. */
static void compare_run(pair *pr, uint32_t P, uint32_t steps, const char *name) {
  const uint32_t V = pr->vocab;
  int32_t *tokens = malloc(P * sizeof *tokens);
  float *cpu = malloc((size_t)P * V * sizeof *cpu), *gpu = malloc((size_t)P * V * sizeof *gpu);
  ck_assert(tokens && cpu && gpu);
  prompt(tokens, P, V);
  forward_ok(cpu_plugin, pr->cpu, tokens, P, cpu, 1);
  for (size_t i = 0; i < (size_t)P * V; i++) gpu[i] = NAN; /* every logit must be written */
  forward_ok(gpu_plugin, pr->gpu, tokens, P, gpu, 1);
  char what[160];
  snprintf(what, sizeof what, "%s: prefill of %u", name, P);
  check_rows(what, gpu, cpu, P, V);
  int32_t token = (int32_t)argmax(cpu + (size_t)(P - 1) * V, V);
  uint32_t agreed = 0, clear = 0;
  double worst = 0;
  for (uint32_t s = 0; s < steps; s++) {
    forward_ok(cpu_plugin, pr->cpu, &token, 1, cpu, 0);
    for (uint32_t i = 0; i < V; i++) gpu[i] = NAN;
    forward_ok(gpu_plugin, pr->gpu, &token, 1, gpu, 0);
    const double e = row_error(gpu, cpu, V);
    if (!(e <= worst)) worst = e;
    if (clear_winner(cpu, V)) {
      clear++;
      agreed += argmax(gpu, V) == argmax(cpu, V);
    }
    token = (int32_t)argmax(cpu, V);
  }
  printf("  %-44s worst row error %.2e over %u steps; greedy agrees %u/%u clear steps\n",
         name, worst, steps, agreed, clear);
  ck_assert_msg(worst < ROW_TOLERANCE, "%s: decode row error %.3e", name, worst);
  ck_assert_msg(agreed == clear, "%s: greedy tokens differ on %u of %u clear steps", name,
                clear - agreed, clear);
  free(tokens);
  free(cpu);
  free(gpu);
}

static const shape shapes[] = {
    /* d   ff  layers heads kv  D   vocab tied llama3 */
    {256, 512, 2, 4, 2, 64, 512, 0, 0},      /* GQA 2, head_dim 64 */
    {256, 384, 3, 2, 1, 128, 1001, 1, 1},    /* head_dim 128, odd vocabulary, tied, llama3 */
    {256, 1024, 1, 4, 4, 64, 2048, 0, 1},    /* MHA */
    {512, 768, 2, 8, 1, 64, 640, 0, 0},      /* one KV head for eight */
    {256, 512, 2, 2, 2, 64, 384, 0, 1},      /* H x D = 128 != hidden_size 256 */
};

START_TEST(test_synthetic_models_match_the_cpu) {
  const shape *s = &shapes[_i];
  char name[64];
  snprintf(name, sizeof name, "shape %d (d %d, H %d/%d, D %d)", _i, s->d, s->heads, s->kv,
           s->head_dim);
  pair pr = make_pair(s, 256, NULL);
  compare_run(&pr, 37, 40, name);
  free_pair(&pr);
}
END_TEST

/* The attention settings of session 11's device run (docs/cuda.md), each
 * against the CPU through PIO_CUDA_DECODE as pio-bench would take them: the
 * kernel bound to 512 threads; two splits a block with many short splits;
 * four a block (1024 threads for eight query heads a KV head); one block a
 * KV head (no partials in global memory).  Head sizes 128 and 64, one and
 * eight query heads a KV head.  The process's own setting is restored. */
static const char *const attention_settings[] = {
    "1,2,8,32,8,0,512/3:1:4", "1,2,8,32,1,2,512/3:1:4", "1,2,8,32,8,4/3:1:4",
    "1,2,8,4,8,4,512/3:1:4"};

START_TEST(test_attention_settings_match_the_cpu) {
  const char *had = getenv("PIO_CUDA_DECODE");
  char *saved = had != NULL ? strdup(had) : NULL;
  setenv("PIO_CUDA_DECODE", attention_settings[_i], 1);
  const int which[] = {1, 3};
  for (size_t k = 0; k < sizeof which / sizeof which[0]; k++) {
    const shape *s = &shapes[which[k]];
    char name[96];
    snprintf(name, sizeof name, "%s, shape %d", attention_settings[_i], which[k]);
    pair pr = make_pair(s, 256, NULL);
    compare_run(&pr, 37, 40, name);
    free_pair(&pr);
  }
  if (saved != NULL) setenv("PIO_CUDA_DECODE", saved, 1);
  else unsetenv("PIO_CUDA_DECODE");
  free(saved);
}
END_TEST

/* A prompt longer than one prefill chunk (1024) and past 64-token tiles. */
START_TEST(test_long_prompt_runs_in_chunks) {
  const shape s = {128, 256, 2, 2, 1, 64, 300, 0, 1};
  pair pr = make_pair(&s, 1200, NULL);
  compare_run(&pr, 1100, 8, "1100-token prompt");
  free_pair(&pr);
}
END_TEST

/* Decode step by step agrees with one prefill of the same tokens. */
START_TEST(test_decode_matches_prefill) {
  const shape s = shapes[1];
  pair pr = make_pair(&s, 128, NULL);
  enum { N = 70 };
  const uint32_t V = pr.vocab;
  int32_t tokens[N];
  prompt(tokens, N, V);
  float *all = malloc((size_t)N * V * sizeof *all), *one = malloc((size_t)N * V * sizeof *one);
  forward_ok(gpu_plugin, pr.gpu, tokens, N, all, 1);
  gpu_plugin->model->reset(pr.gpu);
  for (uint32_t t = 0; t < N; t++) forward_ok(gpu_plugin, pr.gpu, tokens + t, 1, one + (size_t)t * V, 0);
  check_rows("decode vs prefill on the GPU", one, all, N, V);
  free(all);
  free(one);
  free_pair(&pr);
}
END_TEST

/* forward_argmax gives the argmax of the logits forward gives. */
START_TEST(test_forward_argmax_is_the_argmax_of_the_logits) {
  const shape s = shapes[0];
  pair a = make_pair(&s, 128, NULL), b = make_pair(&s, 128, NULL);
  const uint32_t V = a.vocab;
  int32_t tokens[20];
  prompt(tokens, 20, V);
  float *logits = malloc(V * sizeof *logits);
  pio_error err = {0};
  forward_ok(gpu_plugin, a.gpu, tokens, 20, logits, 0);
  int32_t next = -1;
  ck_assert_int_eq(gpu_plugin->model->forward_argmax(b.gpu, tokens, 20, &next, &err), PIO_OK);
  for (int step = 0; step < 30; step++) {
    ck_assert_int_eq(next, (int32_t)argmax(logits, V));
    int32_t t = next;
    forward_ok(gpu_plugin, a.gpu, &t, 1, logits, 0);
    ck_assert_int_eq(gpu_plugin->model->forward_argmax(b.gpu, &t, 1, &next, &err), PIO_OK);
  }
  free(logits);
  free_pair(&a);
  free_pair(&b);
}
END_TEST

START_TEST(test_reset_starts_a_new_sequence) {
  const shape s = shapes[0];
  pair pr = make_pair(&s, 64, NULL);
  const uint32_t V = pr.vocab;
  int32_t tokens[12];
  prompt(tokens, 12, V);
  float *first = malloc(V * sizeof *first), *again = malloc(V * sizeof *again);
  forward_ok(gpu_plugin, pr.gpu, tokens, 12, first, 0);
  forward_ok(gpu_plugin, pr.gpu, tokens, 5, again, 0);
  gpu_plugin->model->reset(pr.gpu);
  forward_ok(gpu_plugin, pr.gpu, tokens, 12, again, 0);
  ck_assert(memcmp(first, again, V * sizeof *first) == 0);
  free(first);
  free(again);
  free_pair(&pr);
}
END_TEST

START_TEST(test_bad_calls_fail_and_change_nothing) {
  const shape s = shapes[0];
  pair pr = make_pair(&s, 16, NULL);
  const pio_model_api *api = gpu_plugin->model;
  const uint32_t V = pr.vocab;
  int32_t tokens[20];
  prompt(tokens, 20, V);
  float *logits = malloc(V * sizeof *logits), *ref = malloc(V * sizeof *ref);
  pio_error err = {0};
  forward_ok(gpu_plugin, pr.gpu, tokens, 4, ref, 0);
  int32_t bad = (int32_t)V;
  ck_assert_int_eq(api->forward(pr.gpu, &bad, 1, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "outside the vocabulary"));
  bad = -1;
  ck_assert_int_eq(api->forward(pr.gpu, &bad, 1, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(api->forward(pr.gpu, tokens, 13, logits, 0, &err), PIO_ERR_LIMIT);
  ck_assert_int_eq(api->forward(pr.gpu, tokens, 0, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(api->forward(pr.gpu, tokens, 1, NULL, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  /* The sequence is where it was: the next token gives what it gives on a
   * model that never saw the bad calls. */
  pio_model_stats st = {.struct_size = sizeof st};
  ck_assert_int_eq(api->stats(pr.gpu, &st, &err), PIO_OK);
  ck_assert_uint_eq(st.position, 4);
  ck_assert_str_eq(st.device, "cuda");
  ck_assert_ptr_nonnull(st.device_name);
  free(logits);
  free(ref);
  free_pair(&pr);
}
END_TEST

static void expect_refused(const shape *s, pio_dtype dtype, const char *fragment) {
  pio_model_config *c = config_of(gpu_plugin, s);
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .weight_dtype = dtype,
                         .max_context = 32};
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_eq(create(gpu_plugin, c, &o, &m, &err), PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(err.message, fragment) != NULL, "no '%s' in: %s", fragment, err.message);
  gpu_plugin->config->free(c);
}

START_TEST(test_unsupported_models_are_refused_by_name) {
  const shape odd_head = {256, 512, 1, 8, 2, 32, 512, 0, 0};
  expect_refused(&odd_head, PIO_DTYPE_BF16, "head_dim 32");
  const shape odd_ff = {256, 500, 1, 4, 2, 64, 512, 0, 0};
  expect_refused(&odd_ff, PIO_DTYPE_BF16, "multiples of 8");
  expect_refused(&shapes[0], PIO_DTYPE_F32, "holds bf16 weights");
}
END_TEST

/* ---- weights from files ----------------------------------------------- */

/* A safetensors file of f32 tensors: names[n] with shapes rows x cols
 * (cols 0: a vector), values from a fixed sequence of scale std. */
static void write_safetensors(const char *path, const char *const *names,
                              const uint32_t (*shapes2)[2], size_t n, float std) {
  char *header = malloc(1 << 16);
  size_t used = 0, offset = 0;
  used += (size_t)sprintf(header + used, "{");
  for (size_t i = 0; i < n; i++) {
    const size_t count = (size_t)shapes2[i][0] * (shapes2[i][1] ? shapes2[i][1] : 1);
    if (shapes2[i][1])
      used += (size_t)sprintf(header + used, "%s\"%s\": {\"dtype\": \"F32\", \"shape\": [%u, %u], "
                              "\"data_offsets\": [%zu, %zu]}", i ? ", " : "", names[i],
                              shapes2[i][0], shapes2[i][1], offset, offset + 4 * count);
    else
      used += (size_t)sprintf(header + used, "%s\"%s\": {\"dtype\": \"F32\", \"shape\": [%u], "
                              "\"data_offsets\": [%zu, %zu]}", i ? ", " : "", names[i],
                              shapes2[i][0], offset, offset + 4 * count);
    offset += 4 * count;
  }
  used += (size_t)sprintf(header + used, "}");
  while (used % 8) header[used++] = ' ';
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  const uint64_t len = used;
  fwrite(&len, sizeof len, 1, f);
  fwrite(header, 1, used, f);
  uint64_t state = 12345;
  for (size_t i = 0; i < n; i++) {
    const size_t count = (size_t)shapes2[i][0] * (shapes2[i][1] ? shapes2[i][1] : 1);
    for (size_t j = 0; j < count; j++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      float v = ((float)(state >> 40) / 16777216.0f - 0.5f) * 3.4641016f;
      v = shapes2[i][1] ? v * std / sqrtf((float)shapes2[i][1]) : 1.0f + 0.1f * v;
      fwrite(&v, sizeof v, 1, f);
    }
  }
  fclose(f);
  free(header);
}

START_TEST(test_weights_from_files_match_the_cpu) {
  const shape s = {256, 512, 2, 4, 2, 64, 512, 0, 1};
  char dir[] = "/tmp/pio_cuda_weights_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  enum { MAX = 64 };
  char names_buf[MAX][96];
  const char *names[MAX];
  uint32_t dims[MAX][2];
  size_t n = 0;
  const uint32_t qd = (uint32_t)(s.heads * s.head_dim), kvd = (uint32_t)(s.kv * s.head_dim);
#define TENSOR(rows, cols, ...)                                               \
  (snprintf(names_buf[n], sizeof names_buf[n], __VA_ARGS__), names[n] = names_buf[n], \
   dims[n][0] = (rows), dims[n][1] = (cols), n++)
  TENSOR(s.vocab, s.d, "model.embed_tokens.weight");
  TENSOR(s.vocab, s.d, "lm_head.weight");
  TENSOR(s.d, 0, "model.norm.weight");
  for (int l = 0; l < s.layers; l++) {
    TENSOR(qd, s.d, "model.layers.%d.self_attn.q_proj.weight", l);
    TENSOR(kvd, s.d, "model.layers.%d.self_attn.k_proj.weight", l);
    TENSOR(kvd, s.d, "model.layers.%d.self_attn.v_proj.weight", l);
    TENSOR(s.d, qd, "model.layers.%d.self_attn.o_proj.weight", l);
    TENSOR(s.ff, s.d, "model.layers.%d.mlp.gate_proj.weight", l);
    TENSOR(s.ff, s.d, "model.layers.%d.mlp.up_proj.weight", l);
    TENSOR(s.d, s.ff, "model.layers.%d.mlp.down_proj.weight", l);
    TENSOR(s.d, 0, "model.layers.%d.input_layernorm.weight", l);
    TENSOR(s.d, 0, "model.layers.%d.post_attention_layernorm.weight", l);
  }
#undef TENSOR
  char path[256];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  write_safetensors(path, names, (const uint32_t(*)[2])dims, n, 1.0f);
  pair pr = make_pair(&s, 128, dir);
  compare_run(&pr, 29, 20, "f32 safetensors, narrowed to bf16");
  free_pair(&pr);
  unlink(path);
  rmdir(dir);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

/* Why this machine cannot run the CUDA module, or NULL when it can. */
static const char *why_no_gpu(void) {
  static char reason[PIO_ERROR_MESSAGE_MAX + 64];
  /* Outside a test: no ck_assert, so the config file is written here. */
  char text[1024], path[] = "/tmp/pio_cuda_probe_XXXXXX";
  config_text(&shapes[0], text, sizeof text);
  const int fd = mkstemp(path);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) return "cannot write a config";
  close(fd);
  pio_model_config *c = NULL;
  pio_error err = {0};
  pio_status s = gpu_plugin->config->parse_file(path, &c, &err);
  unlink(path);
  if (s != PIO_OK) return NULL; /* let the tests show it */
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1,
                         .weight_dtype = PIO_DTYPE_BF16, .max_context = 16};
  pio_model *m = NULL;
  s = create(gpu_plugin, c, &o, &m, &err);
  gpu_plugin->config->free(c);
  if (s == PIO_OK) {
    gpu_plugin->model->destroy(m);
    return NULL;
  }
  if (s != PIO_ERR_UNSUPPORTED) return NULL; /* a real failure: let the tests show it */
  snprintf(reason, sizeof reason, "%s", err.message);
  return reason;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PLUGIN_DIR\n", argv[0]);
    return 2;
  }
  plugin_dir = argv[1];
  if (lt_dlinit() != 0) return 1;
  cpu_plugin = load("pio_llama3_1", "pio_llama3_1_entry");
  gpu_plugin = load("pio_llama3_1_cuda", "pio_llama3_1_cuda_entry");
  const char *why = why_no_gpu();
  if (why != NULL) {
    printf("SKIP: the CUDA module cannot run here: %s\n", why);
    return 77;
  }
  Suite *s = suite_create("llama3_1_cuda");
  TCase *t = tcase_create("cuda");
  tcase_set_timeout(t, 600);
  tcase_add_loop_test(t, test_synthetic_models_match_the_cpu, 0,
                      (int)(sizeof shapes / sizeof shapes[0]));
  tcase_add_test(t, test_long_prompt_runs_in_chunks);
  tcase_add_test(t, test_decode_matches_prefill);
  tcase_add_test(t, test_forward_argmax_is_the_argmax_of_the_logits);
  tcase_add_test(t, test_reset_starts_a_new_sequence);
  tcase_add_test(t, test_bad_calls_fail_and_change_nothing);
  tcase_add_test(t, test_unsupported_models_are_refused_by_name);
  tcase_add_test(t, test_weights_from_files_match_the_cpu);
  tcase_add_loop_test(t, test_attention_settings_match_the_cpu, 0,
                      (int)(sizeof attention_settings / sizeof attention_settings[0]));
  suite_add_tcase(s, t);
  SRunner *r = srunner_create(s);
  /* One process: CUDA does not survive fork(). */
  srunner_set_fork_status(r, CK_NOFORK);
  srunner_run_all(r, CK_NORMAL);
  const int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? 0 : 1;
}
