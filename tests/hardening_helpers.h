/* tests/hardening_helpers.h — what the leak and concurrency suites share:
 * the registry of the plugins this build made, a tiny model configuration
 * written to a temporary file, a plugin's model run end to end, and the
 * resident set size.  Header-only: each test program includes it once. */
#ifndef PIO_TEST_HARDENING_HELPERS_H
#define PIO_TEST_HARDENING_HELPERS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pio/host.h"
#include "pio/plugin.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HARDENING_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HARDENING_SANITIZED 1
#endif
#endif
#ifndef HARDENING_SANITIZED
#define HARDENING_SANITIZED 0
#endif

/* The tiny Llama the model tests build: small enough to create by the
 * hundred, with every component of the forward pass. */
enum { TINY_VOCAB = 97, TINY_D = 32, TINY_LAYERS = 2, TINY_HEADS = 4, TINY_KV = 2,
       TINY_HEAD_DIM = 8, TINY_FFN = 48, TINY_TOKENS = 6 };
#define TINY_ARCHITECTURE "LlamaForCausalLM"

/* The plugins of this build tree only: no environment, no cache. */
static inline pio_registry *hardening_build_registry(void) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.skip_environment = 1;
  opts.no_cache = 1;
  pio_registry *registry = NULL;
  pio_error err = {0};
  if (pio_registry_open(&opts, &registry, &err) != PIO_OK)
    ck_abort_msg("registry: %s", err.message);
  return registry;
}

/* Writes the tiny config.json to a new temporary file; returns its path
 * (caller unlinks and frees). */
static inline char *hardening_tiny_config_file(void) {
  const char *tmp = getenv("TMPDIR");
  char *path = NULL;
  ck_assert_int_ge(asprintf(&path, "%s/pio-tiny-config-XXXXXX",
                            tmp != NULL && tmp[0] == '/' ? tmp : "/tmp"), 0);
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "{\"architectures\": [\"%s\"], \"hidden_size\": %d, \"intermediate_size\": %d,"
          " \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
          " \"num_key_value_heads\": %d, \"head_dim\": %d, \"vocab_size\": %d,"
          " \"max_position_embeddings\": 64, \"rms_norm_eps\": 1e-5,"
          " \"rope_theta\": 10000.0, \"tie_word_embeddings\": false}\n",
          TINY_ARCHITECTURE, TINY_D, TINY_FFN, TINY_LAYERS, TINY_HEADS, TINY_KV, TINY_HEAD_DIM,
          TINY_VOCAB);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}

/* Parses config_path with table's config component, builds a synthetic
 * model (seed), runs TINY_TOKENS tokens and copies the last token's logits
 * to logits[TINY_VOCAB] (may be NULL), then destroys everything.  Returns
 * PIO_OK or the first error (message in err). */
static inline pio_status hardening_run_tiny_model(const pio_plugin *table, const char *config_path,
                                           uint64_t seed, uint32_t n_threads, float *logits,
                                           pio_error *err) {
  pio_model_config *config = NULL;
  pio_model *model = NULL;
  float out[TINY_VOCAB];
  int32_t tokens[TINY_TOKENS];
  for (int i = 0; i < TINY_TOKENS; i++) tokens[i] = (int32_t)((i * 31 + 7) % TINY_VOCAB);
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .seed = seed,
                         .weight_dtype = PIO_DTYPE_F32, .n_threads = n_threads,
                         .max_context = 32};
  pio_status s = table->config->parse_file(config_path, &config, err);
  if (s == PIO_OK) s = table->model->create(config, &o, &model, err);
  /* The model keeps its own copy of the config. */
  if (config != NULL) table->config->free(config);
  if (s == PIO_OK) s = table->model->forward(model, tokens, TINY_TOKENS - 1, out, 0, err);
  if (s == PIO_OK) s = table->model->forward(model, tokens + TINY_TOKENS - 1, 1, out, 0, err);
  pio_model_stats stats = {.struct_size = sizeof stats};
  if (s == PIO_OK) s = table->model->stats(model, &stats, err);
  if (s == PIO_OK && stats.position != TINY_TOKENS)
    s = pio_error_set(err, PIO_ERR_INTERNAL, "stats: position %u after %d tokens",
                      stats.position, TINY_TOKENS);
  if (model != NULL) table->model->destroy(model);
  if (s == PIO_OK && logits != NULL) memcpy(logits, out, sizeof out);
  return s;
}

/* Running under valgrind (its preload library is mapped): the resident
 * set then holds valgrind's own shadow memory and says nothing. */
static inline int hardening_under_valgrind(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == NULL) return 0;
  char line[512];
  int found = 0;
  while (!found && fgets(line, sizeof line, f) != NULL) found = strstr(line, "vgpreload") != NULL;
  fclose(f);
  return found;
}

/* Resident set size in KiB, from /proc/self/statm. */
static inline long hardening_rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (f == NULL) return -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif
