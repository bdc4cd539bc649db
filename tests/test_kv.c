/* tests/test_kv.c — the SDK's KV-sizing rules (pio/kv.h) that every model
 * plugin's kv_cache component shares: argument and query checks, pipeline
 * stages, GQA head sharding, the per-rank and per-page arithmetic with its
 * overflow check, and kvbench's precision table; each refusal with its
 * message. */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pio/kv.h"

/* The config is opaque to the SDK; any object stands for one here. */
struct pio_model_config {
  uint32_t n_layers;
};

static pio_kv_query query(uint32_t tp, uint32_t pp, uint32_t page, pio_kv_access access,
                          pio_kv_formula formula) {
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_BF16, .tp = tp, .pp = pp,
                    .page_size = page, .access = access, .formula = formula};
  return q;
}

/* Expects status and a message holding fragment. */
static void expect(pio_status got, pio_status want, const pio_error *err, const char *fragment) {
  ck_assert_msg(got == want, "status %d, expected %d: %s", (int)got, (int)want, err->message);
  ck_assert_msg(strstr(err->message, fragment) != NULL, "no '%s' in: %s", fragment,
                err->message);
}

/* Formulas that say which ran, in out->layout. */
static pio_status by_pio(const pio_model_config *c, const pio_kv_query *q, pio_kv_figures *out,
                         pio_error *err) {
  out->layout = "pio";
  out->layers_per_rank = c->n_layers / q->pp;
  return PIO_OK;
}

static pio_status by_kvbench(const pio_model_config *c, const pio_kv_query *q,
                             pio_kv_figures *out, pio_error *err) {
  out->layout = "kvbench";
  return pio_error_set(err, PIO_ERR_UNSUPPORTED, "kvbench: %u layers", c->n_layers);
}

/* Runs pio_kv_figures_compute over c (or no config) with by_pio and
 * by_kvbench. */
static pio_status compute(const struct pio_model_config *c, pio_kv_query q, pio_kv_figures *f,
                          pio_error *err) {
  return pio_kv_figures_compute(c, c ? c->n_layers : 0, &q, by_pio, by_kvbench, f, err);
}

START_TEST(test_compute_runs_the_formula_the_query_names) {
  struct pio_model_config c = {.n_layers = 32};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  ck_assert_int_eq(compute(&c, query(1, 4, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO), &f,
                           &err), PIO_OK);
  ck_assert_str_eq(f.layout, "pio");
  ck_assert_uint_eq(f.layers_per_rank, 8);
  /* The formula's own status comes back. */
  expect(compute(&c, query(1, 4, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH), &f, &err),
         PIO_ERR_UNSUPPORTED, &err, "kvbench: 32 layers");
  ck_assert_str_eq(f.layout, "kvbench");
}
END_TEST

START_TEST(test_compute_refuses_no_config) {
  pio_kv_figures f = {.struct_size = sizeof f, .layout = "none"};
  pio_error err = {0};
  expect(compute(NULL, query(1, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO), &f, &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "KV figures: no config given");
  ck_assert_str_eq(f.layout, "none");
}
END_TEST

START_TEST(test_compute_refuses_small_figures_before_the_query) {
  struct pio_model_config c = {.n_layers = 32};
  pio_kv_figures f = {.struct_size = 4};
  pio_error err = {0};
  expect(compute(&c, query(0, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO), &f, &err),
         PIO_ERR_ABI, &err, "struct_size is 4");
  ck_assert_int_eq(pio_kv_figures_check(NULL, &err), PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_compute_checks_the_query_against_the_layers) {
  struct pio_model_config c = {.n_layers = 61};
  pio_kv_figures f = {.struct_size = sizeof f, .layout = "none"};
  pio_error err = {0};
  expect(compute(&c, query(1, 62, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO), &f, &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "pp: expected at most 61 stages");
  ck_assert_str_eq(f.layout, "none");
  /* kvbench checks nothing of the kind: its formula runs. */
  compute(&c, query(1, 62, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH), &f, &err);
  ck_assert_str_eq(f.layout, "kvbench");
}
END_TEST

/* Each bad query field and the words its message holds. */
static const struct {
  const char *fragment;
  pio_status status;
} bad_queries[] = {
    {"struct_size is 8", PIO_ERR_ABI},          {"kv_dtype", PIO_ERR_INVALID_ARGUMENT},
    {"tp: expected at least 1", PIO_ERR_INVALID_ARGUMENT},
    {"pp: expected at least 1", PIO_ERR_INVALID_ARGUMENT},
    {"page_size: expected at least 1", PIO_ERR_INVALID_ARGUMENT},
    {"access: expected block or layer", PIO_ERR_INVALID_ARGUMENT},
    {"formula: expected pio or kvbench", PIO_ERR_INVALID_ARGUMENT},
};

START_TEST(test_query_check_names_the_bad_field) {
  pio_kv_query q = query(1, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  switch (_i) {
    case 0: q.struct_size = 8; break;
    case 1: q.kv_dtype = PIO_DTYPE_COUNT; break;
    case 2: q.tp = 0; break;
    case 3: q.pp = 0; break;
    case 4: q.page_size = 0; break;
    case 5: q.access = (pio_kv_access)7; break;
    default: q.formula = (pio_kv_formula)7; break;
  }
  pio_error err = {0};
  expect(pio_kv_query_check(&q, 32, &err), bad_queries[_i].status, &err,
         bad_queries[_i].fragment);
}
END_TEST

START_TEST(test_query_check_refuses_no_query) {
  pio_error err = {0};
  expect(pio_kv_query_check(NULL, 32, &err), PIO_ERR_INVALID_ARGUMENT, &err, "no query");
}
END_TEST

START_TEST(test_largest_stage_holds_the_rounded_up_share) {
  ck_assert_uint_eq(pio_kv_layers_per_stage(61, 2), 31);
  ck_assert_uint_eq(pio_kv_layers_per_stage(64, 4), 16);
  ck_assert_uint_eq(pio_kv_layers_per_stage(126, 8), 16);
  ck_assert_uint_eq(pio_kv_layers_per_stage(5, 0), 0);
}
END_TEST

START_TEST(test_gqa_heads_split_or_replicate) {
  uint32_t per_rank = 0, replication = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_gqa_shard(32, 8, 4, &per_rank, &replication, &err), PIO_OK);
  ck_assert_uint_eq(per_rank, 2);
  ck_assert_uint_eq(replication, 1);
  ck_assert_int_eq(pio_kv_gqa_shard(32, 8, 16, &per_rank, &replication, &err), PIO_OK);
  ck_assert_uint_eq(per_rank, 1);
  ck_assert_uint_eq(replication, 2);
}
END_TEST

START_TEST(test_gqa_refusals_name_their_rule) {
  uint32_t per_rank = 0, replication = 0;
  pio_error err = {0};
  expect(pio_kv_gqa_shard(32, 8, 3, &per_rank, &replication, &err), PIO_ERR_INVALID_ARGUMENT,
         &err, "tp 3 does not divide the 32 attention heads");
  expect(pio_kv_gqa_shard(48, 12, 8, &per_rank, &replication, &err), PIO_ERR_INVALID_ARGUMENT,
         &err, "tp 8 does not divide the 12 KV heads");
  expect(pio_kv_gqa_shard(64, 6, 16, &per_rank, &replication, &err), PIO_ERR_INVALID_ARGUMENT,
         &err, "not a multiple of them");
  expect(pio_kv_gqa_shard(32, 0, 1, &per_rank, &replication, &err), PIO_ERR_INVALID_ARGUMENT,
         &err, "at least 1");
}
END_TEST

START_TEST(test_fill_multiplies_by_layers_and_pages) {
  pio_kv_query q = query(2, 4, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  /* 30 layers, 4 stages: 8 layers on the largest. */
  ck_assert_int_eq(pio_kv_figures_fill(&q, 30, 1000, 500, 4, 1, "L", &f, &err), PIO_OK);
  ck_assert_uint_eq(f.bytes_per_token, 30000u);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 4000u);
  ck_assert_uint_eq(f.bytes_per_token_per_layer_per_rank, 500u);
  ck_assert_uint_eq(f.io_bytes_per_page, 500u * 16 * 8);
  ck_assert_uint_eq(f.layers_per_rank, 8);
  ck_assert_uint_eq(f.kv_heads_per_rank, 4);
  ck_assert_str_eq(f.layout, "L");
  q.access = PIO_KV_ACCESS_LAYER;
  ck_assert_int_eq(pio_kv_figures_fill(&q, 30, 1000, 500, 4, 1, "L", &f, &err), PIO_OK);
  ck_assert_uint_eq(f.io_bytes_per_page, 500u * 16);
}
END_TEST

START_TEST(test_fill_refuses_a_product_over_64_bits) {
  pio_kv_query q = query(1, 1, UINT32_MAX, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  expect(pio_kv_figures_fill(&q, 1024, UINT64_MAX / 2048, UINT64_MAX / 2048, 1, 1, "L", &f,
                             &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "exceeds 64 bits");
  uint64_t out = 0;
  ck_assert_int_eq(pio_kv_mul_u64(UINT64_MAX, 2, &out), -1);
  ck_assert_int_eq(pio_kv_mul_u64(1u << 31, 1u << 31, &out), 0);
  ck_assert_uint_eq(out, 1ull << 62);
}
END_TEST

START_TEST(test_kvbench_precisions_and_no_fp32) {
  uint32_t bytes = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_kvbench_precision_bytes(PIO_DTYPE_FP8, &bytes, &err), PIO_OK);
  ck_assert_uint_eq(bytes, 1);
  ck_assert_int_eq(pio_kv_kvbench_precision_bytes(PIO_DTYPE_BF16, &bytes, &err), PIO_OK);
  ck_assert_uint_eq(bytes, 2);
  expect(pio_kv_kvbench_precision_bytes(PIO_DTYPE_F32, &bytes, &err), PIO_ERR_UNSUPPORTED, &err,
         "kvbench knows the precisions fp8, int8, fp16 and bfloat16");
}
END_TEST

START_TEST(test_stages_split_as_vllm_does) {
  /* 30 layers over 4 stages: 7 each, the two left over to stages 1 and 2. */
  static const uint32_t first[] = {0, 7, 15, 23}, count[] = {7, 8, 8, 7};
  for (uint32_t s = 0; s < 4; s++) {
    uint32_t f = 99, n = 99;
    pio_kv_stage_layers(30, 4, s, &f, &n);
    ck_assert_uint_eq(f, first[s]);
    ck_assert_uint_eq(n, count[s]);
  }
  uint32_t f = 0, n = 0;
  pio_kv_stage_layers(5, 1, 0, &f, &n);
  ck_assert_uint_eq(n, 5);
  pio_kv_stage_layers(5, 2, 2, &f, &n); /* no such stage */
  ck_assert_uint_eq(n, 0);
}
END_TEST

/* Two full layers and two sliding ones, alternating, over two stages. */
START_TEST(test_classes_are_sized_and_added_up_by_stage) {
  pio_kv_query q = query(2, 2, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  q.kv_dtype = PIO_DTYPE_FP8;
  q.scales = PIO_KV_SCALES_TOKEN_HEAD;
  const uint8_t kinds[] = {PIO_KV_LAYER_SLIDING, PIO_KV_LAYER_FULL, PIO_KV_LAYER_SLIDING,
                           PIO_KV_LAYER_FULL, PIO_KV_LAYER_FULL};
  pio_kv_pattern p;
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_pattern_init(&p, kinds, 5, &err), PIO_OK);
  ck_assert_uint_eq(p.n_classes, 2);
  ck_assert_uint_eq(p.class_kind[0], PIO_KV_LAYER_FULL); /* classes in kind order */
  ck_assert_uint_eq(p.layer_class[0], 1);
  pio_kv_figures f = {.struct_size = sizeof f};
  ck_assert_int_eq(pio_kv_gqa_pattern_fill(&q, &p, 8, 4, 64, 128, 0, "L", &f, &err), PIO_OK);
  /* A layer: 4 KV heads x (2 x 64 fp8 + 2 f32 scales) = 544 B; 272 B on each of 2 ranks. */
  ck_assert_uint_eq(f.classes[0].bytes_per_token_per_layer, 544);
  ck_assert_uint_eq(f.classes[0].bytes_per_token_per_layer_per_rank, 272);
  ck_assert_uint_eq(f.classes[0].scale_bytes_per_token_per_layer_per_rank, 16);
  ck_assert_uint_eq(f.classes[1].window, 128);
  ck_assert_uint_eq(f.classes[0].n_layers, 3);
  /* Stages: layers 0-2 (1 full, 2 sliding) and 3-4 (2 full). */
  ck_assert_uint_eq(f.classes[0].layers_per_rank, 2);
  ck_assert_uint_eq(f.classes[1].layers_per_rank, 2);
  ck_assert_uint_eq(f.bytes_per_token, 5 * 544);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 3 * 272);
  ck_assert_uint_eq(f.io_bytes_per_page, 3 * 272 * 16);
  ck_assert_uint_eq(f.layers_per_rank, 3);
  ck_assert_ptr_eq(f.layer_class, p.layer_class);
  pio_kv_pattern copy;
  ck_assert_int_eq(pio_kv_pattern_copy(&p, &copy, &err), PIO_OK);
  ck_assert(copy.layer_class != p.layer_class && memcmp(copy.layer_class, p.layer_class, 5) == 0);
  pio_kv_pattern_clear(&copy);
  pio_kv_pattern_clear(&p);
  ck_assert_ptr_null(p.layer_class);
}
END_TEST

START_TEST(test_state_and_latent_classes_shard_their_own_way) {
  pio_kv_query q = query(4, 1, 16, PIO_KV_ACCESS_LAYER, PIO_KV_FORMULA_PIO);
  q.state_dtype = PIO_DTYPE_F32;
  const pio_kv_class_spec specs[] = {
      {.kind = PIO_KV_LAYER_FULL, .n_heads = 8, .n_kv_heads = 1, .k_head_dim = 576, .latent = 1},
      {.kind = PIO_KV_LAYER_STATE, .state_numbers = 1000, .state_split = 100}};
  const uint8_t layer_class[] = {1, 0, 1};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_classes_fill(&q, 3, layer_class, specs, 2, "L", &f, &err), PIO_OK);
  ck_assert_uint_eq(f.classes[0].bytes_per_token_per_layer_per_rank, 576 * 2);
  ck_assert_uint_eq(f.classes[0].replication, 4);
  ck_assert_uint_eq(f.classes[1].state_bytes_per_layer, 4000);
  ck_assert_uint_eq(f.classes[1].state_bytes_per_layer_per_rank, 1000);
  ck_assert_uint_eq(f.bytes_per_token, 576 * 2); /* state keeps nothing per token */
  ck_assert_uint_eq(f.io_bytes_per_page, 576 * 2 * 16);
  expect(pio_kv_classes_fill(&q, 3, layer_class, specs + 1, 1, "L", &f, &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "layer 0 is of class 1, but 1 classes");
  q.tp = 3;
  const uint8_t all_state[] = {0, 0, 0};
  expect(pio_kv_classes_fill(&q, 3, all_state, specs + 1, 1, "L", &f, &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "tp 3 does not divide the 100 channels");
  const pio_kv_class_spec no_window = {.kind = PIO_KV_LAYER_SLIDING, .n_heads = 3,
                                       .n_kv_heads = 3, .k_head_dim = 2, .v_head_dim = 2};
  expect(pio_kv_classes_fill(&q, 3, NULL, &no_window, 1, "L", &f, &err),
         PIO_ERR_INVALID_ARGUMENT, &err, "a window of 0 tokens");
}
END_TEST

START_TEST(test_an_older_figures_table_gets_only_what_it_holds) {
  pio_kv_query q = query(1, 1, 16, PIO_KV_ACCESS_LAYER, PIO_KV_FORMULA_PIO);
  const pio_kv_class_spec full = {.kind = PIO_KV_LAYER_FULL, .n_heads = 2, .n_kv_heads = 2,
                                  .k_head_dim = 4, .v_head_dim = 4};
  pio_kv_figures f;
  memset(&f, 0x5a, sizeof f);
  f.struct_size = (uint32_t)offsetof(pio_kv_figures, n_layers);
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_classes_fill(&q, 2, NULL, &full, 1, "L", &f, &err), PIO_OK);
  ck_assert_uint_eq(f.struct_size, offsetof(pio_kv_figures, n_layers));
  ck_assert_uint_eq(f.bytes_per_token, 2 * 2 * 8 * 2);
  ck_assert_uint_eq(f.n_classes, 0x5a5a5a5a);
}
END_TEST

START_TEST(test_scales_are_checked_in_the_query) {
  struct pio_model_config c = {.n_layers = 4};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  pio_kv_query q = query(1, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  q.scales = PIO_KV_SCALES_HEAD;
  expect(compute(&c, q, &f, &err), PIO_ERR_INVALID_ARGUMENT, &err,
         "a bf16 cache keeps no scales");
  q.kv_dtype = PIO_DTYPE_INT8;
  q.scales = 9;
  expect(compute(&c, q, &f, &err), PIO_ERR_INVALID_ARGUMENT, &err, "scales: expected none");
  q.scales = PIO_KV_SCALES_TOKEN_HEAD;
  ck_assert_int_eq(compute(&c, q, &f, &err), PIO_OK);
  /* The plain fill cannot size scales per token: it says so. */
  expect(pio_kv_figures_fill(&q, 4, 10, 10, 1, 1, "L", &f, &err), PIO_ERR_UNSUPPORTED, &err,
         "does not size scales per token");
  q.scales = PIO_KV_SCALES_NONE;
  q.state_dtype = PIO_DTYPE_COUNT;
  expect(compute(&c, q, &f, &err), PIO_ERR_INVALID_ARGUMENT, &err, "state_dtype");
}
END_TEST

START_TEST(test_kvbench_tail_truncates_like_python) {
  /* kvbench qwen3.py, 94 layers, 4 KV heads of 128, bf16, tp 8, pp 3. */
  pio_kv_query q = query(8, 3, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH);
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  ck_assert_int_eq(pio_kv_kvbench_gqa(&q, 94, 4, 128, "L", &f, &err), PIO_OK);
  ck_assert_uint_eq(f.bytes_per_token, 94u * 4 * 128 * 2 * 2);
  /* int(int(2048 / 8) * (94 / 3)) = int(256 * 31.333...) = 8021. */
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 8021);
  ck_assert_uint_eq(f.io_bytes_per_page, 8021u * 16);
  ck_assert_uint_eq(f.n_classes, 1);
  expect(pio_kv_kvbench_refuse("XForCausalLM", &err), PIO_ERR_UNSUPPORTED, &err,
         "kvbench has no model for XForCausalLM");
}
END_TEST

static Suite *kv_suite(void) {
  Suite *s = suite_create("kv");
  TCase *t = tcase_create("kv");
  tcase_add_test(t, test_compute_runs_the_formula_the_query_names);
  tcase_add_test(t, test_compute_refuses_no_config);
  tcase_add_test(t, test_compute_refuses_small_figures_before_the_query);
  tcase_add_test(t, test_compute_checks_the_query_against_the_layers);
  tcase_add_loop_test(t, test_query_check_names_the_bad_field, 0,
                      sizeof bad_queries / sizeof bad_queries[0]);
  tcase_add_test(t, test_query_check_refuses_no_query);
  tcase_add_test(t, test_largest_stage_holds_the_rounded_up_share);
  tcase_add_test(t, test_gqa_heads_split_or_replicate);
  tcase_add_test(t, test_gqa_refusals_name_their_rule);
  tcase_add_test(t, test_fill_multiplies_by_layers_and_pages);
  tcase_add_test(t, test_fill_refuses_a_product_over_64_bits);
  tcase_add_test(t, test_kvbench_precisions_and_no_fp32);
  tcase_add_test(t, test_stages_split_as_vllm_does);
  tcase_add_test(t, test_classes_are_sized_and_added_up_by_stage);
  tcase_add_test(t, test_state_and_latent_classes_shard_their_own_way);
  tcase_add_test(t, test_an_older_figures_table_gets_only_what_it_holds);
  tcase_add_test(t, test_scales_are_checked_in_the_query);
  tcase_add_test(t, test_kvbench_tail_truncates_like_python);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(kv_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
