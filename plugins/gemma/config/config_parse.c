/* config/config_parse.c — reads a Gemma 2 or Gemma 3 config.json into
 * struct pio_model_config with the defaults of Gemma2Config and
 * Gemma3TextConfig (Gemma 3's published files leave many fields to them),
 * the layer pattern (layer_types, or one full layer every
 * sliding_window_pattern layers: every second one for Gemma 2) and the
 * vision tower of Gemma3ForConditionalGeneration. */
#include <stdlib.h>
#include <string.h>

#include "config/gemma_config.h"
#include "pio/plugin_kit.h"

const char *const gemma_architectures[] = {"Gemma3ForCausalLM", "Gemma2ForCausalLM",
                                           "Gemma3ForConditionalGeneration", NULL};

/* pio_config_api.fields: the shared decoder's fields, then gemma's own
 * (those only training reads included; Gemma 2's files repeat
 * sliding_window as sliding_window_size, which Gemma2Config ignores). */
const char *const gemma_config_fields[] = {
    PIO_HF_DECODER_FIELDS, "hidden_activation", "hidden_act", "query_pre_attn_scalar",
    "attn_logit_softcapping", "final_logit_softcapping", "rope_local_base_freq", "sliding_window",
    "sliding_window_pattern", "layer_types", "text_config", "vision_config", "cache_implementation",
    "attention_bias", "boi_token_index", "eoi_token_index", "image_token_index",
    "mm_tokens_per_image", "sliding_window_size", NULL};

/* Transformers' defaults for what a published file may leave out. */
static void set_defaults(pio_model_config *c) {
  c->d.head_dim = 256;
  c->d.rms_norm_eps = 1e-6;
  c->d.tie_word_embeddings = 1;
  c->d.vocab_size = c->generation == 2 ? 256000 : 262208;
  c->d.max_position = c->generation == 2 ? 8192 : 131072;
  c->d.rope_theta = c->generation == 2 ? 10000.0 : 1e6;
  c->sliding_window = 4096;
  c->query_pre_attn_scalar = 256.0;
  c->attn_logit_softcapping = c->generation == 2 ? 50.0 : 0.0;
  c->final_logit_softcapping = c->generation == 2 ? 30.0 : 0.0;
  c->rope_local_theta = 10000.0;
}

/* hidden_activation (Gemma's own key; hidden_act in older files). */
static pio_status read_activation(pio_hf_config *doc, const json_object *o, pio_model_config *c,
                                  pio_error *err) {
  const char *key = pio_hf_config_given(o, "hidden_activation") ? "hidden_activation" : "hidden_act";
  const char *act = "gelu_pytorch_tanh";
  pio_status s = pio_hf_config_get_string(doc, o, key, 0, &act, err);
  c->gelu_tanh = s == PIO_OK && strcmp(act, "gelu_pytorch_tanh") == 0;
  return s;
}

/* An optional softcap: absent keeps the default, null means none. */
static pio_status read_softcap(pio_hf_config *doc, const json_object *o, const char *key,
                               double *out, pio_error *err) {
  json_object *value = NULL;
  if (json_object_object_get_ex(o, key, &value) && value == NULL) *out = 0.0;
  return pio_hf_config_get_positive(doc, o, key, 1e6, out, err);
}

static pio_status read_layer_pattern(pio_hf_config *doc, const json_object *o, pio_model_config *c,
                                     pio_error *err) {
  uint32_t period = c->generation == 2 ? 2 : 6, n = c->d.n_layers;
  int given = 0;
  uint8_t *kinds = malloc(n);
  if (kinds == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  pio_status s = pio_hf_config_get_u32(doc, o, "sliding_window", 0, 1, PIO_HF_MAX_POSITIONS,
                                       &c->sliding_window, err);
  if (s == PIO_OK)
    s = pio_hf_config_get_u32(doc, o, "sliding_window_pattern", 0, 1, PIO_HF_MAX_LAYERS, &period,
                              err);
  if (s == PIO_OK) s = pio_hf_config_read_layer_types(doc, o, n, kinds, &given, err);
  for (uint32_t i = 0; s == PIO_OK && !given && i < n; i++)
    kinds[i] = (i + 1) % period ? PIO_KV_LAYER_SLIDING : PIO_KV_LAYER_FULL;
  for (uint32_t i = 0; s == PIO_OK && i < n; i++)
    if (kinds[i] == PIO_KV_LAYER_CHUNKED)
      s = pio_error_set(err, PIO_ERR_UNSUPPORTED,
                        "%s: field 'layer_types': item %u: Gemma has "
                        "no chunked attention",
                        pio_hf_config_where(doc, o, "layer_types", NULL), i);
  if (s == PIO_OK) s = pio_kv_pattern_init(&c->kv, kinds, n, err);
  free(kinds);
  return s;
}

/* SiglipVisionConfig, with its defaults for what vision_config leaves out. */
static pio_status read_vision(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  json_object *v = NULL;
  pio_status s = pio_hf_config_get_object(doc, doc->root, "vision_config", &v, err);
  if (s != PIO_OK || v == NULL) return s;
  gemma_vision *g = &c->vision;
  *g = (gemma_vision){1, 768, 3072, 12, 12, 224, 16, 3};
  if ((s = pio_hf_config_get_u32(doc, v, "hidden_size", 0, 1, PIO_HF_MAX_HIDDEN, &g->hidden_size,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, v, "intermediate_size", 0, 1, PIO_HF_MAX_INTERMEDIATE,
                                 &g->intermediate_size, err)) ||
      (s = pio_hf_config_get_u32(doc, v, "num_hidden_layers", 0, 1, PIO_HF_MAX_LAYERS, &g->n_layers,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, v, "num_attention_heads", 0, 1, PIO_HF_MAX_HEADS, &g->n_heads,
                                 err)) ||
      (s = pio_hf_config_get_u32(doc, v, "image_size", 0, 1, 65536, &g->image_size, err)) ||
      (s = pio_hf_config_get_u32(doc, v, "patch_size", 0, 1, 4096, &g->patch_size, err)) ||
      (s = pio_hf_config_get_u32(doc, v, "num_channels", 0, 1, 64, &g->channels, err)))
    return s;
  return pio_hf_config_check_divisor(doc, v, "patch_size", g->patch_size, "image_size",
                                     g->image_size, err);
}

static pio_status read_config(pio_hf_config *doc, pio_model_config *c, pio_error *err) {
  pio_status s = pio_hf_config_check_architectures(doc, gemma_architectures, &c->architecture, err);
  if (s != PIO_OK) return s;
  c->generation = c->architecture == gemma_architectures[1] ? 2 : 3;
  set_defaults(c);
  json_object *text = (json_object *)doc->root;
  if (c->architecture == gemma_architectures[2]) {
    if ((s = pio_hf_config_get_object(doc, doc->root, "text_config", &text, err))) return s;
    if (text == NULL)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: missing required field 'text_config' "
                           "(the language model of Gemma3ForConditionalGeneration)",
                           doc->path);
  }
  if ((s = pio_hf_decoder_read(doc, text, 1, &c->d, err)) ||
      (s = pio_hf_config_get_positive(doc, text, "query_pre_attn_scalar", 1e6,
                                      &c->query_pre_attn_scalar, err)) ||
      (s = read_softcap(doc, text, "attn_logit_softcapping", &c->attn_logit_softcapping, err)) ||
      (s = read_softcap(doc, text, "final_logit_softcapping", &c->final_logit_softcapping, err)) ||
      (s = pio_hf_config_get_positive(doc, text, "rope_local_base_freq", 1e12,
                                      &c->rope_local_theta, err)) ||
      (s = read_activation(doc, text, c, err)) || (s = read_layer_pattern(doc, text, c, err)) ||
      (s = read_vision(doc, c, err)) ||
      (s = pio_hf_config_read_kv_scheme(doc, &c->kv_scheme, err)))
    return s;
  if ((c->path = strdup(doc->path)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", doc->path);
  return PIO_OK;
}

pio_status gemma_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  return pio_hf_config_parse_new(path, sizeof(pio_model_config), GEMMA_CONFIG_MAX_BYTES,
                                 GEMMA_CONFIG_MAX_DEPTH, read_config, gemma_config_free, out, err);
}

void gemma_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  pio_kv_pattern_clear(&config->kv);
  free(config);
}
