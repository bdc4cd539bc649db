/* config/config_parse.c — reads a Hugging Face DeepseekV3ForCausalLM
 * config.json into struct pio_model_config and checks every field the KV
 * sizing and the parameter count depend on: the MLA ranks and head sizes,
 * the MoE layout, YaRN rope scaling.  Messages read
 * "config.json:LINE:COL: field 'x': expected ..., found ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/deepseek_config.h"
#include "pio/json.h"

/* State of one parse: the document and where its values sit. */
typedef struct reader {
  const char *path;
  pio_json_positions *positions;
  char where[4200]; /* "path:line:column" of the field being read */
} reader;

/* "path:L:C" of member key of object when known, else "path". */
static const char *where_of(reader *r, const json_object *object, const char *key) {
  int line = 0, column = 0;
  if (pio_json_position(r->positions, object, key, &line, &column) == 0)
    snprintf(r->where, sizeof r->where, "%s:%d:%d", r->path, line, column);
  else
    snprintf(r->where, sizeof r->where, "%s", r->path);
  return r->where;
}

/* Absent and JSON null both mean "not given": Transformers writes null for
 * optional fields such as q_lora_rank and rope_scaling. */
static int given(const json_object *object, const char *key) {
  json_object *value = NULL;
  return json_object_object_get_ex(object, key, &value) && value != NULL;
}

static pio_status get_u32(reader *r, const json_object *o, const char *key, int required,
                          uint32_t min, uint32_t max, uint32_t *out, pio_error *err) {
  if (!required && !given(o, key)) return PIO_OK;
  return pio_json_get_u32(o, where_of(r, o, key), key, required, min, max, out, err);
}

static pio_status get_double(reader *r, const json_object *o, const char *key, int required,
                             double min, double max, double *out, pio_error *err) {
  if (!required && !given(o, key)) return PIO_OK;
  return pio_json_get_double(o, where_of(r, o, key), key, required, min, max, out, err);
}

static pio_status get_bool(reader *r, const json_object *o, const char *key, int *out,
                           pio_error *err) {
  if (!given(o, key)) return PIO_OK;
  return pio_json_get_bool(o, where_of(r, o, key), key, 0, out, err);
}

/* An optional string that must be one of choices[] (NULL-terminated);
 * *out keeps its value when absent. */
static pio_status get_choice(reader *r, const json_object *o, const char *key,
                             const char *const *choices, const char *expected,
                             const char **out, pio_error *err) {
  if (!given(o, key)) return PIO_OK;
  const char *value = NULL;
  pio_status s = pio_json_get_string(o, where_of(r, o, key), key, 0, &value, err);
  if (s != PIO_OK) return s;
  for (size_t i = 0; choices[i] != NULL; i++)
    if (strcmp(value, choices[i]) == 0) {
      *out = choices[i];
      return PIO_OK;
    }
  char quoted[256];
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected %s, found %s", r->where,
                       key, expected, pio_json_quote(value, quoted, sizeof quoted));
}

/* "architectures": an array of strings naming DeepseekV3ForCausalLM. */
static pio_status read_architectures(reader *r, const json_object *root, pio_error *err) {
  json_object *list = NULL;
  if (!json_object_object_get_ex(root, "architectures", &list))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field 'architectures' "
                         "(expected an array naming \"%s\")", r->path, DEEPSEEK_ARCHITECTURE);
  where_of(r, root, "architectures");
  if (!json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                         "of strings, found %s", r->where,
                         pio_json_type_phrase(json_object_get_type(list)));
  size_t n = json_object_array_length(list);
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx(list, i);
    if (json_object_is_type(item, json_type_string) &&
        strcmp(json_object_get_string(item), DEEPSEEK_ARCHITECTURE) == 0)
      return PIO_OK;
  }
  char found[256];
  pio_json_quote(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN), found,
                 sizeof found);
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                       "naming \"%s\", found %s", r->where, DEEPSEEK_ARCHITECTURE, found);
}

/* Dense shapes shared with every transformer. */
static pio_status read_shapes(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  pio_status s;
  if ((s = get_u32(r, root, "hidden_size", 1, 1, DEEPSEEK_MAX_HIDDEN, &c->hidden_size, err)) ||
      (s = get_u32(r, root, "intermediate_size", 1, 1, DEEPSEEK_MAX_INTERMEDIATE,
                   &c->intermediate_size, err)) ||
      (s = get_u32(r, root, "num_hidden_layers", 1, 1, DEEPSEEK_MAX_LAYERS, &c->n_layers,
                   err)) ||
      (s = get_u32(r, root, "num_attention_heads", 1, 1, DEEPSEEK_MAX_HEADS, &c->n_heads,
                   err)) ||
      (s = get_u32(r, root, "vocab_size", 1, 1, DEEPSEEK_MAX_VOCAB, &c->vocab_size, err)) ||
      (s = get_u32(r, root, "max_position_embeddings", 1, 1, DEEPSEEK_MAX_POSITIONS,
                   &c->max_position, err)))
    return s;
  c->n_kv_heads = c->n_heads;
  return get_u32(r, root, "num_key_value_heads", 0, 1, DEEPSEEK_MAX_HEADS, &c->n_kv_heads,
                 err);
}

/* Multi-head latent attention: what is cached is kv_lora_rank +
 * qk_rope_head_dim numbers per token and layer. */
static pio_status read_mla(reader *r, const json_object *root, pio_model_config *c,
                           pio_error *err) {
  pio_status s;
  if ((s = get_u32(r, root, "kv_lora_rank", 1, 1, DEEPSEEK_MAX_RANK, &c->kv_lora_rank, err)) ||
      (s = get_u32(r, root, "q_lora_rank", 0, 1, DEEPSEEK_MAX_RANK, &c->q_lora_rank, err)) ||
      (s = get_u32(r, root, "qk_rope_head_dim", 1, 2, DEEPSEEK_MAX_HEAD_DIM,
                   &c->qk_rope_head_dim, err)) ||
      (s = get_u32(r, root, "qk_nope_head_dim", 1, 0, DEEPSEEK_MAX_HEAD_DIM,
                   &c->qk_nope_head_dim, err)) ||
      (s = get_u32(r, root, "v_head_dim", 1, 1, DEEPSEEK_MAX_HEAD_DIM, &c->v_head_dim, err)) ||
      (s = get_bool(r, root, "attention_bias", &c->attention_bias, err)))
    return s;
  if (c->qk_rope_head_dim % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'qk_rope_head_dim': expected an "
                         "even number (rotary embeddings pair dimensions), found %u",
                         where_of(r, root, "qk_rope_head_dim"), c->qk_rope_head_dim);
  return PIO_OK;
}

/* The router's grouping and the expert counts. */
static pio_status read_router(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  static const char *const methods[] = {"greedy", "group_limited_greedy", "noaux_tc", NULL};
  static const char *const scorings[] = {"softmax", "sigmoid", NULL};
  const char *method = "greedy", *scoring = "softmax";
  pio_status s;
  c->n_group = 1;
  c->topk_group = 1;
  if ((s = get_u32(r, root, "n_group", 0, 1, DEEPSEEK_MAX_EXPERTS, &c->n_group, err)) ||
      (s = get_u32(r, root, "topk_group", 0, 1, DEEPSEEK_MAX_EXPERTS, &c->topk_group, err)) ||
      (s = get_choice(r, root, "topk_method", methods,
                      "\"greedy\", \"group_limited_greedy\" or \"noaux_tc\"", &method, err)) ||
      (s = get_choice(r, root, "scoring_func", scorings, "\"softmax\" or \"sigmoid\"",
                      &scoring, err)))
    return s;
  c->score_correction_bias = strcmp(method, "noaux_tc") == 0;
  if (c->n_routed_experts % c->n_group != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'n_group': expected a divisor of "
                         "n_routed_experts (%u), found %u", where_of(r, root, "n_group"),
                         c->n_routed_experts, c->n_group);
  if (c->topk_group > c->n_group)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'topk_group': expected at most "
                         "n_group (%u), found %u", where_of(r, root, "topk_group"),
                         c->n_group, c->topk_group);
  return PIO_OK;
}

/* Mixture of experts.  n_routed_experts null or absent: a dense model. */
static pio_status read_moe(reader *r, const json_object *root, pio_model_config *c,
                           pio_error *err) {
  pio_status s;
  c->moe_layer_freq = 1;
  if ((s = get_u32(r, root, "n_routed_experts", 0, 1, DEEPSEEK_MAX_EXPERTS,
                   &c->n_routed_experts, err)))
    return s;
  if (c->n_routed_experts == 0) return PIO_OK;
  if ((s = get_u32(r, root, "moe_intermediate_size", 1, 1, DEEPSEEK_MAX_INTERMEDIATE,
                   &c->moe_intermediate_size, err)) ||
      (s = get_u32(r, root, "num_experts_per_tok", 1, 1, c->n_routed_experts,
                   &c->n_experts_per_tok, err)) ||
      (s = get_u32(r, root, "n_shared_experts", 0, 0, DEEPSEEK_MAX_EXPERTS,
                   &c->n_shared_experts, err)) ||
      (s = get_u32(r, root, "first_k_dense_replace", 0, 0, c->n_layers,
                   &c->first_k_dense_replace, err)) ||
      (s = get_u32(r, root, "moe_layer_freq", 0, 1, DEEPSEEK_MAX_LAYERS, &c->moe_layer_freq,
                   err)))
    return s;
  return read_router(r, root, c, err);
}

/* "rope_scaling": null, or {"type" (or "rope_type"): "yarn", ...}. */
static pio_status read_rope_scaling(reader *r, const json_object *root, pio_model_config *c,
                                    pio_error *err) {
  if (!given(root, "rope_scaling")) return PIO_OK;
  json_object *rs = NULL;
  json_object_object_get_ex(root, "rope_scaling", &rs);
  if (!json_object_is_type(rs, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'rope_scaling': expected an object "
                         "or null, found %s", where_of(r, root, "rope_scaling"),
                         pio_json_type_phrase(json_object_get_type(rs)));
  static const char *const kinds[] = {"yarn", NULL};
  const char *key = given(rs, "rope_type") ? "rope_type" : "type";
  const char *kind = NULL;
  pio_status s = get_choice(r, rs, key, kinds, "\"yarn\"", &kind, err);
  if (s != PIO_OK) return s;
  if (kind == NULL)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'rope_scaling': missing required "
                         "field 'type' (expected \"yarn\")", where_of(r, root, "rope_scaling"));
  deepseek_yarn *y = &c->rope_scaling;
  y->beta_fast = 32.0;
  y->beta_slow = 1.0;
  y->mscale = 1.0;
  y->mscale_all_dim = 0.0;
  if ((s = get_double(r, rs, "factor", 1, 1.0, 1e6, &y->factor, err)) ||
      (s = get_u32(r, rs, "original_max_position_embeddings", 1, 1, DEEPSEEK_MAX_POSITIONS,
                   &y->original_max_position, err)) ||
      (s = get_double(r, rs, "beta_fast", 0, 0.0, 1e6, &y->beta_fast, err)) ||
      (s = get_double(r, rs, "beta_slow", 0, 0.0, 1e6, &y->beta_slow, err)) ||
      (s = get_double(r, rs, "mscale", 0, 0.0, 1e6, &y->mscale, err)) ||
      (s = get_double(r, rs, "mscale_all_dim", 0, 0.0, 1e6, &y->mscale_all_dim, err)))
    return s;
  y->enabled = 1;
  return PIO_OK;
}

/* torch_dtype, and quantization_config's fp8 weights. */
static pio_status read_dtypes(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  static const char *const dtypes[] = {"float32", "bfloat16", "float16", NULL};
  const char *name = NULL;
  pio_status s = get_choice(r, root, "torch_dtype", dtypes,
                            "\"float32\", \"bfloat16\" or \"float16\"", &name, err);
  if (s != PIO_OK) return s;
  if (name != NULL) {
    c->has_torch_dtype = 1;
    c->torch_dtype = name == dtypes[0] ? PIO_DTYPE_F32
                     : name == dtypes[1] ? PIO_DTYPE_BF16 : PIO_DTYPE_F16;
  }
  if (!given(root, "quantization_config")) return PIO_OK;
  json_object *q = NULL;
  json_object_object_get_ex(root, "quantization_config", &q);
  if (!json_object_is_type(q, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'quantization_config': expected an "
                         "object or null, found %s", where_of(r, root, "quantization_config"),
                         pio_json_type_phrase(json_object_get_type(q)));
  const char *method = NULL;
  if (given(q, "quant_method") &&
      (s = pio_json_get_string(q, where_of(r, q, "quant_method"), "quant_method", 0, &method,
                               err)) != PIO_OK)
    return s;
  c->weights_fp8 = method != NULL && strcmp(method, "fp8") == 0;
  return PIO_OK;
}

static pio_status read_config(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  if (!json_object_is_type(root, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top, "
                         "found %s", r->path, pio_json_type_phrase(json_object_get_type(root)));
  static const char *const acts[] = {"silu", NULL};
  const char *act = NULL;
  pio_status s;
  if ((s = read_architectures(r, root, err)) ||
      (s = get_choice(r, root, "hidden_act", acts, "\"silu\"", &act, err)) ||
      (s = read_shapes(r, root, c, err)) || (s = read_mla(r, root, c, err)) ||
      (s = read_moe(r, root, c, err)))
    return s;
  c->rms_norm_eps = 1e-6; /* DeepseekV3Config's defaults */
  c->rope_theta = 10000.0;
  if ((s = get_double(r, root, "rms_norm_eps", 0, 1e-30, 1.0, &c->rms_norm_eps, err)) ||
      (s = get_double(r, root, "rope_theta", 0, 1.0, 1e12, &c->rope_theta, err)) ||
      (s = read_rope_scaling(r, root, c, err)) ||
      (s = get_bool(r, root, "tie_word_embeddings", &c->tie_word_embeddings, err)) ||
      (s = get_u32(r, root, "num_nextn_predict_layers", 0, 0, DEEPSEEK_MAX_LAYERS,
                   &c->n_nextn_predict_layers, err)) ||
      (s = read_dtypes(r, root, c, err)))
    return s;
  return PIO_OK;
}

pio_status deepseek_config_parse_file(const char *path, pio_model_config **out,
                                      pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config path or output is NULL");
  *out = NULL;
  json_object *root = NULL;
  reader r = {.path = path, .positions = NULL, .where = {0}};
  pio_status s = pio_json_parse_file(path, DEEPSEEK_CONFIG_MAX_BYTES, DEEPSEEK_CONFIG_MAX_DEPTH,
                                     &root, &r.positions, err);
  if (s != PIO_OK) return s;
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) {
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  } else {
    s = read_config(&r, root, c, err);
    if (s == PIO_OK) {
      c->path = strdup(path);
      c->architecture = strdup(DEEPSEEK_ARCHITECTURE);
      if (c->path == NULL || c->architecture == NULL)
        s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
    }
  }
  json_object_put(root);
  pio_json_positions_free(r.positions);
  if (s != PIO_OK) {
    deepseek_config_free(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

void deepseek_config_free(pio_model_config *config) {
  if (config == NULL) return;
  free(config->path);
  free(config->architecture);
  free(config);
}
