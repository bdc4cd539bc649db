/* tests/test_leaks.c — repeating what a long-lived host does must not make
 * it grow: loading and unloading every built plugin 1,000 times, parsing
 * and freeing every preset's config, creating, running and destroying model
 * instances, and opening and closing registries.  Each test checks that the
 * resident set stays flat after a warm-up; in the AddressSanitizer build
 * (where the allocator's quarantine makes the resident set meaningless)
 * LeakSanitizer checks instead, at the exit of each test's process, and
 * under valgrind (CK_FORK=no) --leak-check does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening_helpers.h"
#include "pio/host.h"
#include "pio/models.h"

/* Growth allowed between the end of the warm-up and the end: allocator
 * bookkeeping and the page cache of mapped files, not a leak per round
 * (1,000 rounds leaking even 1 KiB each would be 1,000 KiB). */
#define RSS_SLACK_KIB 768

static int env_rounds(const char *name, int fallback) {
  const char *v = getenv(name);
  return v != NULL && atoi(v) > 0 ? atoi(v) : fallback;
}

static void assert_flat(const char *what, long before_kib, long after_kib) {
  if (HARDENING_SANITIZED || hardening_under_valgrind() || before_kib < 0 || after_kib < 0)
    return;
  ck_assert_msg(after_kib - before_kib <= RSS_SLACK_KIB,
                "%s: resident set grew from %ld KiB to %ld KiB", what, before_kib, after_kib);
}

static void load_unload(const pio_plugin_record *rec, int rounds) {
  for (int i = 0; i < rounds; i++) {
    pio_loaded_plugin *plugin = NULL;
    pio_error err = {0};
    if (pio_plugin_load(rec, &plugin, &err) != PIO_OK)
      ck_abort_msg("%s: load %d: %s", rec->name, i, err.message);
    ck_assert_ptr_nonnull(pio_loaded_plugin_table(plugin));
    pio_plugin_unload(plugin);
  }
}

START_TEST(test_every_plugin_loads_and_unloads_1000_times_without_growth) {
  pio_registry *registry = hardening_build_registry();
  size_t n_ok = 0;
  int rounds = env_rounds("PIO_LEAK_ROUNDS", 1000);
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (rec->state != PIO_PLUGIN_OK) continue;
    n_ok++;
    load_unload(rec, 20);
    long before = hardening_rss_kib();
    load_unload(rec, rounds);
    assert_flat(rec->name, before, hardening_rss_kib());
  }
  ck_assert_msg(n_ok >= 1, "no plugin of this build is ok");
  pio_registry_close(registry);
}
END_TEST

/* Each preset's config through the plugin that serves it. */
START_TEST(test_every_preset_config_parses_and_frees_without_growth) {
  pio_registry *registry = hardening_build_registry();
  char **names = NULL;
  size_t n = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_model_preset_names(&names, &n, &err), PIO_OK);
  size_t parsed = 0;
  for (size_t i = 0; i < n; i++) {
    pio_resolved_model model;
    if (pio_model_resolve(registry, names[i], &model, &err) != PIO_OK) continue;
    pio_loaded_plugin *plugin = NULL;
    if (pio_plugin_load(model.record, &plugin, &err) != PIO_OK)
      ck_abort_msg("%s: %s", names[i], err.message);
    const pio_plugin *table = pio_loaded_plugin_table(plugin);
    long before = 0;
    for (int round = 0; table->config != NULL && round < 220; round++) {
      if (round == 20) before = hardening_rss_kib();
      pio_model_config *config = NULL;
      if (table->config->parse_file(model.config_path, &config, &err) != PIO_OK)
        ck_abort_msg("%s: %s", names[i], err.message);
      pio_model_summary summary = {.struct_size = sizeof summary};
      ck_assert_int_eq(table->config->summarize(config, &summary, &err), PIO_OK);
      table->config->free(config);
      parsed++;
    }
    if (table->config != NULL) assert_flat(names[i], before, hardening_rss_kib());
    pio_plugin_unload(plugin);
    pio_resolved_model_clear(&model);
  }
  ck_assert_msg(parsed > 0, "no preset could be parsed by a plugin of this build");
  pio_model_preset_names_free(names, n);
  pio_registry_close(registry);
}
END_TEST

START_TEST(test_model_instances_are_created_and_destroyed_without_growth) {
  pio_registry *registry = hardening_build_registry();
  const pio_plugin_record *rec = pio_registry_find_architecture(registry, TINY_ARCHITECTURE);
  ck_assert_msg(rec != NULL, "no ok plugin serves %s", TINY_ARCHITECTURE);
  pio_loaded_plugin *plugin = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_plugin_load(rec, &plugin, &err), PIO_OK);
  const pio_plugin *table = pio_loaded_plugin_table(plugin);
  ck_assert_ptr_nonnull(table->config);
  ck_assert_ptr_nonnull(table->model);
  char *config_path = hardening_tiny_config_file();
  int rounds = env_rounds("PIO_LEAK_MODEL_ROUNDS", 300);
  long before = 0;
  for (int round = 0; round < rounds + 20; round++) {
    if (round == 20) before = hardening_rss_kib();
    if (hardening_run_tiny_model(table, config_path, (uint64_t)round, 2, NULL, &err) != PIO_OK)
      ck_abort_msg("round %d: %s", round, err.message);
  }
  assert_flat("model instances", before, hardening_rss_kib());
  unlink(config_path);
  free(config_path);
  pio_plugin_unload(plugin);
  pio_registry_close(registry);
}
END_TEST

/* Also through the registry cache: its file is read, compared and written
 * on every open. */
START_TEST(test_registries_open_and_close_without_growth) {
  char cache_dir[] = "/tmp/pio-test-leaks-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(cache_dir));
  long before = 0;
  for (int round = 0; round < 220; round++) {
    if (round == 20) before = hardening_rss_kib();
    pio_registry_options opts;
    pio_registry_options_init(&opts);
    opts.skip_environment = 1;
    opts.cache_dir = cache_dir;
    opts.no_cache = round % 2;
    pio_registry *registry = NULL;
    pio_error err = {0};
    ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_OK);
    ck_assert_uint_ge(pio_registry_count(registry), 1);
    pio_registry_close(registry);
  }
  assert_flat("registries", before, hardening_rss_kib());
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *leaks_suite(void) {
  Suite *s = suite_create("leaks");
  TCase *tc = tcase_create("leaks");
  tcase_set_timeout(tc, 900); /* valgrind runs these too */
  tcase_add_test(tc, test_every_plugin_loads_and_unloads_1000_times_without_growth);
  tcase_add_test(tc, test_every_preset_config_parses_and_frees_without_growth);
  tcase_add_test(tc, test_model_instances_are_created_and_destroyed_without_growth);
  tcase_add_test(tc, test_registries_open_and_close_without_growth);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(leaks_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
