/* config/mistral_config.h — the typed, validated form of a Mistral or
 * Mixtral config.json: MistralForCausalLM (every layer attends within a
 * sliding window when sliding_window is set) and MixtralForCausalLM (the
 * same attention, each MLP a softmax top-k choice of SwiGLU experts). */
#ifndef PIO_MISTRAL_CONFIG_H
#define PIO_MISTRAL_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define MISTRAL_CONFIG_MAX_BYTES (1u << 20)
#define MISTRAL_CONFIG_MAX_DEPTH 16

/* The architectures served, the plugin's own first; NULL-terminated (the
 * plugin table's additional_architectures are those after the first). */
extern const char *const mistral_architectures[];
extern const char *const mistral_config_fields[];

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path and the KV pattern. */
struct pio_model_config {
  char *path;               /* config.json read, for messages */
  const char *architecture; /* an entry of mistral_architectures */
  int mixtral;              /* MixtralForCausalLM: experts in every layer */
  pio_hf_decoder d;         /* intermediate_size is each expert's for Mixtral */
  uint32_t sliding_window;  /* tokens each layer attends to; 0: all of them */
  uint32_t n_experts;       /* num_local_experts (Mixtral), else 0 */
  uint32_t n_experts_per_token;
  pio_kv_pattern kv; /* every layer full, or every layer sliding */
  pio_hf_kv_scheme kv_scheme;
};

pio_status mistral_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void mistral_config_free(pio_model_config *config);
pio_status mistral_config_copy(const pio_model_config *config, pio_model_config **out,
                               pio_error *err);

/* All parameters and those one token uses (its chosen experts only). */
void mistral_config_param_counts(const pio_model_config *config, uint64_t *total, uint64_t *active);
pio_status mistral_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                    pio_error *err);

#endif
