/* config/llama4_config.h — the typed, validated form of a Llama 4
 * config.json: Llama4ForConditionalGeneration (the text model in
 * "text_config", a vision encoder in "vision_config") and
 * Llama4ForCausalLM (the text model alone).  Three layers in four attend
 * within chunks of attention_chunk_size tokens with RoPE; every fourth is
 * a NoPE layer attending to everything; MoE layers route each token to
 * its top experts beside one shared expert. */
#ifndef PIO_LLAMA4_CONFIG_H
#define PIO_LLAMA4_CONFIG_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/kv.h"
#include "pio/plugin.h"

#define LLAMA4_CONFIG_MAX_BYTES (1u << 20)
#define LLAMA4_CONFIG_MAX_DEPTH 16

/* The architectures served, the plugin's own first; NULL-terminated. */
extern const char *const llama4_architectures[];
extern const char *const llama4_config_fields[];

/* Llama4VisionConfig: the encoder, its pixel-shuffle adapter and the
 * projector into the text model. */
typedef struct llama4_vision {
  int present;
  uint32_t hidden_size, intermediate_size, n_layers, image_size, patch_size, channels;
  uint32_t projector_input_dim, projector_output_dim, output_dim;
} llama4_vision;

/* The opaque handle of the config API, defined for this plugin.  Owns
 * path, moe_layer and the KV pattern. */
struct pio_model_config {
  char *path;
  const char *architecture;       /* an entry of llama4_architectures */
  pio_hf_decoder d;               /* intermediate_size: each expert's and the shared one's */
  uint32_t intermediate_size_mlp; /* the MLP of a dense layer */
  uint32_t attention_chunk_size;  /* tokens per chunk of a chunked layer */
  uint32_t n_experts, n_experts_per_token;
  int use_qk_norm;    /* L2 norm of q and k (no weights) */
  int attention_bias; /* q, k, v and o biases (Llama4TextConfig: false) */
  int silu;           /* hidden_act is "silu" (the forward pass's) */
  /* attn_temperature_tuning of the NoPE layers: floor_scale (0: off) and attn_scale */
  double temperature_floor, temperature_scale;
  uint8_t *moe_layer; /* [n_layers]: 1 for an MoE layer */
  llama4_vision vision;
  pio_kv_pattern kv; /* chunked (RoPE) and full (NoPE) layers */
  pio_hf_kv_scheme kv_scheme;
};

pio_status llama4_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void llama4_config_free(pio_model_config *config);

/* All parameters (the vision encoder included) and those one text token
 * uses (its chosen experts and the shared one). */
void llama4_config_param_counts(const pio_model_config *config, uint64_t *total, uint64_t *active);
pio_status llama4_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                   pio_error *err);

#endif
