/* tests/test_loader.c — loading plugins through libltdl and the handshake:
 * the good fixture loads and unloads; each broken fixture is refused with
 * a message that names the problem; trial loads in a child report crashes
 * by signal and survive them, and hand back the plugin's figures for
 * config files (trial_load_probe). */
#include <check.h>
#include <pthread.h>
#include <signal.h>

#include "load/loader.h"
#include "load/trial_load.h"
#include "pio/host.h"
#include "plugin_dir_helpers.h"

static pio_registry *registry;

static void setup(void) {
  const char *paths[] = {PIO_TEST_FIXTURE_DIR};
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  opts.no_cache = 1;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_OK);
}

static void teardown(void) { pio_registry_close(registry); }

static const pio_plugin_record *fixture(const char *name) {
  const pio_plugin_record *rec = pio_registry_find(registry, name);
  ck_assert_msg(rec != NULL, "fixture %s not found", name);
  return rec;
}

/* The record's module, checked and opened as the host does before a load. */
static module_file opened(const pio_plugin_record *rec) {
  module_file module;
  pio_error err;
  ck_assert_ptr_nonnull(rec->module_path);
  ck_assert_msg(module_open(rec->dir, pio_plugin_record_manifest(rec)->entry_module, &module,
                            &err) == PIO_OK,
                "%s", err.message);
  return module;
}

/* Loads fixture name expecting failure with code; returns the message. */
static const char *load_fails(const char *name, pio_status code) {
  static pio_error err;
  pio_error_clear(&err);
  pio_loaded_plugin *plugin = NULL;
  pio_status st = pio_plugin_load(fixture(name), &plugin, &err);
  ck_assert_msg(st == code, "%s: status %d, want %d: %s", name, st, code, err.message);
  ck_assert_ptr_null(plugin);
  return err.message;
}

START_TEST(test_good_plugin_loads_and_unloads) {
  pio_loaded_plugin *plugin = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_plugin_load(fixture("fixture-good"), &plugin, &err), PIO_OK);
  const pio_plugin *table = pio_loaded_plugin_table(plugin);
  ck_assert_str_eq(table->name, "fixture-good");
  ck_assert_str_eq(table->version, "1.0.0");
  ck_assert_str_eq(table->model_architecture, "FixtureForCausalLM");
  ck_assert_uint_eq(table->abi_major, PIO_ABI_MAJOR);
  ck_assert_uint_eq(table->struct_size, sizeof(pio_plugin));
  pio_plugin_unload(plugin);
}
END_TEST

START_TEST(test_two_loads_of_one_plugin_are_independent) {
  pio_loaded_plugin *a = NULL, *b = NULL;
  pio_error err;
  ck_assert_int_eq(pio_plugin_load(fixture("fixture-good"), &a, &err), PIO_OK);
  ck_assert_int_eq(pio_plugin_load(fixture("fixture-good"), &b, &err), PIO_OK);
  ck_assert_ptr_ne(a, b);
  pio_plugin_unload(a);
  /* b's table stays readable: the module is reference counted. */
  ck_assert_str_eq(pio_loaded_plugin_table(b)->name, "fixture-good");
  pio_plugin_unload(b);
}
END_TEST

START_TEST(test_missing_module_is_refused_before_loading) {
  const pio_plugin_record *rec = fixture("fixture-missing-module");
  ck_assert_int_eq(rec->state, PIO_PLUGIN_INVALID);
  const char *msg = load_fails("fixture-missing-module", PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "is invalid"));
  ck_assert_ptr_nonnull(strstr(msg, "module not found"));
}
END_TEST

START_TEST(test_missing_symbol_is_reported) {
  const char *msg = load_fails("fixture-missing-symbol", PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(msg, "entry point fixture_not_exported not found"));
}
END_TEST

START_TEST(test_abi_major_mismatch_is_refused) {
  const char *msg = load_fails("fixture-abi-major", PIO_ERR_ABI);
  char want[64];
  helper_path(want, sizeof want, "built for ABI %d.0", PIO_ABI_MAJOR + 1);
  ck_assert_msg(strstr(msg, want) != NULL, "%s", msg);
  ck_assert_ptr_nonnull(strstr(msg, "a different major is refused"));
}
END_TEST

START_TEST(test_struct_size_too_small_is_refused) {
  const char *msg = load_fails("fixture-small-struct", PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(msg, "struct_size"));
  ck_assert_ptr_nonnull(strstr(msg, "smaller than the ABI 1.0 table"));
}
END_TEST

START_TEST(test_name_mismatch_is_refused) {
  const char *msg = load_fails("fixture-name-mismatch", PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(msg, "name is \"fixture-some-other-name\""));
  ck_assert_ptr_nonnull(strstr(msg, "manifest says \"fixture-name-mismatch\""));
}
END_TEST

START_TEST(test_version_mismatch_is_refused) {
  const char *msg = load_fails("fixture-version-mismatch", PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(msg, "version is \"1.0.1\" but the manifest says \"1.0.0\""));
}
END_TEST

START_TEST(test_architecture_mismatch_is_refused) {
  const char *msg = load_fails("fixture-arch-mismatch", PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(msg, "model_architecture is \"MistralForCausalLM\""));
}
END_TEST

/* The plugin's own record climbs whole: its message and its code. */
START_TEST(test_entry_returning_null_is_an_error_with_the_plugin_reason) {
  const char *msg = load_fails("fixture-entry-null", PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(msg, "returned no plugin table"));
  ck_assert_ptr_nonnull(strstr(msg, "fixture-entry-null always refuses to load"));
}
END_TEST

START_TEST(test_incompatible_plugin_is_not_loaded) {
  const char *msg = load_fails("fixture-incompatible", PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "is incompatible"));
  ck_assert_ptr_nonnull(strstr(msg, "min_memory_gb"));
}
END_TEST

START_TEST(test_load_checks_the_module_file_again) {
  /* A module made world-writable after the scan is refused at load. */
  char root[PATH_MAX], module[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  const char *paths[] = {root};
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = opts.skip_default_paths = opts.no_cache = 1;
  pio_registry *own = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &own, &err), PIO_OK);
  const pio_plugin_record *rec = pio_registry_find(own, "fixture-good");
  ck_assert_int_eq(rec->state, PIO_PLUGIN_OK);
  helper_path(module, sizeof module, "%s/good/fixture_good.so", root);
  ck_assert_int_eq(chmod(module, 0757), 0);
  pio_loaded_plugin *plugin = NULL;
  ck_assert_int_eq(pio_plugin_load(rec, &plugin, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "writable by others"));
  pio_registry_close(own);
  helper_remove_tree(root);
}
END_TEST

/* The module is loaded from the descriptor its checks looked at: a file
 * renamed over the path between the checks and the load (another
 * plugin's module here) is not what runs. */
START_TEST(test_the_file_checked_is_the_file_loaded) {
  char root[PATH_MAX], module_path[PATH_MAX], other[PATH_MAX], swapped_in[PATH_MAX];
  helper_temp_dir(root, sizeof root);
  helper_copy_fixture("good", root, "good");
  const char *paths[] = {root};
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = opts.skip_default_paths = opts.no_cache = 1;
  pio_registry *own = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &own, &err), PIO_OK);
  const pio_plugin_record *rec = pio_registry_find(own, "fixture-good");
  module_file module = opened(rec);
  helper_path(module_path, sizeof module_path, "%s/good/fixture_good.so", root);
  helper_path(other, sizeof other, "%s/name_mismatch/fixture_name_mismatch.so",
              PIO_TEST_FIXTURE_DIR);
  helper_path(swapped_in, sizeof swapped_in, "%s/good/swapped.so", root);
  helper_copy_file(other, swapped_in, 0755);
  ck_assert_int_eq(rename(swapped_in, module_path), 0);
  pio_loaded_plugin *plugin = NULL;
  ck_assert_msg(loader_open(&module, pio_plugin_record_manifest(rec), NULL, NULL, &plugin,
                            &err) == PIO_OK,
                "%s", err.message);
  module_file_close(&module); /* the plugin keeps a descriptor of its own */
  ck_assert_str_eq(pio_loaded_plugin_table(plugin)->name, "fixture-good");
  pio_plugin_unload(plugin);
  /* Checked again, the path now holds the other module, which has no such
   * entry point; the message names the file, not its descriptor. */
  ck_assert_msg(pio_plugin_load(rec, &plugin, &err) == PIO_ERR_NOT_FOUND, "%s", err.message);
  ck_assert_ptr_nonnull(strstr(err.message, "fixture_good_entry not found"));
  ck_assert_ptr_nonnull(strstr(err.message, module_path));
  ck_assert_ptr_null(strstr(err.message, "/proc/self/fd"));
  pio_registry_close(own);
  helper_remove_tree(root);
}
END_TEST

/* Loads and unloads the good fixture many times; returns NULL when every
 * load worked and the table was right, else the failing message. */
static void *load_repeatedly(void *arg) {
  const pio_plugin_record *rec = arg;
  static __thread pio_error err;
  for (int i = 0; i < 50; i++) {
    pio_loaded_plugin *plugin = NULL;
    if (pio_plugin_load(rec, &plugin, &err) != PIO_OK) return err.message;
    if (strcmp(pio_loaded_plugin_table(plugin)->name, "fixture-good") != 0) return "wrong table";
    pio_plugin_unload(plugin);
  }
  return NULL;
}

/* A plugin built before an option existed would ignore it: asking is an
 * error naming the plugin; its defaults and synthetic weights are fine. */
START_TEST(test_options_an_older_plugin_cannot_read_are_refused) {
  pio_plugin old_plugin = {.struct_size = sizeof old_plugin, .abi_major = 1, .abi_minor = 0,
                           .name = "older"};
  pio_plugin current = old_plugin;
  current.abi_minor = PIO_ABI_MINOR;
  pio_model_options o = {.struct_size = sizeof o, .weights_dir = "/m"};
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_model_options_supported(&old_plugin, &o, &err), PIO_OK);
  o.weights_load = PIO_WEIGHTS_READ;
  ck_assert_int_eq(pio_model_options_supported(&old_plugin, &o, &err), PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "plugin 'older' was built for ABI 1.0"));
  ck_assert_ptr_nonnull(strstr(err.message, "ABI 1.1"));
  ck_assert_int_eq(pio_model_options_supported(&current, &o, &err), PIO_OK);
  o.synthetic = 1; /* no files to read */
  ck_assert_int_eq(pio_model_options_supported(&old_plugin, &o, &err), PIO_OK);
  ck_assert_int_eq(pio_model_options_supported(NULL, &o, &err), PIO_ERR_INVALID_ARGUMENT);
  /* A kernel path (ABI 1.2) is refused to a 1.1 plugin, "auto" is not a request. */
  pio_plugin plugin_1_1 = old_plugin;
  plugin_1_1.abi_minor = 1;
  o.kernel = "avx2";
  ck_assert_int_eq(pio_model_options_supported(&plugin_1_1, &o, &err), PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "cannot be given a kernel path (ABI 1.2)"));
  ck_assert_int_eq(pio_model_options_supported(&current, &o, &err), PIO_OK);
  o.kernel = "auto";
  ck_assert_int_eq(pio_model_options_supported(&plugin_1_1, &o, &err), PIO_OK);
}
END_TEST

START_TEST(test_weights_load_words_parse_and_name) {
  uint32_t load = 7;
  ck_assert_int_eq(pio_weights_load_parse("read", &load), 0);
  ck_assert_uint_eq(load, PIO_WEIGHTS_READ);
  ck_assert_str_eq(pio_weights_load_name(load), "read");
  ck_assert_int_eq(pio_weights_load_parse("map", &load), 0);
  ck_assert_uint_eq(load, PIO_WEIGHTS_MAP);
  ck_assert_str_eq(pio_weights_load_name(load), "map");
  ck_assert_int_eq(pio_weights_load_parse("mmap", &load), -1);
  ck_assert_int_eq(pio_weights_load_parse("READ", &load), -1);
  ck_assert_int_eq(pio_weights_load_parse(NULL, &load), -1);
  ck_assert_uint_eq(load, PIO_WEIGHTS_MAP); /* unchanged by the refusals */
}
END_TEST

START_TEST(test_loads_from_several_threads_at_once_all_succeed) {
  const pio_plugin_record *rec = fixture("fixture-good");
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, load_repeatedly, (void *)rec), 0);
  for (int i = 0; i < 4; i++) {
    void *failure = NULL;
    pthread_join(threads[i], &failure);
    ck_assert_msg(failure == NULL, "thread %d: %s", i, (const char *)failure);
  }
}
END_TEST

/* ---- trial loads in a child ---- */

static pio_plugin_state trial(const char *name, pio_trial_result *result, pio_error *err) {
  const pio_plugin_record *rec = fixture(name);
  module_file module = opened(rec);
  pio_error_clear(err);
  pio_plugin_state state = trial_load_module(&module, pio_plugin_record_manifest(rec),
                                             TRIAL_LOAD_TIMEOUT_MS, result, err);
  module_file_close(&module);
  return state;
}

START_TEST(test_trial_load_of_good_plugin_is_ok) {
  pio_trial_result result;
  pio_error err;
  ck_assert_int_eq(trial("fixture-good", &result, &err), PIO_PLUGIN_OK);
  ck_assert_uint_eq(result.struct_size, sizeof(pio_plugin));
  ck_assert_uint_eq(result.abi_major, PIO_ABI_MAJOR);
  ck_assert_int_eq(result.signal, 0);
}
END_TEST

START_TEST(test_constructor_crash_is_reported_as_crashed_with_sigsegv) {
  pio_trial_result result;
  pio_error err;
  ck_assert_int_eq(trial("fixture-ctor-crash", &result, &err), PIO_PLUGIN_CRASHED);
  ck_assert_int_eq(result.signal, SIGSEGV);
  ck_assert_msg(strstr(err.message, "SIGSEGV (Segmentation fault) in a constructor") != NULL,
                "%s", err.message);
  ck_assert_int_eq(err.code, PIO_ERR_CRASHED);
}
END_TEST

START_TEST(test_entry_point_crash_is_reported_as_crashed_in_the_entry_point) {
  pio_trial_result result;
  pio_error err;
  ck_assert_int_eq(trial("fixture-entry-crash", &result, &err), PIO_PLUGIN_CRASHED);
  ck_assert_ptr_nonnull(strstr(err.message, "SIGSEGV"));
  ck_assert_ptr_nonnull(strstr(err.message, "in the entry point fixture_entry_crash_entry"));
}
END_TEST

START_TEST(test_trial_load_handshake_failure_is_failed_with_the_reason) {
  pio_trial_result result;
  pio_error err;
  ck_assert_int_eq(trial("fixture-version-mismatch", &result, &err), PIO_PLUGIN_FAILED);
  ck_assert_ptr_nonnull(strstr(err.message, "version is \"1.0.1\""));
  ck_assert_int_eq(err.code, PIO_ERR_ABI);
}
END_TEST

START_TEST(test_trial_load_that_never_finishes_is_failed) {
  setenv("PIO_FIXTURE_HANG", "1", 1); /* inherited by the child */
  const pio_plugin_record *rec = fixture("fixture-hang");
  pio_trial_result result;
  pio_error err;
  pio_error_clear(&err);
  module_file module = opened(rec);
  pio_plugin_state state =
      trial_load_module(&module, pio_plugin_record_manifest(rec), 300, &result, &err);
  module_file_close(&module);
  unsetenv("PIO_FIXTURE_HANG");
  ck_assert_int_eq(state, PIO_PLUGIN_FAILED);
  ck_assert_ptr_nonnull(strstr(err.message, "did not finish within 300 ms"));
}
END_TEST

START_TEST(test_public_trial_load_names_the_state_first) {
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_plugin_trial_load(fixture("fixture-ctor-crash"), &err), PIO_PLUGIN_CRASHED);
  ck_assert_msg(strncmp(err.message, "crashed: SIGSEGV", 16) == 0, "%s", err.message);
  pio_error_clear(&err);
  ck_assert_int_eq(pio_plugin_trial_load(fixture("fixture-good"), &err), PIO_PLUGIN_OK);
}
END_TEST

/* Two config paths; the probes run in the child never open them unless the
 * plugin has a config component. */
static const char *const probe_paths[] = {"/nonexistent/first/config.json",
                                          "/nonexistent/second/config.json"};

START_TEST(test_trial_load_probe_hands_back_one_result_per_config) {
  const pio_plugin_record *rec = fixture("fixture-good");
  module_file module = opened(rec);
  pio_config_probe probes[2];
  memset(probes, 0x5a, sizeof probes); /* every byte must come from the child */
  pio_trial_result result;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(trial_load_probe(&module, pio_plugin_record_manifest(rec),
                                    TRIAL_LOAD_TIMEOUT_MS, probe_paths, 2, &result, probes, &err),
                   PIO_PLUGIN_OK);
  ck_assert_uint_eq(result.struct_size, sizeof(pio_plugin));
  for (size_t i = 0; i < 2; i++) {
    ck_assert_int_eq(probes[i].status, PIO_ERR_UNSUPPORTED);
    ck_assert_int_eq(probes[i].has_kv, 0);
    ck_assert_msg(strstr(probes[i].message, "no config component") != NULL, "%s",
                  probes[i].message);
    ck_assert_ptr_nonnull(strstr(probes[i].message, probe_paths[i]));
  }
  module_file_close(&module);
}
END_TEST

START_TEST(test_crash_while_reading_a_config_is_crashed_naming_the_config) {
  const pio_plugin_record *rec = fixture("fixture-config-crash");
  module_file module = opened(rec);
  pio_config_probe probes[2];
  pio_trial_result result;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(trial_load_probe(&module, pio_plugin_record_manifest(rec),
                                    TRIAL_LOAD_TIMEOUT_MS, probe_paths, 2, &result, probes, &err),
                   PIO_PLUGIN_CRASHED);
  ck_assert_int_eq(result.signal, SIGSEGV);
  ck_assert_msg(strstr(err.message, "SIGSEGV (Segmentation fault) while computing its figures "
                                    "for the model config /nonexistent/first/config.json") != NULL,
                "%s", err.message);
  module_file_close(&module);
}
END_TEST

START_TEST(test_config_crash_plugin_loads_when_no_config_is_probed) {
  pio_trial_result result;
  pio_error err;
  ck_assert_int_eq(trial("fixture-config-crash", &result, &err), PIO_PLUGIN_OK);
  ck_assert_int_eq(result.has_config, 1);
}
END_TEST

START_TEST(test_trial_load_probe_without_room_for_results_is_refused) {
  const pio_plugin_record *rec = fixture("fixture-good");
  module_file module = opened(rec);
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(trial_load_probe(&module, pio_plugin_record_manifest(rec),
                                    TRIAL_LOAD_TIMEOUT_MS, probe_paths, 2, NULL, NULL, &err),
                   PIO_PLUGIN_FAILED);
  ck_assert_int_eq(err.code, PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "without room"));
  module_file_close(&module);
}
END_TEST

START_TEST(test_state_names_are_the_documented_words) {
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_OK), "ok");
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_INVALID), "invalid");
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_INCOMPATIBLE), "incompatible");
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_FAILED), "failed");
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_CRASHED), "crashed");
  ck_assert_str_eq(pio_plugin_state_name(PIO_PLUGIN_SHADOWED), "shadowed");
}
END_TEST

static Suite *loader_suite(void) {
  Suite *s = suite_create("loader");
  TCase *tc = tcase_create("load");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_good_plugin_loads_and_unloads);
  tcase_add_test(tc, test_two_loads_of_one_plugin_are_independent);
  tcase_add_test(tc, test_missing_module_is_refused_before_loading);
  tcase_add_test(tc, test_missing_symbol_is_reported);
  tcase_add_test(tc, test_abi_major_mismatch_is_refused);
  tcase_add_test(tc, test_struct_size_too_small_is_refused);
  tcase_add_test(tc, test_name_mismatch_is_refused);
  tcase_add_test(tc, test_version_mismatch_is_refused);
  tcase_add_test(tc, test_architecture_mismatch_is_refused);
  tcase_add_test(tc, test_entry_returning_null_is_an_error_with_the_plugin_reason);
  tcase_add_test(tc, test_incompatible_plugin_is_not_loaded);
  tcase_add_test(tc, test_load_checks_the_module_file_again);
  tcase_add_test(tc, test_the_file_checked_is_the_file_loaded);
  tcase_add_test(tc, test_options_an_older_plugin_cannot_read_are_refused);
  tcase_add_test(tc, test_weights_load_words_parse_and_name);
  tcase_add_test(tc, test_loads_from_several_threads_at_once_all_succeed);
  tcase_add_test(tc, test_state_names_are_the_documented_words);
  suite_add_tcase(s, tc);
  TCase *tt = tcase_create("trial");
  tcase_add_checked_fixture(tt, setup, teardown);
  tcase_add_test(tt, test_trial_load_of_good_plugin_is_ok);
  tcase_add_test(tt, test_constructor_crash_is_reported_as_crashed_with_sigsegv);
  tcase_add_test(tt, test_entry_point_crash_is_reported_as_crashed_in_the_entry_point);
  tcase_add_test(tt, test_trial_load_handshake_failure_is_failed_with_the_reason);
  tcase_add_test(tt, test_trial_load_that_never_finishes_is_failed);
  tcase_add_test(tt, test_public_trial_load_names_the_state_first);
  tcase_add_test(tt, test_trial_load_probe_hands_back_one_result_per_config);
  tcase_add_test(tt, test_crash_while_reading_a_config_is_crashed_naming_the_config);
  tcase_add_test(tt, test_config_crash_plugin_loads_when_no_config_is_probed);
  tcase_add_test(tt, test_trial_load_probe_without_room_for_results_is_refused);
  suite_add_tcase(s, tt);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(loader_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
