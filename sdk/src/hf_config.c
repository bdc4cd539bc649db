/* sdk/src/hf_config.c — the config.json reading every model plugin shares
 * (pio/hf_config.h): the document within limits, fields named with their
 * line:column, JSON null as absent, `architectures` and the weights' dtype. */
#include <stdio.h>
#include <string.h>

#include "pio/hf_config.h"

pio_status pio_hf_config_open(pio_hf_config *doc, const char *path, size_t max_bytes,
                              int max_depth, pio_error *err) {
  if (doc == NULL || path == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config.json: path or reader is NULL");
  doc->path = path;
  doc->root = NULL;
  doc->positions = NULL;
  doc->where[0] = '\0';
  pio_status s = pio_json_parse_file(path, max_bytes, max_depth, &doc->root, &doc->positions,
                                     err);
  if (s != PIO_OK) return s;
  if (!json_object_is_type(doc->root, json_type_object)) {
    s = pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top, found %s",
                      path, pio_json_type_phrase(json_object_get_type(doc->root)));
    pio_hf_config_close(doc);
  }
  return s;
}

void pio_hf_config_close(pio_hf_config *doc) {
  if (doc == NULL) return;
  json_object_put(doc->root);
  pio_json_positions_free(doc->positions);
  doc->root = NULL;
  doc->positions = NULL;
}

pio_status pio_hf_config_read_file(const char *path, size_t max_bytes, int max_depth,
                                   pio_hf_config_reader read, pio_model_config *config,
                                   pio_error *err) {
  if (read == NULL || config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config.json: reader or config is NULL");
  pio_hf_config doc;
  pio_status s = pio_hf_config_open(&doc, path, max_bytes, max_depth, err);
  if (s != PIO_OK) return s;
  s = read(&doc, config, err);
  pio_hf_config_close(&doc);
  return s;
}

const char *pio_hf_config_where(pio_hf_config *doc, const json_object *object, const char *key,
                                const char *parent) {
  int line = 0, column = 0;
  const char *suffix = parent ? ": " : "";
  const char *name = parent ? parent : "";
  if (pio_json_position(doc->positions, object, key, &line, &column) == 0)
    snprintf(doc->where, sizeof doc->where, "%s:%d:%d%s%s", doc->path, line, column, suffix,
             name);
  else
    snprintf(doc->where, sizeof doc->where, "%s%s%s", doc->path, suffix, name);
  return doc->where;
}

int pio_hf_config_given(const json_object *object, const char *key) {
  json_object *value = NULL;
  return json_object_object_get_ex(object, key, &value) && value != NULL;
}

pio_status pio_hf_config_get_u32(pio_hf_config *doc, const json_object *object, const char *key,
                                 int required, uint32_t min, uint32_t max, uint32_t *out,
                                 pio_error *err) {
  if (!required && !pio_hf_config_given(object, key)) return PIO_OK;
  return pio_json_get_u32(object, pio_hf_config_where(doc, object, key, NULL), key, required,
                          min, max, out, err);
}

pio_status pio_hf_config_get_double(pio_hf_config *doc, const json_object *object,
                                    const char *key, int required, double min, double max,
                                    double *out, pio_error *err) {
  if (!required && !pio_hf_config_given(object, key)) return PIO_OK;
  return pio_json_get_double(object, pio_hf_config_where(doc, object, key, NULL), key,
                             required, min, max, out, err);
}

pio_status pio_hf_config_get_bool(pio_hf_config *doc, const json_object *object,
                                  const char *key, int required, int *out, pio_error *err) {
  if (!required && !pio_hf_config_given(object, key)) return PIO_OK;
  return pio_json_get_bool(object, pio_hf_config_where(doc, object, key, NULL), key, required,
                           out, err);
}

pio_status pio_hf_config_get_string(pio_hf_config *doc, const json_object *object,
                                    const char *key, int required, const char **out,
                                    pio_error *err) {
  if (!required && !pio_hf_config_given(object, key)) return PIO_OK;
  return pio_json_get_string(object, pio_hf_config_where(doc, object, key, NULL), key,
                             required, out, err);
}

pio_status pio_hf_config_get_experts_per_token(pio_hf_config *doc, const json_object *object,
                                               const char *key, const char *experts_key,
                                               uint32_t n_experts, uint32_t *out,
                                               pio_error *err) {
  if (pio_hf_config_given(object, key))
    return pio_hf_config_get_u32(doc, object, key, 1, 1, n_experts, out, err);
  if (*out <= n_experts) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: field '%s' is absent: its default %u is more than the %u expert%s of "
                       "'%s'",
                       pio_hf_config_where(doc, object, experts_key, NULL), key, *out, n_experts,
                       n_experts == 1 ? "" : "s", experts_key);
}

pio_status pio_hf_config_get_object(pio_hf_config *doc, const json_object *object,
                                    const char *key, json_object **out, pio_error *err) {
  *out = NULL;
  if (!pio_hf_config_given(object, key)) return PIO_OK;
  json_object *value = NULL;
  json_object_object_get_ex(object, key, &value);
  if (!json_object_is_type(value, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected an object or null, "
                         "found %s", pio_hf_config_where(doc, object, key, NULL), key,
                         pio_json_type_phrase(json_object_get_type(value)));
  *out = value;
  return PIO_OK;
}

pio_status pio_hf_config_get_choice(pio_hf_config *doc, const json_object *object,
                                    const char *key, const char *const *choices,
                                    const char *expected, const char **out, pio_error *err) {
  const char *value = NULL;
  pio_status s = pio_hf_config_get_string(doc, object, key, 0, &value, err);
  if (s != PIO_OK || value == NULL) return s;
  for (size_t i = 0; choices[i] != NULL; i++)
    if (strcmp(value, choices[i]) == 0) {
      *out = choices[i];
      return PIO_OK;
    }
  char quoted[256];
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected %s, found %s", doc->where,
                       key, expected, pio_json_quote(value, quoted, sizeof quoted));
}

/* What an architectures array that lacks the wanted name holds, for the
 * message: "an empty array" or its items quoted ("A", "B"), cut with ...
 * when long.  Every item is a string (checked before). */
static const char *architectures_found(const json_object *list, char *out, size_t size) {
  size_t n = json_object_array_length(list);
  if (n == 0) return "an empty array";
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    char quoted[128];
    pio_json_quote(json_object_get_string(json_object_array_get_idx(list, i)), quoted,
                   sizeof quoted);
    size_t used = strlen(out);
    if (used + strlen(quoted) + sizeof ", ..." > size) {
      snprintf(out + used, size - used, "%s...", i > 0 ? ", " : "");
      break;
    }
    snprintf(out + used, size - used, "%s%s", i > 0 ? ", " : "", quoted);
  }
  return out;
}

/* "\"A\"" or "one of \"A\", \"B\" or \"C\"" for a message. */
static const char *choices_text(const char *const *choices, char *out, size_t size) {
  size_t n = 0;
  while (choices[n] != NULL) n++;
  snprintf(out, size, "%s", n > 1 ? "one of " : "");
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(out);
    snprintf(out + used, size - used, "%s\"%s\"", i == 0 ? "" : (i + 1 == n ? " or " : ", "),
             choices[i]);
  }
  return out;
}

pio_status pio_hf_config_check_architectures(pio_hf_config *doc, const char *const *choices,
                                             const char **found, pio_error *err) {
  char wanted[512];
  choices_text(choices, wanted, sizeof wanted);
  json_object *list = NULL;
  if (!json_object_object_get_ex(doc->root, "architectures", &list))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field 'architectures' "
                         "(expected an array naming %s)", doc->path, wanted);
  const char *where = pio_hf_config_where(doc, doc->root, "architectures", NULL);
  if (!json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                         "of strings, found %s", where,
                         pio_json_type_phrase(json_object_get_type(list)));
  /* The first item naming a choice ends the check; later items are not
   * read, so a list may name other classes after it. */
  size_t n = json_object_array_length(list);
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx(list, i);
    if (!json_object_is_type(item, json_type_string))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': item %zu: "
                           "expected a string, found %s", where, i,
                           pio_json_type_phrase(json_object_get_type(item)));
    for (size_t c = 0; choices[c] != NULL; c++)
      if (strcmp(json_object_get_string(item), choices[c]) == 0) {
        if (found != NULL) *found = choices[c];
        return PIO_OK;
      }
  }
  char text[512];
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field 'architectures': expected an array "
                       "naming %s, found %s", where, wanted,
                       architectures_found(list, text, sizeof text));
}

pio_status pio_hf_config_check_architecture(pio_hf_config *doc, const char *architecture,
                                            pio_error *err) {
  const char *const choices[] = {architecture, NULL};
  return pio_hf_config_check_architectures(doc, choices, NULL, err);
}

pio_status pio_hf_config_read_dtype(pio_hf_config *doc, int *present, pio_dtype *dtype,
                                    pio_error *err) {
  static const char *const names[] = {"float32", "bfloat16", "float16", NULL};
  static const pio_dtype dtypes[] = {PIO_DTYPE_F32, PIO_DTYPE_BF16, PIO_DTYPE_F16};
  const char *key = pio_hf_config_given(doc->root, "torch_dtype") ? "torch_dtype" : "dtype";
  const char *name = NULL;
  *present = 0;
  pio_status s = pio_hf_config_get_choice(doc, doc->root, key, names,
                                          "\"float32\", \"bfloat16\" or \"float16\"", &name,
                                          err);
  if (s != PIO_OK || name == NULL) return s;
  for (size_t i = 0; names[i] != NULL; i++)
    if (name == names[i]) *dtype = dtypes[i];
  *present = 1;
  return PIO_OK;
}
