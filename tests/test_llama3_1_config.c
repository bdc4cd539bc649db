/* tests/test_llama3_1_config.c — the llama3_1 plugin's config component:
 * a Hugging Face LlamaForCausalLM config.json parses into the right typed
 * values, and every missing, mistyped or out-of-range field is refused with
 * a message naming the file and the field. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/llama_config.h"
#include "config_file_helpers.h"
#include "pio/plugin.h"

PIO_PLUGIN_EXPORT const pio_plugin *pio_llama3_1_entry(const pio_host_services *host,
                                                       pio_error *err);

/* Llama-3.1-8B's published config.json. */
static const char base_8b[] =
    "{\n"
    "  \"architectures\": [\"LlamaForCausalLM\"],\n"
    "  \"attention_bias\": false,\n"
    "  \"hidden_act\": \"silu\",\n"
    "  \"hidden_size\": 4096,\n"
    "  \"intermediate_size\": 14336,\n"
    "  \"max_position_embeddings\": 131072,\n"
    "  \"mlp_bias\": false,\n"
    "  \"model_type\": \"llama\",\n"
    "  \"num_attention_heads\": 32,\n"
    "  \"num_hidden_layers\": 32,\n"
    "  \"num_key_value_heads\": 8,\n"
    "  \"rms_norm_eps\": 1e-05,\n"
    "  \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0,\n"
    "    \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192,\n"
    "    \"rope_type\": \"llama3\"},\n"
    "  \"rope_theta\": 500000.0,\n"
    "  \"tie_word_embeddings\": false,\n"
    "  \"torch_dtype\": \"bfloat16\",\n"
    "  \"vocab_size\": 128256\n"
    "}\n";

/* The 8B config with member key of object parent ("" for the top) set to
 * json_value, or removed when json_value is NULL. */
static void write_with(const char *parent, const char *key, const char *json_value) {
  config_write_with(json_tokener_parse(base_8b), parent, key, json_value);
}

static void expect_error(pio_status status, const char *fragment, const char *fragment2) {
  config_expect_error(llama_config_parse_file, status, fragment, fragment2);
}

static pio_model_config *parse_ok(void) {
  pio_model_config *c = config_parse_ok(llama_config_parse_file, config_path);
  unlink(config_path);
  return c;
}

START_TEST(test_config_8b_parses_every_field) {
  config_write_text(base_8b);
  pio_model_config *c = parse_ok();
  ck_assert_uint_eq(c->hidden_size, 4096);
  ck_assert_uint_eq(c->intermediate_size, 14336);
  ck_assert_uint_eq(c->n_layers, 32);
  ck_assert_uint_eq(c->n_heads, 32);
  ck_assert_uint_eq(c->n_kv_heads, 8);
  ck_assert_uint_eq(c->head_dim, 128); /* derived: 4096 / 32 */
  ck_assert_uint_eq(c->vocab_size, 128256);
  ck_assert_uint_eq(c->max_position, 131072);
  ck_assert_double_eq(c->rms_norm_eps, 1e-5);
  ck_assert_double_eq(c->rope.theta, 500000.0);
  ck_assert_int_eq(c->rope.type, PIO_ROPE_LLAMA3);
  ck_assert_int_eq(c->rope.layout, PIO_ROPE_HALF_SPLIT);
  ck_assert_uint_eq(c->rope.rotary_dim, c->head_dim);
  ck_assert_double_eq(c->rope.factor, 8.0);
  ck_assert_double_eq(c->rope.low_freq_factor, 1.0);
  ck_assert_double_eq(c->rope.high_freq_factor, 4.0);
  ck_assert_uint_eq(c->rope.original_max_position, 8192);
  ck_assert_int_eq(c->tie_word_embeddings, 0);
  ck_assert_int_eq(c->has_torch_dtype, 1);
  ck_assert_int_eq(c->torch_dtype, PIO_DTYPE_BF16);
  ck_assert_str_eq(c->architecture, "LlamaForCausalLM");
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_kv_heads_default_to_attention_heads) {
  write_with("", "num_key_value_heads", NULL);
  pio_model_config *c = parse_ok();
  ck_assert_uint_eq(c->n_kv_heads, 32);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_explicit_head_dim_wins) {
  write_with("", "head_dim", "64");
  pio_model_config *c = parse_ok();
  ck_assert_uint_eq(c->head_dim, 64);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_null_rope_scaling_is_no_scaling) {
  write_with("", "rope_scaling", "null");
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_DEFAULT);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_default_rope_type_is_no_scaling) {
  write_with("", "rope_scaling", "{\"rope_type\": \"default\"}");
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_DEFAULT);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_old_type_key_names_llama3) {
  write_with("", "rope_scaling", "{\"type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": "
             "1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}");
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_LLAMA3);
  ck_assert_double_eq(c->rope.factor, 32.0);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_absent_optionals_take_llama_defaults) {
  config_write_text("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, "
                    "\"intermediate_size\": 128, \"num_hidden_layers\": 2, "
                    "\"num_attention_heads\": 4, \"vocab_size\": 100, "
                    "\"max_position_embeddings\": 256}");
  pio_model_config *c = parse_ok();
  ck_assert_double_eq(c->rms_norm_eps, 1e-6);
  ck_assert_double_eq(c->rope.theta, 10000.0);
  ck_assert_int_eq(c->rope.type, PIO_ROPE_DEFAULT);
  ck_assert_int_eq(c->tie_word_embeddings, 0);
  ck_assert_int_eq(c->has_torch_dtype, 0);
  ck_assert_uint_eq(c->head_dim, 16);
  llama_config_free(c);
}
END_TEST

/* Each required field, removed. */
static const char *const required_fields[] = {
    "architectures",      "hidden_size",       "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "vocab_size",       "max_position_embeddings"};

START_TEST(test_config_missing_required_field_is_named) {
  const char *key = required_fields[_i];
  write_with("", key, NULL);
  char quoted[64];
  snprintf(quoted, sizeof quoted, "'%s'", key);
  expect_error(PIO_ERR_INVALID, "missing required field", quoted);
}
END_TEST

/* Each field given a value of the wrong JSON type. */
static const char *const typed_fields[][2] = {
    {"hidden_size", "\"4096\""},        {"intermediate_size", "14336.5"},
    {"num_hidden_layers", "true"},      {"num_attention_heads", "[32]"},
    {"num_key_value_heads", "\"8\""},   {"head_dim", "{}"},
    {"vocab_size", "1.5"},              {"max_position_embeddings", "\"big\""},
    {"rms_norm_eps", "\"1e-5\""},       {"rope_theta", "false"},
    {"tie_word_embeddings", "1"},       {"torch_dtype", "16"},
    {"architectures", "\"LlamaForCausalLM\""}, {"rope_scaling", "8.0"},
    {"hidden_act", "7"},                {"attention_bias", "\"no\""}};

START_TEST(test_config_wrong_type_names_field_and_position) {
  const char *key = typed_fields[_i][0];
  write_with("", key, typed_fields[_i][1]);
  char quoted[64];
  snprintf(quoted, sizeof quoted, "field '%s'", key);
  /* The pretty printer puts the member on a line of its own: a line:column
   * follows the path. */
  char at[300];
  snprintf(at, sizeof at, "%s:", config_path);
  pio_model_config *c = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_config_parse_file(config_path, &c, &err), PIO_ERR_INVALID);
  ck_assert_msg(strstr(err.message, quoted) != NULL, "%s", err.message);
  ck_assert_msg(strstr(err.message, "expected") != NULL, "%s", err.message);
  ck_assert_msg(strncmp(err.message, at, strlen(at)) == 0, "%s", err.message);
  const char *after = err.message + strlen(at);
  int line = 0, column = 0;
  ck_assert_msg(sscanf(after, "%d:%d", &line, &column) == 2 && line > 1 && column > 0, "%s",
                err.message);
  unlink(config_path);
}
END_TEST

/* Values of the right type outside what a Llama can be, including the
 * hostile ones whose products would overflow. */
static const char *const range_fields[][3] = {
    {"hidden_size", "0", "from 1 to 65536"},
    {"num_hidden_layers", "1000000000000", "from 1 to 1024"},
    {"num_attention_heads", "-4", "found -4"},
    {"vocab_size", "18446744073709551615", "from 1 to 4194304"},
    {"intermediate_size", "4294967296", "from 1 to 1048576"},
    {"max_position_embeddings", "0", "from 1 to 16777216"},
    {"num_key_value_heads", "5000", "from 1 to 1024"},
    {"head_dim", "4096", "from 1 to 1024"},
    {"rms_norm_eps", "0", "above 0"},
    {"rms_norm_eps", "-1e-5", "found -1e-05"},
    {"rope_theta", "1e300", "found 1e+300"}};

START_TEST(test_config_out_of_range_value_is_refused) {
  write_with("", range_fields[_i][0], range_fields[_i][1]);
  char quoted[64];
  snprintf(quoted, sizeof quoted, "field '%s'", range_fields[_i][0]);
  expect_error(PIO_ERR_INVALID, quoted, range_fields[_i][2]);
}
END_TEST

START_TEST(test_config_kv_heads_must_divide_heads) {
  write_with("", "num_key_value_heads", "5");
  expect_error(PIO_ERR_INVALID, "'num_key_value_heads'", "divisor of num_attention_heads (32)");
}
END_TEST

START_TEST(test_config_heads_must_divide_hidden_without_head_dim) {
  json_object *root = json_tokener_parse(base_8b);
  json_object_object_add(root, "num_attention_heads", json_object_new_int(24));
  config_write_text(json_object_to_json_string(root));
  json_object_put(root);
  expect_error(PIO_ERR_INVALID, "'num_attention_heads'", "divisor of hidden_size (4096)");
}
END_TEST

START_TEST(test_config_odd_head_dim_is_refused) {
  write_with("", "head_dim", "65");
  expect_error(PIO_ERR_INVALID, "'head_dim'", "even");
}
END_TEST

START_TEST(test_config_other_architecture_is_refused) {
  write_with("", "architectures", "[\"MistralForCausalLM\"]");
  expect_error(PIO_ERR_INVALID, "'architectures'", "found \"MistralForCausalLM\"");
}
END_TEST

START_TEST(test_config_empty_architectures_is_refused) {
  write_with("", "architectures", "[]");
  expect_error(PIO_ERR_INVALID, "'architectures'", "an empty array");
}
END_TEST

START_TEST(test_config_architecture_item_must_be_string) {
  write_with("", "architectures", "[3]");
  expect_error(PIO_ERR_INVALID, "'architectures': item 0", "expected a string");
}
END_TEST

/* The rope fields go through the SDK's reader, as every family's do: the
 * types pio/rope.h computes are read (Transformers' Llama takes any), the
 * others refused as unsupported. */
START_TEST(test_config_rope_type_not_computed_is_unsupported) {
  write_with("", "rope_scaling", "{\"rope_type\": \"dynamic\", \"factor\": 4.0}");
  expect_error(PIO_ERR_UNSUPPORTED, "'rope_type'", "dynamic");
}
END_TEST

START_TEST(test_config_yarn_and_linear_rope_are_read) {
  write_with("", "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0, "
             "\"original_max_position_embeddings\": 8192}");
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_YARN);
  ck_assert_double_eq(c->rope.factor, 4.0);
  llama_config_free(c);
  write_with("", "rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}");
  c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_LINEAR);
  ck_assert_double_eq(c->rope.factor, 2.0);
  llama_config_free(c);
}
END_TEST

/* Without a rope_type (or type), transformers reads "default". */
START_TEST(test_config_rope_scaling_without_type_is_default) {
  write_with("rope_scaling", "rope_type", NULL);
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->rope.type, PIO_ROPE_DEFAULT);
  llama_config_free(c);
}
END_TEST

static const char *const rope_fields[] = {"factor", "low_freq_factor", "high_freq_factor",
                                          "original_max_position_embeddings"};

START_TEST(test_config_rope_scaling_missing_field_is_named) {
  write_with("rope_scaling", rope_fields[_i], NULL);
  char quoted[64];
  snprintf(quoted, sizeof quoted, "'%s'", rope_fields[_i]);
  expect_error(PIO_ERR_INVALID, "missing required field", quoted);
}
END_TEST

START_TEST(test_config_rope_scaling_factor_must_be_positive) {
  write_with("rope_scaling", "factor", "0");
  expect_error(PIO_ERR_INVALID, "field 'factor'", "above 0");
}
END_TEST

/* Equal factors blend no band (Llama 4 Scout publishes 1 and 1); below is
 * refused. */
START_TEST(test_config_high_freq_factor_must_not_be_below_low) {
  write_with("rope_scaling", "high_freq_factor", "0.5");
  expect_error(PIO_ERR_INVALID, "high_freq_factor", "at least low_freq_factor (1)");
}
END_TEST

START_TEST(test_config_non_silu_activation_is_unsupported) {
  write_with("", "hidden_act", "\"gelu\"");
  expect_error(PIO_ERR_UNSUPPORTED, "'hidden_act'", "found \"gelu\"");
}
END_TEST

START_TEST(test_config_attention_bias_is_unsupported) {
  write_with("", "attention_bias", "true");
  expect_error(PIO_ERR_UNSUPPORTED, "'attention_bias'", "found true");
}
END_TEST

START_TEST(test_config_unknown_torch_dtype_is_refused) {
  write_with("", "torch_dtype", "\"float64\"");
  expect_error(PIO_ERR_INVALID, "'torch_dtype'", "found \"float64\"");
}
END_TEST

START_TEST(test_config_newer_dtype_key_is_read) {
  json_object *root = json_tokener_parse(base_8b);
  json_object_object_del(root, "torch_dtype");
  json_object_object_add(root, "dtype", json_object_new_string("float16"));
  config_write_text(json_object_to_json_string(root));
  json_object_put(root);
  pio_model_config *c = parse_ok();
  ck_assert_int_eq(c->torch_dtype, PIO_DTYPE_F16);
  llama_config_free(c);
}
END_TEST

START_TEST(test_config_top_level_array_is_refused) {
  config_write_text("[1, 2]");
  expect_error(PIO_ERR_INVALID, "expected a JSON object", "an array");
}
END_TEST

START_TEST(test_config_syntax_error_has_line_and_column) {
  config_write_text("{\n  \"hidden_size\": 4096,\n  \"vocab_size\": ,\n}\n");
  pio_model_config *c = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_config_parse_file(config_path, &c, &err), PIO_ERR_PARSE);
  char at[300];
  snprintf(at, sizeof at, "%s:3:", config_path);
  ck_assert_msg(strstr(err.message, at) != NULL, "%s", err.message);
  unlink(config_path);
}
END_TEST

START_TEST(test_config_missing_file_is_io_error) {
  pio_model_config *c = NULL;
  pio_error err = {0};
  ck_assert_int_ne(llama_config_parse_file("/nonexistent/config.json", &c, &err), PIO_OK);
  ck_assert_ptr_null(c);
  ck_assert_msg(strstr(err.message, "/nonexistent/config.json") != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_summary_counts_8b_parameters) {
  config_write_text(base_8b);
  pio_model_config *c = parse_ok();
  pio_model_summary s = {.struct_size = sizeof s};
  pio_error err = {0};
  ck_assert_int_eq(llama_config_summarize(c, &s, &err), PIO_OK);
  /* embed 128256*4096 twice (untied) + 32 * (2*4096 + 4096*4096*2 +
   * 2*4096*1024 + 3*4096*14336) + 4096 = 8,030,261,248 (the published 8.03B). */
  ck_assert_uint_eq(s.n_params, 8030261248ull);
  ck_assert_uint_eq(s.n_params_active, 8030261248ull);
  ck_assert_str_eq(s.attention_kind, "gqa");
  ck_assert_uint_eq(s.n_kv_heads, 8);
  ck_assert_uint_eq(s.head_dim, 128);
  ck_assert_uint_eq(s.d_ff, 14336);
  llama_config_free(c);
}
END_TEST

START_TEST(test_summary_tied_embeddings_count_once) {
  /* Llama-3.2-1B: 128256*2048 + 16 * (2*2048 + 2*2048*2048 + 2*2048*512 +
   * 3*2048*8192) + 2048 = 1,235,814,400. */
  config_write_text("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 2048, "
                    "\"intermediate_size\": 8192, \"num_hidden_layers\": 16, "
                    "\"num_attention_heads\": 32, \"num_key_value_heads\": 8, \"head_dim\": 64, "
                    "\"vocab_size\": 128256, \"max_position_embeddings\": 131072, "
                    "\"tie_word_embeddings\": true}");
  pio_model_config *c = parse_ok();
  ck_assert_uint_eq(llama_config_param_count(c), 1235814400ull);
  llama_config_free(c);
}
END_TEST

START_TEST(test_summary_refuses_too_small_table) {
  config_write_text(base_8b);
  pio_model_config *c = parse_ok();
  pio_model_summary s = {.struct_size = 8};
  pio_error err = {0};
  ck_assert_int_eq(llama_config_summarize(c, &s, &err), PIO_ERR_ABI);
  ck_assert_msg(strstr(err.message, "struct_size 8") != NULL, "%s", err.message);
  llama_config_free(c);
}
END_TEST

START_TEST(test_entry_returns_table_matching_manifest) {
  pio_host_services host = {.struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR,
                            .abi_minor = PIO_ABI_MINOR};
  pio_error err = {0};
  const pio_plugin *p = pio_llama3_1_entry(&host, &err);
  ck_assert_ptr_nonnull(p);
  ck_assert_str_eq(p->name, "llama3_1");
  ck_assert_str_eq(p->model_architecture, "LlamaForCausalLM");
  ck_assert_ptr_nonnull(p->config);
  ck_assert_ptr_nonnull(p->kv_cache);
  ck_assert(p->components & PIO_COMPONENT_CONFIG);
  ck_assert(p->components & PIO_COMPONENT_KV_CACHE);
}
END_TEST

START_TEST(test_entry_refuses_other_abi_major) {
  pio_host_services host = {.struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR + 1,
                            .abi_minor = 0};
  pio_error err = {0};
  ck_assert_ptr_null(pio_llama3_1_entry(&host, &err));
  ck_assert_int_eq(err.code, PIO_ERR_ABI);
  ck_assert_msg(strstr(err.message, "ABI") != NULL, "%s", err.message);
}
END_TEST

static Suite *config_suite(void) {
  Suite *s = suite_create("llama3_1_config");
  TCase *t = tcase_create("config");
  tcase_add_test(t, test_config_8b_parses_every_field);
  tcase_add_test(t, test_config_kv_heads_default_to_attention_heads);
  tcase_add_test(t, test_config_explicit_head_dim_wins);
  tcase_add_test(t, test_config_null_rope_scaling_is_no_scaling);
  tcase_add_test(t, test_config_default_rope_type_is_no_scaling);
  tcase_add_test(t, test_config_old_type_key_names_llama3);
  tcase_add_test(t, test_config_absent_optionals_take_llama_defaults);
  tcase_add_loop_test(t, test_config_missing_required_field_is_named, 0,
                      sizeof required_fields / sizeof required_fields[0]);
  tcase_add_loop_test(t, test_config_wrong_type_names_field_and_position, 0,
                      sizeof typed_fields / sizeof typed_fields[0]);
  tcase_add_loop_test(t, test_config_out_of_range_value_is_refused, 0,
                      sizeof range_fields / sizeof range_fields[0]);
  tcase_add_test(t, test_config_kv_heads_must_divide_heads);
  tcase_add_test(t, test_config_heads_must_divide_hidden_without_head_dim);
  tcase_add_test(t, test_config_odd_head_dim_is_refused);
  tcase_add_test(t, test_config_other_architecture_is_refused);
  tcase_add_test(t, test_config_empty_architectures_is_refused);
  tcase_add_test(t, test_config_architecture_item_must_be_string);
  tcase_add_test(t, test_config_rope_type_not_computed_is_unsupported);
  tcase_add_test(t, test_config_yarn_and_linear_rope_are_read);
  tcase_add_test(t, test_config_rope_scaling_without_type_is_default);
  tcase_add_loop_test(t, test_config_rope_scaling_missing_field_is_named, 0,
                      sizeof rope_fields / sizeof rope_fields[0]);
  tcase_add_test(t, test_config_rope_scaling_factor_must_be_positive);
  tcase_add_test(t, test_config_high_freq_factor_must_not_be_below_low);
  tcase_add_test(t, test_config_non_silu_activation_is_unsupported);
  tcase_add_test(t, test_config_attention_bias_is_unsupported);
  tcase_add_test(t, test_config_unknown_torch_dtype_is_refused);
  tcase_add_test(t, test_config_newer_dtype_key_is_read);
  tcase_add_test(t, test_config_top_level_array_is_refused);
  tcase_add_test(t, test_config_syntax_error_has_line_and_column);
  tcase_add_test(t, test_config_missing_file_is_io_error);
  tcase_add_test(t, test_summary_counts_8b_parameters);
  tcase_add_test(t, test_summary_tied_embeddings_count_once);
  tcase_add_test(t, test_summary_refuses_too_small_table);
  tcase_add_test(t, test_entry_returns_table_matching_manifest);
  tcase_add_test(t, test_entry_refuses_other_abi_major);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(config_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
