/* tests/test_plugin_check.c — pio_plugin_check_host, the check every
 * plugin's entry function makes first.  Includes pio/sdk.h alone, as a
 * plugin author would: it must bring everything. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pio/sdk.h"

static pio_host_services host_of_this_abi(void) {
  pio_host_services host;
  memset(&host, 0, sizeof host);
  host.struct_size = sizeof host;
  host.abi_major = PIO_ABI_MAJOR;
  host.abi_minor = PIO_ABI_MINOR;
  return host;
}

START_TEST(test_host_of_this_major_passes) {
  pio_host_services host = host_of_this_abi();
  host.abi_minor = PIO_ABI_MINOR + 7; /* a newer minor works */
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_plugin_check_host(&host, "toy", &err), PIO_OK);
  ck_assert_int_eq(err.code, PIO_OK);
}
END_TEST

START_TEST(test_host_of_another_major_is_refused_naming_both) {
  pio_host_services host = host_of_this_abi();
  host.abi_major = PIO_ABI_MAJOR + 1;
  pio_error err;
  ck_assert_int_eq(pio_plugin_check_host(&host, "toy", &err), PIO_ERR_ABI);
  ck_assert_msg(strstr(err.message, "toy: built for pio ABI") != NULL, "%s", err.message);
  char host_abi[32];
  snprintf(host_abi, sizeof host_abi, "host speaks %d.%d", PIO_ABI_MAJOR + 1, PIO_ABI_MINOR);
  ck_assert_msg(strstr(err.message, host_abi) != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_missing_or_truncated_host_table_is_refused) {
  pio_error err;
  ck_assert_int_eq(pio_plugin_check_host(NULL, "toy", &err), PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(err.message, "toy: host services table missing or too small"));
  pio_host_services host = host_of_this_abi();
  host.struct_size = offsetof(pio_host_services, abi_minor); /* abi_minor cut off */
  ck_assert_int_eq(pio_plugin_check_host(&host, "toy", &err), PIO_ERR_ABI);
}
END_TEST

int main(void) {
  Suite *s = suite_create("plugin_check");
  TCase *c = tcase_create("core");
  tcase_add_test(c, test_host_of_this_major_passes);
  tcase_add_test(c, test_host_of_another_major_is_refused_naming_both);
  tcase_add_test(c, test_missing_or_truncated_host_table_is_refused);
  suite_add_tcase(s, c);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? 0 : 1;
}
