/* sdk/src/tokenizer_json.c — reading tokenizer.json's members with messages
 * that name the file and the member's path ("model.merges[3]"). */
#include <stdio.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

pio_status tok_json_object(const char *name, const char *path, json_object *json, pio_error *err) {
  if (json_object_is_type(json, json_type_object)) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID, "%s: %s: expected an object, found %s", name, path,
                       pio_json_type_phrase(json_object_get_type(json)));
}

pio_status tok_json_string(const char *name, const char *path, json_object *obj, const char *key,
                           int required, const char **out, size_t *len, pio_error *err) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
    if (!required) return PIO_OK;
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s: missing required field '%s'", name, path,
                         key);
  }
  if (!json_object_is_type(v, json_type_string))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: expected a string, found %s", name, path,
                         key, pio_json_type_phrase(json_object_get_type(v)));
  *out = json_object_get_string(v);
  if (len) *len = (size_t)json_object_get_string_len(v);
  return PIO_OK;
}

pio_status tok_json_bool(const char *name, const char *path, json_object *obj, const char *key,
                         int *out, pio_error *err) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(obj, key, &v) || v == NULL) return PIO_OK;
  if (!json_object_is_type(v, json_type_boolean))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: expected true or false, found %s", name,
                         path, key, pio_json_type_phrase(json_object_get_type(v)));
  *out = json_object_get_boolean(v) ? 1 : 0;
  return PIO_OK;
}

pio_status tok_json_type(const char *name, const char *path, json_object *obj, const char **type,
                         pio_error *err) {
  pio_status st = tok_json_object(name, path, obj, err);
  if (st != PIO_OK) return st;
  return tok_json_string(name, path, obj, "type", 1, type, NULL, err);
}

pio_status tok_json_pattern(const char *name, const char *path, json_object *obj,
                            tok_pattern *pattern, pio_error *err) {
  char where[512];
  snprintf(where, sizeof where, "%s: %s.pattern", name, path);
  json_object *p = NULL;
  if (!json_object_object_get_ex(obj, "pattern", &p) || p == NULL)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field", where);
  if (!json_object_is_type(p, json_type_object) || json_object_object_length(p) != 1)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected {\"String\": ...} or {\"Regex\": ...}",
                         where);
  json_object *s = NULL;
  int is_regex = 0;
  if (json_object_object_get_ex(p, "Regex", &s))
    is_regex = 1;
  else if (!json_object_object_get_ex(p, "String", &s))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected {\"String\": ...} or {\"Regex\": ...}",
                         where);
  if (!json_object_is_type(s, json_type_string))
    return pio_error_set(err, PIO_ERR_INVALID, "%s.%s: expected a string, found %s", where,
                         is_regex ? "Regex" : "String",
                         pio_json_type_phrase(json_object_get_type(s)));
  return tok_pattern_compile(pattern, json_object_get_string(s),
                             (size_t)json_object_get_string_len(s), is_regex, where, err);
}

pio_status tok_unsupported(const char *name, const char *path, const char *what, const char *type,
                           const char *known, pio_error *err) {
  char quoted[128];
  return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                       "%s: %s.type: %s %s is not supported (pio reads %s)", name, path, what,
                       pio_json_quote(type, quoted, sizeof quoted), known);
}
