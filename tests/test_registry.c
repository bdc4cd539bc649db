/* tests/test_registry.c — the registry: every plugin folder on the path
 * with the right state and a reason a person can act on, sorted output,
 * shadowing, hostile folders made at test time, dependencies, and trial
 * loads with check_load. */
#include <check.h>

#include "pio/host.h"
#include "plugin_dir_helpers.h"

static pio_registry *open_paths(const char *const *paths, size_t n, int check_load) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = n;
  opts.skip_environment = opts.skip_default_paths = opts.no_cache = 1;
  opts.check_load = check_load;
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_msg(pio_registry_open(&opts, &registry, &err) == PIO_OK, "%s", err.message);
  return registry;
}

static pio_registry *open_fixtures(int check_load) {
  const char *paths[] = {PIO_TEST_FIXTURE_DIR};
  return open_paths(paths, 1, check_load);
}

static const pio_plugin_record *find(const pio_registry *registry, const char *name) {
  const pio_plugin_record *rec = pio_registry_find(registry, name);
  ck_assert_msg(rec != NULL, "%s not found", name);
  return rec;
}

static void assert_state(const pio_registry *registry, const char *name, pio_plugin_state state,
                         const char *reason_part) {
  const pio_plugin_record *rec = find(registry, name);
  ck_assert_msg(rec->state == state, "%s: %s (%s), want %s", name,
                pio_plugin_state_name(rec->state), rec->reason, pio_plugin_state_name(state));
  if (reason_part == NULL)
    ck_assert_str_eq(rec->reason, "");
  else
    ck_assert_msg(strstr(rec->reason, reason_part) != NULL, "%s: reason \"%s\" lacks \"%s\"",
                  name, rec->reason, reason_part);
}

/* The good fixture's manifest text (a static buffer). */
static const char *good_manifest_text(void) {
  char from[PATH_MAX];
  helper_path(from, sizeof from, "%s/good/plugin_manifest.json", PIO_TEST_FIXTURE_DIR);
  FILE *in = fopen(from, "r");
  ck_assert_ptr_nonnull(in);
  static char text[16384];
  size_t n = fread(text, 1, sizeof text - 1, in);
  fclose(in);
  text[n] = '\0';
  return text;
}

/* Opens dir's plugin_manifest.json for writing. */
static FILE *create_manifest(const char *dir) {
  char to[PATH_MAX];
  helper_path(to, sizeof to, "%s/plugin_manifest.json", dir);
  FILE *out = fopen(to, "w");
  ck_assert_ptr_nonnull(out);
  return out;
}

/* Writes the good fixture's manifest into dir with extra members spliced in
 * after the opening brace ("\"key\": value,"). */
static void write_manifest_with(const char *dir, const char *extra) {
  const char *text = good_manifest_text();
  FILE *out = create_manifest(dir);
  fprintf(out, "{%s\n%s", extra, strchr(text, '{') + 1);
  fclose(out);
}

START_TEST(test_every_fixture_folder_is_listed_sorted_by_folder_name) {
  pio_registry *registry = open_fixtures(0);
  ck_assert_uint_eq(pio_registry_count(registry), 19);
  const char *prev = "";
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const char *dir = pio_registry_at(registry, i)->dir;
    ck_assert_msg(strcmp(prev, dir) < 0, "%s listed after %s", dir, prev);
    prev = dir;
  }
  ck_assert_ptr_null(pio_registry_at(registry, 19));
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_listing_gives_each_fixture_its_state_without_loading) {
  pio_registry *registry = open_fixtures(0);
  assert_state(registry, "fixture-good", PIO_PLUGIN_OK, NULL);
  assert_state(registry, "fixture-missing-module", PIO_PLUGIN_INVALID, "module not found");
  /* An unreadable manifest lists under its folder's name. */
  assert_state(registry, "path_traversal", PIO_PLUGIN_INVALID, "entry_point.module");
  assert_state(registry, "fixture-incompatible", PIO_PLUGIN_INCOMPATIBLE, "min_memory_gb");
  /* Listing loads no code: these only fail once loaded. */
  assert_state(registry, "fixture-ctor-crash", PIO_PLUGIN_OK, NULL);
  assert_state(registry, "fixture-abi-major", PIO_PLUGIN_OK, NULL);
  assert_state(registry, "fixture-missing-symbol", PIO_PLUGIN_OK, NULL);
  ck_assert_ptr_null(pio_plugin_record_trial(find(registry, "fixture-good")));
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_unreadable_manifest_is_invalid_with_line_and_column) {
  pio_registry *registry = open_fixtures(0);
  const pio_plugin_record *rec = find(registry, "invalid_json"); /* the folder's name */
  ck_assert_int_eq(rec->state, PIO_PLUGIN_INVALID);
  ck_assert_ptr_nonnull(strstr(rec->reason, "invalid_json/plugin_manifest.json:5:"));
  ck_assert_ptr_null(pio_plugin_record_manifest(rec));
  ck_assert_str_eq(rec->version, "");
  ck_assert_ptr_null(rec->module_path);
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_record_fields_come_from_the_manifest) {
  pio_registry *registry = open_fixtures(0);
  const pio_plugin_record *rec = find(registry, "fixture-good");
  ck_assert_str_eq(rec->version, "1.0.0");
  ck_assert_str_eq(rec->model_architecture, "FixtureForCausalLM");
  ck_assert_str_eq(rec->manifest_path, PIO_TEST_FIXTURE_DIR "/good/plugin_manifest.json");
  ck_assert_str_eq(rec->dir, PIO_TEST_FIXTURE_DIR "/good");
  ck_assert_str_eq(rec->module_path, PIO_TEST_FIXTURE_DIR "/good/fixture_good.so");
  ck_assert_ptr_nonnull(rec->warnings);
  ck_assert_ptr_null(rec->warnings[0]);
  ck_assert_ptr_nonnull(pio_plugin_record_manifest(rec));
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_check_load_reports_failed_and_crashed_plugins) {
  pio_registry *registry = open_fixtures(1);
  assert_state(registry, "fixture-good", PIO_PLUGIN_OK, NULL);
  assert_state(registry, "fixture-ctor-crash", PIO_PLUGIN_CRASHED,
               "SIGSEGV (Segmentation fault) in a constructor");
  assert_state(registry, "fixture-entry-crash", PIO_PLUGIN_CRASHED, "SIGSEGV");
  assert_state(registry, "fixture-abi-major", PIO_PLUGIN_FAILED, "ABI");
  assert_state(registry, "fixture-small-struct", PIO_PLUGIN_FAILED, "struct_size");
  assert_state(registry, "fixture-missing-symbol", PIO_PLUGIN_FAILED, "fixture_not_exported");
  assert_state(registry, "fixture-entry-null", PIO_PLUGIN_FAILED, "always refuses");
  assert_state(registry, "fixture-name-mismatch", PIO_PLUGIN_FAILED, "name");
  /* Not loaded at all: still what the listing said. */
  assert_state(registry, "fixture-incompatible", PIO_PLUGIN_INCOMPATIBLE, "min_memory_gb");
  const pio_trial_result *trial = pio_plugin_record_trial(find(registry, "fixture-good"));
  ck_assert_ptr_nonnull(trial);
  ck_assert_int_eq(trial->state, PIO_PLUGIN_OK);
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_duplicate_name_in_a_later_folder_is_shadowed) {
  char first[PATH_MAX], second[PATH_MAX];
  helper_temp_dir(first, sizeof first);
  helper_temp_dir(second, sizeof second);
  helper_copy_fixture("good", first, "good");
  helper_copy_fixture("good", second, "good");
  const char *paths[] = {first, second};
  pio_registry *registry = open_paths(paths, 2, 0);
  ck_assert_uint_eq(pio_registry_count(registry), 2);
  const pio_plugin_record *a = pio_registry_at(registry, 0);
  const pio_plugin_record *b = pio_registry_at(registry, 1);
  ck_assert_int_eq(a->state, PIO_PLUGIN_OK);
  ck_assert_int_eq(b->state, PIO_PLUGIN_SHADOWED);
  ck_assert_ptr_nonnull(strstr(b->reason, "shadowed by"));
  ck_assert_ptr_nonnull(strstr(b->reason, a->manifest_path));
  ck_assert_ptr_eq(pio_registry_find(registry, "fixture-good"), a);
  pio_registry_close(registry);
  helper_remove_tree(first);
  helper_remove_tree(second);
}
END_TEST

START_TEST(test_duplicate_name_within_one_folder_is_shadowed) {
  char root[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "b-copy");
  helper_copy_fixture("good", root, "a-copy");
  const char *paths[] = {root};
  pio_registry *registry = open_paths(paths, 1, 0);
  ck_assert_uint_eq(pio_registry_count(registry), 2);
  ck_assert_ptr_nonnull(strstr(pio_registry_at(registry, 0)->dir, "/a-copy"));
  ck_assert_int_eq(pio_registry_at(registry, 1)->state, PIO_PLUGIN_SHADOWED);
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_symlink_escape_is_invalid_in_the_listing) {
  char root[PATH_MAX], module[PATH_MAX], outside[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  helper_path(module, sizeof module, "%s/good/fixture_good.so", root);
  helper_path(outside, sizeof outside, "%s/elsewhere.so", root);
  ck_assert_int_eq(rename(module, outside), 0);
  ck_assert_int_eq(symlink(outside, module), 0);
  const char *paths[] = {root};
  pio_registry *registry = open_paths(paths, 1, 0);
  assert_state(registry, "fixture-good", PIO_PLUGIN_INVALID, "outside the plugin folder");
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_world_writable_module_is_invalid_in_the_listing) {
  char root[PATH_MAX], module[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  helper_path(module, sizeof module, "%s/good/fixture_good.so", root);
  ck_assert_int_eq(chmod(module, 0777), 0);
  const char *paths[] = {root};
  pio_registry *registry = open_paths(paths, 1, 0);
  assert_state(registry, "fixture-good", PIO_PLUGIN_INVALID, "writable by others");
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_folders_without_a_manifest_and_hidden_folders_are_skipped) {
  char root[PATH_MAX], path[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, ".hidden");
  helper_path(path, sizeof path, "%s/no-manifest", root);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  const char *paths[] = {root, "/nonexistent/pio-plugins"};
  pio_registry *registry = open_paths(paths, 2, 0);
  ck_assert_uint_eq(pio_registry_count(registry), 0);
  ck_assert_uint_eq(pio_registry_path_count(registry), 2);
  ck_assert_str_eq(pio_registry_path_at(registry, 1), "/nonexistent/pio-plugins");
  ck_assert_str_eq(pio_registry_path_source_at(registry, 0), "--plugin-path");
  ck_assert_ptr_null(pio_registry_path_at(registry, 2));
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_unknown_manifest_field_becomes_a_warning) {
  char root[PATH_MAX], dir[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  helper_path(dir, sizeof dir, "%s/good", root);
  write_manifest_with(dir, "\"colour\": \"blue\",");
  const char *paths[] = {root};
  pio_registry *registry = open_paths(paths, 1, 0);
  const pio_plugin_record *rec = find(registry, "fixture-good");
  ck_assert_int_eq(rec->state, PIO_PLUGIN_OK);
  ck_assert_ptr_nonnull(rec->warnings[0]);
  ck_assert_ptr_nonnull(strstr(rec->warnings[0], "colour"));
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_missing_plugin_dependency_makes_it_incompatible) {
  char root[PATH_MAX], dir[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  helper_path(dir, sizeof dir, "%s/good", root);
  write_manifest_with(dir, "\"dependencies\": [{\"name\": \"fixture-absent\", \"kind\": \"plugin\"}],");
  const char *paths[] = {root};
  pio_registry *registry = open_paths(paths, 1, 0);
  assert_state(registry, "fixture-good", PIO_PLUGIN_INCOMPATIBLE, "fixture-absent");
  pio_registry_close(registry);
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_find_architecture_returns_the_first_ok_plugin) {
  pio_registry *registry = open_fixtures(0);
  const pio_plugin_record *rec = pio_registry_find_architecture(registry, "FixtureForCausalLM");
  ck_assert_ptr_nonnull(rec);
  ck_assert_int_eq(rec->state, PIO_PLUGIN_OK);
  ck_assert_str_eq(rec->name, "fixture-abi-major"); /* first folder alphabetically that is ok */
  ck_assert_ptr_null(pio_registry_find_architecture(registry, "NoSuchForCausalLM"));
  ck_assert_ptr_null(pio_registry_find(registry, "no-such-plugin"));
  pio_registry_close(registry);
}
END_TEST

/* A manifest's additional_architectures find the plugin, from a fresh scan
 * and from the cache alike; the load then checks them against the table
 * (the good fixture's lists none, so this one is refused). */
START_TEST(test_find_architecture_matches_additional_architectures) {
  char root[PATH_MAX], dir[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  helper_path(dir, sizeof dir, "%s/good", root);
  write_manifest_with(dir, "\"additional_architectures\": [\"OtherForCausalLM\"],");
  const char *paths[] = {root};
  char cache[PATH_MAX];
  helper_path(cache, sizeof cache, "%s/cache", root);
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = opts.skip_default_paths = 1;
  opts.cache_dir = cache;
  for (int pass = 0; pass < 2; pass++) { /* the second pass reads the cache */
    pio_registry *registry = NULL;
    pio_error err;
    ck_assert_msg(pio_registry_open(&opts, &registry, &err) == PIO_OK, "%s", err.message);
    const pio_plugin_record *rec = pio_registry_find_architecture(registry, "OtherForCausalLM");
    ck_assert_ptr_nonnull(rec);
    ck_assert_str_eq(rec->name, "fixture-good");
    ck_assert_str_eq(rec->model_architecture, "FixtureForCausalLM");
    ck_assert(pio_plugin_record_serves(rec, "OtherForCausalLM"));
    ck_assert(pio_plugin_record_serves(rec, "FixtureForCausalLM"));
    ck_assert(!pio_plugin_record_serves(rec, "Other"));
    pio_loaded_plugin *plugin = NULL;
    ck_assert_int_eq(pio_plugin_load(rec, &plugin, &err), PIO_ERR_ABI);
    ck_assert_ptr_nonnull(strstr(err.message, "the plugin table lists 0 additional "
                                              "architectures but the manifest lists 1"));
    ck_assert_ptr_null(plugin);
    pio_registry_close(registry);
  }
  helper_remove_tree(root);
}
END_TEST

START_TEST(test_open_folder_checks_and_trial_loads_one_plugin) {
  pio_registry *registry = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open_folder(PIO_TEST_FIXTURE_DIR "/ctor_crash", 1, &registry, &err),
                   PIO_OK);
  ck_assert_uint_eq(pio_registry_count(registry), 1);
  const pio_plugin_record *rec = pio_registry_at(registry, 0);
  ck_assert_int_eq(rec->state, PIO_PLUGIN_CRASHED);
  ck_assert_ptr_nonnull(strstr(rec->reason, "SIGSEGV"));
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_open_folder_of_a_missing_folder_is_not_found) {
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_registry_open_folder("/nonexistent/plugin", 1, &registry, &err),
                   PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/plugin"));
  ck_assert_ptr_null(registry);
}
END_TEST

START_TEST(test_options_with_a_small_struct_size_are_refused) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.struct_size = 4;
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "struct_size"));
}
END_TEST

/* Writes the good fixture's manifest into dir under another name. */
static void write_manifest_named(const char *dir, const char *name) {
  const char *text = good_manifest_text();
  const char *at = strstr(text, "\"fixture-good\"");
  ck_assert_ptr_nonnull(at);
  FILE *out = create_manifest(dir);
  fprintf(out, "%.*s\"%s\"%s", (int)(at - text), text, name, at + strlen("\"fixture-good\""));
  fclose(out);
}

/* 300 folders (enough to be read on several threads where there are
 * several cores): good ones, broken ones and ones without a manifest. */
enum { many = 300 };

static void make_many_folders(const char *root) {
  for (int i = 0; i < many; i++) {
    char name[64], dir[PATH_MAX];
    snprintf(name, sizeof name, "p%03d", i);
    helper_copy_fixture("good", root, name);
    helper_path(dir, sizeof dir, "%s/%s", root, name);
    char plugin_name[64];
    snprintf(plugin_name, sizeof plugin_name, "fixture-many-%03d", i);
    write_manifest_named(dir, plugin_name);
    char manifest[PATH_MAX];
    helper_path(manifest, sizeof manifest, "%s/plugin_manifest.json", dir);
    if (i % 7 == 3) { /* broken JSON */
      FILE *f = fopen(manifest, "w");
      ck_assert_ptr_nonnull(f);
      fputs("{\"name\": ", f);
      fclose(f);
    } else if (i % 11 == 5) { /* no manifest: not a plugin folder */
      ck_assert_int_eq(unlink(manifest), 0);
    }
  }
}

static const char *or_dash(const char *text) { return text != NULL ? text : "-"; }

/* What a listing says of each folder, and some of its manifest, one line
 * each. */
static char *describe_all(const pio_registry *registry) {
  size_t cap = 1 << 20, len = 0;
  char *text = malloc(cap);
  ck_assert_ptr_nonnull(text);
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *r = pio_registry_at(registry, i);
    const pio_manifest *m = pio_plugin_record_manifest(r); /* from the cache: decoded now */
    int n = snprintf(text + len, cap - len, "%s|%s|%s|%s|%s|%s|%s|%s|%zu|%zu\n", r->dir, r->name,
                     pio_plugin_state_name(r->state), r->reason,
                     or_dash(r->module_path), m ? m->path : "-", m ? m->entry_function : "-",
                     m ? or_dash(m->description) : "-",
                     m ? m->tags.count : 0, m ? m->compatibility.os.count : 0);
    ck_assert(n > 0 && (size_t)n < cap - len);
    len += (size_t)n;
  }
  return text;
}

static pio_registry *open_with_cache(const char *root, const char *cache_dir) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  const char *paths[] = {root};
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = opts.skip_default_paths = 1;
  opts.cache_dir = cache_dir;
  opts.no_cache = cache_dir == NULL;
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_msg(pio_registry_open(&opts, &registry, &err) == PIO_OK, "%s", err.message);
  return registry;
}

/* Many folders, read on several threads: every one in name order with its
 * own state, the same with and without the cache, cold and warm. */
START_TEST(test_many_folders_are_each_read_alike_cold_and_warm) {
  char root[PATH_MAX], cache_dir[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_temp_dir(cache_dir, sizeof cache_dir);
  make_many_folders(root);
  sleep(2); /* past the cache's racy-file margin, so the cold run stores them */
  pio_registry *plain = open_with_cache(root, NULL);
  size_t expected = 0;
  for (int i = 0; i < many; i++) expected += i % 11 != 5 || i % 7 == 3;
  ck_assert_uint_eq(pio_registry_count(plain), expected);
  for (size_t i = 0; i + 1 < pio_registry_count(plain); i++)
    ck_assert_msg(strcmp(pio_registry_at(plain, i)->dir, pio_registry_at(plain, i + 1)->dir) < 0,
                  "not in name order at %zu", i);
  for (size_t i = 0; i < pio_registry_count(plain); i++) {
    const pio_plugin_record *r = pio_registry_at(plain, i);
    int n = atoi(strrchr(r->dir, '/') + 2);
    ck_assert_int_eq(r->state, n % 7 == 3 ? PIO_PLUGIN_INVALID : PIO_PLUGIN_OK);
    if (r->state == PIO_PLUGIN_OK) {
      char want[64];
      snprintf(want, sizeof want, "fixture-many-%03d", n);
      ck_assert_str_eq(r->name, want);
    }
  }
  char *want = describe_all(plain);
  pio_registry_close(plain);
  for (int run = 0; run < 2; run++) { /* writes the cache, then reads it */
    pio_registry *cached = open_with_cache(root, cache_dir);
    char *got = describe_all(cached);
    ck_assert_str_eq(got, want);
    free(got);
    pio_registry_close(cached);
  }
  free(want);
  helper_remove_tree(root);
  helper_remove_tree(cache_dir);
}
END_TEST

static Suite *registry_suite(void) {
  Suite *s = suite_create("registry");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_every_fixture_folder_is_listed_sorted_by_folder_name);
  tcase_add_test(tc, test_listing_gives_each_fixture_its_state_without_loading);
  tcase_add_test(tc, test_unreadable_manifest_is_invalid_with_line_and_column);
  tcase_add_test(tc, test_record_fields_come_from_the_manifest);
  tcase_add_test(tc, test_check_load_reports_failed_and_crashed_plugins);
  tcase_add_test(tc, test_duplicate_name_in_a_later_folder_is_shadowed);
  tcase_add_test(tc, test_duplicate_name_within_one_folder_is_shadowed);
  tcase_add_test(tc, test_symlink_escape_is_invalid_in_the_listing);
  tcase_add_test(tc, test_world_writable_module_is_invalid_in_the_listing);
  tcase_add_test(tc, test_folders_without_a_manifest_and_hidden_folders_are_skipped);
  tcase_add_test(tc, test_unknown_manifest_field_becomes_a_warning);
  tcase_add_test(tc, test_missing_plugin_dependency_makes_it_incompatible);
  tcase_add_test(tc, test_find_architecture_returns_the_first_ok_plugin);
  tcase_add_test(tc, test_find_architecture_matches_additional_architectures);
  tcase_add_test(tc, test_open_folder_checks_and_trial_loads_one_plugin);
  tcase_add_test(tc, test_open_folder_of_a_missing_folder_is_not_found);
  tcase_add_test(tc, test_options_with_a_small_struct_size_are_refused);
  tcase_add_test(tc, test_many_folders_are_each_read_alike_cold_and_warm);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(registry_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
