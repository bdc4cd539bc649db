/* tests/test_number.c — pio_parse_u64, pio_parse_u64_explained and pio_parse_double: what a
 * command line or an environment variable may hold, taken or refused whole. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pio/number.h"

START_TEST(test_plain_decimals_in_range_are_taken) {
  uint64_t v = 0;
  ck_assert_int_eq(pio_parse_u64("0", 0, 10, &v), 0);
  ck_assert_uint_eq(v, 0);
  ck_assert_int_eq(pio_parse_u64("007", 0, 10, &v), 0);
  ck_assert_uint_eq(v, 7);
  ck_assert_int_eq(pio_parse_u64("10", 1, 10, &v), 0); /* both ends belong */
  ck_assert_uint_eq(v, 10);
  ck_assert_int_eq(pio_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
  ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(test_anything_else_is_refused_and_leaves_out_alone) {
  static const char *const bad[] = {"", " 1", "1 ", "+1", "-1", "1x", "3.0", "0x10", "1e3",
                                    "18446744073709551616", "99999999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v = 42;
    ck_assert_msg(pio_parse_u64(bad[i], 0, UINT64_MAX, &v) == -1, "'%s' was taken", bad[i]);
    ck_assert_uint_eq(v, 42);
  }
  uint64_t v = 42;
  ck_assert_int_eq(pio_parse_u64(NULL, 0, 10, &v), -1);
  ck_assert_int_eq(pio_parse_u64("0", 1, 10, &v), -1);  /* below min */
  ck_assert_int_eq(pio_parse_u64("11", 1, 10, &v), -1); /* above max */
  ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_a_refusal_says_the_range_and_what_was_found) {
  uint64_t v = 42;
  char why[64];
  ck_assert_int_eq(pio_parse_u64_explained("12abc", 1, 256, &v, why, sizeof why), -1);
  ck_assert_str_eq(why, "expected a whole number from 1 to 256, found '12abc'");
  ck_assert_uint_eq(v, 42);
  ck_assert_int_eq(pio_parse_u64_explained(NULL, 0, 9, &v, why, sizeof why), -1);
  ck_assert_str_eq(why, "expected a whole number from 0 to 9, found ''");
  char small[16]; /* a huge value is cut, never overrun */
  ck_assert_int_eq(pio_parse_u64_explained("x", 0, 9, &v, small, sizeof small), -1);
  ck_assert_uint_eq(strlen(small), sizeof small - 1);
  strcpy(why, "untouched");
  ck_assert_int_eq(pio_parse_u64_explained("7", 0, 9, &v, why, sizeof why), 0);
  ck_assert_uint_eq(v, 7);
  ck_assert_str_eq(why, "untouched");
}
END_TEST

START_TEST(test_decimal_numbers_in_range_are_taken_and_nothing_else) {
  double v = 0;
  ck_assert_int_eq(pio_parse_double("0.5", 0, 1, &v), 0);
  ck_assert(v == 0.5);
  ck_assert_int_eq(pio_parse_double("1e3", 0, 1e6, &v), 0);
  ck_assert(v == 1000);
  ck_assert_int_eq(pio_parse_double(".25", 0, 1, &v), 0);
  ck_assert(v == 0.25);
  ck_assert_int_eq(pio_parse_double("-2", -5, 5, &v), 0);
  ck_assert(v == -2);
  v = 42;
  const char *bad[] = {"", " 1", "1 ", "+1", "0x10", "inf", "nan", "1e400", "1,5", "1.5x",
                       "-", ".", "e3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(pio_parse_double(bad[i], -1e300, 1e300, &v) == -1, "'%s' was taken", bad[i]);
  ck_assert_int_eq(pio_parse_double(NULL, 0, 1, &v), -1);
  ck_assert_int_eq(pio_parse_double("2", 0, 1, &v), -1); /* above max */
  ck_assert_int_eq(pio_parse_double("-1", 0, 1, &v), -1); /* below min */
  ck_assert(v == 42);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("number");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_plain_decimals_in_range_are_taken);
  tcase_add_test(tc, test_anything_else_is_refused_and_leaves_out_alone);
  tcase_add_test(tc, test_a_refusal_says_the_range_and_what_was_found);
  tcase_add_test(tc, test_decimal_numbers_in_range_are_taken_and_nothing_else);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
