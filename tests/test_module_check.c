/* tests/test_module_check.c — the module file rules: a plain name, found
 * by extension search, resolved inside the plugin folder, a regular file,
 * not writable by others nor by a group other than the user's or root's,
 * owned by root or the current user. */
#include <check.h>
#include <errno.h>

#include "load/module_check.h"
#include "plugin_dir_helpers.h"

static char root[PATH_MAX]; /* temporary folder holding the plugin folder */
static char dir[PATH_MAX];  /* root/plugin: a copy of the good fixture */

static void setup(void) {
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "plugin");
  helper_path(dir, sizeof dir, "%s/plugin", root);
}

static void teardown(void) { helper_remove_tree(root); }

/* Resolves module in dir, expecting status; returns the message. */
static const char *resolve_expecting(const char *module, pio_status want, char **path) {
  static pio_error err;
  pio_error_clear(&err);
  module_file resolved;
  pio_status st = module_resolve(dir, module, &resolved, &err);
  ck_assert_msg(st == want, "status %d, want %d: %s", st, want, err.message);
  if (path != NULL) {
    *path = resolved.path;
    resolved.path = NULL;
  }
  module_file_close(&resolved);
  return err.message;
}

static void in_dir(char *buf, size_t size, const char *name) {
  helper_path(buf, size, "%s/%s", dir, name);
}

START_TEST(test_module_resolves_to_so_inside_folder) {
  char *path = NULL;
  resolve_expecting("fixture_good", PIO_OK, &path);
  char want[PATH_MAX];
  in_dir(want, sizeof want, "fixture_good.so");
  ck_assert_str_eq(path, want);
  free(path);
}
END_TEST

START_TEST(test_module_path_with_dotdot_is_refused) {
  const char *msg = resolve_expecting("..fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "contains \"..\""));
}
END_TEST

START_TEST(test_module_path_with_slash_is_refused) {
  const char *msg = resolve_expecting("../plugin/fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "plain file name"));
  ck_assert_ptr_nonnull(strstr(msg, "contains '/'"));
}
END_TEST

START_TEST(test_empty_module_name_is_refused) {
  const char *msg = resolve_expecting("", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "entry_point.module"));
}
END_TEST

START_TEST(test_missing_module_is_not_found_naming_both_extensions) {
  const char *msg = resolve_expecting("absent", PIO_ERR_NOT_FOUND, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "absent.so"));
  ck_assert_ptr_nonnull(strstr(msg, "absent.la"));
}
END_TEST

START_TEST(test_symlink_inside_folder_is_accepted) {
  char link_path[PATH_MAX];
  in_dir(link_path, sizeof link_path, "alias.so");
  ck_assert_int_eq(symlink("fixture_good.so", link_path), 0);
  char *path = NULL;
  resolve_expecting("alias", PIO_OK, &path);
  ck_assert_ptr_nonnull(strstr(path, "/plugin/fixture_good.so"));
  free(path);
}
END_TEST

START_TEST(test_symlink_escaping_folder_is_refused) {
  char outside[PATH_MAX], link_path[PATH_MAX];
  helper_path(outside, sizeof outside, "%s/outside.so", root);
  in_dir(link_path, sizeof link_path, "fixture_good.so");
  ck_assert_int_eq(rename(link_path, outside), 0);
  ck_assert_int_eq(symlink(outside, link_path), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "outside the plugin folder"));
  ck_assert_ptr_nonnull(strstr(msg, "outside.so"));
}
END_TEST

START_TEST(test_dangling_symlink_is_refused) {
  char link_path[PATH_MAX];
  in_dir(link_path, sizeof link_path, "ghost.so");
  ck_assert_int_eq(symlink("nowhere.so", link_path), 0);
  const char *msg = resolve_expecting("ghost", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "dangling symlink"));
}
END_TEST

START_TEST(test_world_writable_module_is_refused) {
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chmod(path, 0757), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "writable by others"));
  ck_assert_ptr_nonnull(strstr(msg, "chmod o-w"));
}
END_TEST

/* A group nobody here is in: neither our effective group nor root's. */
static gid_t foreign_group(void) { return getegid() == 65534 ? 65533 : 65534; }

START_TEST(test_group_writable_module_of_our_own_group_is_accepted) {
  /* What a umask of 002 with user-private groups makes. */
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chown(path, (uid_t)-1, getegid()), 0);
  ck_assert_int_eq(chmod(path, 0775), 0);
  char *resolved = NULL;
  resolve_expecting("fixture_good", PIO_OK, &resolved);
  ck_assert_str_eq(resolved, path);
  free(resolved);
}
END_TEST

START_TEST(test_group_writable_folder_of_our_own_group_is_accepted) {
  ck_assert_int_eq(chown(dir, (uid_t)-1, getegid()), 0);
  ck_assert_int_eq(chmod(dir, 0775), 0);
  resolve_expecting("fixture_good", PIO_OK, NULL);
}
END_TEST

START_TEST(test_group_writable_module_of_another_group_is_refused) {
  /* Registered only when running as root, who can give the file away. */
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chown(path, (uid_t)-1, foreign_group()), 0);
  ck_assert_int_eq(chmod(path, 0775), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  char want[64];
  helper_path(want, sizeof want, "writable by its group, gid %u", (unsigned)foreign_group());
  ck_assert_ptr_nonnull(strstr(msg, want));
  ck_assert_ptr_nonnull(strstr(msg, "chmod g-w"));
}
END_TEST

START_TEST(test_group_writable_folder_of_another_group_is_refused) {
  /* Registered only when running as root. */
  ck_assert_int_eq(chown(dir, (uid_t)-1, foreign_group()), 0);
  ck_assert_int_eq(chmod(dir, 0775), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "plugin folder"));
  ck_assert_ptr_nonnull(strstr(msg, "writable by its group"));
}
END_TEST

START_TEST(test_module_of_another_group_not_group_writable_is_accepted) {
  /* Registered only when running as root: the group alone is no risk. */
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chown(path, (uid_t)-1, foreign_group()), 0);
  ck_assert_int_eq(chmod(path, 0755), 0);
  resolve_expecting("fixture_good", PIO_OK, NULL);
}
END_TEST

START_TEST(test_world_writable_module_of_our_own_group_is_refused) {
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chown(path, (uid_t)-1, getegid()), 0);
  ck_assert_int_eq(chmod(path, 0777), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "writable by others"));
}
END_TEST

START_TEST(test_world_writable_folder_is_refused) {
  ck_assert_int_eq(chmod(dir, 0777), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "plugin folder"));
  ck_assert_ptr_nonnull(strstr(msg, "writable by others"));
}
END_TEST

START_TEST(test_sticky_world_writable_folder_is_still_refused) {
  ck_assert_int_eq(chmod(dir, 01777), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "writable by others"));
}
END_TEST

START_TEST(test_module_that_is_a_folder_is_refused) {
  char path[PATH_MAX];
  in_dir(path, sizeof path, "folder.so");
  ck_assert_int_eq(mkdir(path, 0755), 0);
  const char *msg = resolve_expecting("folder", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "not a regular file"));
}
END_TEST

START_TEST(test_module_owned_by_another_user_is_refused) {
  /* Registered only when running as root, who can give the file away. */
  char path[PATH_MAX];
  in_dir(path, sizeof path, "fixture_good.so");
  ck_assert_int_eq(chown(path, 65534, 65534), 0);
  const char *msg = resolve_expecting("fixture_good", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "owned by uid 65534"));
}
END_TEST

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
  chmod(path, 0644);
}

START_TEST(test_libtool_archive_opens_the_object_it_names_in_the_folder) {
  char la[PATH_MAX];
  in_dir(la, sizeof la, "libfixture.la");
  write_text(la, "# libfixture.la - a libtool library file\ndlname='fixture_good.so'\n"
                 "installed=yes\nlibdir='/somewhere/else'\n");
  char *path = NULL;
  resolve_expecting("libfixture", PIO_OK, &path);
  ck_assert_ptr_nonnull(strstr(path, "/plugin/fixture_good.so"));
  free(path);
}
END_TEST

START_TEST(test_libtool_archive_naming_a_path_is_refused) {
  char la[PATH_MAX];
  in_dir(la, sizeof la, "libfixture.la");
  write_text(la, "dlname='../outside.so'\n");
  const char *msg = resolve_expecting("libfixture", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "libtool archive"));
  ck_assert_ptr_nonnull(strstr(msg, "contains '/'"));
}
END_TEST

START_TEST(test_libtool_archive_without_dlname_is_refused) {
  char la[PATH_MAX];
  in_dir(la, sizeof la, "libfixture.la");
  write_text(la, "# nothing useful\n");
  const char *msg = resolve_expecting("libfixture", PIO_ERR_INVALID, NULL);
  ck_assert_ptr_nonnull(strstr(msg, "names no dlname"));
}
END_TEST

static Suite *module_check_suite(void) {
  Suite *s = suite_create("module_check");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_module_resolves_to_so_inside_folder);
  tcase_add_test(tc, test_module_path_with_dotdot_is_refused);
  tcase_add_test(tc, test_module_path_with_slash_is_refused);
  tcase_add_test(tc, test_empty_module_name_is_refused);
  tcase_add_test(tc, test_missing_module_is_not_found_naming_both_extensions);
  tcase_add_test(tc, test_symlink_inside_folder_is_accepted);
  tcase_add_test(tc, test_symlink_escaping_folder_is_refused);
  tcase_add_test(tc, test_dangling_symlink_is_refused);
  tcase_add_test(tc, test_world_writable_module_is_refused);
  tcase_add_test(tc, test_group_writable_module_of_our_own_group_is_accepted);
  tcase_add_test(tc, test_group_writable_folder_of_our_own_group_is_accepted);
  tcase_add_test(tc, test_world_writable_module_of_our_own_group_is_refused);
  if (geteuid() == 0) {
    tcase_add_test(tc, test_group_writable_module_of_another_group_is_refused);
    tcase_add_test(tc, test_group_writable_folder_of_another_group_is_refused);
    tcase_add_test(tc, test_module_of_another_group_not_group_writable_is_accepted);
  }
  tcase_add_test(tc, test_world_writable_folder_is_refused);
  tcase_add_test(tc, test_sticky_world_writable_folder_is_still_refused);
  tcase_add_test(tc, test_module_that_is_a_folder_is_refused);
  if (geteuid() == 0) tcase_add_test(tc, test_module_owned_by_another_user_is_refused);
  tcase_add_test(tc, test_libtool_archive_opens_the_object_it_names_in_the_folder);
  tcase_add_test(tc, test_libtool_archive_naming_a_path_is_refused);
  tcase_add_test(tc, test_libtool_archive_without_dlname_is_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(module_check_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
