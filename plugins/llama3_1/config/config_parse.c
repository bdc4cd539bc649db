/* config/config_parse.c — reads a Hugging Face LlamaForCausalLM config.json
 * into struct pio_model_config and checks every field the forward pass and
 * the KV sizing depend on.  Messages read
 * "config.json:LINE:COL: field 'x': expected ..., found ...". */
#include <stdlib.h>
#include <string.h>

#include "config/llama_config.h"
#include "pio/hf_config.h"

#define LLAMA_ARCHITECTURE "LlamaForCausalLM"

/* Fields that change the computation in ways this plugin does not
 * implement are refused rather than silently ignored. */
static pio_status read_unsupported(pio_hf_config *doc, pio_error *err) {
  const char *act = NULL;
  pio_status s = pio_hf_config_get_string(doc, doc->root, "hidden_act", 0, &act, err);
  if (s != PIO_OK) return s;
  if (act != NULL && strcmp(act, "silu") != 0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: field 'hidden_act': expected "
                         "\"silu\", found \"%s\"", doc->where, act);
  static const char *const biases[] = {"attention_bias", "mlp_bias"};
  for (size_t i = 0; i < sizeof biases / sizeof biases[0]; i++) {
    int on = 0;
    if ((s = pio_hf_config_get_bool(doc, doc->root, biases[i], 0, &on, err)) != PIO_OK) return s;
    if (on)
      return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: field '%s': expected false (this "
                           "plugin has no bias terms), found true", doc->where, biases[i]);
  }
  return PIO_OK;
}

/* head_dim, or hidden_size / num_attention_heads when absent, as
 * Transformers derives it; even either way. */
static pio_status read_head_dim(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  c->head_dim = 0;
  pio_status s = pio_hf_config_get_u32(doc, root, "head_dim", 0, 1, LLAMA_MAX_HEAD_DIM,
                                       &c->head_dim, err);
  if (s != PIO_OK) return s;
  if (c->head_dim == 0) {
    /* Derived, it must come out whole. */
    if (c->hidden_size % c->n_heads != 0 || c->hidden_size / c->n_heads > LLAMA_MAX_HEAD_DIM)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'num_attention_heads': without "
                           "'head_dim', expected a divisor of hidden_size (%u) giving a head "
                           "of at most %u, found %u",
                           pio_hf_config_where(doc, root, "num_attention_heads", NULL),
                           c->hidden_size, LLAMA_MAX_HEAD_DIM, c->n_heads);
    c->head_dim = c->hidden_size / c->n_heads;
  }
  if (c->head_dim % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'head_dim': expected an even number "
                         "(rotary embeddings pair dimensions), found %u",
                         pio_hf_config_given(root, "head_dim")
                             ? pio_hf_config_where(doc, root, "head_dim", NULL) : doc->path,
                         c->head_dim);
  return PIO_OK;
}

/* The shape fields, each within the LLAMA_MAX_* limits. */
static pio_status read_shapes(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  const json_object *root = doc->root;
  pio_status s;
  if ((s = pio_hf_config_get_u32(doc, root, "hidden_size", 1, 1, LLAMA_MAX_HIDDEN,
                                 &c->hidden_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "intermediate_size", 1, 1, LLAMA_MAX_INTERMEDIATE,
                                 &c->intermediate_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_hidden_layers", 1, 1, LLAMA_MAX_LAYERS,
                                 &c->n_layers, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "num_attention_heads", 1, 1, LLAMA_MAX_HEADS,
                                 &c->n_heads, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "vocab_size", 1, 1, LLAMA_MAX_VOCAB,
                                 &c->vocab_size, err)) ||
      (s = pio_hf_config_get_u32(doc, root, "max_position_embeddings", 1, 1,
                                 LLAMA_MAX_POSITIONS, &c->max_position, err)))
    return s;
  c->n_kv_heads = c->n_heads;
  if ((s = pio_hf_config_get_u32(doc, root, "num_key_value_heads", 0, 1, LLAMA_MAX_HEADS,
                                 &c->n_kv_heads, err)))
    return s;
  if (c->n_heads % c->n_kv_heads != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'num_key_value_heads': expected a "
                         "divisor of num_attention_heads (%u), found %u",
                         pio_hf_config_where(doc, root, "num_key_value_heads", NULL),
                         c->n_heads, c->n_kv_heads);
  return read_head_dim(doc, c, err);
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  pio_status s;
  if ((s = pio_hf_config_check_architecture(doc, LLAMA_ARCHITECTURE, err)) ||
      (s = read_unsupported(doc, err)) || (s = read_shapes(doc, c, err)))
    return s;
  c->rms_norm_eps = 1e-6; /* LlamaConfig's default */
  /* rope_theta (LlamaConfig's default 10000) and rope_scaling, or
   * rope_parameters, by the reader every family shares; the whole head
   * rotated in rotate_half pairs. */
  if ((s = pio_hf_config_get_positive(doc, doc->root, "rms_norm_eps", 1.0, &c->rms_norm_eps,
                                      err)) ||
      (s = pio_hf_config_read_rope(doc, doc->root, c->head_dim, c->max_position, 10000.0,
                                   &c->rope, err)) ||
      (s = pio_hf_config_get_bool(doc, doc->root, "tie_word_embeddings", 0,
                                  &c->tie_word_embeddings, err)) ||
      (s = pio_hf_config_read_dtype(doc, &c->has_torch_dtype, &c->torch_dtype, err)))
    return s;
  /* The config outlives the document: it keeps copies for messages. */
  c->path = strdup(doc->path);
  c->architecture = strdup(LLAMA_ARCHITECTURE);
  if (c->path == NULL || c->architecture == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status llama_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config path or output is NULL");
  *out = NULL;
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  pio_status s = pio_hf_config_read_file(path, LLAMA_CONFIG_MAX_BYTES, LLAMA_CONFIG_MAX_DEPTH,
                                         read_config, c, err);
  if (s != PIO_OK) {
    llama_config_free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

void llama_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  free(config->architecture);
  free(config);
}

pio_status llama_config_copy(const pio_model_config *config, pio_model_config **out,
                             pio_error *err) {
  pio_model_config *c = malloc(sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  *c = *config;
  c->path = strdup(config->path ? config->path : "");
  c->architecture = strdup(config->architecture ? config->architecture : LLAMA_ARCHITECTURE);
  if (c->path == NULL || c->architecture == NULL) {
    llama_config_free(c);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory copying a config");
  }
  *out = c;
  return PIO_OK;
}

/* The config.json fields this parser reads, then those no forward pass needs
 * (training, generation, bookkeeping): pio_config_api.fields. */
const char *const llama_config_fields[] = {
    "architectures", "model_type", "hidden_size", "intermediate_size", "num_attention_heads",
    "num_key_value_heads", "num_hidden_layers", "head_dim", "vocab_size",
    "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters",
    "hidden_act",
    "attention_bias", "mlp_bias", "tie_word_embeddings", "torch_dtype", "attention_dropout",
    "initializer_range", "pretraining_tp", "use_cache", "bos_token_id", "eos_token_id",
    "pad_token_id", "transformers_version", "_name_or_path", NULL};
