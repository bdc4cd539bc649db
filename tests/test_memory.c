/* tests/test_memory.c — page allocations: aligned, zeroed, writable to the
 * last byte, and refusals with a message. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pio/memory.h"

START_TEST(test_pages_alloc_is_aligned_zeroed_and_writable) {
  const size_t sizes[] = {1, 4096, PIO_PAGES_ALIGN, PIO_PAGES_ALIGN + 1, 5 * PIO_PAGES_ALIGN - 3};
  for (size_t s = 0; s < 5; s++) {
    unsigned char *p = NULL;
    pio_error err = {0};
    ck_assert_int_eq(pio_pages_alloc(sizes[s], (void **)&p, &err), PIO_OK);
    ck_assert_uint_eq((uintptr_t)p % PIO_PAGES_ALIGN, 0);
    size_t nonzero = 0;
    for (size_t i = 0; i < sizes[s]; i++) nonzero += p[i] != 0;
    ck_assert_uint_eq(nonzero, 0);
    memset(p, 0xab, sizes[s]);
    ck_assert_uint_eq(p[sizes[s] - 1], 0xab);
    pio_pages_free(p, sizes[s]);
  }
  pio_pages_free(NULL, 10);
}
END_TEST

START_TEST(test_pages_alloc_of_zero_bytes_is_refused) {
  void *p = &p;
  pio_error err = {0};
  ck_assert_int_eq(pio_pages_alloc(0, &p, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "0 bytes"));
}
END_TEST

START_TEST(test_pages_alloc_too_large_is_no_memory) {
  void *p = &p;
  pio_error err = {0};
  ck_assert_int_eq(pio_pages_alloc(SIZE_MAX / 2, &p, &err), PIO_ERR_NO_MEMORY);
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(strstr(err.message, "failed"));
}
END_TEST

int main(void) {
  Suite *suite = suite_create("memory");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_pages_alloc_is_aligned_zeroed_and_writable);
  tcase_add_test(tc, test_pages_alloc_of_zero_bytes_is_refused);
  tcase_add_test(tc, test_pages_alloc_too_large_is_no_memory);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
