/* tests/test_plugin_path.c — the plugin path: order and sources, first
 * wins, relative folders, duplicates, the build tree only for binaries
 * inside it, and the XDG user folder. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/plugin_path.h"

static plugin_path build(const plugin_path_inputs *in) {
  plugin_path path;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(plugin_path_build(in, &path, &err), PIO_OK);
  return path;
}

static plugin_path_inputs no_inputs(void) {
  plugin_path_inputs in;
  memset(&in, 0, sizeof in);
  in.cwd = "/nonexistent-cwd";
  return in;
}

START_TEST(test_sources_come_in_documented_order) {
  const char *cli[] = {"/nonexistent/cli-a", "/nonexistent/cli-b"};
  plugin_path_inputs in = no_inputs();
  in.cli_dirs = cli;
  in.n_cli_dirs = 2;
  in.env_path = "/nonexistent/env-a:/nonexistent/env-b";
  in.exe_path = "/nonexistent/build/host/pio-host";
  in.build_root = "/";
  in.build_plugin_dir = "/nonexistent/build/plugins";
  in.installed_dir = "/nonexistent/usr/lib/pio/plugins";
  in.xdg_data_home = "/nonexistent/xdg";
  plugin_path path = build(&in);
  const char *want[] = {"/nonexistent/cli-a", "/nonexistent/cli-b", "/nonexistent/env-a",
                        "/nonexistent/env-b", "/nonexistent/build/plugins",
                        "/nonexistent/usr/lib/pio/plugins", "/nonexistent/xdg/pio/plugins"};
  const plugin_path_source sources[] = {PLUGIN_PATH_COMMAND_LINE, PLUGIN_PATH_COMMAND_LINE,
                                        PLUGIN_PATH_ENVIRONMENT,  PLUGIN_PATH_ENVIRONMENT,
                                        PLUGIN_PATH_BUILD_TREE,   PLUGIN_PATH_INSTALLED,
                                        PLUGIN_PATH_USER};
  ck_assert_uint_eq(path.count, 7);
  for (size_t i = 0; i < 7; i++) {
    ck_assert_str_eq(path.entries[i].dir, want[i]);
    ck_assert_int_eq(path.entries[i].source, sources[i]);
  }
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_empty_items_of_pio_plugin_path_are_skipped) {
  plugin_path_inputs in = no_inputs();
  in.env_path = "::/nonexistent/a::/nonexistent/b:";
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 2);
  ck_assert_str_eq(path.entries[0].dir, "/nonexistent/a");
  ck_assert_str_eq(path.entries[1].dir, "/nonexistent/b");
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_relative_folder_is_made_absolute) {
  const char *cli[] = {"plugins-here"};
  plugin_path_inputs in = no_inputs();
  in.cli_dirs = cli;
  in.n_cli_dirs = 1;
  in.cwd = "/nonexistent/work";
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_str_eq(path.entries[0].dir, "/nonexistent/work/plugins-here");
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_folder_named_twice_keeps_its_first_place) {
  char tmp[] = "/tmp/pio-path-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  char with_dot[PATH_MAX];
  snprintf(with_dot, sizeof with_dot, "%s/.", tmp);
  const char *cli[] = {tmp};
  plugin_path_inputs in = no_inputs();
  in.cli_dirs = cli;
  in.n_cli_dirs = 1;
  in.env_path = with_dot; /* the same folder spelt differently */
  in.installed_dir = tmp;
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_str_eq(path.entries[0].dir, tmp);
  ck_assert_int_eq(path.entries[0].source, PLUGIN_PATH_COMMAND_LINE);
  plugin_path_clear(&path);
  rmdir(tmp);
}
END_TEST

START_TEST(test_build_tree_is_skipped_for_a_binary_outside_it) {
  char tmp[] = "/tmp/pio-path-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  plugin_path_inputs in = no_inputs();
  in.build_root = tmp;
  in.build_plugin_dir = "/nonexistent/build/plugins";
  in.exe_path = "/usr/bin/pio-host"; /* an installed binary */
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 0);
  plugin_path_clear(&path);

  char inside[PATH_MAX];
  snprintf(inside, sizeof inside, "%s/host/pio-host", tmp);
  in.exe_path = inside;
  path = build(&in);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_int_eq(path.entries[0].source, PLUGIN_PATH_BUILD_TREE);
  plugin_path_clear(&path);
  rmdir(tmp);
}
END_TEST

START_TEST(test_build_tree_prefix_is_not_a_sibling_folder) {
  char tmp[] = "/tmp/pio-path-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  char sibling[PATH_MAX];
  snprintf(sibling, sizeof sibling, "%s-other/host/pio-host", tmp); /* shares the prefix */
  plugin_path_inputs in = no_inputs();
  in.build_root = tmp;
  in.build_plugin_dir = "/nonexistent/build/plugins";
  in.exe_path = sibling;
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 0);
  plugin_path_clear(&path);
  rmdir(tmp);
}
END_TEST

START_TEST(test_user_folder_defaults_to_home_local_share) {
  plugin_path_inputs in = no_inputs();
  in.home = "/nonexistent/home/ada";
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_str_eq(path.entries[0].dir, "/nonexistent/home/ada/.local/share/pio/plugins");
  ck_assert_int_eq(path.entries[0].source, PLUGIN_PATH_USER);
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_relative_xdg_data_home_is_ignored) {
  plugin_path_inputs in = no_inputs();
  in.xdg_data_home = "relative/data";
  in.home = "/nonexistent/home/ada";
  plugin_path path = build(&in);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_str_eq(path.entries[0].dir, "/nonexistent/home/ada/.local/share/pio/plugins");
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_options_skip_environment_and_defaults) {
  setenv("PIO_PLUGIN_PATH", "/nonexistent/from-env", 1);
  const char *cli[] = {"/nonexistent/only"};
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = cli;
  opts.n_plugin_paths = 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  plugin_path path;
  pio_error err;
  ck_assert_int_eq(plugin_path_from_options(&opts, &path, &err), PIO_OK);
  ck_assert_uint_eq(path.count, 1);
  ck_assert_str_eq(path.entries[0].dir, "/nonexistent/only");
  plugin_path_clear(&path);

  opts.skip_environment = 0;
  ck_assert_int_eq(plugin_path_from_options(&opts, &path, &err), PIO_OK);
  ck_assert_uint_eq(path.count, 2);
  ck_assert_str_eq(path.entries[1].dir, "/nonexistent/from-env");
  plugin_path_clear(&path);
  unsetenv("PIO_PLUGIN_PATH");
}
END_TEST

START_TEST(test_this_test_binary_sees_its_build_tree) {
  /* The test runs from the build tree, so the compiled-in build folder is
   * on its path, between the environment and the installed folder. */
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.skip_environment = 1;
  plugin_path path;
  pio_error err;
  ck_assert_int_eq(plugin_path_from_options(&opts, &path, &err), PIO_OK);
  ck_assert_uint_ge(path.count, 2);
  ck_assert_int_eq(path.entries[0].source, PLUGIN_PATH_BUILD_TREE);
  ck_assert_int_eq(path.entries[1].source, PLUGIN_PATH_INSTALLED);
  plugin_path_clear(&path);
}
END_TEST

START_TEST(test_is_inside_needs_a_separator) {
  ck_assert(plugin_path_is_inside("/a/b/c.so", "/a/b"));
  ck_assert(plugin_path_is_inside("/a/b/c.so", "/a/b/"));
  ck_assert(plugin_path_is_inside("/a/b", "/a/b"));
  ck_assert(!plugin_path_is_inside("/a/bc/d.so", "/a/b"));
  ck_assert(!plugin_path_is_inside("/a", "/a/b"));
  ck_assert(plugin_path_is_inside("/x", "/"));
}
END_TEST

static Suite *plugin_path_suite(void) {
  Suite *s = suite_create("plugin_path");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_sources_come_in_documented_order);
  tcase_add_test(tc, test_empty_items_of_pio_plugin_path_are_skipped);
  tcase_add_test(tc, test_relative_folder_is_made_absolute);
  tcase_add_test(tc, test_folder_named_twice_keeps_its_first_place);
  tcase_add_test(tc, test_build_tree_is_skipped_for_a_binary_outside_it);
  tcase_add_test(tc, test_build_tree_prefix_is_not_a_sibling_folder);
  tcase_add_test(tc, test_user_folder_defaults_to_home_local_share);
  tcase_add_test(tc, test_relative_xdg_data_home_is_ignored);
  tcase_add_test(tc, test_options_skip_environment_and_defaults);
  tcase_add_test(tc, test_this_test_binary_sees_its_build_tree);
  tcase_add_test(tc, test_is_inside_needs_a_separator);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(plugin_path_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
