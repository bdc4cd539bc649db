/* tests/test_deepseek_r1_config.c — the deepseek_r1 plugin's config and
 * kv_cache components: DeepSeek-V3's published config.json parses into the
 * right typed values, the parameter counts match the shapes (and the
 * published 671B / 37B), every bad field is refused naming file and field,
 * and the MLA KV figures follow pio's and kvbench's rules. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/deepseek_config.h"
#include "config_file_helpers.h"
#include "kv_cache/kv_figures.h"
#include "pio/plugin.h"

PIO_PLUGIN_EXPORT const pio_plugin *pio_deepseek_r1_entry(const pio_host_services *host,
                                                          pio_error *err);

#ifndef PIO_TEST_MODELS_DIR
#error "PIO_TEST_MODELS_DIR must name manifests/models"
#endif
#define V3_PRESET PIO_TEST_MODELS_DIR "/deepseek-v3.json"

/* The V3 preset with member key of object parent ("" for the top) set to
 * json_value, or removed when json_value is NULL. */
static void write_with(const char *parent, const char *key, const char *json_value) {
  config_write_with(json_object_from_file(V3_PRESET), parent, key, json_value);
}

static void expect_error(pio_status status, const char *fragment, const char *fragment2) {
  config_expect_error(deepseek_config_parse_file, status, fragment, fragment2);
}

static pio_model_config *parse_ok(const char *path) {
  return config_parse_ok(deepseek_config_parse_file, path);
}

START_TEST(test_v3_preset_parses_published_shapes) {
  pio_model_config *c = parse_ok(V3_PRESET);
  ck_assert_uint_eq(c->hidden_size, 7168);
  ck_assert_uint_eq(c->intermediate_size, 18432);
  ck_assert_uint_eq(c->n_layers, 61);
  ck_assert_uint_eq(c->n_heads, 128);
  ck_assert_uint_eq(c->vocab_size, 129280);
  ck_assert_uint_eq(c->kv_lora_rank, 512);
  ck_assert_uint_eq(c->q_lora_rank, 1536);
  ck_assert_uint_eq(c->qk_rope_head_dim, 64);
  ck_assert_uint_eq(c->qk_nope_head_dim, 128);
  ck_assert_uint_eq(c->v_head_dim, 128);
  ck_assert_uint_eq(c->n_routed_experts, 256);
  ck_assert_uint_eq(c->n_shared_experts, 1);
  ck_assert_uint_eq(c->n_experts_per_tok, 8);
  ck_assert_uint_eq(c->moe_intermediate_size, 2048);
  ck_assert_uint_eq(c->first_k_dense_replace, 3);
  ck_assert_int_eq(c->score_correction_bias, 1);
  ck_assert_int_eq(c->rope.type, PIO_ROPE_YARN);
  ck_assert_int_eq(c->rope.layout, PIO_ROPE_INTERLEAVED);
  ck_assert_uint_eq(c->rope.rotary_dim, 64);
  ck_assert_double_eq(c->rope.factor, 40.0);
  ck_assert_uint_eq(c->rope.original_max_position, 4096);
  ck_assert_double_eq(c->rope.mscale_all_dim, 1.0);
  ck_assert_int_eq(c->weights_fp8, 1);
  ck_assert_int_eq(c->torch_dtype, PIO_DTYPE_BF16);
  ck_assert_int_eq(deepseek_config_layer_is_moe(c, 2), 0);
  ck_assert_int_eq(deepseek_config_layer_is_moe(c, 3), 1);
  deepseek_config_free(c);
}
END_TEST

/* The counts written out from the shapes of DeepSeek-V3, term by term. */
START_TEST(test_v3_param_counts_match_the_shapes_and_the_published_sizes) {
  const uint64_t d = 7168, vocab = 129280, heads = 128;
  const uint64_t attn = d * 1536 + 1536 + 1536 * heads * (128 + 64) /* q_a, norm, q_b */
                        + d * (512 + 64) + 512                       /* kv_a, norm */
                        + 512 * heads * (128 + 128)                  /* kv_b */
                        + heads * 128 * d;                           /* o_proj */
  ck_assert_uint_eq(attn, 187107328u);
  const uint64_t expert = 3 * d * 2048, router = 256 * d + 256;
  const uint64_t dense_layer = attn + 2 * d + 3 * d * 18432;
  const uint64_t moe_common = attn + 2 * d + router + expert /* shared */;
  const uint64_t total = 2 * vocab * d + d + 3 * dense_layer + 58 * (moe_common + 256 * expert);
  const uint64_t active = 2 * vocab * d + d + 3 * dense_layer + 58 * (moe_common + 8 * expert);
  pio_model_config *c = parse_ok(V3_PRESET);
  uint64_t n = 0, a = 0;
  deepseek_config_param_counts(c, &n, &a);
  ck_assert_uint_eq(n, total);
  ck_assert_uint_eq(a, active);
  ck_assert_uint_eq(n, 671026419200u);
  /* The model card: 671B total, 37B activated per token. */
  ck_assert(n > 670000000000u && n < 672000000000u);
  ck_assert(a > 37000000000u && a < 38000000000u);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_summary_reports_mla_and_both_counts) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_model_summary s = {.struct_size = sizeof s};
  pio_error err = {0};
  ck_assert_int_eq(deepseek_config_summarize(c, &s, &err), PIO_OK);
  ck_assert_str_eq(s.architecture, "DeepseekV3ForCausalLM");
  ck_assert_str_eq(s.attention_kind, "mla");
  ck_assert_uint_eq(s.n_layers, 61);
  ck_assert_uint_eq(s.n_kv_heads, 1);
  ck_assert_uint_eq(s.head_dim, 192);
  ck_assert_uint_eq(s.n_params, 671026419200u);
  ck_assert(s.n_params_active < s.n_params);
  pio_model_summary small = {.struct_size = 8};
  ck_assert_int_eq(deepseek_config_summarize(c, &small, &err), PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(err.message, "struct_size"));
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_q_lora_rank_null_means_an_uncompressed_query) {
  write_with("", "q_lora_rank", "null");
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_uint_eq(c->q_lora_rank, 0);
  uint64_t n = 0, a = 0, n_v3 = 0, a_v3 = 0;
  deepseek_config_param_counts(c, &n, &a);
  deepseek_config_free(c);
  c = parse_ok(V3_PRESET);
  deepseek_config_param_counts(c, &n_v3, &a_v3);
  deepseek_config_free(c);
  /* q_proj d x heads x 192 replaces q_a + norm + q_b on 61 layers. */
  const uint64_t lora = 7168u * 1536 + 1536 + 1536u * 128 * 192, full = 7168u * 128 * 192;
  ck_assert_uint_eq(n, n_v3 - 61 * lora + 61 * full);
}
END_TEST

START_TEST(test_missing_kv_lora_rank_names_file_and_field) {
  write_with("", "kv_lora_rank", NULL);
  expect_error(PIO_ERR_INVALID, "kv_lora_rank", "missing");
}
END_TEST

START_TEST(test_kv_lora_rank_as_string_is_refused) {
  write_with("", "kv_lora_rank", "\"512\"");
  expect_error(PIO_ERR_INVALID, "kv_lora_rank", "string");
}
END_TEST

START_TEST(test_odd_qk_rope_head_dim_is_refused) {
  write_with("", "qk_rope_head_dim", "63");
  expect_error(PIO_ERR_INVALID, "qk_rope_head_dim", "even");
}
END_TEST

START_TEST(test_more_experts_per_token_than_experts_is_refused) {
  write_with("", "num_experts_per_tok", "300");
  expect_error(PIO_ERR_INVALID, "num_experts_per_tok", "300");
}
END_TEST

START_TEST(test_n_group_not_dividing_the_experts_is_refused) {
  write_with("", "n_group", "7");
  expect_error(PIO_ERR_INVALID, "n_group", "divisor");
}
END_TEST

START_TEST(test_topk_group_above_n_group_is_refused) {
  write_with("", "topk_group", "9");
  expect_error(PIO_ERR_INVALID, "topk_group", "n_group");
}
END_TEST

START_TEST(test_first_k_dense_replace_past_the_layers_is_refused) {
  write_with("", "first_k_dense_replace", "62");
  expect_error(PIO_ERR_INVALID, "first_k_dense_replace", "62");
}
END_TEST

START_TEST(test_unknown_topk_method_is_refused) {
  write_with("", "topk_method", "\"random\"");
  expect_error(PIO_ERR_INVALID, "topk_method", "noaux_tc");
}
END_TEST

/* The rope fields go through the SDK's reader, as every family's do. */
START_TEST(test_rope_scaling_of_a_type_not_computed_is_unsupported) {
  write_with("rope_scaling", "type", "\"dynamic\"");
  expect_error(PIO_ERR_UNSUPPORTED, "'type'", "dynamic");
}
END_TEST

START_TEST(test_rope_scaling_of_type_linear_is_read) {
  write_with("", "rope_scaling", "{\"type\": \"linear\", \"factor\": 4.0}");
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_int_eq(c->rope.type, PIO_ROPE_LINEAR);
  ck_assert_double_eq(c->rope.factor, 4.0);
  deepseek_config_free(c);
}
END_TEST

/* Transformers' standardize_rope_params: the context's growth. */
START_TEST(test_yarn_without_factor_takes_max_over_original_positions) {
  write_with("rope_scaling", "factor", NULL);
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_double_eq(c->rope.factor, 163840.0 / 4096.0);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_rope_scaling_zero_factor_is_refused) {
  write_with("rope_scaling", "factor", "0");
  expect_error(PIO_ERR_INVALID, "'factor'", "above 0");
}
END_TEST

START_TEST(test_rope_interleave_false_pairs_halves) {
  write_with("", "rope_interleave", "false");
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_int_eq(c->rope.layout, PIO_ROPE_HALF_SPLIT);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_other_architecture_is_refused) {
  write_with("", "architectures", "[\"LlamaForCausalLM\"]");
  expect_error(PIO_ERR_INVALID, "architectures", "DeepseekV3ForCausalLM");
}
END_TEST

START_TEST(test_architecture_item_must_be_a_string) {
  write_with("", "architectures", "[3, \"DeepseekV3ForCausalLM\"]");
  expect_error(PIO_ERR_INVALID, "'architectures': item 0", "expected a string");
}
END_TEST

START_TEST(test_unknown_torch_dtype_is_refused) {
  write_with("", "torch_dtype", "\"float64\"");
  expect_error(PIO_ERR_INVALID, "'torch_dtype'", "found \"float64\"");
}
END_TEST

START_TEST(test_newer_dtype_key_is_read) {
  json_object *root = json_object_from_file(V3_PRESET);
  ck_assert_ptr_nonnull(root);
  json_object_object_del(root, "torch_dtype");
  config_write_with(root, "", "dtype", "\"float16\"");
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_int_eq(c->has_torch_dtype, 1);
  ck_assert_int_eq(c->torch_dtype, PIO_DTYPE_F16);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_hidden_act_other_than_silu_is_refused) {
  write_with("", "hidden_act", "\"gelu\"");
  expect_error(PIO_ERR_INVALID, "hidden_act", "gelu");
}
END_TEST

START_TEST(test_broken_json_reports_line_and_column) {
  config_write_text("{\n  \"hidden_size\": 7168,\n  \"vocab_size\": ,\n}\n");
  expect_error(PIO_ERR_PARSE, ":3:", NULL);
}
END_TEST

START_TEST(test_field_errors_carry_line_and_column) {
  write_with("", "v_head_dim", "0");
  pio_model_config *c = NULL;
  pio_error err = {0};
  ck_assert_int_eq(deepseek_config_parse_file(config_path, &c, &err), PIO_ERR_INVALID);
  unlink(config_path);
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s:", config_path);
  ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0 &&
                    err.message[strlen(prefix)] >= '1' && err.message[strlen(prefix)] <= '9',
                "no line number in: %s", err.message);
  ck_assert_ptr_nonnull(strstr(err.message, "v_head_dim"));
}
END_TEST

/* ---- routing and MLA consistency, checked before any weight is read ---- */

START_TEST(test_v3_preset_routing_is_read) {
  pio_model_config *c = parse_ok(V3_PRESET);
  ck_assert_int_eq(c->scoring, DEEPSEEK_SCORING_SIGMOID);
  ck_assert_int_eq(c->topk_method, DEEPSEEK_TOPK_NOAUX_TC);
  ck_assert_int_eq(c->norm_topk_prob, 1);
  ck_assert_double_eq(c->routed_scaling_factor, 2.5);
  ck_assert_int_eq(c->rope_interleave, 1);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_zero_kv_lora_rank_is_refused) {
  write_with("", "kv_lora_rank", "0");
  expect_error(PIO_ERR_INVALID, "'kv_lora_rank'", "found 0");
}
END_TEST

START_TEST(test_zero_q_lora_rank_is_refused) {
  /* null means no query compression; 0 is a rank of nothing. */
  write_with("", "q_lora_rank", "0");
  expect_error(PIO_ERR_INVALID, "'q_lora_rank'", "found 0");
}
END_TEST

START_TEST(test_zero_qk_rope_head_dim_is_refused) {
  write_with("", "qk_rope_head_dim", "0");
  expect_error(PIO_ERR_INVALID, "'qk_rope_head_dim'", "found 0");
}
END_TEST

START_TEST(test_zero_moe_intermediate_size_is_refused) {
  write_with("", "moe_intermediate_size", "0");
  expect_error(PIO_ERR_INVALID, "'moe_intermediate_size'", "found 0");
}
END_TEST

START_TEST(test_zero_experts_per_token_is_refused) {
  write_with("", "num_experts_per_tok", "0");
  expect_error(PIO_ERR_INVALID, "'num_experts_per_tok'", "found 0");
}
END_TEST

START_TEST(test_zero_n_group_is_refused) {
  write_with("", "n_group", "0");
  expect_error(PIO_ERR_INVALID, "'n_group'", "found 0");
}
END_TEST

/* 4 of 8 groups of 32 hold 128 experts: a token cannot use 129. */
START_TEST(test_more_experts_per_token_than_the_kept_groups_hold_is_refused) {
  write_with("", "num_experts_per_tok", "129");
  expect_error(PIO_ERR_INVALID, "'num_experts_per_tok'", "topk_group");
}
END_TEST

/* noaux_tc ranks a group by its best two experts. */
START_TEST(test_groups_of_one_expert_under_noaux_tc_are_refused) {
  json_object *root = json_object_from_file(V3_PRESET);
  json_object_object_add(root, "topk_group", json_object_new_int(8));
  config_write_with(root, "", "n_group", "256");
  expect_error(PIO_ERR_INVALID, "'n_group'", "two");
}
END_TEST

START_TEST(test_topk_group_zero_is_refused) {
  write_with("", "topk_group", "0");
  expect_error(PIO_ERR_INVALID, "'topk_group'", "found 0");
}
END_TEST

START_TEST(test_unknown_scoring_func_is_refused) {
  write_with("", "scoring_func", "\"relu\"");
  expect_error(PIO_ERR_INVALID, "'scoring_func'", "sigmoid");
}
END_TEST

START_TEST(test_negative_routed_scaling_factor_is_refused) {
  write_with("", "routed_scaling_factor", "-1.0");
  expect_error(PIO_ERR_INVALID, "'routed_scaling_factor'", "-1");
}
END_TEST

START_TEST(test_norm_topk_prob_as_string_is_refused) {
  write_with("", "norm_topk_prob", "\"yes\"");
  expect_error(PIO_ERR_INVALID, "'norm_topk_prob'", "string");
}
END_TEST

START_TEST(test_rope_interleave_as_number_is_refused) {
  write_with("", "rope_interleave", "1");
  expect_error(PIO_ERR_INVALID, "'rope_interleave'", NULL);
}
END_TEST

START_TEST(test_shared_experts_too_wide_are_refused) {
  /* 4096 shared experts of 1048576: one MLP wider than any limit. */
  json_object *root = json_object_from_file(V3_PRESET);
  json_object_object_add(root, "moe_intermediate_size", json_object_new_int(1048576));
  config_write_with(root, "", "n_shared_experts", "4096");
  expect_error(PIO_ERR_INVALID, "'n_shared_experts'", "moe_intermediate_size");
}
END_TEST

START_TEST(test_absent_routing_fields_take_transformers_defaults) {
  json_object *root = json_object_from_file(V3_PRESET);
  json_object_object_del(root, "scoring_func");
  json_object_object_del(root, "topk_method");
  json_object_object_del(root, "norm_topk_prob");
  json_object_object_del(root, "routed_scaling_factor");
  config_write_with(root, "", "rope_interleave", NULL);
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_int_eq(c->scoring, DEEPSEEK_SCORING_SIGMOID);
  ck_assert_int_eq(c->topk_method, DEEPSEEK_TOPK_NOAUX_TC);
  ck_assert_int_eq(c->score_correction_bias, 1);
  ck_assert_int_eq(c->norm_topk_prob, 1);
  ck_assert_double_eq(c->routed_scaling_factor, 2.5);
  ck_assert_int_eq(c->rope_interleave, 1);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_greedy_softmax_routing_is_read) {
  json_object *root = json_object_from_file(V3_PRESET);
  json_object_object_add(root, "scoring_func", json_object_new_string("softmax"));
  json_object_object_add(root, "norm_topk_prob", json_object_new_boolean(0));
  config_write_with(root, "", "topk_method", "\"greedy\"");
  pio_model_config *c = parse_ok(config_path);
  unlink(config_path);
  ck_assert_int_eq(c->scoring, DEEPSEEK_SCORING_SOFTMAX);
  ck_assert_int_eq(c->topk_method, DEEPSEEK_TOPK_GREEDY);
  ck_assert_int_eq(c->score_correction_bias, 0);
  ck_assert_int_eq(c->norm_topk_prob, 0);
  deepseek_config_free(c);
}
END_TEST

/* ---- KV figures ---- */

static pio_kv_figures figures(const pio_model_config *c, pio_dtype dtype, uint32_t tp,
                              uint32_t pp, uint32_t page, pio_kv_access access,
                              pio_kv_formula formula, pio_status expect, pio_error *err) {
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = dtype, .tp = tp, .pp = pp,
                    .page_size = page, .access = access, .formula = formula};
  pio_kv_figures f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  pio_status s = deepseek_kv_figures(c, &q, &f, err);
  ck_assert_msg(s == expect, "status %d, expected %d: %s", (int)s, (int)expect, err->message);
  return f;
}

START_TEST(test_mla_bytes_per_token_is_layers_times_latent_and_rope) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  pio_kv_figures f = figures(c, PIO_DTYPE_BF16, 1, 1, 16, PIO_KV_ACCESS_BLOCK,
                             PIO_KV_FORMULA_PIO, PIO_OK, &err);
  ck_assert_uint_eq(f.bytes_per_token, 61u * (512 + 64) * 2); /* 70272 */
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 70272u);
  ck_assert_uint_eq(f.io_bytes_per_page, 61u * 576 * 2 * 16);
  f = figures(c, PIO_DTYPE_FP8, 1, 1, 16, PIO_KV_ACCESS_LAYER, PIO_KV_FORMULA_PIO, PIO_OK, &err);
  ck_assert_uint_eq(f.bytes_per_token, 61u * 576);
  ck_assert_uint_eq(f.io_bytes_per_page, 576u * 16);
  f = figures(c, PIO_DTYPE_F32, 1, 1, 1, PIO_KV_ACCESS_LAYER, PIO_KV_FORMULA_PIO, PIO_OK, &err);
  ck_assert_uint_eq(f.bytes_per_token, 61u * 576 * 4);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_mla_latent_is_replicated_on_every_tp_rank) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  pio_kv_figures f = figures(c, PIO_DTYPE_BF16, 8, 1, 16, PIO_KV_ACCESS_BLOCK,
                             PIO_KV_FORMULA_PIO, PIO_OK, &err);
  ck_assert_uint_eq(f.bytes_per_token, 70272u);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 70272u);
  ck_assert_uint_eq(f.replication, 8);
  ck_assert_uint_eq(f.kv_heads_per_rank, 1);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_pp_gives_the_largest_stage_its_layers) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  /* 61 layers over 2 stages: 31 and 30; the larger sizes each rank. */
  pio_kv_figures f = figures(c, PIO_DTYPE_BF16, 1, 2, 32, PIO_KV_ACCESS_BLOCK,
                             PIO_KV_FORMULA_PIO, PIO_OK, &err);
  ck_assert_uint_eq(f.layers_per_rank, 31);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 31u * 1152);
  ck_assert_uint_eq(f.io_bytes_per_page, 31u * 1152 * 32);
  figures(c, PIO_DTYPE_BF16, 1, 62, 32, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO,
          PIO_ERR_INVALID_ARGUMENT, &err);
  ck_assert_ptr_nonnull(strstr(err.message, "pp"));
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_tp_not_dividing_the_heads_is_refused) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  figures(c, PIO_DTYPE_BF16, 3, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO,
          PIO_ERR_INVALID_ARGUMENT, &err);
  ck_assert_ptr_nonnull(strstr(err.message, "tp 3"));
  ck_assert_ptr_nonnull(strstr(err.message, "128"));
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_page_size_zero_is_refused) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  figures(c, PIO_DTYPE_BF16, 1, 1, 0, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO,
          PIO_ERR_INVALID_ARGUMENT, &err);
  ck_assert_ptr_nonnull(strstr(err.message, "page_size"));
  deepseek_config_free(c);
}
END_TEST

/* kvbench's arithmetic by hand: fp8, tp 5, pp 1, page 16, block:
 * 576 / 5 = 115.2 per layer and rank; x 61 = 7027.2; x 16 = 112435.2 -> 112435. */
START_TEST(test_kvbench_formula_divides_the_latent_and_truncates_last) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  pio_kv_figures f = figures(c, PIO_DTYPE_FP8, 5, 1, 16, PIO_KV_ACCESS_BLOCK,
                             PIO_KV_FORMULA_KVBENCH, PIO_OK, &err);
  ck_assert_uint_eq(f.bytes_per_token, 35136u);
  ck_assert_uint_eq(f.io_bytes_per_page, 112435u);
  ck_assert_uint_eq(f.replication, 1);
  /* layer access: 115.2 x 16 = 1843.2 -> 1843. */
  f = figures(c, PIO_DTYPE_FP8, 5, 1, 16, PIO_KV_ACCESS_LAYER, PIO_KV_FORMULA_KVBENCH, PIO_OK,
              &err);
  ck_assert_uint_eq(f.io_bytes_per_page, 1843u);
  /* pp 4: ceil(61 / 4) = 16 layers; bf16, tp 8: 1152 / 8 = 144; x 16 x 16 = 36864. */
  f = figures(c, PIO_DTYPE_BF16, 8, 4, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH, PIO_OK,
              &err);
  ck_assert_uint_eq(f.io_bytes_per_page, 36864u);
  ck_assert_uint_eq(f.layers_per_rank, 16);
  /* kvbench checks no divisibility: tp 3 is accepted, 1152 / 3 x 61 x 1 = 23424. */
  f = figures(c, PIO_DTYPE_BF16, 3, 1, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH, PIO_OK,
              &err);
  ck_assert_uint_eq(f.io_bytes_per_page, 23424u);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_kvbench_formula_refuses_fp32) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  figures(c, PIO_DTYPE_F32, 1, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH,
          PIO_ERR_UNSUPPORTED, &err);
  ck_assert_ptr_nonnull(strstr(err.message, "fp32"));
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_figures_struct_size_too_small_is_refused) {
  pio_model_config *c = parse_ok(V3_PRESET);
  pio_error err = {0};
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_BF16, .tp = 1, .pp = 1,
                    .page_size = 16};
  pio_kv_figures f = {.struct_size = 4};
  ck_assert_int_eq(deepseek_kv_figures(c, &q, &f, &err), PIO_ERR_ABI);
  ck_assert_ptr_nonnull(strstr(err.message, "struct_size"));
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_entry_returns_its_components_and_refuses_another_abi_major) {
  pio_host_services host = {.struct_size = sizeof host, .abi_major = PIO_ABI_MAJOR,
                            .abi_minor = PIO_ABI_MINOR};
  pio_error err = {0};
  const pio_plugin *p = pio_deepseek_r1_entry(&host, &err);
  ck_assert_ptr_nonnull(p);
  ck_assert_str_eq(p->name, "deepseek_r1");
  ck_assert_str_eq(p->model_architecture, "DeepseekV3ForCausalLM");
  ck_assert_uint_eq(p->components, PIO_COMPONENT_CONFIG | PIO_COMPONENT_MODEL |
                                        PIO_COMPONENT_ATTENTION | PIO_COMPONENT_KV_CACHE |
                                        PIO_COMPONENT_MLP | PIO_COMPONENT_ROTARY);
  ck_assert_ptr_nonnull(p->model);
  ck_assert(p->model->create != NULL && p->model->forward != NULL);
  host.abi_major = PIO_ABI_MAJOR + 1;
  ck_assert_ptr_null(pio_deepseek_r1_entry(&host, &err));
  ck_assert_int_eq(err.code, PIO_ERR_ABI);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("deepseek_r1_config");
  TCase *t = tcase_create("config");
  tcase_add_test(t, test_v3_preset_parses_published_shapes);
  tcase_add_test(t, test_v3_param_counts_match_the_shapes_and_the_published_sizes);
  tcase_add_test(t, test_summary_reports_mla_and_both_counts);
  tcase_add_test(t, test_q_lora_rank_null_means_an_uncompressed_query);
  tcase_add_test(t, test_missing_kv_lora_rank_names_file_and_field);
  tcase_add_test(t, test_kv_lora_rank_as_string_is_refused);
  tcase_add_test(t, test_odd_qk_rope_head_dim_is_refused);
  tcase_add_test(t, test_more_experts_per_token_than_experts_is_refused);
  tcase_add_test(t, test_n_group_not_dividing_the_experts_is_refused);
  tcase_add_test(t, test_topk_group_above_n_group_is_refused);
  tcase_add_test(t, test_first_k_dense_replace_past_the_layers_is_refused);
  tcase_add_test(t, test_unknown_topk_method_is_refused);
  tcase_add_test(t, test_rope_scaling_of_a_type_not_computed_is_unsupported);
  tcase_add_test(t, test_rope_scaling_of_type_linear_is_read);
  tcase_add_test(t, test_yarn_without_factor_takes_max_over_original_positions);
  tcase_add_test(t, test_rope_scaling_zero_factor_is_refused);
  tcase_add_test(t, test_rope_interleave_false_pairs_halves);
  tcase_add_test(t, test_other_architecture_is_refused);
  tcase_add_test(t, test_architecture_item_must_be_a_string);
  tcase_add_test(t, test_unknown_torch_dtype_is_refused);
  tcase_add_test(t, test_newer_dtype_key_is_read);
  tcase_add_test(t, test_hidden_act_other_than_silu_is_refused);
  tcase_add_test(t, test_broken_json_reports_line_and_column);
  tcase_add_test(t, test_field_errors_carry_line_and_column);
  tcase_add_test(t, test_v3_preset_routing_is_read);
  tcase_add_test(t, test_zero_kv_lora_rank_is_refused);
  tcase_add_test(t, test_zero_q_lora_rank_is_refused);
  tcase_add_test(t, test_zero_qk_rope_head_dim_is_refused);
  tcase_add_test(t, test_zero_moe_intermediate_size_is_refused);
  tcase_add_test(t, test_zero_experts_per_token_is_refused);
  tcase_add_test(t, test_zero_n_group_is_refused);
  tcase_add_test(t, test_more_experts_per_token_than_the_kept_groups_hold_is_refused);
  tcase_add_test(t, test_groups_of_one_expert_under_noaux_tc_are_refused);
  tcase_add_test(t, test_topk_group_zero_is_refused);
  tcase_add_test(t, test_unknown_scoring_func_is_refused);
  tcase_add_test(t, test_negative_routed_scaling_factor_is_refused);
  tcase_add_test(t, test_norm_topk_prob_as_string_is_refused);
  tcase_add_test(t, test_rope_interleave_as_number_is_refused);
  tcase_add_test(t, test_shared_experts_too_wide_are_refused);
  tcase_add_test(t, test_absent_routing_fields_take_transformers_defaults);
  tcase_add_test(t, test_greedy_softmax_routing_is_read);
  suite_add_tcase(s, t);
  TCase *k = tcase_create("kv_cache");
  tcase_add_test(k, test_mla_bytes_per_token_is_layers_times_latent_and_rope);
  tcase_add_test(k, test_mla_latent_is_replicated_on_every_tp_rank);
  tcase_add_test(k, test_pp_gives_the_largest_stage_its_layers);
  tcase_add_test(k, test_tp_not_dividing_the_heads_is_refused);
  tcase_add_test(k, test_page_size_zero_is_refused);
  tcase_add_test(k, test_kvbench_formula_divides_the_latent_and_truncates_last);
  tcase_add_test(k, test_kvbench_formula_refuses_fp32);
  tcase_add_test(k, test_figures_struct_size_too_small_is_refused);
  tcase_add_test(k, test_entry_returns_its_components_and_refuses_another_abi_major);
  suite_add_tcase(s, k);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
