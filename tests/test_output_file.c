/* tests/test_output_file.c — host/cli/output_file.h: an output path checked
 * before the work leaves nothing behind, and a failed write leaves no
 * truncated file (even when the failure left errno 0). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output_file.h"

static char dir[64];
static char path[96];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/pio-output-file-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/out.json", dir);
}

static void remove_dir(void) {
  unlink(path);
  rmdir(dir);
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

START_TEST(test_a_writable_new_path_is_checked_and_not_made) {
  make_dir();
  ck_assert_int_eq(pio_output_file_check(path), 0);
  ck_assert(!exists(path));
  remove_dir();
}
END_TEST

START_TEST(test_a_path_in_a_missing_folder_or_a_folder_is_refused_with_errno) {
  make_dir();
  char missing[128];
  snprintf(missing, sizeof missing, "%s/none/out.json", dir);
  errno = 0;
  ck_assert_int_eq(pio_output_file_check(missing), -1);
  ck_assert_int_eq(errno, ENOENT);
  errno = 0;
  ck_assert_int_eq(pio_output_file_check(dir), -1);
  ck_assert_int_eq(errno, EISDIR);
  remove_dir();
}
END_TEST

START_TEST(test_a_complete_write_is_kept) {
  make_dir();
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(pio_output_file_close(f, path, fputs("{}\n", f) >= 0), 0);
  ck_assert(exists(path));
  remove_dir();
}
END_TEST

START_TEST(test_a_failed_write_is_removed_even_with_errno_zero) {
  make_dir();
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs("{\"trunc", f);
  errno = 0; /* the caller's own check failed; nothing set errno */
  ck_assert_int_eq(pio_output_file_close(f, path, 0), -1);
  ck_assert_int_eq(errno, EIO);
  ck_assert(!exists(path));
  remove_dir();
}
END_TEST

int main(void) {
  Suite *suite = suite_create("output_file");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_a_writable_new_path_is_checked_and_not_made);
  tcase_add_test(tc, test_a_path_in_a_missing_folder_or_a_folder_is_refused_with_errno);
  tcase_add_test(tc, test_a_complete_write_is_kept);
  tcase_add_test(tc, test_a_failed_write_is_removed_even_with_errno_zero);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
