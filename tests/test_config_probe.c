/* tests/test_config_probe.c — a plugin's own figures for one config.json
 * (host/load/config_probe.c), against fake component tables in this process:
 * the query the kv_cache component receives, the figures taken from
 * summarize and figures, and every refusal kept with its message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/config_probe.h"

/* The fakes' config: where parse_file was pointed, and what to answer. */
struct pio_model_config {
  char path[256];
};

static pio_kv_query last_query; /* what the kv_cache fake was asked */
static int freed;               /* configs freed by the fake */
static uint64_t active_params;  /* n_params_active the fake summarize reports */

static pio_status fake_parse(const char *path, pio_model_config **out, pio_error *err) {
  if (strstr(path, "broken") != NULL)
    return pio_error_set(err, PIO_ERR_INVALID, "%s:3:5: field 'hidden_size': expected a "
                         "positive integer, found \"x\"", path);
  pio_model_config *c = calloc(1, sizeof *c);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  snprintf(c->path, sizeof c->path, "%s", path);
  *out = c;
  return PIO_OK;
}

static void fake_free(pio_model_config *c) {
  freed++;
  free(c);
}

static pio_status fake_summarize(const pio_model_config *c, pio_model_summary *out,
                                 pio_error *err) {
  if (strstr(c->path, "unsummarizable") != NULL)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: cannot count parameters", c->path);
  out->n_params = 1000;
  out->n_params_active = active_params;
  return PIO_OK;
}

static pio_status fake_figures(const pio_model_config *c, const pio_kv_query *q,
                               pio_kv_figures *out, pio_error *err) {
  last_query = *q;
  if (strstr(c->path, "unshardable") != NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u does not divide 3 heads", q->tp);
  out->bytes_per_token = 4096u * pio_dtype_size(q->kv_dtype) / q->tp;
  return PIO_OK;
}

static const pio_config_api config_api = {sizeof(pio_config_api), fake_parse, fake_free,
                                          fake_summarize, NULL};
static const pio_kv_cache_api kv_api = {sizeof(pio_kv_cache_api), fake_figures};

static pio_plugin table_with(const pio_config_api *config, const pio_kv_cache_api *kv) {
  pio_plugin t;
  memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  t.config = config;
  t.kv_cache = kv;
  return t;
}

static void setup(void) {
  memset(&last_query, 0, sizeof last_query);
  freed = 0;
  active_params = 0;
}

START_TEST(test_figures_come_from_summarize_and_the_kv_cache_component) {
  pio_plugin t = table_with(&config_api, &kv_api);
  active_params = 250;
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_int_eq(p.status, PIO_OK);
  ck_assert_uint_eq(p.n_params, 1000);
  ck_assert_uint_eq(p.n_params_active, 250);
  ck_assert_int_eq(p.has_kv, 1);
  ck_assert_uint_eq(p.kv_bytes_per_token, 8192); /* 4096 bf16 elements */
  ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(test_kv_query_is_bf16_unsharded_one_token_pages) {
  pio_plugin t = table_with(&config_api, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_uint_eq(last_query.struct_size, sizeof(pio_kv_query));
  ck_assert_int_eq(last_query.kv_dtype, PIO_DTYPE_BF16);
  ck_assert_uint_eq(last_query.tp, 1);
  ck_assert_uint_eq(last_query.pp, 1);
  ck_assert_uint_eq(last_query.page_size, 1);
  ck_assert_int_eq(last_query.formula, PIO_KV_FORMULA_PIO);
}
END_TEST

START_TEST(test_dense_model_without_active_count_reports_all_parameters_active) {
  pio_plugin t = table_with(&config_api, &kv_api);
  active_params = 0; /* a plugin built before n_params_active existed leaves it 0 */
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_uint_eq(p.n_params_active, 1000);
}
END_TEST

START_TEST(test_plugin_without_kv_cache_gives_parameters_only) {
  pio_plugin t = table_with(&config_api, NULL);
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_int_eq(p.status, PIO_OK);
  ck_assert_int_eq(p.has_kv, 0);
  ck_assert_uint_eq(p.kv_bytes_per_token, 0);
  ck_assert_uint_eq(p.n_params, 1000);
}
END_TEST

START_TEST(test_plugin_without_config_is_unsupported_naming_the_file) {
  pio_plugin t = table_with(NULL, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_int_eq(p.status, PIO_ERR_UNSUPPORTED);
  ck_assert_str_eq(p.message, "the plugin has no config component to read /presets/model.json");
}
END_TEST

START_TEST(test_config_table_too_short_for_summarize_counts_as_absent) {
  pio_config_api short_api = config_api;
  short_api.struct_size = (uint32_t)offsetof(pio_config_api, summarize);
  pio_plugin t = table_with(&short_api, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_int_eq(p.status, PIO_ERR_UNSUPPORTED);
  ck_assert_int_eq(freed, 0);
}
END_TEST

START_TEST(test_kv_table_too_short_for_figures_counts_as_absent) {
  pio_kv_cache_api short_kv = kv_api;
  short_kv.struct_size = (uint32_t)offsetof(pio_kv_cache_api, figures);
  pio_plugin t = table_with(&config_api, &short_kv);
  pio_config_probe p;
  config_probe_run(&t, "/presets/model.json", &p);
  ck_assert_int_eq(p.status, PIO_OK);
  ck_assert_int_eq(p.has_kv, 0);
  ck_assert_int_eq(last_query.struct_size, 0); /* figures was never called */
}
END_TEST

START_TEST(test_config_the_plugin_refuses_keeps_its_message) {
  pio_plugin t = table_with(&config_api, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/broken.json", &p);
  ck_assert_int_eq(p.status, PIO_ERR_INVALID);
  ck_assert_str_eq(p.message, "/presets/broken.json:3:5: field 'hidden_size': expected a "
                              "positive integer, found \"x\"");
  ck_assert_int_eq(freed, 0);
}
END_TEST

START_TEST(test_summarize_failure_keeps_its_message_and_frees_the_config) {
  pio_plugin t = table_with(&config_api, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/unsummarizable.json", &p);
  ck_assert_int_eq(p.status, PIO_ERR_UNSUPPORTED);
  ck_assert_str_eq(p.message, "/presets/unsummarizable.json: cannot count parameters");
  ck_assert_int_eq(freed, 1);
}
END_TEST

START_TEST(test_kv_figures_failure_keeps_its_message_and_frees_the_config) {
  pio_plugin t = table_with(&config_api, &kv_api);
  pio_config_probe p;
  config_probe_run(&t, "/presets/unshardable.json", &p);
  ck_assert_int_eq(p.status, PIO_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(p.message, "tp 1 does not divide 3 heads");
  ck_assert_int_eq(freed, 1);
}
END_TEST

static Suite *config_probe_suite(void) {
  Suite *s = suite_create("config_probe");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_test(tc, test_figures_come_from_summarize_and_the_kv_cache_component);
  tcase_add_test(tc, test_kv_query_is_bf16_unsharded_one_token_pages);
  tcase_add_test(tc, test_dense_model_without_active_count_reports_all_parameters_active);
  tcase_add_test(tc, test_plugin_without_kv_cache_gives_parameters_only);
  tcase_add_test(tc, test_plugin_without_config_is_unsupported_naming_the_file);
  tcase_add_test(tc, test_config_table_too_short_for_summarize_counts_as_absent);
  tcase_add_test(tc, test_kv_table_too_short_for_figures_counts_as_absent);
  tcase_add_test(tc, test_config_the_plugin_refuses_keeps_its_message);
  tcase_add_test(tc, test_summarize_failure_keeps_its_message_and_frees_the_config);
  tcase_add_test(tc, test_kv_figures_failure_keeps_its_message_and_frees_the_config);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(config_probe_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
