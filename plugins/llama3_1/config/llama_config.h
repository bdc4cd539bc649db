/* config/llama_config.h — the typed, validated form of a Hugging Face
 * LlamaForCausalLM config.json, and the limits that keep hostile values
 * (a billion layers, a vocabulary that overflows a byte count) out. */
#ifndef PIO_LLAMA3_1_CONFIG_H
#define PIO_LLAMA3_1_CONFIG_H

#include <stdint.h>

#include "pio/plugin.h"
#include "pio/rope.h"

/* Largest values accepted.  Generous next to every published Llama (405B:
 * 126 layers, 16384 hidden, 53248 intermediate, 128256 vocabulary, 131072
 * positions) while keeping every product the plugin forms inside 64 bits
 * and every matrix side inside 32 bits. */
#define LLAMA_MAX_HIDDEN 65536u
#define LLAMA_MAX_INTERMEDIATE 1048576u
#define LLAMA_MAX_LAYERS 1024u
#define LLAMA_MAX_HEADS 1024u
#define LLAMA_MAX_HEAD_DIM 1024u
#define LLAMA_MAX_VOCAB 4194304u
#define LLAMA_MAX_POSITIONS 16777216u
#define LLAMA_CONFIG_MAX_BYTES (1u << 20)
#define LLAMA_CONFIG_MAX_DEPTH 16

/* The opaque handle of the config API, defined for this plugin.  Owns its
 * strings. */
struct pio_model_config {
  char *path;                  /* config.json read, for messages */
  char *architecture;          /* "LlamaForCausalLM" */
  uint32_t hidden_size;        /* d_model */
  uint32_t intermediate_size;  /* d_ff */
  uint32_t n_layers;           /* num_hidden_layers */
  uint32_t n_heads;            /* num_attention_heads */
  uint32_t n_kv_heads;         /* num_key_value_heads (default n_heads) */
  uint32_t head_dim;           /* default hidden_size / n_heads; even */
  uint32_t vocab_size;
  uint32_t max_position;       /* max_position_embeddings */
  double rms_norm_eps;         /* > 0 */
  pio_rope_params rope;        /* rope_theta (default 10000), rope_scaling: default, linear,
                                  llama3 or yarn (pio_hf_config_read_rope), half-split */
  int tie_word_embeddings;     /* default false, as LlamaConfig */
  int has_torch_dtype;         /* torch_dtype (or dtype) present */
  pio_dtype torch_dtype;       /* F32, BF16 or F16 when present */
};

/* Parses and validates the config.json at path (pio_config_api.parse_file).
 * *out owned by the caller (llama_config_free). */
/* The top-level fields read (or knowingly ignored): pio_config_api.fields. */
extern const char *const llama_config_fields[];

pio_status llama_config_parse_file(const char *path, pio_model_config **out, pio_error *err);
void llama_config_free(pio_model_config *config);

/* Deep copy; *out owned by the caller (llama_config_free). */
pio_status llama_config_copy(const pio_model_config *config, pio_model_config **out,
                             pio_error *err);

/* Parameter count from the shapes: embeddings, every layer, final norm, and
 * lm_head unless tied. */
uint64_t llama_config_param_count(const pio_model_config *config);

/* pio_config_api.summarize. */
pio_status llama_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                  pio_error *err);

#endif
