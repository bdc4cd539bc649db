/* sdk/src/hf_decoder.c — the part of a config.json every decoder-only
 * family shares (pio/hf_config.h): the architectures a plugin serves, the
 * transformer's shape, its rope_scaling kind, the parameters outside its
 * layers, and the KV cache quantisation it asks for. */
#include <stdio.h>
#include <string.h>

#include "pio/hf_config.h"

pio_status pio_hf_config_check_divisor(pio_hf_config *doc, const json_object *object,
                                       const char *key, uint32_t value, const char *whole_key,
                                       uint32_t whole, pio_error *err) {
  if (value != 0 && whole % value == 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: field '%s': expected a divisor of %s (%u), "
                       "found %u",
                       pio_hf_config_where(doc, object, key, NULL), key, whole_key, whole, value);
}

pio_status pio_hf_config_get_positive(pio_hf_config *doc, const json_object *object,
                                      const char *key, double max, double *out, pio_error *err) {
  if (!pio_hf_config_given(object, key)) return PIO_OK;
  double value = *out;
  pio_status s = pio_hf_config_get_double(doc, object, key, 1, 0.0, max, &value, err);
  if (s != PIO_OK) return s;
  if (!(value > 0.0))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field '%s': expected a number above 0 "
                         "and up to %g, found %g",
                         doc->where, key, max, value);
  *out = value;
  return PIO_OK;
}

/* rope_scaling: its kind named (rope_type, or Transformers' older "type")
 * and factor kept for listings, and the whole of it as pio_rope_params
 * (pio_hf_config_read_rope) when pio/rope.h computes that kind; another
 * kind is not an error here (sizing does not depend on it): the forward
 * pass refuses it. */
static pio_status read_rope_scaling(pio_hf_config *doc, const json_object *object,
                                    pio_hf_decoder *d, pio_error *err) {
  snprintf(d->rope_type, sizeof d->rope_type, "default");
  d->rope_factor = 1.0;
  json_object *rs = NULL;
  pio_status s = pio_hf_config_get_object(doc, object, "rope_scaling", &rs, err);
  if (s != PIO_OK) return s;
  if (rs != NULL) {
    const char *key = !pio_hf_config_given(rs, "rope_type") && pio_hf_config_given(rs, "type")
                          ? "type"
                          : "rope_type";
    const char *type = NULL;
    if ((s = pio_hf_config_get_string(doc, rs, key, 1, &type, err)) != PIO_OK) return s;
    if (strlen(type) >= sizeof d->rope_type)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: field '%s': expected a rope kind of at "
                           "most %zu characters, found %zu",
                           doc->where, key, sizeof d->rope_type - 1, strlen(type));
    snprintf(d->rope_type, sizeof d->rope_type, "%s", type);
    if ((s = pio_hf_config_get_positive(doc, rs, "factor", 1e6, &d->rope_factor, err))) return s;
  }
  /* 10000, Transformers' usual default, for a family that states none. */
  s = pio_hf_config_read_rope(doc, object, d->head_dim, d->max_position,
                              d->rope_theta > 0 ? d->rope_theta : 10000.0, &d->rope, err);
  d->rope_computable = s == PIO_OK;
  if (s == PIO_ERR_UNSUPPORTED) {
    pio_error_clear(err);
    return PIO_OK;
  }
  return s;
}

/* head_dim as given, the caller's default, or hidden_size / heads. */
static pio_status read_head_dim(pio_hf_config *doc, const json_object *o, pio_hf_decoder *d,
                                pio_error *err) {
  pio_status s =
      pio_hf_config_get_u32(doc, o, "head_dim", 0, 1, PIO_HF_MAX_HEAD_DIM, &d->head_dim, err);
  if (s != PIO_OK) return s;
  if (d->head_dim == 0) {
    if (d->hidden_size % d->n_heads != 0 || d->hidden_size / d->n_heads > PIO_HF_MAX_HEAD_DIM)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: field 'num_attention_heads': without "
                           "'head_dim', expected a divisor of hidden_size (%u) giving a head "
                           "of at most %u, found %u",
                           pio_hf_config_where(doc, o, "num_attention_heads", NULL), d->hidden_size,
                           PIO_HF_MAX_HEAD_DIM, d->n_heads);
    d->head_dim = d->hidden_size / d->n_heads;
  }
  if (d->head_dim % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field 'head_dim': expected an even number "
                         "(rotary embeddings pair dimensions), found %u",
                         pio_hf_config_given(o, "head_dim")
                             ? pio_hf_config_where(doc, o, "head_dim", NULL)
                             : doc->path,
                         d->head_dim);
  return PIO_OK;
}

/* A shape field: required when the caller left no default (0). */
static pio_status get_shape(pio_hf_config *doc, const json_object *o, const char *key, uint32_t max,
                            uint32_t *out, pio_error *err) {
  return pio_hf_config_get_u32(doc, o, key, *out == 0, 1, max, out, err);
}

static pio_status read_shapes(pio_hf_config *doc, const json_object *o, int need_intermediate,
                              pio_hf_decoder *d, pio_error *err) {
  pio_status s;
  if ((s = get_shape(doc, o, "hidden_size", PIO_HF_MAX_HIDDEN, &d->hidden_size, err)) ||
      (need_intermediate && (s = get_shape(doc, o, "intermediate_size", PIO_HF_MAX_INTERMEDIATE,
                                           &d->intermediate_size, err))) ||
      (s = get_shape(doc, o, "num_hidden_layers", PIO_HF_MAX_LAYERS, &d->n_layers, err)) ||
      (s = get_shape(doc, o, "num_attention_heads", PIO_HF_MAX_HEADS, &d->n_heads, err)) ||
      (s = get_shape(doc, o, "vocab_size", PIO_HF_MAX_VOCAB, &d->vocab_size, err)) ||
      (s = get_shape(doc, o, "max_position_embeddings", PIO_HF_MAX_POSITIONS, &d->max_position,
                     err)))
    return s;
  const uint32_t kv_default = d->n_kv_heads;
  d->n_kv_heads = kv_default ? kv_default : d->n_heads;
  if ((s = pio_hf_config_get_u32(doc, o, "num_key_value_heads", 0, 1, PIO_HF_MAX_HEADS,
                                 &d->n_kv_heads, err)))
    return s;
  if ((s = pio_hf_config_check_divisor(doc, o, "num_key_value_heads", d->n_kv_heads,
                                       "num_attention_heads", d->n_heads, err)))
    return s;
  return read_head_dim(doc, o, d, err);
}

pio_status pio_hf_decoder_read(pio_hf_config *doc, const json_object *object, int need_intermediate,
                               pio_hf_decoder *d, pio_error *err) {
  pio_status s;
  if ((s = read_shapes(doc, object, need_intermediate, d, err)) ||
      (s = pio_hf_config_get_positive(doc, object, "rms_norm_eps", 1.0, &d->rms_norm_eps, err)) ||
      (s = pio_hf_config_get_positive(doc, object, "rope_theta", 1e12, &d->rope_theta, err)) ||
      (s = read_rope_scaling(doc, object, d, err)) ||
      (s = pio_hf_config_get_bool(doc, object, "tie_word_embeddings", 0, &d->tie_word_embeddings,
                                  err)))
    return s;
  return pio_hf_config_read_dtype(doc, &d->has_torch_dtype, &d->torch_dtype, err);
}

pio_status pio_hf_decoder_check_rope(const pio_hf_decoder *d, const char *path, pio_error *err) {
  if (d->rope_computable) return PIO_OK;
  return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                       "%s: rope_scaling of type \"%s\": this plugin's forward pass computes "
                       "default, linear, llama3 and yarn",
                       path, d->rope_type);
}

uint64_t pio_hf_decoder_outer_params(const pio_hf_decoder *d) {
  const uint64_t embeddings = (uint64_t)d->vocab_size * d->hidden_size;
  return embeddings * (d->tie_word_embeddings ? 1 : 2) + d->hidden_size;
}

uint64_t pio_hf_decoder_attention_params(const pio_hf_decoder *d) {
  const uint64_t q = (uint64_t)d->n_heads * d->head_dim, kv = (uint64_t)d->n_kv_heads * d->head_dim;
  return (uint64_t)d->hidden_size * (2 * q + 2 * kv);
}

pio_status pio_hf_config_read_layer_types(pio_hf_config *doc, const json_object *object,
                                          uint32_t n_layers, uint8_t *kinds, int *given,
                                          pio_error *err) {
  static const char *const names[] = {"full_attention", "sliding_attention", "chunked_attention"};
  static const uint8_t values[] = {PIO_KV_LAYER_FULL, PIO_KV_LAYER_SLIDING, PIO_KV_LAYER_CHUNKED};
  *given = 0;
  if (!pio_hf_config_given(object, "layer_types")) return PIO_OK;
  json_object *list = NULL;
  json_object_object_get_ex(object, "layer_types", &list);
  const char *where = pio_hf_config_where(doc, object, "layer_types", NULL);
  if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) != n_layers)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field 'layer_types': expected an array of "
                         "%u strings (one per layer), found %s",
                         where, n_layers,
                         json_object_is_type(list, json_type_array)
                             ? "another length"
                             : pio_json_type_phrase(json_object_get_type(list)));
  for (uint32_t i = 0; i < n_layers; i++) {
    json_object *item = json_object_array_get_idx(list, i);
    const char *kind =
        json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
    size_t k = 0;
    while (kind != NULL && k < 3 && strcmp(kind, names[k]) != 0) k++;
    if (kind == NULL || k == 3) {
      char quoted[96];
      return pio_error_set(err, kind == NULL ? PIO_ERR_INVALID : PIO_ERR_UNSUPPORTED,
                           "%s: field 'layer_types': item %u: expected \"full_attention\", "
                           "\"sliding_attention\" or \"chunked_attention\", found %s",
                           where, i,
                           kind != NULL ? pio_json_quote(kind, quoted, sizeof quoted)
                                        : pio_json_type_phrase(json_object_get_type(item)));
    }
    kinds[i] = values[k];
  }
  *given = 1;
  return PIO_OK;
}

/* The array member key of object, NULL when absent, null or empty. */
static pio_status layer_list(pio_hf_config *doc, const json_object *object, const char *key,
                             json_object **out, pio_error *err) {
  *out = NULL;
  if (!pio_hf_config_given(object, key)) return PIO_OK;
  json_object *list = NULL;
  json_object_object_get_ex(object, key, &list);
  if (!json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field '%s': expected an array of "
                         "integers, found %s",
                         pio_hf_config_where(doc, object, key, NULL), key,
                         pio_json_type_phrase(json_object_get_type(list)));
  if (json_object_array_length(list) > 0) *out = list;
  return PIO_OK;
}

/* Item i of list: an integer from 0 to max, else an error naming it. */
static pio_status layer_item(pio_hf_config *doc, const json_object *object, const char *key,
                             json_object *list, size_t i, int64_t max, int64_t *out,
                             pio_error *err) {
  json_object *item = json_object_array_get_idx(list, i);
  *out = json_object_is_type(item, json_type_int) ? json_object_get_int64(item) : -1;
  if (*out < 0 || *out > max)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field '%s': item %zu: expected an integer "
                         "from 0 to %lld",
                         pio_hf_config_where(doc, object, key, NULL), key, i, (long long)max);
  return PIO_OK;
}

pio_status pio_hf_config_read_layer_indices(pio_hf_config *doc, const json_object *object,
                                            const char *key, uint32_t n_layers, uint8_t value,
                                            uint8_t *flags, int *given, pio_error *err) {
  json_object *list = NULL;
  pio_status s = layer_list(doc, object, key, &list, err);
  *given = list != NULL;
  size_t n = list != NULL ? json_object_array_length(list) : 0;
  for (size_t i = 0; s == PIO_OK && i < n; i++) {
    int64_t layer = 0;
    if ((s = layer_item(doc, object, key, list, i, (int64_t)n_layers - 1, &layer, err)) == PIO_OK)
      flags[layer] = value;
  }
  return s;
}

pio_status pio_hf_config_read_layer_mask(pio_hf_config *doc, const json_object *object,
                                         const char *key, uint32_t n_layers, uint8_t *mask,
                                         int *given, pio_error *err) {
  json_object *list = NULL;
  pio_status s = layer_list(doc, object, key, &list, err);
  *given = list != NULL;
  if (s != PIO_OK || list == NULL) return s;
  if (json_object_array_length(list) != n_layers)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: field '%s': expected %u entries (one per "
                         "layer), found %zu",
                         pio_hf_config_where(doc, object, key, NULL), key, n_layers,
                         json_object_array_length(list));
  for (uint32_t i = 0; s == PIO_OK && i < n_layers; i++) {
    int64_t bit = 0;
    if ((s = layer_item(doc, object, key, list, i, 1, &bit, err)) == PIO_OK) mask[i] = (uint8_t)bit;
  }
  return s;
}

/* ---- quantization_config.kv_cache_scheme ---- */

static pio_status read_scheme_type(pio_hf_config *doc, const json_object *scheme, pio_dtype *dtype,
                                   pio_error *err) {
  static const char *const types[] = {"float", "int", NULL};
  const char *type = NULL;
  uint32_t bits = 0;
  pio_status s = pio_hf_config_get_u32(doc, scheme, "num_bits", 1, 1, 64, &bits, err);
  if (s != PIO_OK) return s;
  if (bits != 8)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: kv_cache_scheme: field 'num_bits': "
                         "expected 8 (fp8 or int8 caches are sized), found %u",
                         doc->where, bits);
  if ((s = pio_hf_config_get_choice(doc, scheme, "type", types, "\"float\" or \"int\"", &type,
                                    err)))
    return s;
  if (type == NULL)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: kv_cache_scheme: missing required field "
                         "'type'",
                         pio_hf_config_where(doc, scheme, NULL, NULL));
  *dtype = type == types[0] ? PIO_DTYPE_FP8 : PIO_DTYPE_INT8;
  return PIO_OK;
}

static pio_status read_scheme_strategy(pio_hf_config *doc, const json_object *scheme,
                                       uint32_t *scales, pio_error *err) {
  static const char *const strategies[] = {"tensor", "attn_head", NULL};
  const char *strategy = NULL;
  pio_status s = pio_hf_config_get_string(doc, scheme, "strategy", 1, &strategy, err);
  if (s != PIO_OK) return s;
  for (size_t i = 0; strategies[i] != NULL; i++)
    if (strcmp(strategy, strategies[i]) == 0) {
      *scales = i == 0 ? PIO_KV_SCALES_TENSOR : PIO_KV_SCALES_HEAD;
      return PIO_OK;
    }
  char quoted[96];
  return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                       "%s: kv_cache_scheme: field 'strategy': "
                       "expected \"tensor\" or \"attn_head\", found %s",
                       doc->where, pio_json_quote(strategy, quoted, sizeof quoted));
}

pio_status pio_hf_config_read_kv_scheme(pio_hf_config *doc, pio_hf_kv_scheme *out, pio_error *err) {
  memset(out, 0, sizeof *out);
  json_object *qc = NULL, *scheme = NULL;
  pio_status s = pio_hf_config_get_object(doc, doc->root, "quantization_config", &qc, err);
  if (s == PIO_OK && qc != NULL)
    s = pio_hf_config_get_object(doc, qc, "kv_cache_scheme", &scheme, err);
  if (s != PIO_OK || scheme == NULL) return s;
  if ((s = read_scheme_type(doc, scheme, &out->dtype, err)) ||
      (s = read_scheme_strategy(doc, scheme, &out->scales, err)))
    return s;
  out->quantized = 1;
  return PIO_OK;
}
