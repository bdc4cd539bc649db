/* config/config_parse.c — reads a Hugging Face LlamaForCausalLM config.json
 * into struct pio_model_config and checks every field the forward pass and
 * the KV sizing depend on.  Messages read
 * "config.json:LINE:COL: field 'x': expected ..., found ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/llama_config.h"
#include "pio/json.h"

#define LLAMA_ARCHITECTURE "LlamaForCausalLM"

/* State of one parse: the document and where its values sit. */
typedef struct reader {
  const char *path;
  pio_json_positions *positions;
  char where[4200]; /* "path:line:column" of the field being read */
} reader;

/* Names the place of member key of object for messages: "path:L:C" when
 * the position is known, else "path" (a missing field has no position). */
static const char *where_of(reader *r, const json_object *object, const char *key,
                            const char *parent) {
  int line = 0, column = 0;
  const char *suffix = parent ? ": " : "";
  const char *name = parent ? parent : "";
  if (pio_json_position(r->positions, object, key, &line, &column) == 0)
    snprintf(r->where, sizeof r->where, "%s:%d:%d%s%s", r->path, line, column, suffix, name);
  else
    snprintf(r->where, sizeof r->where, "%s%s%s", r->path, suffix, name);
  return r->where;
}

/* A member that is absent or JSON null counts as not given: Transformers
 * writes null for several optional fields. */
static int given(const json_object *object, const char *key) {
  json_object *value = NULL;
  return json_object_object_get_ex(object, key, &value) && value != NULL;
}

static pio_status get_u32(reader *r, const json_object *o, const char *key, int required,
                          uint32_t min, uint32_t max, uint32_t *out, pio_error *err) {
  if (!required && !given(o, key)) return PIO_OK;
  return pio_json_get_u32(o, where_of(r, o, key, NULL), key, required, min, max, out, err);
}

/* A positive number up to max (min is exclusive: 0 is refused). */
static pio_status get_positive(reader *r, const json_object *o, const char *parent,
                               const char *key, int required, double max, double *out,
                               pio_error *err) {
  if (!required && !given(o, key)) return PIO_OK;
  double value = *out;
  pio_status s = pio_json_get_double(o, where_of(r, o, key, parent), key, required, 0.0, max,
                                     &value, err);
  if (s != PIO_OK) return s;
  if (!(value > 0.0))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected a number above 0 "
                         "and up to %g, found %g", r->where, key, max, value);
  *out = value;
  return PIO_OK;
}

static pio_status get_bool(reader *r, const json_object *o, const char *key, int *out,
                           pio_error *err) {
  if (!given(o, key)) return PIO_OK;
  return pio_json_get_bool(o, where_of(r, o, key, NULL), key, 0, out, err);
}

/* "architectures": an array of strings that names LlamaForCausalLM. */
static pio_status read_architectures(reader *r, const json_object *root, pio_error *err) {
  json_object *list = NULL;
  if (!json_object_object_get_ex(root, "architectures", &list))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field 'architectures' "
                         "(expected an array naming \"%s\")", r->path, LLAMA_ARCHITECTURE);
  where_of(r, root, "architectures", NULL);
  if (!json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                         "of strings, found %s", r->where,
                         pio_json_type_phrase(json_object_get_type(list)));
  size_t n = json_object_array_length(list);
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx(list, i);
    if (!json_object_is_type(item, json_type_string))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': item %zu: "
                           "expected a string, found %s", r->where, i,
                           pio_json_type_phrase(json_object_get_type(item)));
    if (strcmp(json_object_get_string(item), LLAMA_ARCHITECTURE) == 0) return PIO_OK;
  }
  const char *first = n > 0 ? json_object_get_string(json_object_array_get_idx(list, 0)) : "";
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                       "naming \"%s\", found %s%s%s", r->where, LLAMA_ARCHITECTURE,
                       n > 0 ? "\"" : "an empty array", first, n > 0 ? "\"" : "");
}

/* Fields that change the computation in ways this plugin does not
 * implement are refused rather than silently ignored. */
static pio_status read_unsupported(reader *r, const json_object *root, pio_error *err) {
  const char *act = NULL;
  if (given(root, "hidden_act")) {
    pio_status s = pio_json_get_string(root, where_of(r, root, "hidden_act", NULL), "hidden_act",
                                       0, &act, err);
    if (s != PIO_OK) return s;
    if (strcmp(act, "silu") != 0)
      return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: field 'hidden_act': expected "
                           "\"silu\", found \"%s\"", r->where, act);
  }
  static const char *const biases[] = {"attention_bias", "mlp_bias"};
  for (size_t i = 0; i < sizeof biases / sizeof biases[0]; i++) {
    int on = 0;
    pio_status s = get_bool(r, root, biases[i], &on, err);
    if (s != PIO_OK) return s;
    if (on)
      return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: field '%s': expected false (this "
                           "plugin has no bias terms), found true", r->where, biases[i]);
  }
  return PIO_OK;
}

/* "torch_dtype" (or "dtype", its newer name): the weights' element type. */
static pio_status read_dtype(reader *r, const json_object *root, pio_model_config *c,
                             pio_error *err) {
  const char *key = given(root, "torch_dtype") ? "torch_dtype" : "dtype";
  if (!given(root, key)) return PIO_OK;
  const char *name = NULL;
  pio_status s = pio_json_get_string(root, where_of(r, root, key, NULL), key, 0, &name, err);
  if (s != PIO_OK) return s;
  if (strcmp(name, "float32") == 0) c->torch_dtype = PIO_DTYPE_F32;
  else if (strcmp(name, "bfloat16") == 0) c->torch_dtype = PIO_DTYPE_BF16;
  else if (strcmp(name, "float16") == 0) c->torch_dtype = PIO_DTYPE_F16;
  else
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected \"float32\", "
                         "\"bfloat16\" or \"float16\", found \"%s\"", r->where, key, name);
  c->has_torch_dtype = 1;
  return PIO_OK;
}

/* "rope_scaling": null, {"rope_type": "default"} or the llama3 kind. */
static pio_status read_rope_scaling(reader *r, const json_object *root, pio_model_config *c,
                                    pio_error *err) {
  if (!given(root, "rope_scaling")) return PIO_OK;
  json_object *rs = NULL;
  json_object_object_get_ex(root, "rope_scaling", &rs);
  where_of(r, root, "rope_scaling", NULL);
  if (!json_object_is_type(rs, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'rope_scaling': expected an object "
                         "or null, found %s", r->where,
                         pio_json_type_phrase(json_object_get_type(rs)));
  /* Transformers reads "rope_type" and falls back to the older "type". */
  const char *key = !given(rs, "rope_type") && given(rs, "type") ? "type" : "rope_type";
  const char *type = NULL;
  pio_status s = pio_json_get_string(rs, where_of(r, rs, key, "rope_scaling"), key,
                                     1, &type, err);
  if (s != PIO_OK) return s;
  if (strcmp(type, "default") == 0) return PIO_OK;
  if (strcmp(type, "llama3") != 0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: field '%s': expected \"llama3\" or "
                         "\"default\", found \"%s\"", r->where, key, type);
  llama_rope_scaling *sc = &c->rope_scaling;
  if ((s = get_positive(r, rs, "rope_scaling", "factor", 1, 1e6, &sc->factor, err)) != PIO_OK ||
      (s = get_positive(r, rs, "rope_scaling", "low_freq_factor", 1, 1e6, &sc->low_freq_factor,
                        err)) != PIO_OK ||
      (s = get_positive(r, rs, "rope_scaling", "high_freq_factor", 1, 1e6,
                        &sc->high_freq_factor, err)) != PIO_OK)
    return s;
  if (!(sc->high_freq_factor > sc->low_freq_factor))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'high_freq_factor': expected a "
                         "number above low_freq_factor (%g), found %g", r->where,
                         sc->low_freq_factor, sc->high_freq_factor);
  s = pio_json_get_u32(rs, where_of(r, rs, "original_max_position_embeddings", "rope_scaling"),
                       "original_max_position_embeddings", 1, 1, LLAMA_MAX_POSITIONS,
                       &sc->original_max_position, err);
  if (s != PIO_OK) return s;
  sc->enabled = 1;
  return PIO_OK;
}

/* The shape fields, each within the LLAMA_MAX_* limits. */
static pio_status read_shapes(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  pio_status s;
  if ((s = get_u32(r, root, "hidden_size", 1, 1, LLAMA_MAX_HIDDEN, &c->hidden_size, err)) ||
      (s = get_u32(r, root, "intermediate_size", 1, 1, LLAMA_MAX_INTERMEDIATE,
                   &c->intermediate_size, err)) ||
      (s = get_u32(r, root, "num_hidden_layers", 1, 1, LLAMA_MAX_LAYERS, &c->n_layers, err)) ||
      (s = get_u32(r, root, "num_attention_heads", 1, 1, LLAMA_MAX_HEADS, &c->n_heads, err)) ||
      (s = get_u32(r, root, "vocab_size", 1, 1, LLAMA_MAX_VOCAB, &c->vocab_size, err)) ||
      (s = get_u32(r, root, "max_position_embeddings", 1, 1, LLAMA_MAX_POSITIONS,
                   &c->max_position, err)))
    return s;
  c->n_kv_heads = c->n_heads;
  if ((s = get_u32(r, root, "num_key_value_heads", 0, 1, LLAMA_MAX_HEADS, &c->n_kv_heads, err)))
    return s;
  if (c->n_heads % c->n_kv_heads != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'num_key_value_heads': expected a "
                         "divisor of num_attention_heads (%u), found %u",
                         where_of(r, root, "num_key_value_heads", NULL), c->n_heads,
                         c->n_kv_heads);
  c->head_dim = 0;
  if ((s = get_u32(r, root, "head_dim", 0, 1, LLAMA_MAX_HEAD_DIM, &c->head_dim, err))) return s;
  if (c->head_dim == 0) {
    /* Transformers derives it; it must then come out whole. */
    if (c->hidden_size % c->n_heads != 0 || c->hidden_size / c->n_heads > LLAMA_MAX_HEAD_DIM)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'num_attention_heads': without "
                           "'head_dim', expected a divisor of hidden_size (%u) giving a head "
                           "of at most %u, found %u", where_of(r, root, "num_attention_heads",
                           NULL), c->hidden_size, LLAMA_MAX_HEAD_DIM, c->n_heads);
    c->head_dim = c->hidden_size / c->n_heads;
  }
  if (c->head_dim % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'head_dim': expected an even number "
                         "(rotary embeddings pair dimensions), found %u",
                         given(root, "head_dim") ? where_of(r, root, "head_dim", NULL) : r->path,
                         c->head_dim);
  return PIO_OK;
}

static pio_status read_config(reader *r, const json_object *root, pio_model_config *c,
                              pio_error *err) {
  pio_status s;
  if (!json_object_is_type(root, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top, "
                         "found %s", r->path, pio_json_type_phrase(json_object_get_type(root)));
  if ((s = read_architectures(r, root, err)) || (s = read_unsupported(r, root, err)) ||
      (s = read_shapes(r, root, c, err)))
    return s;
  c->rms_norm_eps = 1e-6; /* LlamaConfig's default */
  c->rope_theta = 10000.0;
  if ((s = get_positive(r, root, NULL, "rms_norm_eps", 0, 1.0, &c->rms_norm_eps, err)) ||
      (s = get_positive(r, root, NULL, "rope_theta", 0, 1e12, &c->rope_theta, err)) ||
      (s = read_rope_scaling(r, root, c, err)) ||
      (s = get_bool(r, root, "tie_word_embeddings", &c->tie_word_embeddings, err)) ||
      (s = read_dtype(r, root, c, err)))
    return s;
  return PIO_OK;
}

pio_status llama_config_parse_file(const char *path, pio_model_config **out, pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config path or output is NULL");
  *out = NULL;
  json_object *root = NULL;
  reader r = {.path = path, .positions = NULL, .where = {0}};
  pio_status s = pio_json_parse_file(path, LLAMA_CONFIG_MAX_BYTES, LLAMA_CONFIG_MAX_DEPTH,
                                     &root, &r.positions, err);
  if (s != PIO_OK) return s;
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) {
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  } else {
    s = read_config(&r, root, c, err);
    if (s == PIO_OK) {
      c->path = strdup(path);
      c->architecture = strdup(LLAMA_ARCHITECTURE);
      if (c->path == NULL || c->architecture == NULL)
        s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
    }
  }
  json_object_put(root);
  pio_json_positions_free(r.positions);
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
