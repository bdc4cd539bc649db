/* fuzz/fuzz_family_configs.c — libFuzzer target for the config.json parsers
 * of the family plugins (qwen3, mistral, gemma, gpt_oss, llama4, jamba) and
 * the SDK's shared decoder reading under them, reached through each
 * plugin's entry point as the host reaches it: parse, summarize, and the KV
 * figures of an accepted config under several shardings, element types,
 * scales and both formulas. */
#include "fuzz_file.h"
#include "pio/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const pio_plugin *pio_qwen3_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_mistral_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_gemma_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_gpt_oss_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_llama4_entry(const pio_host_services *host, pio_error *err);
const pio_plugin *pio_jamba_entry(const pio_host_services *host, pio_error *err);

static void exercise_kv(const pio_plugin *plugin, const pio_model_config *config) {
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
        pio_status st = plugin->kv_cache->figures(config, &q, &f, &err);
        if (st != PIO_OK) {
          fuzz_check_error(st, &err);
          continue;
        }
        fuzz_require(f.n_classes >= 1 && f.n_classes <= PIO_KV_MAX_CLASSES, "1 to 4 classes");
        for (uint32_t i = 0; f.layer_class != NULL && i < f.n_layers; i++)
          fuzz_require(f.layer_class[i] < f.n_classes, "every layer of a described class");
      }
}

static void exercise(const pio_plugin *plugin, const char *path) {
  pio_model_config *config = NULL;
  pio_error err;
  pio_status st = plugin->config->parse_file(path, &config, &err);
  if (st != PIO_OK) {
    fuzz_check_error(st, &err);
    fuzz_require(config == NULL, "nothing is returned on error");
    return;
  }
  pio_model_summary summary = {.struct_size = sizeof summary};
  st = plugin->config->summarize(config, &summary, &err);
  if (st != PIO_OK)
    fuzz_check_error(st, &err);
  else
    fuzz_require(summary.n_params_active <= summary.n_params, "active within all");
  exercise_kv(plugin, config);
  plugin->config->free(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  typedef const pio_plugin *(*entry_fn)(const pio_host_services *, pio_error *);
  static const entry_fn entries[] = {pio_qwen3_entry,   pio_mistral_entry, pio_gemma_entry,
                                     pio_gpt_oss_entry, pio_llama4_entry,  pio_jamba_entry};
  const pio_host_services host = {
      .struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR, .abi_minor = PIO_ABI_MINOR};
  const char *path = fuzz_write_file(data, size);
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
    pio_error err;
    const pio_plugin *plugin = entries[i](&host, &err);
    fuzz_require(plugin != NULL, "the entry accepts this host");
    exercise(plugin, path);
  }
  return 0;
}
