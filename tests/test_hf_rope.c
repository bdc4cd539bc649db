/* tests/test_hf_rope.c — pio_hf_config_read_rope: config.json's rope_theta
 * and rope_scaling (or Transformers 5's rope_parameters) as pio_rope_params
 * for each rope type, transformers' defaults where a field is absent, and
 * each refusal naming the file, place and field. */
#include <check.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "config_file_helpers.h"
#include "pio/hf_config.h"

enum { ROTARY = 64, MAX_POSITION = 163840 };

/* Reads text's RoPE fields into *p; returns the status, the message in err. */
static pio_status read_text(const char *text, pio_rope_params *p, pio_error *err) {
  config_write_text(text);
  pio_hf_config doc;
  ck_assert_int_eq(pio_hf_config_open(&doc, config_path, 0, 0, err), PIO_OK);
  const pio_status s =
      pio_hf_config_read_rope(&doc, doc.root, ROTARY, MAX_POSITION, 10000.0, p, err);
  pio_hf_config_close(&doc);
  unlink(config_path);
  return s;
}

static pio_rope_params read_ok(const char *text) {
  pio_rope_params p;
  pio_error err = {0};
  ck_assert_msg(read_text(text, &p, &err) == PIO_OK, "%s", err.message);
  return p;
}

static void expect_error(const char *text, pio_status status, const char *fragment) {
  pio_rope_params p;
  pio_error err = {0};
  ck_assert_int_eq(read_text(text, &p, &err), status);
  config_assert_message(err.message, fragment, NULL);
}

START_TEST(test_hf_rope_absent_or_null_is_default_with_theta) {
  pio_rope_params p = read_ok("{}");
  ck_assert_int_eq(p.type, PIO_ROPE_DEFAULT);
  ck_assert_double_eq(p.theta, 10000.0);
  ck_assert_uint_eq(p.rotary_dim, ROTARY);
  ck_assert_int_eq(p.layout, PIO_ROPE_HALF_SPLIT);
  p = read_ok("{\"rope_theta\": 1000000.0, \"rope_scaling\": null}");
  ck_assert_int_eq(p.type, PIO_ROPE_DEFAULT);
  ck_assert_double_eq(p.theta, 1e6);
  p = read_ok("{\"rope_scaling\": {\"rope_type\": \"default\"}}");
  ck_assert_int_eq(p.type, PIO_ROPE_DEFAULT);
}
END_TEST

START_TEST(test_hf_rope_linear_and_llama3) {
  pio_rope_params p = read_ok("{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}}");
  ck_assert_int_eq(p.type, PIO_ROPE_LINEAR);
  ck_assert_double_eq(p.factor, 4.0);
  p = read_ok("{\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", "
              "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
              "\"original_max_position_embeddings\": 8192}}");
  ck_assert_int_eq(p.type, PIO_ROPE_LLAMA3);
  ck_assert_double_eq(p.low_freq_factor, 1.0);
  ck_assert_double_eq(p.high_freq_factor, 4.0);
  ck_assert_uint_eq(p.original_max_position, 8192);
  ck_assert_double_eq(p.theta, 500000.0);
}
END_TEST

START_TEST(test_hf_rope_yarn_deepseek_v3) {
  pio_rope_params p = read_ok(
      "{\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 40, \"beta_fast\": 32, "
      "\"beta_slow\": 1, \"mscale\": 1.0, \"mscale_all_dim\": 1.0, "
      "\"original_max_position_embeddings\": 4096}}");
  ck_assert_int_eq(p.type, PIO_ROPE_YARN);
  ck_assert_double_eq(p.factor, 40.0);
  ck_assert_double_eq(p.beta_fast, 32.0);
  ck_assert_double_eq(p.beta_slow, 1.0);
  ck_assert_double_eq(p.mscale, 1.0);
  ck_assert_double_eq(p.mscale_all_dim, 1.0);
  ck_assert_uint_eq(p.original_max_position, 4096);
  ck_assert_int_eq(p.yarn_no_truncate, 0);
}
END_TEST

START_TEST(test_hf_rope_yarn_defaults_as_transformers) {
  /* No factor: the context's growth; no original: max_position_embeddings. */
  pio_rope_params p = read_ok("{\"rope_scaling\": {\"rope_type\": \"yarn\", "
                              "\"original_max_position_embeddings\": 40960}}");
  ck_assert_double_eq(p.factor, (double)MAX_POSITION / 40960);
  p = read_ok("{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}");
  ck_assert_uint_eq(p.original_max_position, MAX_POSITION);
  ck_assert_double_eq(p.beta_fast, 0.0); /* pio_rope_inv_freq takes 32 and 1 */
  /* GPT-OSS: truncate false, theta 150000. */
  p = read_ok("{\"rope_theta\": 150000, \"rope_scaling\": {\"rope_type\": \"yarn\", "
              "\"factor\": 32.0, \"original_max_position_embeddings\": 4096, "
              "\"truncate\": false, \"beta_fast\": 32.0, \"beta_slow\": 1.0}}");
  ck_assert_int_eq(p.yarn_no_truncate, 1);
  ck_assert_double_eq(p.theta, 150000.0);
}
END_TEST

START_TEST(test_hf_rope_transformers_5_rope_parameters) {
  pio_rope_params p = read_ok("{\"rope_theta\": 5.0, \"rope_parameters\": {\"rope_type\": "
                              "\"linear\", \"rope_theta\": 1000000.0, \"factor\": 8.0}}");
  ck_assert_int_eq(p.type, PIO_ROPE_LINEAR);
  ck_assert_double_eq(p.theta, 1e6);
  ck_assert_double_eq(p.factor, 8.0);
}
END_TEST

START_TEST(test_hf_rope_unknown_type_is_unsupported_and_named) {
  expect_error("{\"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}}",
               PIO_ERR_UNSUPPORTED, "found \"dynamic\"");
  expect_error("{\"rope_scaling\": {\"type\": \"longrope\"}}", PIO_ERR_UNSUPPORTED,
               "field 'type'");
}
END_TEST

/* Llama 4 Scout's factors are equal: no band is blended, and none is NaN. */
START_TEST(test_hf_rope_llama3_with_equal_factors_blends_no_band) {
  const pio_rope_params p = read_ok(
      "{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 16.0, "
      "\"low_freq_factor\": 1.0, \"high_freq_factor\": 1.0, "
      "\"original_max_position_embeddings\": 8192}, \"rope_theta\": 500000.0}");
  ck_assert_int_eq(p.type, PIO_ROPE_LLAMA3);
  float inv_freq[ROTARY / 2];
  double factor = 0;
  pio_rope_inv_freq(&p, inv_freq, &factor);
  for (int i = 0; i < ROTARY / 2; i++) {
    const double plain = pow(500000.0, -2.0 * i / ROTARY);
    const double wavelen = 2 * M_PI / plain;
    const double want = wavelen > 8192 ? plain / 16 : plain;
    ck_assert_msg(fabs(inv_freq[i] - want) <= 1e-6 * want, "%d: %g, expected %g", i,
                  (double)inv_freq[i], want);
  }
}
END_TEST

START_TEST(test_hf_rope_bad_values_name_file_and_field) {
  expect_error("{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, "
               "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0}}",
               PIO_ERR_INVALID, "original_max_position_embeddings");
  expect_error("{\"rope_scaling\": {\"rope_type\": \"linear\"}}", PIO_ERR_INVALID,
               "missing required field 'factor'");
  expect_error("{\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": -2}}",
               PIO_ERR_INVALID, "field 'factor'");
  expect_error("{\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, "
               "\"low_freq_factor\": 4.0, \"high_freq_factor\": 1.0, "
               "\"original_max_position_embeddings\": 8192}}",
               PIO_ERR_INVALID, "high_freq_factor must be at least low_freq_factor");
  expect_error("{\"rope_theta\": 0}", PIO_ERR_INVALID, "rope_theta");
  expect_error("{\"rope_theta\": \"big\"}", PIO_ERR_INVALID, "field 'rope_theta'");
  expect_error("{\"rope_scaling\": [1]}", PIO_ERR_INVALID, "expected an object or null");
  expect_error("{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4, \"truncate\": 1}}",
               PIO_ERR_INVALID, "field 'truncate'");
  /* The place is named: file:line:column of the value. */
  expect_error("{\"rope_scaling\": {\"rope_type\": \"yarn\", \"mscale\": -1}}", PIO_ERR_INVALID,
               ":1:50: field 'mscale'");
}
END_TEST

int main(void) {
  Suite *s = suite_create("hf_rope");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_hf_rope_absent_or_null_is_default_with_theta);
  tcase_add_test(tc, test_hf_rope_llama3_with_equal_factors_blends_no_band);
  tcase_add_test(tc, test_hf_rope_linear_and_llama3);
  tcase_add_test(tc, test_hf_rope_yarn_deepseek_v3);
  tcase_add_test(tc, test_hf_rope_yarn_defaults_as_transformers);
  tcase_add_test(tc, test_hf_rope_transformers_5_rope_parameters);
  tcase_add_test(tc, test_hf_rope_unknown_type_is_unsupported_and_named);
  tcase_add_test(tc, test_hf_rope_bad_values_name_file_and_field);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
