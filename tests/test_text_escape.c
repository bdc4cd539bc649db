/* tests/test_text_escape.c — text from manifests is made safe for a
 * terminal: control characters and invalid UTF-8 become escapes, valid
 * printable UTF-8 passes through, and JSON output stays valid JSON. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli/text_escape.h"

static void assert_escapes(const char *in, const char *want) {
  char *got = text_escape(in);
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, want);
  free(got);
}

static void assert_json_escapes(const char *in, const char *want) {
  char *got = text_escape_json(in);
  ck_assert_ptr_nonnull(got);
  ck_assert_str_eq(got, want);
  free(got);
}

/* The printers' shortcut: plain text is exactly what escaping leaves
 * unchanged among these, and only that. */
START_TEST(test_plain_text_is_what_escaping_leaves_alone) {
  const char *plain[] = {"", "llama3_1 0.1.0", "a ~!@#$%^&*()_+{}|:\"<>?`-=[];',./", NULL};
  const char *not_plain[] = {"a\\b", "tab\there", "\x1b[31mred", "del\x7f",
                             "caf\xc3\xa9", "\xff", "\x01"};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
    ck_assert_msg(text_plain_length(plain[i]) == (plain[i] != NULL ? strlen(plain[i]) : 0),
                  "plain[%zu]", i);
    assert_escapes(plain[i], plain[i] != NULL ? plain[i] : "");
  }
  for (size_t i = 0; i < sizeof not_plain / sizeof not_plain[0]; i++)
    ck_assert_msg(text_plain_length(not_plain[i]) == TEXT_NOT_PLAIN, "not_plain[%zu]", i);
}
END_TEST

START_TEST(test_printable_ascii_and_utf8_pass_through) {
  assert_escapes("LlamaForCausalLM 1.0.0", "LlamaForCausalLM 1.0.0");
  assert_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x99", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x99");
  assert_escapes(NULL, "");
}
END_TEST

START_TEST(test_terminal_escape_sequences_are_escaped) {
  assert_escapes("\x1b[2J\x1b]0;title\x07", "\\x1B[2J\\x1B]0;title\\x07");
  assert_escapes("a\nb\tc\rd", "a\\nb\\tc\\rd");
  assert_escapes("del\x7f", "del\\x7F");
}
END_TEST

START_TEST(test_c1_controls_are_escaped) {
  /* U+009B is CSI for terminals that honour C1 controls. */
  assert_escapes("x\xc2\x9b" "31m", "x\\u009B31m");
  assert_escapes("\xc2\x85", "\\u0085");
  assert_escapes("\xc2\xa0", "\xc2\xa0"); /* U+00A0 is printable */
}
END_TEST

START_TEST(test_backslash_is_doubled_so_escapes_are_unambiguous) {
  assert_escapes("C:\\x1B", "C:\\\\x1B");
}
END_TEST

START_TEST(test_invalid_utf8_bytes_are_escaped_one_by_one) {
  assert_escapes("\xff\xfe", "\\xFF\\xFE");
  assert_escapes("\xc3", "\\xC3");                   /* truncated sequence */
  assert_escapes("\xc0\xaf", "\\xC0\\xAF");          /* overlong '/' */
  assert_escapes("\xed\xa0\x80", "\\xED\\xA0\\x80"); /* a surrogate */
  assert_escapes("\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"); /* past U+10FFFF */
  assert_escapes("ok\x80ok", "ok\\x80ok");
}
END_TEST

START_TEST(test_columns_count_code_points) {
  char *escaped = text_escape("caf\xc3\xa9\x1b");
  ck_assert_uint_eq(text_columns(escaped), 8); /* c a f é \ x 1 B */
  free(escaped);
}
END_TEST

START_TEST(test_json_output_escapes_del_c1_and_invalid_bytes) {
  assert_json_escapes("[\"a\x7f" "b\"]", "[\"a\\u007fb\"]");
  assert_json_escapes("\"\xc2\x9b\"", "\"\\u009b\"");
  assert_json_escapes("\"\xff\"", "\"\\ufffd\"");
  assert_json_escapes("{\"k\": \"caf\xc3\xa9\"}", "{\"k\": \"caf\xc3\xa9\"}");
}
END_TEST

static Suite *text_escape_suite(void) {
  Suite *s = suite_create("text_escape");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_printable_ascii_and_utf8_pass_through);
  tcase_add_test(tc, test_terminal_escape_sequences_are_escaped);
  tcase_add_test(tc, test_c1_controls_are_escaped);
  tcase_add_test(tc, test_backslash_is_doubled_so_escapes_are_unambiguous);
  tcase_add_test(tc, test_invalid_utf8_bytes_are_escaped_one_by_one);
  tcase_add_test(tc, test_columns_count_code_points);
  tcase_add_test(tc, test_plain_text_is_what_escaping_leaves_alone);
  tcase_add_test(tc, test_json_output_escapes_del_c1_and_invalid_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(text_escape_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
