/* tests/test_models.c — resolving a model name (pio/models.h): presets from
 * PIO_MODELS_PATH before the source tree's, Hugging Face folders, and an
 * error a person can act on for every way a name can fail to resolve. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pio/models.h"

#ifndef PIO_TEST_BUILD_PLUGIN_DIR
#error "PIO_TEST_BUILD_PLUGIN_DIR must name the build tree's plugins folder"
#endif
#ifndef PIO_TEST_MODELS_DIR
#error "PIO_TEST_MODELS_DIR must name manifests/models"
#endif

static char tmp_dir[256];

/* A fresh folder for this test, and PIO_MODELS_PATH pointing at it. */
static void setup(void) {
  snprintf(tmp_dir, sizeof tmp_dir, "%s/pio_models_XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
  setenv("PIO_MODELS_PATH", tmp_dir, 1);
}

static void teardown(void) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
  ck_assert_int_eq(system(cmd), 0);
  unsetenv("PIO_MODELS_PATH");
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static pio_registry *open_registry(const char *extra_dir) {
  const char *paths[2] = {PIO_TEST_BUILD_PLUGIN_DIR, extra_dir};
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = extra_dir ? 2 : 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  opts.no_cache = 1;
  pio_registry *r = NULL;
  pio_error err = {0};
  ck_assert_msg(pio_registry_open(&opts, &r, &err) == PIO_OK, "%s", err.message);
  return r;
}

/* Resolves model expecting status; returns the message. */
static const char *resolve_fails(const char *model, pio_status status) {
  static pio_error err;
  pio_registry *r = open_registry(NULL);
  pio_resolved_model m;
  memset(&err, 0, sizeof err);
  pio_status s = pio_model_resolve(r, model, &m, &err);
  ck_assert_msg(s == status, "status %d, expected %d: %s", (int)s, (int)status, err.message);
  ck_assert_ptr_null(m.config_path);
  pio_registry_close(r);
  return err.message;
}

START_TEST(test_preset_name_resolves_to_its_config_and_plugin) {
  pio_registry *r = open_registry(NULL);
  pio_resolved_model m;
  pio_error err = {0};
  ck_assert_msg(pio_model_resolve(r, "llama-3.1-8b", &m, &err) == PIO_OK, "%s", err.message);
  ck_assert_str_eq(m.name, "llama-3.1-8b");
  ck_assert_str_eq(m.architecture, "LlamaForCausalLM");
  ck_assert_ptr_nonnull(strstr(m.config_path, "/manifests/models/llama-3.1-8b.json"));
  ck_assert_ptr_null(m.weights_dir);
  ck_assert_str_eq(m.record->name, "llama3_1");
  pio_resolved_model_clear(&m);
  pio_registry_close(r);
}
END_TEST

START_TEST(test_deepseek_preset_resolves_to_the_deepseek_r1_plugin) {
  pio_registry *r = open_registry(NULL);
  pio_resolved_model m;
  pio_error err = {0};
  ck_assert_msg(pio_model_resolve(r, "deepseek-r1", &m, &err) == PIO_OK, "%s", err.message);
  ck_assert_str_eq(m.architecture, "DeepseekV3ForCausalLM");
  ck_assert_str_eq(m.record->name, "deepseek_r1");
  pio_resolved_model_clear(&m);
  pio_registry_close(r);
}
END_TEST

START_TEST(test_models_path_comes_before_the_source_tree) {
  char path[512];
  snprintf(path, sizeof path, "%s/llama-3.1-8b.json", tmp_dir);
  write_file(path, "{\"architectures\": [\"LlamaForCausalLM\"]}");
  pio_registry *r = open_registry(NULL);
  pio_resolved_model m;
  pio_error err = {0};
  ck_assert_msg(pio_model_resolve(r, "llama-3.1-8b", &m, &err) == PIO_OK, "%s", err.message);
  char real[512];
  ck_assert_ptr_nonnull(realpath(path, real));
  ck_assert_str_eq(m.config_path, real);
  pio_resolved_model_clear(&m);
  pio_registry_close(r);
}
END_TEST

START_TEST(test_folder_with_config_resolves_with_its_weights_dir) {
  char model_dir[512], path[600];
  snprintf(model_dir, sizeof model_dir, "%s/my-model", tmp_dir);
  ck_assert_int_eq(mkdir(model_dir, 0755), 0);
  snprintf(path, sizeof path, "%s/config.json", model_dir);
  write_file(path, "{\"architectures\": [\"DeepseekV3ForCausalLM\"]}");
  pio_registry *r = open_registry(NULL);
  pio_resolved_model m;
  pio_error err = {0};
  ck_assert_msg(pio_model_resolve(r, model_dir, &m, &err) == PIO_OK, "%s", err.message);
  char real[512];
  ck_assert_ptr_nonnull(realpath(model_dir, real));
  ck_assert_str_eq(m.weights_dir, real);
  ck_assert_ptr_nonnull(strstr(m.config_path, "/my-model/config.json"));
  ck_assert_str_eq(m.record->name, "deepseek_r1");
  pio_resolved_model_clear(&m);
  pio_registry_close(r);
}
END_TEST

START_TEST(test_folder_without_config_is_not_found) {
  const char *msg = resolve_fails(tmp_dir, PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(msg, "holds no config.json"));
}
END_TEST

START_TEST(test_missing_folder_path_is_not_found) {
  const char *msg = resolve_fails("./no/such/model", PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(msg, "No such file or directory"));
}
END_TEST

START_TEST(test_unknown_name_lists_the_presets) {
  const char *msg = resolve_fails("llama-9", PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(msg, "unknown model \"llama-9\""));
  ck_assert_ptr_nonnull(strstr(msg, "llama-3.2-1b"));
  ck_assert_ptr_nonnull(strstr(msg, "deepseek-r1"));
  ck_assert_ptr_nonnull(strstr(msg, "PIO_MODELS_PATH"));
}
END_TEST

START_TEST(test_empty_name_is_refused) {
  const char *msg = resolve_fails("", PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "empty"));
}
END_TEST

START_TEST(test_preset_without_architectures_names_file_and_field) {
  char path[512];
  snprintf(path, sizeof path, "%s/broken.json", tmp_dir);
  write_file(path, "{\"hidden_size\": 64}");
  const char *msg = resolve_fails("broken", PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(msg, "broken.json"));
  ck_assert_ptr_nonnull(strstr(msg, "'architectures'"));
}
END_TEST

START_TEST(test_architectures_not_an_array_of_strings_is_refused_with_position) {
  char path[512];
  snprintf(path, sizeof path, "%s/odd.json", tmp_dir);
  write_file(path, "{\n  \"architectures\": \"LlamaForCausalLM\"\n}");
  const char *msg = resolve_fails("odd", PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(msg, "odd.json:2:"));
  ck_assert_ptr_nonnull(strstr(msg, "a string"));
}
END_TEST

START_TEST(test_broken_json_preset_reports_line_and_column) {
  char path[512];
  snprintf(path, sizeof path, "%s/bad.json", tmp_dir);
  write_file(path, "{\n  \"architectures\": [\"LlamaForCausalLM\",]\n}\n");
  const char *msg = resolve_fails("bad", PIO_ERR_PARSE);
  ck_assert_ptr_nonnull(strstr(msg, "bad.json:2:"));
}
END_TEST

START_TEST(test_architecture_without_plugin_names_it_and_the_plugins) {
  char path[512];
  snprintf(path, sizeof path, "%s/mamba.json", tmp_dir);
  write_file(path, "{\"architectures\": [\"MambaForCausalLM\"]}");
  const char *msg = resolve_fails("mamba", PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(msg, "MambaForCausalLM"));
  ck_assert_ptr_nonnull(strstr(msg, "llama3_1 (LlamaForCausalLM)"));
}
END_TEST

/* A plugin folder serving FakeForCausalLM that needs a million GB. */
static void write_hungry_plugin(const char *plugins_dir) {
  char dir[600], path[700];
  snprintf(dir, sizeof dir, "%s/hungry", plugins_dir);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  snprintf(path, sizeof path, "%s/deepseek_r1/plugin_manifest.json", PIO_TEST_BUILD_PLUGIN_DIR);
  json_object *m = json_object_from_file(path);
  ck_assert_ptr_nonnull(m);
  json_object_object_add(m, "name", json_object_new_string("hungry"));
  json_object_object_add(m, "model_architecture", json_object_new_string("FakeForCausalLM"));
  json_object *compat = NULL, *entry = NULL;
  ck_assert(json_object_object_get_ex(m, "compatibility", &compat));
  json_object_object_add(compat, "min_memory_gb", json_object_new_double(1e6));
  ck_assert(json_object_object_get_ex(m, "entry_point", &entry));
  json_object_object_add(entry, "module", json_object_new_string("pio_hungry"));
  snprintf(path, sizeof path, "%s/plugin_manifest.json", dir);
  ck_assert_int_eq(json_object_to_file(path, m), 0);
  json_object_put(m);
  snprintf(path, sizeof path, "%s/pio_hungry.so", dir);
  write_file(path, "");
}

START_TEST(test_plugin_that_cannot_run_here_is_named_with_its_reason) {
  char plugins[512], path[600];
  snprintf(plugins, sizeof plugins, "%s/plugins", tmp_dir);
  ck_assert_int_eq(mkdir(plugins, 0755), 0);
  write_hungry_plugin(plugins);
  snprintf(path, sizeof path, "%s/fake.json", tmp_dir);
  write_file(path, "{\"architectures\": [\"FakeForCausalLM\"]}");
  pio_registry *r = open_registry(plugins);
  pio_resolved_model m;
  pio_error err = {0};
  pio_status s = pio_model_resolve(r, "fake", &m, &err);
  ck_assert_msg(s == PIO_ERR_INCOMPATIBLE, "status %d: %s", (int)s, err.message);
  ck_assert_ptr_nonnull(strstr(err.message, "plugin 'hungry'"));
  ck_assert_ptr_nonnull(strstr(err.message, "incompatible"));
  ck_assert_ptr_nonnull(strstr(err.message, "min_memory_gb"));
  pio_registry_close(r);
}
END_TEST

START_TEST(test_preset_names_are_sorted_and_listed_once) {
  char path[512];
  snprintf(path, sizeof path, "%s/aaa.json", tmp_dir);
  write_file(path, "{}");
  snprintf(path, sizeof path, "%s/llama-3.1-8b.json", tmp_dir);
  write_file(path, "{}");
  snprintf(path, sizeof path, "%s/notes.txt", tmp_dir);
  write_file(path, "not a preset");
  char **names = NULL;
  size_t count = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_model_preset_names(&names, &count, &err), PIO_OK);
  ck_assert_uint_ge(count, 8);
  ck_assert_str_eq(names[0], "aaa");
  size_t seen = 0;
  for (size_t i = 0; i < count; i++) {
    if (i > 0) ck_assert_int_lt(strcmp(names[i - 1], names[i]), 0);
    seen += strcmp(names[i], "llama-3.1-8b") == 0;
    ck_assert_ptr_null(strstr(names[i], "notes"));
  }
  ck_assert_uint_eq(seen, 1);
  pio_model_preset_names_free(names, count);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("models");
  TCase *t = tcase_create("resolve");
  tcase_add_checked_fixture(t, setup, teardown);
  tcase_add_test(t, test_preset_name_resolves_to_its_config_and_plugin);
  tcase_add_test(t, test_deepseek_preset_resolves_to_the_deepseek_r1_plugin);
  tcase_add_test(t, test_models_path_comes_before_the_source_tree);
  tcase_add_test(t, test_folder_with_config_resolves_with_its_weights_dir);
  tcase_add_test(t, test_folder_without_config_is_not_found);
  tcase_add_test(t, test_missing_folder_path_is_not_found);
  tcase_add_test(t, test_unknown_name_lists_the_presets);
  tcase_add_test(t, test_empty_name_is_refused);
  tcase_add_test(t, test_preset_without_architectures_names_file_and_field);
  tcase_add_test(t, test_architectures_not_an_array_of_strings_is_refused_with_position);
  tcase_add_test(t, test_broken_json_preset_reports_line_and_column);
  tcase_add_test(t, test_architecture_without_plugin_names_it_and_the_plugins);
  tcase_add_test(t, test_plugin_that_cannot_run_here_is_named_with_its_reason);
  tcase_add_test(t, test_preset_names_are_sorted_and_listed_once);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
