/* tests/test_llama3_1_model.c — the llama3_1 model instance through its
 * pio_model_api: decode through the KV cache agrees with prefill, chunked
 * prefill with one pass, instances do not interfere, stats report the
 * right sizes, and bad calls fail without changing the sequence. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/llama_config.h"
#include "config_file_helpers.h"
#include "model/model.h"

enum { VOCAB = 97, D = 32, LAYERS = 2, HEADS = 4, KV = 2, HEAD_DIM = 8, FFN = 48 };

static pio_model_config *tiny_config(int tied) {
  char text[768];
  snprintf(text, sizeof text, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": %d, "
           "\"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
           " \"num_key_value_heads\": %d, \"head_dim\": %d, \"vocab_size\": %d, "
           "\"max_position_embeddings\": 300, \"tie_word_embeddings\": %s, \"rope_scaling\": "
           "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
           "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 16}}",
           D, FFN, LAYERS, HEADS, KV, HEAD_DIM, VOCAB, tied ? "true" : "false");
  return config_parse_text(llama_config_parse_file, text);
}

static pio_model *tiny_model(const pio_model_config *c, uint32_t max_context, uint64_t seed) {
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .seed = seed,
                         .weight_dtype = PIO_DTYPE_F32, .n_threads = 2,
                         .max_context = max_context};
  pio_model *m = NULL;
  pio_error err = {0};
  if (llama_model_create(c, &o, &m, &err) != PIO_OK) ck_abort_msg("create: %s", err.message);
  return m;
}

static void forward_ok(pio_model *m, const int32_t *tokens, uint32_t n, float *logits, int all) {
  pio_error err = {0};
  if (llama_model_forward(m, tokens, n, logits, all, &err) != PIO_OK)
    ck_abort_msg("forward: %s", err.message);
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
  float worst = 0.0f;
  for (size_t i = 0; i < n; i++) worst = fmaxf(worst, fabsf(a[i] - b[i]));
  return worst;
}

static void prompt(int32_t *tokens, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) tokens[i] = (int32_t)((i * 31 + 7) % VOCAB);
}

START_TEST(test_model_decode_matches_prefill_logits) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 64, 1);
  enum { N = 20 };
  int32_t tokens[N];
  prompt(tokens, N);
  float *all = malloc(sizeof(float) * N * VOCAB), *one = malloc(sizeof(float) * VOCAB);
  forward_ok(m, tokens, N, all, 1);
  llama_model_reset(m);
  for (uint32_t t = 0; t < N; t++) {
    forward_ok(m, tokens + t, 1, one, 0);
    ck_assert_float_le(max_abs_diff(one, all + (size_t)t * VOCAB, VOCAB), 1e-4f);
  }
  free(all);
  free(one);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_chunked_prefill_matches_token_by_token) {
  /* 200 tokens: two chunks of LLAMA_PREFILL_CHUNK (128) and the rest. */
  pio_model_config *c = tiny_config(1);
  pio_model *m = tiny_model(c, 256, 2);
  enum { N = 200 };
  int32_t tokens[N];
  prompt(tokens, N);
  float *all = malloc(sizeof(float) * N * VOCAB), *one = malloc(sizeof(float) * VOCAB);
  forward_ok(m, tokens, N, all, 1);
  llama_model_reset(m);
  for (uint32_t t = 0; t < N; t++) forward_ok(m, tokens + t, 1, one, 0);
  ck_assert_float_le(max_abs_diff(one, all + (size_t)(N - 1) * VOCAB, VOCAB), 1e-4f);
  free(all);
  free(one);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_last_logits_equal_last_row_of_all) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 32, 3);
  int32_t tokens[9];
  prompt(tokens, 9);
  float all[9 * VOCAB], last[VOCAB];
  forward_ok(m, tokens, 9, all, 1);
  llama_model_reset(m);
  forward_ok(m, tokens, 9, last, 0);
  ck_assert_float_eq(max_abs_diff(last, all + 8 * VOCAB, VOCAB), 0.0f);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_instances_do_not_interfere) {
  pio_model_config *c = tiny_config(0);
  pio_model *a = tiny_model(c, 32, 4), *b = tiny_model(c, 32, 5);
  int32_t tokens[6];
  prompt(tokens, 6);
  float alone[VOCAB], mixed[VOCAB], other[VOCAB];
  for (uint32_t t = 0; t < 6; t++) forward_ok(a, tokens + t, 1, alone, 0);
  llama_model_reset(a);
  for (uint32_t t = 0; t < 6; t++) {
    forward_ok(a, tokens + t, 1, mixed, 0);
    forward_ok(b, tokens + (5 - t), 1, other, 0);
  }
  ck_assert_float_eq(max_abs_diff(alone, mixed, VOCAB), 0.0f);
  ck_assert_float_gt(max_abs_diff(mixed, other, VOCAB), 0.0f);
  llama_model_destroy(a);
  llama_model_destroy(b);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_full_cache_refuses_and_keeps_position) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 8, 6);
  int32_t tokens[9];
  prompt(tokens, 9);
  float logits[9 * VOCAB];
  forward_ok(m, tokens, 6, logits, 0);
  pio_error err = {0};
  ck_assert_int_eq(llama_model_forward(m, tokens, 3, logits, 0, &err), PIO_ERR_LIMIT);
  ck_assert_msg(strstr(err.message, "KV cache of 8 tokens") != NULL, "%s", err.message);
  pio_model_stats st = {.struct_size = sizeof st};
  ck_assert_int_eq(llama_model_stats(m, &st, &err), PIO_OK);
  ck_assert_uint_eq(st.position, 6);
  forward_ok(m, tokens, 2, logits, 0); /* exactly fills it */
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_token_outside_vocabulary_is_refused) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 8, 7);
  int32_t tokens[3] = {1, VOCAB, 2};
  float logits[VOCAB];
  pio_error err = {0};
  ck_assert_int_eq(llama_model_forward(m, tokens, 3, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, "token 1 is 97") != NULL, "%s", err.message);
  tokens[1] = -1;
  ck_assert_int_eq(llama_model_forward(m, tokens, 3, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  pio_model_stats st = {.struct_size = sizeof st};
  ck_assert_int_eq(llama_model_stats(m, &st, &err), PIO_OK);
  ck_assert_uint_eq(st.position, 0);
  ck_assert_int_eq(llama_model_forward(m, tokens, 0, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_stats_report_sizes) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 16, 8);
  pio_model_stats st = {.struct_size = sizeof st};
  pio_error err = {0};
  ck_assert_int_eq(llama_model_stats(m, &st, &err), PIO_OK);
  /* Matrices per layer: qkv (4 + 2*2) * 8 = 64 rows x 32, o 32 x 32,
   * gate_up 96 x 32, down 32 x 48: 2048 + 1024 + 3072 + 1536 = 7680.
   * Two layers 15360, embedding and lm_head 97 x 32 each: 6208.
   * Parameters add the norms: 2 x 2 x 32 + 32 = 160 -> 21728. */
  ck_assert_uint_eq(st.n_params, 21728);
  /* f32: matrices 21568 x 4 bytes + norms 160 x 4 = 86912. */
  ck_assert_uint_eq(st.weight_bytes, 86912);
  /* Per token: every matrix but the embedding (15360 + 3104) x 4, the
   * norms 640 bytes, one embedding row 128 bytes: 74624. */
  ck_assert_uint_eq(st.weight_bytes_per_token, 74624);
  ck_assert_uint_eq(st.flops_per_token, 2 * (15360 + 3104));
  /* 2 layers x 2 KV heads x 8 x 2 (K, V) x 4 bytes x 16 tokens. */
  ck_assert_uint_eq(st.kv_bytes, 2 * 2 * 8 * 2 * 4 * 16);
  ck_assert_uint_eq(st.max_context, 16);
  ck_assert_uint_eq(st.n_threads, 2);
  ck_assert_ptr_nonnull(st.kernel);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_stats_refuse_small_table) {
  pio_model_config *c = tiny_config(0);
  pio_model *m = tiny_model(c, 16, 8);
  pio_model_stats st = {.struct_size = 12};
  pio_error err = {0};
  ck_assert_int_eq(llama_model_stats(m, &st, &err), PIO_ERR_ABI);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_older_options_table_takes_defaults) {
  /* A caller built before max_context existed: the default context, which
   * is min(max_position_embeddings, 4096) = 300. */
  pio_model_config *c = tiny_config(0);
  pio_model_options o = {.synthetic = 1, .weight_dtype = PIO_DTYPE_F32, .n_threads = 1,
                         .max_context = 5};
  o.struct_size = (uint32_t)offsetof(pio_model_options, max_context);
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_model_create(c, &o, &m, &err), PIO_OK);
  pio_model_stats st = {.struct_size = sizeof st};
  ck_assert_int_eq(llama_model_stats(m, &st, &err), PIO_OK);
  ck_assert_uint_eq(st.max_context, 300);
  llama_model_destroy(m);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_without_weights_is_refused) {
  pio_model_config *c = tiny_config(0);
  pio_model_options o = {.struct_size = sizeof o};
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_model_create(c, &o, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(err.message, "weights_dir") != NULL, "%s", err.message);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_context_beyond_positions_is_refused) {
  pio_model_config *c = tiny_config(0);
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1,
                         .weight_dtype = PIO_DTYPE_F32, .max_context = 301};
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_model_create(c, &o, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, "max_position_embeddings 300") != NULL, "%s", err.message);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_synthetic_int8_is_refused) {
  pio_model_config *c = tiny_config(0);
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .weight_dtype = PIO_DTYPE_INT8};
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_eq(llama_model_create(c, &o, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, "int8") != NULL, "%s", err.message);
  llama_config_free(c);
}
END_TEST

START_TEST(test_model_missing_weights_folder_is_reported) {
  pio_model_config *c = tiny_config(0);
  pio_model_options o = {.struct_size = sizeof o, .weights_dir = "/nonexistent/model"};
  pio_model *m = NULL;
  pio_error err = {0};
  ck_assert_int_ne(llama_model_create(c, &o, &m, &err), PIO_OK);
  ck_assert_msg(strstr(err.message, "/nonexistent/model") != NULL, "%s", err.message);
  llama_config_free(c);
}
END_TEST

static Suite *model_suite(void) {
  Suite *s = suite_create("llama3_1_model");
  TCase *t = tcase_create("model");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_model_decode_matches_prefill_logits);
  tcase_add_test(t, test_model_chunked_prefill_matches_token_by_token);
  tcase_add_test(t, test_model_last_logits_equal_last_row_of_all);
  tcase_add_test(t, test_model_instances_do_not_interfere);
  tcase_add_test(t, test_model_full_cache_refuses_and_keeps_position);
  tcase_add_test(t, test_model_token_outside_vocabulary_is_refused);
  tcase_add_test(t, test_model_stats_report_sizes);
  tcase_add_test(t, test_model_stats_refuse_small_table);
  tcase_add_test(t, test_model_older_options_table_takes_defaults);
  tcase_add_test(t, test_model_without_weights_is_refused);
  tcase_add_test(t, test_model_context_beyond_positions_is_refused);
  tcase_add_test(t, test_model_synthetic_int8_is_refused);
  tcase_add_test(t, test_model_missing_weights_folder_is_reported);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(model_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
