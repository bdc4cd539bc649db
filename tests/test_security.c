/* tests/test_security.c — trust boundaries the other suites leave open
 * (docs/security.md lists every boundary and the test that covers it):
 * special files planted where pio expects a manifest, a config.json or a
 * weights file must be refused without hanging (the suite's timeout is the
 * judge), oversize input is refused before it is read, the registry cache
 * never outlives a permission change, and a cache file someone else owns
 * is not believed. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pio/host.h"
#include "pio/json.h"
#include "pio/safetensors.h"
#include "registry/cache/cache.h"

static char tmpdir[64];

static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pio-test-security-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  chmod(tmpdir, 0755);
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static void path_in(char *buf, size_t size, const char *leaf) {
  ck_assert_int_lt(snprintf(buf, size, "%s/%s", tmpdir, leaf), (int)size);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* A plugin folder tmpdir/NAME whose manifest is a FIFO with no writer:
 * opening it for reading the ordinary way would wait forever. */
START_TEST(test_fifo_planted_as_a_manifest_is_invalid_without_hanging) {
  char dir[128], manifest[192];
  path_in(dir, sizeof dir, "fifo_plugin");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  snprintf(manifest, sizeof manifest, "%s/plugin_manifest.json", dir);
  ck_assert_int_eq(mkfifo(manifest, 0644), 0);
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  const char *paths[] = {tmpdir};
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  opts.no_cache = 1;
  pio_registry *registry = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_OK);
  ck_assert_uint_eq(pio_registry_count(registry), 1);
  const pio_plugin_record *rec = pio_registry_at(registry, 0);
  ck_assert_int_eq(rec->state, PIO_PLUGIN_INVALID);
  ck_assert_msg(strstr(rec->reason, "not a regular file") != NULL, "reason: %s", rec->reason);
  pio_registry_close(registry);
}
END_TEST

/* Every plugin's config parser, through its loaded table. */
static void each_config_parser(const char *config_path, pio_status expected,
                               const char *message_part) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.skip_environment = 1;
  opts.no_cache = 1;
  pio_registry *registry = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_OK);
  size_t tried = 0;
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    pio_loaded_plugin *plugin = NULL;
    if (rec->state != PIO_PLUGIN_OK || pio_plugin_load(rec, &plugin, &err) != PIO_OK) continue;
    const pio_plugin *table = pio_loaded_plugin_table(plugin);
    if (table->config != NULL) {
      pio_model_config *config = NULL;
      pio_status s = table->config->parse_file(config_path, &config, &err);
      ck_assert_msg(s == expected, "%s: status %d, expected %d: %s", rec->name, s, expected,
                    err.message);
      ck_assert_msg(strstr(err.message, message_part) != NULL, "%s: %s", rec->name, err.message);
      ck_assert_ptr_null(config);
      tried++;
    }
    pio_plugin_unload(plugin);
  }
  ck_assert_msg(tried > 0, "no plugin of this build has a config component");
  pio_registry_close(registry);
}

START_TEST(test_fifo_planted_as_config_json_is_refused_without_hanging) {
  char config[128];
  path_in(config, sizeof config, "config.json");
  ck_assert_int_eq(mkfifo(config, 0644), 0);
  each_config_parser(config, PIO_ERR_IO, "not a regular file");
}
END_TEST

START_TEST(test_config_json_linked_to_an_endless_device_is_refused) {
  char config[128];
  path_in(config, sizeof config, "config.json");
  ck_assert_int_eq(symlink("/dev/zero", config), 0);
  each_config_parser(config, PIO_ERR_IO, "not a regular file");
}
END_TEST

/* Refused from its size alone: the file is sparse, nothing is read. */
START_TEST(test_oversize_config_json_is_refused_before_reading) {
  char config[128];
  path_in(config, sizeof config, "config.json");
  int fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, (off_t)1 << 32), 0);
  close(fd);
  each_config_parser(config, PIO_ERR_LIMIT, "over the limit");
}
END_TEST

START_TEST(test_fifo_planted_as_weights_is_refused_without_hanging) {
  char weights[128];
  path_in(weights, sizeof weights, "model.safetensors");
  ck_assert_int_eq(mkfifo(weights, 0644), 0);
  pio_safetensors *set = NULL;
  pio_error err;
  ck_assert_int_eq(pio_safetensors_open_file(weights, &set, &err), PIO_ERR_IO);
  ck_assert_msg(strstr(err.message, "not a regular file") != NULL, "%s", err.message);
  ck_assert_ptr_null(set);
  ck_assert_int_eq(pio_safetensors_open_dir(tmpdir, &set, &err), PIO_ERR_IO);
  ck_assert_ptr_null(set);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The registry cache against permission changes and foreign files.    */

static const char manifest_json[] =
    "{\"name\": \"alpha\", \"version\": \"1.0.0\", \"author\": \"t\", \"description\": \"t\","
    " \"plugin_type\": \"model\", \"model_architecture\": \"LlamaForCausalLM\","
    " \"license\": \"MIT\", \"entry_point\": {\"module\": \"mod\", \"factory_function\": \"e\"},"
    " \"compatibility\": {\"abi\": {\"min\": \"1.0\", \"max\": \"1\"}}}";

/* A plugin folder whose module is a plain file: listing never loads it. */
static void make_alpha(char *dir, size_t size, char *module, size_t msize) {
  path_in(dir, size, "plugins");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  strncat(dir, "/alpha", size - strlen(dir) - 1);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char manifest[192];
  snprintf(manifest, sizeof manifest, "%s/plugin_manifest.json", dir);
  write_text(manifest, manifest_json);
  snprintf(module, msize, "%s/mod.so", dir);
  write_text(module, "listing never loads this");
  chmod(module, 0644);
}

/* State of alpha as the registry sees it with the cache in tmpdir/cache. */
static pio_plugin_state alpha_state(char *reason, size_t size) {
  char plugins[128], cache[128];
  path_in(plugins, sizeof plugins, "plugins");
  path_in(cache, sizeof cache, "cache");
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  const char *paths[] = {plugins};
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  opts.cache_dir = cache;
  pio_registry *registry = NULL;
  pio_error err;
  ck_assert_int_eq(pio_registry_open(&opts, &registry, &err), PIO_OK);
  const pio_plugin_record *rec = pio_registry_find(registry, "alpha");
  ck_assert_ptr_nonnull(rec);
  pio_plugin_state state = rec->state;
  snprintf(reason, size, "%s", rec->reason);
  pio_registry_close(registry);
  return state;
}

/* Stores alpha's current record as the registry would, racy margin off. */
static void cache_alpha_now(const char *dir) {
  char cache[128], manifest[192];
  path_in(cache, sizeof cache, "cache");
  snprintf(manifest, sizeof manifest, "%s/plugin_manifest.json", dir);
  char *file = regcache_default_file(cache);
  regcache *c = regcache_open(file, 0);
  free(file);
  regcache_folder folder = {AT_FDCWD, dir, manifest, NULL};
  regcache_ticket ticket;
  regcache_entry e;
  ck_assert_int_eq(regcache_lookup(c, &folder, NULL, &ticket, &e), 0);
  char module[200];
  snprintf(module, sizeof module, "%s/mod.so", dir);
  const char *no_warnings[] = {NULL};
  pio_plugin_record rec = {.name = "alpha", .version = "1.0.0",
                           .model_architecture = "LlamaForCausalLM", .manifest_path = manifest,
                           .dir = dir, .module_path = module, .state = PIO_PLUGIN_OK,
                           .reason = "", .warnings = no_warnings};
  regcache_store(c, &ticket, &rec, NULL, 0);
  pio_error err;
  ck_assert_int_eq(regcache_commit(c, &err), PIO_OK);
  regcache_close(c);
}

START_TEST(test_cached_ok_verdict_does_not_survive_a_world_writable_module) {
  char dir[128], module[200], reason[1024];
  make_alpha(dir, sizeof dir, module, sizeof module);
  cache_alpha_now(dir);
  ck_assert_int_eq(chmod(module, 0666), 0);
  ck_assert_int_eq(alpha_state(reason, sizeof reason), PIO_PLUGIN_INVALID);
  ck_assert_msg(strstr(reason, "writable") != NULL, "reason: %s", reason);
}
END_TEST

START_TEST(test_cached_ok_verdict_does_not_survive_a_world_writable_folder) {
  char dir[128], module[200], reason[1024];
  make_alpha(dir, sizeof dir, module, sizeof module);
  cache_alpha_now(dir);
  ck_assert_int_eq(chmod(dir, 0777), 0);
  ck_assert_int_eq(alpha_state(reason, sizeof reason), PIO_PLUGIN_INVALID);
  ck_assert_msg(strstr(reason, "writable") != NULL, "reason: %s", reason);
}
END_TEST

START_TEST(test_cached_ok_verdict_does_not_survive_a_module_swapped_for_a_symlink_out) {
  char dir[128], module[200], reason[1024], outside[128];
  make_alpha(dir, sizeof dir, module, sizeof module);
  cache_alpha_now(dir);
  path_in(outside, sizeof outside, "outside.so");
  write_text(outside, "code from elsewhere");
  ck_assert_int_eq(unlink(module), 0);
  ck_assert_int_eq(symlink(outside, module), 0);
  ck_assert_int_eq(alpha_state(reason, sizeof reason), PIO_PLUGIN_INVALID);
}
END_TEST

/* Only root can give a file away; elsewhere the world-writable case of
 * test_registry_cache covers the same rule. */
START_TEST(test_cache_file_owned_by_another_user_is_not_believed) {
  if (geteuid() != 0) return;
  char dir[128], module[200], reason[1024], cache[128];
  make_alpha(dir, sizeof dir, module, sizeof module);
  cache_alpha_now(dir);
  path_in(cache, sizeof cache, "cache");
  char *file = regcache_default_file(cache);
  ck_assert_int_eq(chown(file, 65534, 65534), 0);
  regcache *c = regcache_open(file, REGCACHE_RACY_MARGIN_NS);
  regcache_stats stats;
  regcache_get_stats(c, &stats);
  ck_assert_int_eq(stats.file_ignored, 1);
  ck_assert_uint_eq(stats.loaded, 0);
  regcache_close(c);
  free(file);
  ck_assert_int_eq(alpha_state(reason, sizeof reason), PIO_PLUGIN_OK);
}
END_TEST

static Suite *security_suite(void) {
  Suite *s = suite_create("security");
  TCase *tc = tcase_create("security");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30); /* a hang on a FIFO fails here */
  tcase_add_test(tc, test_fifo_planted_as_a_manifest_is_invalid_without_hanging);
  tcase_add_test(tc, test_fifo_planted_as_config_json_is_refused_without_hanging);
  tcase_add_test(tc, test_config_json_linked_to_an_endless_device_is_refused);
  tcase_add_test(tc, test_oversize_config_json_is_refused_before_reading);
  tcase_add_test(tc, test_fifo_planted_as_weights_is_refused_without_hanging);
  tcase_add_test(tc, test_cached_ok_verdict_does_not_survive_a_world_writable_module);
  tcase_add_test(tc, test_cached_ok_verdict_does_not_survive_a_world_writable_folder);
  tcase_add_test(tc, test_cached_ok_verdict_does_not_survive_a_module_swapped_for_a_symlink_out);
  tcase_add_test(tc, test_cache_file_owned_by_another_user_is_not_believed);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(security_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
