/* tests/test_llama3_1_kv.c — the llama3_1 plugin's KV-cache sizing: bytes
 * per token and per rank under real tensor/pipeline sharding, page IO for
 * block and layer access, kvbench's arithmetic, and refused shardings.
 * Every expected value is computed by hand in the comment beside it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/llama_config.h"
#include "config_file_helpers.h"
#include "kv_cache/kv_figures.h"

/* A config with these shapes.  hidden_size plays no part in KV sizing; it
 * is fixed so that any head count and head_dim pass the config limits. */
static pio_model_config *make_config(uint32_t layers, uint32_t heads, uint32_t kv_heads,
                                     uint32_t head_dim) {
  char text[512];
  snprintf(text, sizeof text, "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": %u, "
           "\"intermediate_size\": 1024, \"num_hidden_layers\": %u, \"num_attention_heads\": %u,"
           " \"num_key_value_heads\": %u, \"head_dim\": %u, \"vocab_size\": 1000, "
           "\"max_position_embeddings\": 4096}", 4096u, layers, heads, kv_heads, head_dim);
  return config_parse_text(llama_config_parse_file, text);
}

static pio_kv_query query(pio_dtype dtype, uint32_t tp, uint32_t pp, uint32_t page,
                          pio_kv_access access, pio_kv_formula formula) {
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = dtype, .tp = tp, .pp = pp,
                    .page_size = page, .access = access, .formula = formula};
  return q;
}

static pio_kv_figures figures_ok(const pio_model_config *c, pio_kv_query q) {
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  pio_status s = llama_kv_figures(c, &q, &f, &err);
  if (s != PIO_OK) ck_abort_msg("figures: %s", err.message);
  return f;
}

static void figures_fail(const pio_model_config *c, pio_kv_query q, pio_status want,
                         const char *fragment) {
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_error err = {0};
  pio_status s = llama_kv_figures(c, &q, &f, &err);
  if (s != want || strstr(err.message, fragment) == NULL)
    ck_abort_msg("status %d (want %d): %s", (int)s, (int)want, err.message);
}

START_TEST(test_kv_8b_bf16_is_131072_bytes_per_token) {
  /* 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes = 131072. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 1, 1, 1, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_PIO));
  ck_assert_uint_eq(f.bytes_per_token, 131072);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 131072);
  ck_assert_uint_eq(f.bytes_per_token_per_layer_per_rank, 4096); /* 8 x 128 x 2 x 2 */
  ck_assert_uint_eq(f.layers_per_rank, 32);
  ck_assert_uint_eq(f.kv_heads_per_rank, 8);
  ck_assert_uint_eq(f.replication, 1);
  ck_assert_ptr_nonnull(f.layout);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_dtype_scales_bytes) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  /* fp32: 32 x 8 x 128 x 2 x 4 = 262144; fp8 and int8: 65536. */
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_F32, 1, 1, 1, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).bytes_per_token, 262144);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_FP8, 1, 1, 1, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).bytes_per_token, 65536);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_INT8, 1, 1, 1, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).bytes_per_token, 65536);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_F16, 1, 1, 1, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).bytes_per_token, 131072);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_tp_splits_kv_heads) {
  /* 70B: 80 layers, 64 heads, 8 KV heads.  tp 4: 2 heads a rank:
   * per layer 2 x 128 x 2 x 2 = 1024; per rank 1024 x 80 = 81920. */
  pio_model_config *c = make_config(80, 64, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 4, 1, 1, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_PIO));
  ck_assert_uint_eq(f.bytes_per_token, 327680); /* 80 x 8 x 128 x 2 x 2 */
  ck_assert_uint_eq(f.kv_heads_per_rank, 2);
  ck_assert_uint_eq(f.replication, 1);
  ck_assert_uint_eq(f.bytes_per_token_per_layer_per_rank, 1024);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 81920);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_tp_beyond_kv_heads_replicates_one_head) {
  /* 8B with tp 16: 16 > 8 KV heads, so one head a rank, each held by 2
   * ranks: per layer 128 x 2 x 2 = 512, per rank 512 x 32 = 16384. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 16, 1, 1, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_PIO));
  ck_assert_uint_eq(f.kv_heads_per_rank, 1);
  ck_assert_uint_eq(f.replication, 2);
  ck_assert_uint_eq(f.bytes_per_token_per_layer_per_rank, 512);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 16384);
  ck_assert_uint_eq(f.bytes_per_token, 131072);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_tp_not_dividing_heads_is_refused) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  figures_fail(c, query(PIO_DTYPE_BF16, 3, 1, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO),
               PIO_ERR_INVALID_ARGUMENT, "tp 3 does not divide the 32 attention heads");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_tp_not_dividing_kv_heads_is_refused) {
  /* 24 heads, 6 KV heads, tp 4: 4 divides 24 but not 6. */
  pio_model_config *c = make_config(8, 24, 6, 64);
  figures_fail(c, query(PIO_DTYPE_BF16, 4, 1, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO),
               PIO_ERR_INVALID_ARGUMENT, "tp 4 does not divide the 6 KV heads");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_tp_beyond_kv_heads_not_multiple_is_refused) {
  /* 24 heads, 8 KV heads, tp 12: divides 24, exceeds 8, 12 % 8 != 0. */
  pio_model_config *c = make_config(8, 24, 8, 64);
  figures_fail(c, query(PIO_DTYPE_BF16, 12, 1, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO),
               PIO_ERR_INVALID_ARGUMENT, "not a multiple");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_pp_gives_each_stage_its_layers) {
  /* 8B, pp 4: 8 layers a stage, 4096 x 8 = 32768 bytes a token a rank. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 1, 4, 1, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_PIO));
  ck_assert_uint_eq(f.layers_per_rank, 8);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 32768);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_uneven_pp_sizes_by_largest_stage) {
  /* 32 layers over 3 stages: 11, 11, 10; the largest sizes the rank:
   * 4096 x 11 = 45056. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 1, 3, 1, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_PIO));
  ck_assert_uint_eq(f.layers_per_rank, 11);
  ck_assert_uint_eq(f.bytes_per_token_per_rank, 45056);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_pp_over_layers_is_refused) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  figures_fail(c, query(PIO_DTYPE_BF16, 1, 33, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO),
               PIO_ERR_INVALID_ARGUMENT, "pp");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_block_io_carries_all_stage_layers) {
  /* 8B bf16, tp 2, pp 2, page 16: per layer per rank 4 x 128 x 2 x 2 =
   * 2048; block: 2048 x 16 x 16 layers = 524288; layer: 2048 x 16 = 32768. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_BF16, 2, 2, 16, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).io_bytes_per_page, 524288);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_BF16, 2, 2, 16, PIO_KV_ACCESS_LAYER,
                                        PIO_KV_FORMULA_PIO)).io_bytes_per_page, 32768);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_page_size_zero_is_refused) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  figures_fail(c, query(PIO_DTYPE_BF16, 1, 1, 0, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO),
               PIO_ERR_INVALID_ARGUMENT, "page_size");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_huge_page_overflow_is_refused) {
  /* 1024 x 1024 x 2 x 4 bytes a layer x (2^32 - 1) tokens x 1024 layers
   * is about 3.7e19, over 2^64 (1.8e19). */
  pio_model_config *c = make_config(1024, 1024, 1024, 1024);
  figures_fail(c, query(PIO_DTYPE_F32, 1, 1, UINT32_MAX, PIO_KV_ACCESS_BLOCK,
                        PIO_KV_FORMULA_PIO), PIO_ERR_INVALID_ARGUMENT, "64 bits");
  llama_config_free(c);
}
END_TEST

START_TEST(test_kv_small_figures_table_is_refused) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_query q = query(PIO_DTYPE_BF16, 1, 1, 1, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  pio_kv_figures f = {.struct_size = 16};
  pio_error err = {0};
  ck_assert_int_eq(llama_kv_figures(c, &q, &f, &err), PIO_ERR_ABI);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kvbench_formula_matches_kvbench_when_even) {
  /* kvbench, 8B bf16, tp 1, pp 1, page 16, block:
   * int(32 * (32 / 4) * 128 * 2 * 2) = 131072; int(131072 / 32) = 4096;
   * int(4096 / 1) = 4096; int(4096 * (32 / 1)) = 131072; x 16 = 2097152. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  pio_kv_figures f = figures_ok(c, query(PIO_DTYPE_BF16, 1, 1, 16, PIO_KV_ACCESS_BLOCK,
                                         PIO_KV_FORMULA_KVBENCH));
  ck_assert_uint_eq(f.bytes_per_token, 131072);
  ck_assert_uint_eq(f.io_bytes_per_page, 2097152);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kvbench_formula_truncates_like_python) {
  /* tp 3 (kvbench allows it): int(4096 / 3) = 1365.
   * pp 3, block: int(1365 * (32 / 3)) = int(14560.0) = 14560; x 16 = 232960.
   * layer: 1365 x 16 = 21840. */
  pio_model_config *c = make_config(32, 32, 8, 128);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_BF16, 3, 3, 16, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_KVBENCH)).io_bytes_per_page, 232960);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_BF16, 3, 3, 16, PIO_KV_ACCESS_LAYER,
                                        PIO_KV_FORMULA_KVBENCH)).io_bytes_per_page, 21840);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kvbench_formula_differs_from_pio_on_uneven_pp) {
  /* 70B fp8, tp 8, pp 7, page 64, block.  kvbench: per token
   * 80 x 8 x 128 x 2 x 1 = 163840; /80 = 2048; /8 = 256;
   * int(256 * (80 / 7)) = int(2925.71...) = 2925; x 64 = 187200.
   * pio: 1 head a rank, 256 bytes a layer, ceil(80 / 7) = 12 layers:
   * 256 x 12 x 64 = 196608. */
  pio_model_config *c = make_config(80, 64, 8, 128);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_FP8, 8, 7, 64, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_KVBENCH)).io_bytes_per_page, 187200);
  ck_assert_uint_eq(figures_ok(c, query(PIO_DTYPE_FP8, 8, 7, 64, PIO_KV_ACCESS_BLOCK,
                                        PIO_KV_FORMULA_PIO)).io_bytes_per_page, 196608);
  llama_config_free(c);
}
END_TEST

START_TEST(test_kvbench_formula_refuses_fp32) {
  pio_model_config *c = make_config(32, 32, 8, 128);
  figures_fail(c, query(PIO_DTYPE_F32, 1, 1, 16, PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_KVBENCH),
               PIO_ERR_UNSUPPORTED, "kvbench");
  llama_config_free(c);
}
END_TEST

static Suite *kv_suite(void) {
  Suite *s = suite_create("llama3_1_kv");
  TCase *t = tcase_create("kv");
  tcase_add_test(t, test_kv_8b_bf16_is_131072_bytes_per_token);
  tcase_add_test(t, test_kv_dtype_scales_bytes);
  tcase_add_test(t, test_kv_tp_splits_kv_heads);
  tcase_add_test(t, test_kv_tp_beyond_kv_heads_replicates_one_head);
  tcase_add_test(t, test_kv_tp_not_dividing_heads_is_refused);
  tcase_add_test(t, test_kv_tp_not_dividing_kv_heads_is_refused);
  tcase_add_test(t, test_kv_tp_beyond_kv_heads_not_multiple_is_refused);
  tcase_add_test(t, test_kv_pp_gives_each_stage_its_layers);
  tcase_add_test(t, test_kv_uneven_pp_sizes_by_largest_stage);
  tcase_add_test(t, test_kv_pp_over_layers_is_refused);
  tcase_add_test(t, test_kv_block_io_carries_all_stage_layers);
  tcase_add_test(t, test_kv_page_size_zero_is_refused);
  tcase_add_test(t, test_kv_huge_page_overflow_is_refused);
  tcase_add_test(t, test_kv_small_figures_table_is_refused);
  tcase_add_test(t, test_kvbench_formula_matches_kvbench_when_even);
  tcase_add_test(t, test_kvbench_formula_truncates_like_python);
  tcase_add_test(t, test_kvbench_formula_differs_from_pio_on_uneven_pp);
  tcase_add_test(t, test_kvbench_formula_refuses_fp32);
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
