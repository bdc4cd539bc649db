/* tests/config_file_helpers.h — config.json files written for one test (a
 * document as given, or a base document with one member changed) and the
 * checks on what a config parser makes of them: the values, or the status
 * and the message naming the file.  Shared by the SDK's and the plugins'
 * config suites.  Header-only: each test program includes it once. */
#ifndef PIO_TEST_CONFIG_FILE_HELPERS_H
#define PIO_TEST_CONFIG_FILE_HELPERS_H

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pio/plugin.h"

/* A plugin's pio_config_api.parse_file. */
typedef pio_status (*config_parse_fn)(const char *path, pio_model_config **out, pio_error *err);

/* The file the last config_write_* call wrote; the test unlinks it. */
static char config_path[256];

/* Writes text to a new file under $TMPDIR (or /tmp), named in config_path. */
static inline void config_write_text(const char *text) {
  snprintf(config_path, sizeof config_path, "%s/pio_test_config_XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  int fd = mkstemp(config_path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* Writes base (consumed: it is put here) with member key of object parent
 * ("" for the top) set to json_value, parsed, or removed when json_value is
 * NULL.  Pretty-printed, so every member has a line of its own. */
static inline void config_write_with(json_object *base, const char *parent,
                                     const char *key, const char *json_value) {
  ck_assert_ptr_nonnull(base);
  json_object *target = base;
  if (parent[0] != '\0') ck_assert(json_object_object_get_ex(base, parent, &target));
  if (json_value == NULL) {
    json_object_object_del(target, key);
  } else {
    json_object *v = json_tokener_parse(json_value);
    if (v == NULL) ck_assert_str_eq(json_value, "null");
    json_object_object_add(target, key, v);
  }
  config_write_text(json_object_to_json_string_ext(base, JSON_C_TO_STRING_PRETTY));
  json_object_put(base);
}

/* Asserts that message names config_path and holds fragment and fragment2
 * (either may be NULL). */
static inline void config_assert_message(const char *message, const char *fragment,
                                         const char *fragment2) {
  ck_assert_msg(strstr(message, config_path) != NULL, "no path in: %s", message);
  if (fragment != NULL)
    ck_assert_msg(strstr(message, fragment) != NULL, "no '%s' in: %s", fragment, message);
  if (fragment2 != NULL)
    ck_assert_msg(strstr(message, fragment2) != NULL, "no '%s' in: %s", fragment2, message);
}

/* Parses config_path with parse and unlinks it, expecting status, no
 * config, and a message holding the path, fragment and fragment2 (fragment2
 * may be NULL). */
static inline void config_expect_error(config_parse_fn parse, pio_status status,
                                       const char *fragment, const char *fragment2) {
  pio_model_config *c = NULL;
  pio_error err = {0};
  pio_status s = parse(config_path, &c, &err);
  unlink(config_path);
  ck_assert_ptr_null(c);
  ck_assert_msg(s == status, "status %d, expected %d: %s", (int)s, (int)status, err.message);
  config_assert_message(err.message, fragment, fragment2);
}

/* Parses path with parse, which must succeed; the caller frees the result. */
static inline pio_model_config *config_parse_ok(config_parse_fn parse, const char *path) {
  pio_model_config *c = NULL;
  pio_error err = {0};
  pio_status s = parse(path, &c, &err);
  ck_assert_msg(s == PIO_OK, "parse failed: %s", err.message);
  ck_assert_ptr_nonnull(c);
  return c;
}

/* Writes text, parses it with parse (which must succeed) and unlinks it;
 * the caller frees the result. */
static inline pio_model_config *config_parse_text(config_parse_fn parse, const char *text) {
  config_write_text(text);
  pio_model_config *c = NULL;
  pio_error err = {0};
  pio_status s = parse(config_path, &c, &err);
  unlink(config_path);
  ck_assert_msg(s == PIO_OK, "parse failed: %s", err.message);
  ck_assert_ptr_nonnull(c);
  return c;
}

#endif
