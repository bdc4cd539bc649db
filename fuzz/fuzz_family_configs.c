/* fuzz/fuzz_family_configs.c — libFuzzer target for the config.json parsers
 * of the family plugins (qwen3, mistral, gemma, gpt_oss, llama4, jamba) and
 * the SDK's shared decoder reading under them: parse, summarize, and the KV
 * figures of an accepted config under several shardings, element types,
 * scales and both formulas. */
#include "fuzz_file.h"
#include "pio/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each family's config and kv_cache functions (their plugins' tables hold
 * the same; the tables' plugin.c also pulls in the model, which this
 * target does not build). */
#define FAMILY(prefix)                                                                             \
  pio_status prefix##_config_parse_file(const char *path, pio_model_config **out, pio_error *err); \
  void prefix##_config_free(pio_model_config *config);                                             \
  pio_status prefix##_config_summarize(const pio_model_config *config, pio_model_summary *out,     \
                                       pio_error *err);                                            \
  pio_status prefix##_kv_figures(const pio_model_config *config, const pio_kv_query *query,        \
                                 pio_kv_figures *out, pio_error *err);
FAMILY(qwen)
FAMILY(mistral)
FAMILY(gemma)
FAMILY(gpt_oss)
FAMILY(llama4)
FAMILY(jamba)
#undef FAMILY

typedef struct family {
  pio_status (*parse)(const char *, pio_model_config **, pio_error *);
  void (*free)(pio_model_config *);
  pio_status (*summarize)(const pio_model_config *, pio_model_summary *, pio_error *);
  pio_status (*figures)(const pio_model_config *, const pio_kv_query *, pio_kv_figures *,
                        pio_error *);
} family;

#define ENTRY(prefix)                                                            \
  {                                                                              \
    prefix##_config_parse_file, prefix##_config_free, prefix##_config_summarize, \
        prefix##_kv_figures                                                      \
  }
static const family families[] = {ENTRY(qwen),    ENTRY(mistral), ENTRY(gemma),
                                  ENTRY(gpt_oss), ENTRY(llama4),  ENTRY(jamba)};

static void exercise_kv(const family *plugin, const pio_model_config *config) {
  static const uint32_t tps[] = {1, 2, 3, 8, 64};
  static const uint32_t pps[] = {1, 2, 7};
  static const pio_dtype dtypes[] = {PIO_DTYPE_BF16, PIO_DTYPE_FP8};
  for (size_t t = 0; t < sizeof tps / sizeof tps[0]; t++)
    for (size_t p = 0; p < sizeof pps / sizeof pps[0]; p++)
      for (int formula = 0; formula < 2; formula++) {
        pio_kv_query q = {.struct_size = sizeof q,
                          .kv_dtype = dtypes[formula],
                          .tp = tps[t],
                          .pp = pps[p],
                          .page_size = 16,
                          .access = (pio_kv_access)formula,
                          .formula = (pio_kv_formula)formula,
                          .scales = formula ? PIO_KV_SCALES_TOKEN_HEAD : PIO_KV_SCALES_NONE,
                          .state_dtype = PIO_DTYPE_F32};
        pio_kv_figures f = {.struct_size = sizeof f};
        pio_error err;
        pio_status st = plugin->figures(config, &q, &f, &err);
        if (st != PIO_OK) {
          fuzz_check_error(st, &err);
          continue;
        }
        fuzz_require(f.n_classes >= 1 && f.n_classes <= PIO_KV_MAX_CLASSES, "1 to 4 classes");
        for (uint32_t i = 0; f.layer_class != NULL && i < f.n_layers; i++)
          fuzz_require(f.layer_class[i] < f.n_classes, "every layer of a described class");
      }
}

static void exercise(const family *plugin, const char *path) {
  pio_model_config *config = NULL;
  pio_error err;
  pio_status st = plugin->parse(path, &config, &err);
  if (st != PIO_OK) {
    fuzz_check_error(st, &err);
    fuzz_require(config == NULL, "nothing is returned on error");
    return;
  }
  pio_model_summary summary = {.struct_size = sizeof summary};
  st = plugin->summarize(config, &summary, &err);
  if (st != PIO_OK)
    fuzz_check_error(st, &err);
  else
    fuzz_require(summary.n_params_active <= summary.n_params, "active within all");
  exercise_kv(plugin, config);
  plugin->free(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file(data, size);
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) exercise(&families[i], path);
  return 0;
}
