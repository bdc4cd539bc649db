/* config/gemma_config.h — the typed, validated form of a Gemma 2 or Gemma 3
 * config.json: Gemma2ForCausalLM, Gemma3ForCausalLM (text only) and
 * Gemma3ForConditionalGeneration (the text model in "text_config" and a
 * SigLIP vision tower in "vision_config").  Local layers attend within a
 * sliding window, every few layers one attends to everything; head_dim is
 * independent of hidden_size; logit softcapping is recorded. */
#ifndef PIO_GEMMA_CONFIG_H
#define PIO_GEMMA_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define GEMMA_CONFIG_MAX_BYTES (1u << 20)
#define GEMMA_CONFIG_MAX_DEPTH 16

/* The architectures served, the plugin's own first; NULL-terminated. */
extern const char *const gemma_architectures[];
extern const char *const gemma_config_fields[];

/* SigLIP's vision tower (SiglipVisionConfig) and Gemma 3's projection of
 * its output into the text model. */
typedef struct gemma_vision {
  int present;
  uint32_t hidden_size, intermediate_size, n_layers, n_heads, image_size, patch_size, channels;
} gemma_vision;

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path and the KV pattern. */
struct pio_model_config {
  char *path;
  const char *architecture; /* an entry of gemma_architectures */
  int generation;           /* 2 or 3 */
  pio_hf_decoder d;         /* the text model */
  uint32_t sliding_window;  /* tokens a local layer attends to */
  double query_pre_attn_scalar;
  double attn_logit_softcapping;  /* 0: none (Gemma 3) */
  double final_logit_softcapping; /* 0: none */
  double rope_local_theta;        /* Gemma 3's rope_local_base_freq: its sliding layers' base */
  int gelu_tanh;                  /* hidden_activation is gelu_pytorch_tanh (what the pass runs) */
  gemma_vision vision;
  pio_kv_pattern kv; /* sliding and full layers */
  pio_hf_kv_scheme kv_scheme;
};

pio_status gemma_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void gemma_config_free(pio_model_config *config);

/* Every parameter: text model, and the vision tower with its projector. */
uint64_t gemma_config_param_count(const pio_model_config *config);
pio_status gemma_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err);

#endif
