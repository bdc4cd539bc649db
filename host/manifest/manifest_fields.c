/* host/manifest/manifest_fields.c — field readers and syntax rules for manifests;
 * every error carries the field's line:column (see manifest_fields.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest_fields.h"
#include "manifest/semver.h"

/* ---- syntax rules ---- */

static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(char c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

const char *mf_rule_name(const char *text) {
  static const char expected[] =
      "a name of 1 to 64 lowercase letters, digits, '_' or '-' that starts with a letter";
  size_t n = strlen(text);
  if (n == 0 || n > 64 || !is_lower(text[0])) return expected;
  for (size_t i = 1; i < n; i++)
    if (!is_lower(text[i]) && !is_digit(text[i]) && text[i] != '_' && text[i] != '-')
      return expected;
  return NULL;
}

const char *mf_rule_semver(const char *text) {
  return semver_parse(text, NULL) == 0
             ? NULL
             : "a semantic version MAJOR.MINOR.PATCH such as \"1.2.0\" (semver.org)";
}

const char *mf_rule_identifier(const char *text) {
  static const char expected[] = "a C identifier of at most 128 characters";
  size_t n = strlen(text);
  if (n == 0 || n > 128 || (!is_alpha(text[0]) && text[0] != '_')) return expected;
  for (size_t i = 1; i < n; i++)
    if (!is_alpha(text[i]) && !is_digit(text[i]) && text[i] != '_') return expected;
  return NULL;
}

/* The module is looked up inside the plugin folder; refusing '/' and '..'
 * here keeps a manifest from naming anything outside it. */
const char *mf_rule_module(const char *text) {
  if (strchr(text, '/') != NULL || strchr(text, '\\') != NULL)
    return "a plain file name in the plugin folder, without '/'";
  if (strstr(text, "..") != NULL) return "a plain file name in the plugin folder, without '..'";
  size_t n = strlen(text);
  static const char expected[] =
      "a plain file name of 1 to 128 letters, digits, '_', '-', '+' "
      "or '.' that does not start with '.' or '-'";
  if (n == 0 || n > 128 || text[0] == '.' || text[0] == '-') return expected;
  for (size_t i = 0; i < n; i++)
    if (!is_alpha(text[i]) && !is_digit(text[i]) && !strchr("_-+.", text[i])) return expected;
  return NULL;
}

const char *mf_rule_architecture(const char *text) {
  static const char expected[] =
      "a Hugging Face architecture name such as \"LlamaForCausalLM\" (a letter, then letters, "
      "digits or '_', at most 128)";
  size_t n = strlen(text);
  if (n == 0 || n > 128 || !is_alpha(text[0])) return expected;
  for (size_t i = 1; i < n; i++)
    if (!is_alpha(text[i]) && !is_digit(text[i]) && text[i] != '_') return expected;
  return NULL;
}

const char *mf_rule_token(const char *text) {
  static const char expected[] =
      "1 to 64 letters, digits, '_', '-', '+' or '.' starting with a letter or digit";
  size_t n = strlen(text);
  if (n == 0 || n > 64 || (!is_alpha(text[0]) && !is_digit(text[0]))) return expected;
  for (size_t i = 1; i < n; i++)
    if (!is_alpha(text[i]) && !is_digit(text[i]) && !strchr("_-+.", text[i])) return expected;
  return NULL;
}

const char *mf_rule_requirement(const char *text) {
  return semver_requirement_check(text, NULL, 0) == 0
             ? NULL
             : "a version requirement such as \">=1.2.0, <2.0.0\", \"^1.2.0\" or \"*\"";
}

/* ---- errors and warnings ---- */

static void position_of(const mf_reader *r, const json_object *object, const char *key, int *line,
                        int *column) {
  if (key != NULL && pio_json_position(r->positions, object, key, line, column) == 0) return;
  if (pio_json_position(r->positions, object, NULL, line, column) == 0) return;
  *line = 1;
  *column = 1;
}

pio_status mf_fail(const mf_reader *r, const json_object *object, const char *key,
                   const char *field, pio_status code, const char *fmt, ...) {
  char what[PIO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  int line, column;
  position_of(r, object, key, &line, &column);
  return pio_error_set(r->err, code, "%s:%d:%d: %s: %.700s", r->path, line, column, field, what);
}

int string_list_push(pio_string_list *list, const char *text) {
  char *copy = strdup(text);
  char **items = realloc(list->items, (list->count + 2) * sizeof *items);
  if (copy == NULL || items == NULL) {
    free(copy);
    if (items != NULL) list->items = items;
    return -1;
  }
  items[list->count++] = copy;
  items[list->count] = NULL;
  list->items = items;
  return 0;
}

void string_list_clear(pio_string_list *list) {
  for (size_t i = 0; i < list->count; i++) free(list->items[i]);
  free(list->items);
  list->items = NULL;
  list->count = 0;
}

static int is_known(const char *key, const char *const *known) {
  for (; *known != NULL; known++)
    if (strcmp(key, *known) == 0) return 1;
  return 0;
}

pio_status mf_warn_unknown(const mf_reader *r, const json_object *object, const char *prefix,
                           const char *const *known) {
  json_object_object_foreach((json_object *)object, key, value) {
    (void)value;
    if (is_known(key, known)) continue;
    int line, column;
    position_of(r, object, key, &line, &column);
    char full[256], quoted[300], warning[PIO_ERROR_MESSAGE_MAX];
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", key);
    pio_json_quote(full, quoted, sizeof quoted);
    snprintf(warning, sizeof warning, "%s:%d:%d: unknown field %s ignored", r->path, line, column,
             quoted);
    if (string_list_push(r->warnings, warning) != 0)
      return pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
  }
  return PIO_OK;
}

pio_status mf_refuse_unknown(const mf_reader *r, const json_object *object, const char *prefix,
                             const char *const *known) {
  json_object_object_foreach((json_object *)object, key, value) {
    (void)value;
    if (is_known(key, known)) continue;
    char names[256] = "", quoted[160];
    for (const char *const *k = known; *k != NULL; k++) {
      strncat(names, k != known ? ", " : "", sizeof names - strlen(names) - 1);
      strncat(names, *k, sizeof names - strlen(names) - 1);
    }
    char full[256];
    snprintf(full, sizeof full, "%s.%s", prefix, key);
    return mf_fail(r, object, key, full, PIO_ERR_INVALID, "unknown field %s: expected one of %s "
                   "(a need the host cannot check must not be ignored)",
                   pio_json_quote(key, quoted, sizeof quoted), names);
  }
  return PIO_OK;
}

/* ---- readers ---- */

static const char *type_phrase(json_type type) {
  return type == json_type_double ? "a number" : pio_json_type_phrase(type);
}

pio_status mf_member(const mf_reader *r, const json_object *object, const char *key,
                     const char *field, int required, json_type type, json_object **out) {
  json_object *value = NULL;
  *out = NULL;
  if (!json_object_object_get_ex(object, key, &value)) {
    if (!required) return PIO_OK;
    return mf_fail(r, object, NULL, field, PIO_ERR_INVALID, "missing required field");
  }
  json_type found = json_object_get_type(value);
  int ok = found == type || (type == json_type_double && found == json_type_int);
  if (!ok)
    return mf_fail(r, object, key, field, PIO_ERR_INVALID, "expected %s, found %s",
                   type_phrase(type), pio_json_type_phrase(found));
  *out = value;
  return PIO_OK;
}

/* Checks one JSON string value; `at`/`key` locate it for messages. */
static pio_status check_text(const mf_reader *r, const json_object *at, const char *key,
                             const char *field, const json_object *value, size_t max_bytes,
                             mf_rule rule) {
  const char *text = json_object_get_string((json_object *)value);
  size_t len = (size_t)json_object_get_string_len(value);
  if (strlen(text) != len)
    return mf_fail(r, at, key, field, PIO_ERR_INVALID,
                   "expected text without NUL characters, found \\u0000");
  if (len > max_bytes)
    return mf_fail(r, at, key, field, PIO_ERR_INVALID,
                   "expected at most %zu bytes of text, found %zu", max_bytes, len);
  const char *expected = rule != NULL ? rule(text) : NULL;
  if (expected != NULL) {
    char quoted[200];
    pio_json_quote(text, quoted, sizeof quoted);
    return mf_fail(r, at, key, field, PIO_ERR_INVALID, "expected %s, found %s", expected, quoted);
  }
  return PIO_OK;
}

pio_status mf_text(const mf_reader *r, const json_object *object, const char *key,
                   const char *field, int required, size_t max_bytes, mf_rule rule, char **out) {
  json_object *value;
  pio_status s = mf_member(r, object, key, field, required, json_type_string, &value);
  if (s != PIO_OK || value == NULL) return s;
  s = check_text(r, object, key, field, value, max_bytes, rule);
  if (s != PIO_OK) return s;
  char *copy = strdup(json_object_get_string(value));
  if (copy == NULL) return pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
  free(*out);
  *out = copy;
  return PIO_OK;
}

pio_status mf_text_list(const mf_reader *r, const json_object *object, const char *key,
                        const char *field, size_t max_items, size_t max_bytes, mf_rule rule,
                        pio_string_list *out) {
  json_object *array;
  pio_status s = mf_member(r, object, key, field, 0, json_type_array, &array);
  if (s != PIO_OK || array == NULL) return s;
  size_t n = json_object_array_length(array);
  if (n > max_items)
    return mf_fail(r, object, key, field, PIO_ERR_INVALID,
                   "expected at most %zu entries, found %zu", max_items, n);
  for (size_t i = 0; i < n; i++) {
    json_object *item = json_object_array_get_idx(array, i);
    char element[160];
    snprintf(element, sizeof element, "%s[%zu]", field, i);
    /* A JSON null has no position of its own: report the array's. */
    const json_object *at = item != NULL ? item : array;
    if (!json_object_is_type(item, json_type_string))
      return mf_fail(r, at, NULL, element, PIO_ERR_INVALID, "expected a string, found %s",
                     pio_json_type_phrase(json_object_get_type(item)));
    s = check_text(r, at, NULL, element, item, max_bytes, rule);
    if (s != PIO_OK) return s;
    for (size_t j = 0; j < out->count; j++)
      if (strcmp(out->items[j], json_object_get_string(item)) == 0)
        return mf_fail(r, at, NULL, element, PIO_ERR_INVALID,
                       "expected each entry once, found a repeat of entry %zu", j);
    if (string_list_push(out, json_object_get_string(item)) != 0)
      return pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
  }
  return PIO_OK;
}

pio_status mf_number(const mf_reader *r, const json_object *object, const char *key,
                     const char *field, double min, double max, double *out) {
  json_object *value;
  pio_status s = mf_member(r, object, key, field, 0, json_type_double, &value);
  if (s != PIO_OK || value == NULL) return s;
  double d = json_object_get_double(value);
  if (!(d >= min && d <= max)) /* also catches NaN and infinities */
    return mf_fail(r, object, key, field, PIO_ERR_INVALID,
                   "expected a number from %.10g to %.10g, found %.10g", min, max, d);
  *out = d;
  return PIO_OK;
}

pio_status mf_count(const mf_reader *r, const json_object *object, const char *key,
                    const char *field, uint64_t max, uint64_t *out) {
  json_object *value;
  pio_status s = mf_member(r, object, key, field, 0, json_type_int, &value);
  if (s != PIO_OK || value == NULL) return s;
  int64_t i = json_object_get_int64(value);
  uint64_t u = i == INT64_MAX ? json_object_get_uint64(value) : (uint64_t)i;
  if (i < 0 || u > max)
    return mf_fail(r, object, key, field, PIO_ERR_INVALID,
                   "expected an integer from 0 to %llu, found %s%llu", (unsigned long long)max,
                   i < 0 ? "-" : "",
                   i < 0 ? (unsigned long long)-(i + 1) + 1 : (unsigned long long)u);
  *out = u;
  return PIO_OK;
}

pio_status mf_cpu_features(const mf_reader *r, const json_object *object, const char *prefix,
                           pio_string_list *names, pio_cpu_features *mask) {
  char field[96];
  snprintf(field, sizeof field, "%s.cpu_features", prefix);
  pio_string_list given = {0};
  pio_status s = mf_text_list(r, object, "cpu_features", field, 64, 32, NULL, &given);
  json_object *array = NULL;
  json_object_object_get_ex(object, "cpu_features", &array);
  for (size_t i = 0; s == PIO_OK && i < given.count; i++) {
    pio_cpu_feature f;
    if (pio_cpu_feature_parse(given.items[i], &f) != 0) {
      char element[128], quoted[96], known[512] = "";
      for (int k = 0; k < PIO_CPU_FEATURE_COUNT; k++) {
        strncat(known, k ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, pio_cpu_feature_name((pio_cpu_feature)k), sizeof known - strlen(known) - 1);
      }
      snprintf(element, sizeof element, "%s[%zu]", field, i);
      s = mf_fail(r, json_object_array_get_idx(array, i), NULL, element, PIO_ERR_INVALID,
                  "expected a known CPU feature (%s), found %s", known,
                  pio_json_quote(given.items[i], quoted, sizeof quoted));
    } else if (!(*mask & (1ull << f))) {
      *mask |= 1ull << f;
      if (string_list_push(names, pio_cpu_feature_name(f)) != 0)
        s = pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
    }
  }
  string_list_clear(&given);
  return s;
}
