/* tests/test_json.c — the SDK's JSON reader: limits, line:column errors,
 * the strict second pass, positions, typed getters, message quoting. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pio/json.h"
#include "../sdk/src/json_internal.h" /* pio_json_check_and_locate */

#define ASSERT_HAS(message, needle) \
  ck_assert_msg(strstr((message), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (message))

static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pio-test-json-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static char *tmp_file(const char *name, const char *text, size_t len) {
  static char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, len, f), len);
  fclose(f);
  return path;
}

/* Parses text; returns the status and leaves the message in err. */
static pio_status parse(const char *text, size_t len, int depth, pio_error *err) {
  json_object *root = NULL;
  pio_status s = pio_json_parse_buffer("doc.json", text, len, depth, &root, NULL, err);
  if (s == PIO_OK) ck_assert_ptr_nonnull(root);
  else ck_assert_ptr_null(root);
  json_object_put(root);
  return s;
}

static pio_status parse_str(const char *text, pio_error *err) {
  return parse(text, strlen(text), 0, err);
}

/* Positions are found in one pass over the text: every member of a long
 * document, nested values included, still has its own line and column. */
/* A constructor that failed (NULL) fails the document; a value that
 * cannot be inserted (no parent: it failed) is freed, not leaked (ASan). */
START_TEST(test_build_failure_frees_values_and_fails_the_document) {
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, json_object_new_object());
  pio_json_set(&b, doc, "null", NULL); /* JSON null, not a failure */
  pio_json_set(&b, doc, "text", pio_json_text(&b, NULL));
  ck_assert_int_eq(b.failed, 0);
  pio_json_set(&b, NULL, "lost", pio_json_text(&b, "freed"));
  ck_assert_int_ne(b.failed, 0);
  pio_json_build c = {0};
  pio_json_push(&c, NULL, json_object_new_int(7));
  ck_assert_int_ne(c.failed, 0);
  pio_json_build d = {0};
  ck_assert_ptr_null(pio_json_made(&d, NULL));
  ck_assert_int_ne(d.failed, 0);
  ck_assert_ptr_null(pio_json_done(&b, doc)); /* doc freed */
  pio_json_build e = {0};
  json_object *ok = pio_json_made(&e, json_object_new_array());
  pio_json_push(&e, ok, pio_json_text(&e, "kept"));
  ck_assert_ptr_eq(pio_json_done(&e, ok), ok);
  ck_assert_int_eq((int)json_object_array_length(ok), 1);
  json_object_put(ok);
}
END_TEST

/* json-c 0.16's tokener drops a member (key and value) when its insertion
 * fails for want of memory, and an array element likewise, and reports
 * success: the second pass finds each member of the text in the tree, so
 * a document missing one is "out of memory", not a manifest "missing a
 * required field".  (Simulated: the member is taken out after parsing.) */
START_TEST(test_a_member_json_c_dropped_is_out_of_memory) {
  static const char text[] = "{\"name\": \"x\", \"list\": [1, 2], \"version\": \"1.0.0\"}";
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_buffer("t.json", text, strlen(text), 0, &root, NULL, &err),
                   PIO_OK);
  ck_assert_int_eq(pio_json_check_and_locate("t.json", text, strlen(text), root, NULL, &err),
                   PIO_OK);
  json_object_object_del(root, "name");
  ck_assert_int_eq(pio_json_check_and_locate("t.json", text, strlen(text), root, NULL, &err),
                   PIO_ERR_NO_MEMORY);
  ck_assert_ptr_nonnull(strstr(err.message, "t.json: out of memory while parsing"));
  json_object_put(root);
  ck_assert_int_eq(pio_json_parse_buffer("t.json", text, strlen(text), 0, &root, NULL, &err),
                   PIO_OK);
  json_object *list = NULL;
  ck_assert(json_object_object_get_ex(root, "list", &list));
  json_object_array_del_idx(list, 1, 1);
  ck_assert_int_eq(pio_json_check_and_locate("t.json", text, strlen(text), root, NULL, &err),
                   PIO_ERR_NO_MEMORY);
  json_object_put(root);
}
END_TEST

START_TEST(test_positions_of_a_long_document_are_each_right) {
  enum { members = 400 };
  char *text = malloc(members * 64 + 16);
  ck_assert_ptr_nonnull(text);
  size_t n = (size_t)sprintf(text, "{\n");
  for (int i = 0; i < members; i++) /* line i + 2: '  "kI": [I, {"\xc3\xa9": I}]' */
    n += (size_t)sprintf(text + n, "  \"k%d\": [%d, {\"\xc3\xa9\": %d}]%s\n", i, i, i,
                         i + 1 < members ? "," : "");
  sprintf(text + n, "}");
  json_object *root = NULL;
  pio_json_positions *pos = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_buffer("long.json", text, strlen(text), 0, &root, &pos, &err),
                   PIO_OK);
  for (int i = 0; i < members; i += 37) {
    char key[16];
    snprintf(key, sizeof key, "k%d", i);
    int line = 0, column = 0, digits = snprintf(NULL, 0, "%d", i);
    ck_assert_int_eq(pio_json_position(pos, root, key, &line, &column), 0);
    ck_assert_int_eq(line, i + 2);
    ck_assert_int_eq(column, 8 + digits); /* the value, after '  "kI": ' */
    json_object *inner = json_object_array_get_idx(json_object_object_get(root, key), 1);
    ck_assert_int_eq(pio_json_position(pos, inner, "\xc3\xa9", &line, &column), 0);
    ck_assert_int_eq(line, i + 2);
    ck_assert_int_eq(column, 8 + digits + 1 + digits + 2 + 6); /* é counts one column */
  }
  pio_json_positions_free(pos);
  json_object_put(root);
  free(text);
}
END_TEST

START_TEST(test_valid_object_parses_with_positions) {
  const char *text = "{\n  \"a\": 1,\n  \"b\": [true, {\"c\": null}],\n  \"\\u00e9t\\u00e9\": \"x\"\n}";
  json_object *root = NULL;
  pio_json_positions *pos = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_buffer("doc.json", text, strlen(text), 0, &root, &pos, &err),
                   PIO_OK);
  int line = 0, column = 0;
  ck_assert_int_eq(pio_json_position(pos, root, NULL, &line, &column), 0);
  ck_assert_int_eq(line, 1);
  ck_assert_int_eq(column, 1);
  ck_assert_int_eq(pio_json_position(pos, root, "b", &line, &column), 0);
  ck_assert_int_eq(line, 3);
  ck_assert_int_eq(column, 8);
  json_object *b = json_object_object_get(root, "b");
  json_object *inner = json_object_array_get_idx(b, 1);
  ck_assert_int_eq(pio_json_position(pos, inner, NULL, &line, &column), 0);
  ck_assert_int_eq(column, 15);
  /* A null member has no json_object, but its key still has a position. */
  ck_assert_int_eq(pio_json_position(pos, inner, "c", &line, &column), 0);
  ck_assert_int_eq(column, 21);
  /* Keys written with escapes are found by their decoded text. */
  ck_assert_int_eq(pio_json_position(pos, root, "\xc3\xa9t\xc3\xa9", &line, &column), 0);
  ck_assert_int_eq(line, 4);
  ck_assert_int_eq(column, 20);
  ck_assert_int_eq(pio_json_position(pos, root, "missing", &line, &column), -1);
  ck_assert_int_eq(pio_json_position(NULL, root, NULL, &line, &column), -1);
  pio_json_positions_free(pos);
  json_object_put(root);
}
END_TEST

START_TEST(test_syntax_error_reports_line_and_column) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\n  \"a\": 1,\n  \"b\": tru\n}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:3:11: invalid JSON:");
}
END_TEST

START_TEST(test_column_counts_characters_not_bytes) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"\xc3\xa9\xc3\xa9\": x}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:8:");
}
END_TEST

START_TEST(test_trailing_comma_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": 1,}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:9: invalid JSON:");
}
END_TEST

START_TEST(test_unterminated_document_is_refused_at_end) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": [1, 2", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:12: invalid JSON:");
  ASSERT_HAS(err.message, "at end of input");
}
END_TEST

START_TEST(test_empty_document_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse("", 0, 0, &err), PIO_ERR_PARSE);
  ck_assert_str_eq(err.message, "doc.json:1:1: invalid JSON: the document is empty");
  ck_assert_int_eq(parse_str(" \n\t ", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "the document is empty");
}
END_TEST

START_TEST(test_nul_byte_is_refused_with_position) {
  pio_error err = {0};
  ck_assert_int_eq(parse("{\"a\": \"b\0c\"}", 12, 0, &err), PIO_ERR_PARSE);
  ck_assert_str_eq(err.message, "doc.json:1:9: invalid JSON: NUL byte in the text (found byte 0x00)");
}
END_TEST

START_TEST(test_invalid_utf8_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": \"caf\xe9\"}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:");
  ASSERT_HAS(err.message, "not valid UTF-8");
}
END_TEST

/* RFC 3629 forms json-c's UTF-8 check lets through: each is refused
 * where it stands, in a value or in a key. */
START_TEST(test_overlong_surrogate_and_too_large_utf8_are_refused) {
  static const char *const bad[] = {
      "{\"a\": \"\xc0\xaf\"}",             /* '/' in two bytes */
      "{\"a\": \"\xe0\x80\xaf\"}",         /* '/' in three */
      "{\"a\": \"\xf0\x80\x80\xaf\"}",     /* '/' in four */
      "{\"a\": \"\xed\xa0\x80\"}",         /* U+D800 encoded */
      "{\"a\": \"\xed\xbf\xbf\"}",         /* U+DFFF encoded */
      "{\"a\": \"\xf4\x90\x80\x80\"}",     /* U+110000 */
      "{\"a\": \"\xf5\x80\x80\x80\"}",     /* lead byte past U+10FFFF */
      "{\"hidden\xc0\xafsize\": 1}",       /* in a key */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pio_error err = {0};
    ck_assert_msg(parse_str(bad[i], &err) == PIO_ERR_PARSE, "case %zu accepted", i);
    ASSERT_HAS(err.message, "not valid UTF-8");
    ASSERT_HAS(err.message, "doc.json:1:");
  }
  /* The largest code points of each length are fine. */
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": \"\x7f \xdf\xbf \xef\xbf\xbf \xf4\x8f\xbf\xbf\"}", &err),
                   PIO_OK);
}
END_TEST

/* json-c's keys are C strings: "hidden_size\u0000x" would be read as
 * hidden_size (a tensor name likewise), so it is refused. */
START_TEST(test_nul_escape_inside_a_key_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"hidden_size\": 1, \"hidden_size\\u0000x\": 2}", &err),
                   PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:32:");
  ASSERT_HAS(err.message, "\\u0000 inside a key");
  ck_assert_int_eq(parse_str("{\"\\u0000\": 1}", &err), PIO_ERR_PARSE);
}
END_TEST

START_TEST(test_lone_surrogate_escape_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": \"x\\ud800y\"}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:9:");
  ASSERT_HAS(err.message, "lone surrogate");
  ck_assert_int_eq(parse_str("{\"a\": \"\\udc00\"}", &err), PIO_ERR_PARSE);
  ck_assert_int_eq(parse_str("{\"a\": \"\\ud83d\\ude00\"}", &err), PIO_OK); /* a pair */
}
END_TEST

START_TEST(test_duplicate_key_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": 1,\n \"a\": 2}", &err), PIO_ERR_PARSE);
  ck_assert_str_eq(err.message, "doc.json:2:2: invalid JSON: duplicate key \"a\" "
                                "(its first value is at line 1, column 7)");
}
END_TEST

START_TEST(test_duplicate_key_spelled_with_escape_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"ab\": 1, \"a\\u0062\": 2}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "duplicate key \"ab\"");
}
END_TEST

START_TEST(test_same_key_in_different_objects_is_fine) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("[{\"a\": 1}, {\"a\": 2}, {\"o\": {\"a\": 3}, \"a\": 4}]", &err),
                   PIO_OK);
}
END_TEST

START_TEST(test_single_quotes_are_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{'a': 1}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:2: invalid JSON:");
}
END_TEST

START_TEST(test_nan_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": NaN}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:7: invalid JSON:");
  ASSERT_HAS(err.message, "NaN and Infinity are not JSON");
}
END_TEST

START_TEST(test_raw_control_character_in_string_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": \"x\ty\"}", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:1:9: invalid JSON: control character inside a string");
}
END_TEST

START_TEST(test_text_after_document_is_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("{\"a\": 1}\n x", &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "doc.json:2:2: invalid JSON:");
}
END_TEST

START_TEST(test_top_level_scalar_parses) {
  pio_error err = {0};
  ck_assert_int_eq(parse_str("42", &err), PIO_OK);
  ck_assert_int_eq(parse_str("true", &err), PIO_OK);
}
END_TEST

START_TEST(test_depth_at_limit_is_accepted_and_above_refused) {
  pio_error err = {0};
  ck_assert_int_eq(parse("[[[[1]]]]", 9, 4, &err), PIO_OK);
  ck_assert_int_eq(parse("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", 25, 4, &err), PIO_OK);
  ck_assert_int_eq(parse("[[[[[1]]]]]", 11, 4, &err), PIO_ERR_LIMIT);
  ASSERT_HAS(err.message, "doc.json:1:");
  ASSERT_HAS(err.message, "nested deeper than the limit of 4 levels");
}
END_TEST

START_TEST(test_200000_deep_document_is_refused) {
  size_t n = 200000;
  char *text = malloc(n);
  ck_assert_ptr_nonnull(text);
  memset(text, '[', n);
  pio_error err = {0};
  ck_assert_int_eq(parse(text, n, 0, &err), PIO_ERR_LIMIT);
  ASSERT_HAS(err.message, "nested deeper than the limit of 64 levels");
  /* Even a caller asking for an absurd depth gets the ceiling, not a
   * recursion that overflows the stack. */
  ck_assert_int_eq(parse(text, n, 1000000, &err), PIO_ERR_LIMIT);
  free(text);
}
END_TEST

START_TEST(test_64_mib_file_is_refused_before_reading) {
  make_tmpdir();
  char path[128];
  snprintf(path, sizeof path, "%s/big.json", tmpdir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 64 << 20), 0); /* sparse: costs no disk */
  close(fd);
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_file(path, 0, 0, &root, NULL, &err), PIO_ERR_LIMIT);
  ASSERT_HAS(err.message, "big.json: file is 67108864 bytes, over the limit of 4194304 bytes");
  ck_assert_ptr_null(root);
  remove_tmpdir();
}
END_TEST

START_TEST(test_file_at_exact_size_limit_is_read) {
  make_tmpdir();
  const char *path = tmp_file("ok.json", "{\"a\": 1}", 8);
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_file(path, 8, 0, &root, NULL, &err), PIO_OK);
  json_object_put(root);
  ck_assert_int_eq(pio_json_parse_file(path, 7, 0, &root, NULL, &err), PIO_ERR_LIMIT);
  remove_tmpdir();
}
END_TEST

START_TEST(test_file_syntax_error_names_the_path) {
  make_tmpdir();
  const char *path = tmp_file("bad.json", "{\n\"a\" 1}", 8);
  char expected[160];
  snprintf(expected, sizeof expected, "%s:2:5: invalid JSON:", path);
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_file(path, 0, 0, &root, NULL, &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, expected);
  remove_tmpdir();
}
END_TEST

START_TEST(test_missing_file_is_not_found) {
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_file("/nonexistent/x.json", 0, 0, &root, NULL, &err),
                   PIO_ERR_NOT_FOUND);
  ASSERT_HAS(err.message, "/nonexistent/x.json: cannot open:");
}
END_TEST

START_TEST(test_directory_and_fifo_are_refused_without_blocking) {
  make_tmpdir();
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_file(tmpdir, 0, 0, &root, NULL, &err), PIO_ERR_IO);
  ASSERT_HAS(err.message, "not a regular file");
  char fifo[128];
  snprintf(fifo, sizeof fifo, "%s/fifo.json", tmpdir);
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);
  ck_assert_int_eq(pio_json_parse_file(fifo, 0, 0, &root, NULL, &err), PIO_ERR_IO);
  ASSERT_HAS(err.message, "not a regular file");
  remove_tmpdir();
}
END_TEST

/* ---- getters ---- */

static json_object *doc(const char *text) {
  json_object *root = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_parse_buffer("t", text, strlen(text), 0, &root, NULL, &err), PIO_OK);
  return root;
}

START_TEST(test_get_u32_reads_value_in_range) {
  json_object *o = doc("{\"n\": 7}");
  uint32_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "n", 1, 1, 10, &v, &err), PIO_OK);
  ck_assert_uint_eq(v, 7);
  json_object_put(o);
}
END_TEST

START_TEST(test_get_missing_required_field_is_named) {
  json_object *o = doc("{}");
  uint32_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "n", 1, 0, 10, &v, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: missing required field 'n'");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_missing_optional_field_keeps_default) {
  json_object *o = doc("{}");
  uint32_t v = 5;
  uint64_t w = 6;
  double d = 1.5;
  int b = 1;
  const char *s = "keep";
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c", "n", 0, 0, 10, &v, &err), PIO_OK);
  ck_assert_int_eq(pio_json_get_u64(o, "c", "n", 0, 0, 10, &w, &err), PIO_OK);
  ck_assert_int_eq(pio_json_get_double(o, "c", "n", 0, 0, 10, &d, &err), PIO_OK);
  ck_assert_int_eq(pio_json_get_bool(o, "c", "n", 0, &b, &err), PIO_OK);
  ck_assert_int_eq(pio_json_get_string(o, "c", "n", 0, &s, &err), PIO_OK);
  ck_assert_uint_eq(v, 5);
  ck_assert_uint_eq(w, 6);
  ck_assert_double_eq(d, 1.5);
  ck_assert_int_eq(b, 1);
  ck_assert_str_eq(s, "keep");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_wrong_type_names_expected_and_found) {
  json_object *o = doc("{\"n\": \"7\", \"f\": 1.5, \"b\": 1, \"s\": [1]}");
  uint32_t v = 0;
  int b = 0;
  const char *s = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "n", 1, 0, 10, &v, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: field 'n': expected an integer, found a string");
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "f", 1, 0, 10, &v, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message,
                   "c.json: field 'f': expected an integer, found a number with a fraction");
  ck_assert_int_eq(pio_json_get_bool(o, "c.json", "b", 1, &b, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: field 'b': expected true or false, found an integer");
  ck_assert_int_eq(pio_json_get_string(o, "c.json", "s", 1, &s, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: field 's': expected a string, found an array");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_out_of_range_integer_is_refused) {
  json_object *o = doc("{\"big\": 300, \"neg\": -3}");
  uint32_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "big", 1, 1, 100, &v, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: field 'big': expected an integer from 1 to 100, found 300");
  ck_assert_int_eq(pio_json_get_u32(o, "c.json", "neg", 1, 0, 100, &v, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c.json: field 'neg': expected an integer from 0 to 100, found -3");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_u64_reads_values_above_int64) {
  json_object *o = doc("{\"n\": 18446744073709551615}");
  uint64_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u64(o, "c", "n", 1, 0, UINT64_MAX, &v, &err), PIO_OK);
  ck_assert(v == UINT64_MAX);
  json_object_put(o);
}
END_TEST

START_TEST(test_get_u32_refuses_values_above_u32) {
  json_object *o = doc("{\"n\": 4294967296}");
  uint32_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c", "n", 1, 0, UINT32_MAX, &v, &err), PIO_ERR_INVALID);
  ASSERT_HAS(err.message, "found 4294967296");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_double_accepts_integers_and_checks_range) {
  json_object *o = doc("{\"i\": 3, \"d\": 2.5e-3, \"x\": 1e400}");
  double d = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_double(o, "c", "i", 1, 0, 10, &d, &err), PIO_OK);
  ck_assert_double_eq(d, 3.0);
  ck_assert_int_eq(pio_json_get_double(o, "c", "d", 1, 0, 10, &d, &err), PIO_OK);
  ck_assert_double_eq_tol(d, 0.0025, 1e-12);
  ck_assert_int_eq(pio_json_get_double(o, "c", "i", 1, 4, 10, &d, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "c: field 'i': expected a number from 4 to 10, found 3");
  /* Out of double range: json-c makes it infinite; refused whatever max says. */
  ck_assert_int_eq(pio_json_get_double(o, "c", "x", 1, 0, 1e308 * 10, &d, &err), PIO_ERR_INVALID);
  json_object_put(o);
}
END_TEST

START_TEST(test_get_string_and_bool_read_values) {
  json_object *o = doc("{\"s\": \"hi\", \"b\": false}");
  const char *s = NULL;
  int b = 1;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_string(o, "c", "s", 1, &s, &err), PIO_OK);
  ck_assert_str_eq(s, "hi");
  ck_assert_int_eq(pio_json_get_bool(o, "c", "b", 1, &b, &err), PIO_OK);
  ck_assert_int_eq(b, 0);
  json_object_put(o);
}
END_TEST

/* A value may hold \u0000 (JSON allows it) but every C reader would stop
 * there: the typed getter refuses it, naming the field. */
START_TEST(test_get_string_refuses_a_nul_inside_the_value) {
  json_object *o = doc("{\"architectures\": \"LlamaForCausalLM\\u0000evil\"}");
  const char *s = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_string(o, "config.json", "architectures", 1, &s, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_null(s);
  ASSERT_HAS(err.message, "config.json: \"architectures\"");
  ASSERT_HAS(err.message, "NUL character");
  json_object_put(o);
}
END_TEST

START_TEST(test_get_on_non_object_is_an_argument_error) {
  json_object *o = doc("[1]");
  uint32_t v = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_json_get_u32(o, "c", "n", 1, 0, 1, &v, &err), PIO_ERR_INVALID_ARGUMENT);
  json_object_put(o);
}
END_TEST

START_TEST(test_quote_escapes_controls_and_bad_bytes) {
  char out[64];
  ck_assert_str_eq(pio_json_quote("a\"b\\c", out, sizeof out), "\"a\\\"b\\\\c\"");
  ck_assert_str_eq(pio_json_quote("x\n\x1b[31m", out, sizeof out), "\"x\\n\\u001B[31m\"");
  ck_assert_str_eq(pio_json_quote("\xff\xc3\xa9", out, sizeof out), "\"\\xFF\xc3\xa9\"");
  ck_assert_str_eq(pio_json_quote("\xc2\x9b", out, sizeof out), "\"\\u009B\"");
  ck_assert_str_eq(pio_json_quote(NULL, out, sizeof out), "null");
}
END_TEST

START_TEST(test_quote_truncates_long_text) {
  char out[12];
  pio_json_quote("abcdefghijklmnop", out, sizeof out);
  ck_assert_str_eq(out, "\"abcdef...\"");
  ck_assert_uint_lt(strlen(out), sizeof out);
}
END_TEST

START_TEST(test_type_phrases) {
  ck_assert_str_eq(pio_json_type_phrase(json_type_object), "an object");
  ck_assert_str_eq(pio_json_type_phrase(json_type_null), "null");
  ck_assert_str_eq(pio_json_type_phrase(json_type_string), "a string");
}
END_TEST

int main(void) {
  Suite *s = suite_create("json");
  TCase *p = tcase_create("parse");
  tcase_add_test(p, test_valid_object_parses_with_positions);
  tcase_add_test(p, test_positions_of_a_long_document_are_each_right);
  tcase_add_test(p, test_syntax_error_reports_line_and_column);
  tcase_add_test(p, test_column_counts_characters_not_bytes);
  tcase_add_test(p, test_trailing_comma_is_refused);
  tcase_add_test(p, test_unterminated_document_is_refused_at_end);
  tcase_add_test(p, test_empty_document_is_refused);
  tcase_add_test(p, test_nul_byte_is_refused_with_position);
  tcase_add_test(p, test_invalid_utf8_is_refused);
  tcase_add_test(p, test_overlong_surrogate_and_too_large_utf8_are_refused);
  tcase_add_test(p, test_nul_escape_inside_a_key_is_refused);
  tcase_add_test(p, test_lone_surrogate_escape_is_refused);
  tcase_add_test(p, test_duplicate_key_is_refused);
  tcase_add_test(p, test_duplicate_key_spelled_with_escape_is_refused);
  tcase_add_test(p, test_same_key_in_different_objects_is_fine);
  tcase_add_test(p, test_single_quotes_are_refused);
  tcase_add_test(p, test_nan_is_refused);
  tcase_add_test(p, test_raw_control_character_in_string_is_refused);
  tcase_add_test(p, test_text_after_document_is_refused);
  tcase_add_test(p, test_top_level_scalar_parses);
  tcase_add_test(p, test_depth_at_limit_is_accepted_and_above_refused);
  tcase_add_test(p, test_200000_deep_document_is_refused);
  suite_add_tcase(s, p);
  TCase *f = tcase_create("file");
  tcase_add_test(f, test_64_mib_file_is_refused_before_reading);
  tcase_add_test(f, test_file_at_exact_size_limit_is_read);
  tcase_add_test(f, test_file_syntax_error_names_the_path);
  tcase_add_test(f, test_missing_file_is_not_found);
  tcase_add_test(f, test_directory_and_fifo_are_refused_without_blocking);
  suite_add_tcase(s, f);
  TCase *g = tcase_create("get");
  tcase_add_test(g, test_get_u32_reads_value_in_range);
  tcase_add_test(g, test_get_missing_required_field_is_named);
  tcase_add_test(g, test_get_missing_optional_field_keeps_default);
  tcase_add_test(g, test_get_wrong_type_names_expected_and_found);
  tcase_add_test(g, test_get_out_of_range_integer_is_refused);
  tcase_add_test(g, test_get_u64_reads_values_above_int64);
  tcase_add_test(g, test_get_u32_refuses_values_above_u32);
  tcase_add_test(g, test_get_double_accepts_integers_and_checks_range);
  tcase_add_test(g, test_get_string_and_bool_read_values);
  tcase_add_test(g, test_get_string_refuses_a_nul_inside_the_value);
  tcase_add_test(g, test_get_on_non_object_is_an_argument_error);
  tcase_add_test(g, test_quote_escapes_controls_and_bad_bytes);
  tcase_add_test(g, test_quote_truncates_long_text);
  tcase_add_test(g, test_type_phrases);
  tcase_add_test(g, test_build_failure_frees_values_and_fails_the_document);
  tcase_add_test(g, test_a_member_json_c_dropped_is_out_of_memory);
  suite_add_tcase(s, g);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
