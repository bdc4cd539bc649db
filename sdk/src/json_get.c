/* sdk/src/json_get.c — typed access to object members, with errors that
 * name the document, the field, what was expected and what was found. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_internal.h"

const char *pio_json_type_phrase(json_type type) {
  switch (type) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number with a fraction";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
  }
  return "an unknown JSON type";
}

/* Finds member key.  Returns PIO_OK with *value set (possibly to a JSON
 * null), PIO_ERR_NOT_FOUND when absent and optional, or an error. */
static pio_status member(const json_object *object, const char *where, const char *key,
                         int required, json_object **value, pio_error *err) {
  if (where == NULL) where = "<json>";
  if (object == NULL || key == NULL || !json_object_is_type(object, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "%s: field '%s' asked of something "
                         "that is not an object", where, key ? key : "(null)");
  if (json_object_object_get_ex(object, key, value)) return PIO_OK;
  if (required)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field '%s'", where, key);
  return PIO_ERR_NOT_FOUND;
}

static pio_status wrong_type(const char *where, const char *key, const char *expected,
                             const json_object *value, pio_error *err) {
  return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected %s, found %s", where, key,
                       expected, pio_json_type_phrase(json_object_get_type(value)));
}

/* Reads an integer member as a signed or unsigned 64-bit value; json-c keeps
 * integers above INT64_MAX as unsigned. */
static pio_status get_integer(const json_object *object, const char *where, const char *key,
                              int required, int *negative, uint64_t *magnitude, pio_error *err) {
  json_object *value = NULL;
  pio_status s = member(object, where, key, required, &value, err);
  if (s != PIO_OK) return s;
  if (!json_object_is_type(value, json_type_int))
    return wrong_type(where, key, "an integer", value, err);
  int64_t i = json_object_get_int64(value);
  *negative = i < 0;
  *magnitude = i < 0 ? (uint64_t)0 - (uint64_t)i
               : i == INT64_MAX ? json_object_get_uint64(value) : (uint64_t)i;
  return PIO_OK;
}

static pio_status out_of_range(const char *where, const char *key, int negative,
                               uint64_t magnitude, uint64_t min, uint64_t max, pio_error *err) {
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: field '%s': expected an integer from %" PRIu64 " to %" PRIu64
                       ", found %s%" PRIu64, where, key, min, max, negative ? "-" : "", magnitude);
}

pio_status pio_json_get_u64(const json_object *object, const char *where, const char *key,
                            int required, uint64_t min, uint64_t max, uint64_t *out,
                            pio_error *err) {
  int negative = 0;
  uint64_t magnitude = 0;
  if (where == NULL) where = "<json>";
  pio_status s = get_integer(object, where, key, required, &negative, &magnitude, err);
  if (s == PIO_ERR_NOT_FOUND) return PIO_OK;
  if (s != PIO_OK) return s;
  if (negative || magnitude < min || magnitude > max)
    return out_of_range(where, key, negative, magnitude, min, max, err);
  *out = magnitude;
  return PIO_OK;
}

pio_status pio_json_get_u32(const json_object *object, const char *where, const char *key,
                            int required, uint32_t min, uint32_t max, uint32_t *out,
                            pio_error *err) {
  uint64_t wide = *out;
  pio_status s = pio_json_get_u64(object, where, key, required, min, max, &wide, err);
  if (s == PIO_OK) *out = (uint32_t)wide;
  return s;
}

pio_status pio_json_get_double(const json_object *object, const char *where, const char *key,
                               int required, double min, double max, double *out,
                               pio_error *err) {
  json_object *value = NULL;
  if (where == NULL) where = "<json>";
  pio_status s = member(object, where, key, required, &value, err);
  if (s == PIO_ERR_NOT_FOUND) return PIO_OK;
  if (s != PIO_OK) return s;
  if (!json_object_is_type(value, json_type_double) && !json_object_is_type(value, json_type_int))
    return wrong_type(where, key, "a number", value, err);
  double d = json_object_get_double(value);
  if (!isfinite(d) || d < min || d > max)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: field '%s': expected a number from %g to %g, "
                         "found %g", where, key, min, max, d);
  *out = d;
  return PIO_OK;
}

pio_status pio_json_get_bool(const json_object *object, const char *where, const char *key,
                             int required, int *out, pio_error *err) {
  json_object *value = NULL;
  if (where == NULL) where = "<json>";
  pio_status s = member(object, where, key, required, &value, err);
  if (s == PIO_ERR_NOT_FOUND) return PIO_OK;
  if (s != PIO_OK) return s;
  if (!json_object_is_type(value, json_type_boolean))
    return wrong_type(where, key, "true or false", value, err);
  *out = json_object_get_boolean(value) ? 1 : 0;
  return PIO_OK;
}

pio_status pio_json_get_string(const json_object *object, const char *where, const char *key,
                               int required, const char **out, pio_error *err) {
  json_object *value = NULL;
  if (where == NULL) where = "<json>";
  pio_status s = member(object, where, key, required, &value, err);
  if (s == PIO_ERR_NOT_FOUND) return PIO_OK;
  if (s != PIO_OK) return s;
  if (!json_object_is_type(value, json_type_string))
    return wrong_type(where, key, "a string", value, err);
  /* json-c keeps a \u0000 inside a string, but every C reader would stop
   * there and read "Llama\u0000x" as "Llama". */
  const char *text = json_object_get_string(value);
  if (strlen(text) != (size_t)json_object_get_string_len(value))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: \"%s\": the string holds a NUL character (\\u0000)", where, key);
  *out = text;
  return PIO_OK;
}

char *pio_json_quote(const char *text, char *out, size_t size) {
  if (out == NULL || size == 0) return out;
  if (text == NULL) {
    snprintf(out, size, "null");
    return out;
  }
  const unsigned char *p = (const unsigned char *)text;
  size_t used = 0;
  const size_t room = size > 5 ? size - 5 : 0; /* keeps space for "...\"" and NUL */
  if (room == 0) {
    out[0] = '\0';
    return out;
  }
  out[used++] = '"';
  while (*p) {
    char piece[8];
    size_t n = pio_json_utf8_sequence(p, strnlen((const char *)p, 4));
    size_t take = n ? n : 1;
    if (n == 1 && (*p < 0x20 || *p == 0x7F)) {
      static const char short_escapes[] = "\b\f\n\r\t";
      const char *hit = strchr(short_escapes, *p);
      if (*p != 0 && hit != NULL)
        snprintf(piece, sizeof piece, "\\%c", "bfnrt"[hit - short_escapes]);
      else
        snprintf(piece, sizeof piece, "\\u%04X", (unsigned)*p);
    } else if (n == 1 && (*p == '"' || *p == '\\')) {
      snprintf(piece, sizeof piece, "\\%c", *p);
    } else if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) { /* C1 controls reach terminals too */
      snprintf(piece, sizeof piece, "\\u%04X", (unsigned)p[1]);
    } else if (n == 0) {
      snprintf(piece, sizeof piece, "\\x%02X", (unsigned)*p);
    } else {
      memcpy(piece, p, n);
      piece[n] = '\0';
    }
    size_t len = strlen(piece);
    if (used + len > room) {
      memcpy(out + used, "...", 3);
      used += 3;
      break;
    }
    memcpy(out + used, piece, len);
    used += len;
    p += take;
  }
  out[used++] = '"';
  out[used] = '\0';
  return out;
}
