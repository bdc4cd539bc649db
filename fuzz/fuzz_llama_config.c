/* fuzz/fuzz_llama_config.c — libFuzzer target for the llama3_1 plugin's
 * config.json parser and validator, then everything computed from an
 * accepted config: the summary, the parameter count, and the KV figures
 * under several shardings and both formulas. */
#include "config/llama_config.h"
#include "fuzz_file.h"
#include "kv_cache/kv_figures.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_kv(const pio_model_config *config) {
  static const uint32_t tps[] = {1, 2, 3, 8, 64};
  static const uint32_t pps[] = {1, 2, 7};
  for (size_t t = 0; t < sizeof tps / sizeof tps[0]; t++)
    for (size_t p = 0; p < sizeof pps / sizeof pps[0]; p++)
      for (int formula = 0; formula < 2; formula++) {
        pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_BF16, .tp = tps[t],
                          .pp = pps[p], .page_size = 16, .access = (pio_kv_access)(formula),
                          .formula = (pio_kv_formula)formula};
        pio_kv_figures f = {.struct_size = sizeof f};
        pio_error err;
        pio_status st = llama_kv_figures(config, &q, &f, &err);
        if (st != PIO_OK) fuzz_check_error(st, &err);
      }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file(data, size);
  pio_model_config *config = NULL;
  pio_error err;
  pio_status st = llama_config_parse_file(path, &config, &err);
  if (st != PIO_OK) {
    fuzz_check_error(st, &err);
    fuzz_require(config == NULL, "nothing is returned on error");
    return 0;
  }
  pio_model_summary summary = {.struct_size = sizeof summary};
  st = llama_config_summarize(config, &summary, &err);
  if (st != PIO_OK) fuzz_check_error(st, &err);
  (void)llama_config_param_count(config);
  exercise_kv(config);
  pio_model_config *copy = NULL;
  if (llama_config_copy(config, &copy, &err) == PIO_OK) llama_config_free(copy);
  llama_config_free(config);
  return 0;
}
