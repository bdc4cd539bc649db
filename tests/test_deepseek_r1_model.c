/* tests/test_deepseek_r1_model.c — the deepseek_r1 model instance through
 * its pio_model_api: decode through the MLA cache agrees with prefill,
 * chunked prefill with one pass, experts no token chose are never
 * computed, the synthetic expert pool's size, stats that match the shapes
 * and the KV figures, and bad calls that fail without changing the
 * sequence. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/deepseek_config.h"
#include "config_file_helpers.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"

#ifndef PIO_TEST_MODELS_DIR
#error "PIO_TEST_MODELS_DIR must name manifests/models"
#endif

enum { VOCAB = 97, D = 32, LAYERS = 3, HEADS = 4, RANK = 16, ROPE = 8, NOPE = 8, V = 8 };
enum { EXPERTS = 8, TOP_K = 2, MOE_FF = 16, FFN = 40 };

static pio_model_config *tiny_config(void) {
  char text[1536];
  snprintf(text, sizeof text,
           "{\"architectures\": [\"DeepseekV3ForCausalLM\"], \"hidden_size\": %d, "
           "\"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
           "\"vocab_size\": %d, \"max_position_embeddings\": 300, \"q_lora_rank\": 12, "
           "\"kv_lora_rank\": %d, \"qk_rope_head_dim\": %d, \"qk_nope_head_dim\": %d, "
           "\"v_head_dim\": %d, \"n_routed_experts\": %d, \"num_experts_per_tok\": %d, "
           "\"moe_intermediate_size\": %d, \"n_shared_experts\": 1, \"first_k_dense_replace\": 1,"
           " \"n_group\": 2, \"topk_group\": 1, \"topk_method\": \"noaux_tc\", "
           "\"scoring_func\": \"sigmoid\", \"norm_topk_prob\": true, "
           "\"routed_scaling_factor\": 2.5, \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4, "
           "\"original_max_position_embeddings\": 64, \"mscale\": 1.0, \"mscale_all_dim\": 1.0}}",
           D, FFN, LAYERS, HEADS, VOCAB, RANK, ROPE, NOPE, V, EXPERTS, TOP_K, MOE_FF);
  return config_parse_text(deepseek_config_parse_file, text);
}

static pio_model *tiny_model(const pio_model_config *c, uint32_t max_context, uint64_t seed) {
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1, .seed = seed,
                         .weight_dtype = PIO_DTYPE_F32, .n_threads = 2,
                         .max_context = max_context};
  pio_model *m = NULL;
  pio_error err = {0};
  if (deepseek_model_create(c, &o, &m, &err) != PIO_OK) ck_abort_msg("create: %s", err.message);
  return m;
}

static void forward_ok(pio_model *m, const int32_t *tokens, uint32_t n, float *logits, int all) {
  pio_error err = {0};
  if (deepseek_model_forward(m, tokens, n, logits, all, &err) != PIO_OK)
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

START_TEST(test_model_decode_through_the_mla_cache_matches_prefill) {
  pio_model_config *c = tiny_config();
  pio_model *m = tiny_model(c, 64, 1);
  enum { N = 20 };
  int32_t tokens[N];
  prompt(tokens, N);
  float *all = malloc(sizeof(float) * N * VOCAB), *one = malloc(sizeof(float) * VOCAB);
  forward_ok(m, tokens, N, all, 1);
  deepseek_model_reset(m);
  for (uint32_t t = 0; t < N; t++) {
    forward_ok(m, tokens + t, 1, one, 0);
    ck_assert_float_le(max_abs_diff(one, all + (size_t)t * VOCAB, VOCAB), 1e-4f);
  }
  free(all);
  free(one);
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_model_chunked_prefill_matches_token_by_token) {
  /* 200 tokens: a chunk of DEEPSEEK_PREFILL_CHUNK (128) and the rest. */
  pio_model_config *c = tiny_config();
  pio_model *m = tiny_model(c, 256, 2);
  enum { N = 200 };
  int32_t tokens[N];
  prompt(tokens, N);
  float *all = malloc(sizeof(float) * N * VOCAB), *one = malloc(sizeof(float) * VOCAB);
  forward_ok(m, tokens, N, all, 1);
  deepseek_model_reset(m);
  for (uint32_t t = 0; t < N; t++) forward_ok(m, tokens + t, 1, one, 0);
  ck_assert_float_le(max_abs_diff(one, all + (size_t)(N - 1) * VOCAB, VOCAB), 1e-4f);
  free(all);
  free(one);
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

/* The selection bias makes experts 0 and 1 every token's choice; the
 * other experts' weights are NaN, so reading them into any sum would show
 * in the logits. */
START_TEST(test_experts_no_token_chose_are_never_computed) {
  pio_model_config *c = tiny_config();
  pio_model *m = tiny_model(c, 32, 3);
  for (uint32_t l = 1; l < LAYERS; l++) {
    deepseek_moe_weights *M = &m->weights.layers[l].moe;
    float *bias = (float *)(uintptr_t)M->bias;
    for (uint32_t e = 0; e < EXPERTS; e++) bias[e] = e < TOP_K ? 10.0f : 0.0f;
    for (uint32_t e = TOP_K; e < EXPERTS; e++) {
      float *gate_up = (float *)(uintptr_t)M->experts[e].gate_up.data;
      for (size_t i = 0; i < (size_t)2 * MOE_FF * D; i++) gate_up[i] = NAN;
    }
  }
  int32_t tokens[12];
  prompt(tokens, 12);
  float logits[12 * VOCAB];
  forward_ok(m, tokens, 11, logits, 1); /* a prefill: experts over their tokens */
  forward_ok(m, tokens + 11, 1, logits + 11 * VOCAB, 0); /* a decode: the one-token path */
  for (size_t i = 0; i < 12 * VOCAB; i++) ck_assert(isfinite(logits[i]));
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_model_instances_do_not_interfere) {
  pio_model_config *c = tiny_config();
  pio_model *a = tiny_model(c, 32, 4), *b = tiny_model(c, 32, 5);
  int32_t tokens[6];
  prompt(tokens, 6);
  float alone[VOCAB], mixed[VOCAB], other[VOCAB];
  for (uint32_t t = 0; t < 6; t++) forward_ok(a, tokens + t, 1, alone, 0);
  deepseek_model_reset(a);
  for (uint32_t t = 0; t < 6; t++) {
    forward_ok(a, tokens + t, 1, mixed, 0);
    forward_ok(b, tokens + (5 - t), 1, other, 0);
  }
  ck_assert_float_eq(max_abs_diff(alone, mixed, VOCAB), 0.0f);
  ck_assert_float_gt(max_abs_diff(mixed, other, VOCAB), 0.0f);
  deepseek_model_destroy(a);
  deepseek_model_destroy(b);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_model_full_cache_refuses_and_keeps_position) {
  pio_model_config *c = tiny_config();
  pio_model *m = tiny_model(c, 8, 6);
  int32_t tokens[9];
  prompt(tokens, 9);
  float logits[VOCAB];
  pio_error err = {0};
  forward_ok(m, tokens, 6, logits, 0);
  ck_assert_int_eq(deepseek_model_forward(m, tokens, 3, logits, 0, &err), PIO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(err.message, "KV cache of 8 tokens"));
  ck_assert_int_eq(m->position, 6);
  const int32_t bad[2] = {3, VOCAB};
  ck_assert_int_eq(deepseek_model_forward(m, bad, 2, logits, 0, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "outside the vocabulary [0, 97)"));
  ck_assert_int_eq(m->position, 6);
  forward_ok(m, tokens, 2, logits, 0);
  ck_assert_int_eq(m->position, 8);
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

/* Bytes a token reads, from the shapes: f32 weights. */
static uint64_t bytes_per_token_by_hand(void) {
  const uint64_t qk = NOPE + ROPE;
  const uint64_t attention = (uint64_t)(12 + RANK + ROPE) * D /* q_a, kv_a */ +
                             HEADS * qk * 12 /* q_b */ + HEADS * (NOPE + V) * RANK /* kv_b */ +
                             (uint64_t)D * HEADS * V /* o */;
  const uint64_t expert = 3ull * D * MOE_FF;
  const uint64_t moe = EXPERTS * D /* router */ + EXPERTS /* bias */ + expert /* shared */ +
                       TOP_K * expert;
  const uint64_t norms = (2ull * LAYERS + 1) * D + LAYERS * (12 + RANK);
  const uint64_t floats = LAYERS * attention + 3ull * D * FFN + 2 * moe + norms +
                          (uint64_t)VOCAB * D /* lm_head */ + D /* one embedding row */;
  return floats * 4;
}

START_TEST(test_stats_match_the_shapes_and_the_kv_figures) {
  pio_model_config *c = tiny_config();
  pio_model *m = tiny_model(c, 50, 7);
  pio_model_stats s = {.struct_size = sizeof s};
  pio_error err = {0};
  ck_assert_int_eq(deepseek_model_stats(m, &s, &err), PIO_OK);
  ck_assert_uint_eq(s.struct_size, sizeof s);
  ck_assert_uint_eq(s.kv_bytes, 50ull * LAYERS * (RANK + ROPE) * 4);
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_F32, .tp = 1, .pp = 1,
                    .page_size = 1};
  pio_kv_figures f = {.struct_size = sizeof f};
  ck_assert_int_eq(deepseek_kv_figures(c, &q, &f, &err), PIO_OK);
  ck_assert_uint_eq(s.kv_bytes, f.bytes_per_token * 50);
  ck_assert_uint_eq(s.weight_bytes_per_token, bytes_per_token_by_hand());
  uint64_t total = 0, active = 0;
  deepseek_config_param_counts(c, &total, &active);
  ck_assert_uint_eq(s.n_params, total);
  /* Every tensor once, f32: the parameters, norms included. */
  ck_assert_uint_eq(s.weight_bytes, total * 4);
  ck_assert_ptr_null(s.weights_note);
  ck_assert_uint_eq(s.max_context, 50);
  pio_model_stats small = {.struct_size = 8};
  ck_assert_int_eq(deepseek_model_stats(m, &small, &err), PIO_ERR_ABI);
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

static pio_model_config *preset(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.json", PIO_TEST_MODELS_DIR, name);
  return config_parse_ok(deepseek_config_parse_file, path);
}

/* V2-Lite's routed experts are 28.8 GB in bf16: a pool of one layer's 64
 * (1.15 GB, the 1 GiB budget rounded up to a layer) stands in for the
 * 26 x 64 slots.  A model whose experts fit the budget has no pool. */
START_TEST(test_synthetic_expert_pool_is_one_layer_of_v2_lite) {
  pio_model_config *lite = preset("deepseek-v2-lite");
  ck_assert_uint_eq(deepseek_expert_pool_size(lite, PIO_DTYPE_BF16), 64);
  pio_model_config *v3 = preset("deepseek-v3");
  ck_assert_uint_eq(deepseek_expert_pool_size(v3, PIO_DTYPE_BF16), 256);
  pio_model_config *c = tiny_config();
  ck_assert_uint_eq(deepseek_expert_pool_size(c, PIO_DTYPE_F32), 0);
  deepseek_config_free(lite);
  deepseek_config_free(v3);
  deepseek_config_free(c);
}
END_TEST

START_TEST(test_model_options_and_context_errors) {
  pio_model_config *c = tiny_config();
  pio_model *m = NULL;
  pio_error err = {0};
  pio_model_options none = {.struct_size = sizeof none};
  ck_assert_int_eq(deepseek_model_create(c, &none, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "neither weights_dir nor synthetic"));
  pio_model_options far = {.struct_size = sizeof far, .synthetic = 1, .max_context = 301};
  ck_assert_int_eq(deepseek_model_create(c, &far, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "max_position_embeddings 300"));
  pio_model_options int8 = {.struct_size = sizeof int8, .synthetic = 1,
                            .weight_dtype = PIO_DTYPE_INT8};
  ck_assert_int_eq(deepseek_model_create(c, &int8, &m, &err), PIO_ERR_INVALID_ARGUMENT);
  pio_model_options missing = {.struct_size = sizeof missing,
                               .weights_dir = "/nonexistent/pio-deepseek"};
  ck_assert_int_ne(deepseek_model_create(c, &missing, &m, &err), PIO_OK);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/pio-deepseek"));
  ck_assert_ptr_null(m);
  /* A table from before ABI 1.1 (no weights_load) takes the defaults. */
  pio_model_options old = {.struct_size = offsetof(pio_model_options, weights_load),
                           .synthetic = 1, .max_context = 16};
  ck_assert_int_eq(deepseek_model_create(c, &old, &m, &err), PIO_OK);
  deepseek_model_destroy(m);
  deepseek_config_free(c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("deepseek_r1_model");
  TCase *t = tcase_create("model");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_model_decode_through_the_mla_cache_matches_prefill);
  tcase_add_test(t, test_model_chunked_prefill_matches_token_by_token);
  tcase_add_test(t, test_experts_no_token_chose_are_never_computed);
  tcase_add_test(t, test_model_instances_do_not_interfere);
  tcase_add_test(t, test_model_full_cache_refuses_and_keeps_position);
  tcase_add_test(t, test_stats_match_the_shapes_and_the_kv_figures);
  tcase_add_test(t, test_synthetic_expert_pool_is_one_layer_of_v2_lite);
  tcase_add_test(t, test_model_options_and_context_errors);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
