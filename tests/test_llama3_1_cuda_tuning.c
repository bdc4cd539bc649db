/* tests/test_llama3_1_cuda_tuning.c — the CUDA module's decode settings
 * without a device: lc_decode_tuning_parse (the form of PIO_CUDA_DECODE
 * and pio-cuda-tune's PIO_TUNE_SWEEP) refuses what is not its form, bad
 * input first, and reads each GEMV's own settings, the attention fields and
 * the timing probes (which capture refuses out of range); the default follows the
 * hidden size as measured (docs/cuda.md) and a malformed PIO_CUDA_DECODE
 * becomes a setting capture refuses, not the default. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/llama_config.h"
#include "cuda/cuda_model.h"

static int parses(const char *text) {
  lc_decode_tuning t;
  return lc_decode_tuning_parse(text, &t) != NULL;
}

START_TEST(test_bad_text_is_refused) {
  ck_assert(!parses(""));
  ck_assert(!parses("1,2,8,32"));          /* a field short */
  ck_assert(!parses("1,2,8,32,x"));
  ck_assert(!parses("one,2,8,32,8"));
  ck_assert(!parses("1,2,8,32,8/5:1:4"));  /* kinds are 0-4 */
  ck_assert(!parses("1,2,8,32,8/3:1"));    /* a kind's field short */
  ck_assert(!parses("1,2,8,32,8/3:1:4/"));
  ck_assert(!parses("1,2,8,32,8,"));       /* attn_block_splits missing */
  ck_assert(!parses("1,2,8,32,8,2,"));     /* attn_bound missing */
  ck_assert(!parses("1,2,8,32,8!"));       /* a probe mask missing */
  ck_assert(!parses("1,2,8,32,8!x"));
}
END_TEST

START_TEST(test_settings_are_read) {
  lc_decode_tuning t;
  const char *end = lc_decode_tuning_parse("1,2,8,32,16/3:1:4/0:2:6;next", &t);
  ck_assert_ptr_nonnull(end);
  ck_assert_str_eq(end, ";next");
  ck_assert_int_eq(t.pdl, 1);
  ck_assert_uint_eq(t.blocks_per_sm, 2);
  ck_assert_uint_eq(t.stages, 8);
  ck_assert_uint_eq(t.attn_splits, 32);
  ck_assert_uint_eq(t.attn_min_positions, 16);
  ck_assert_uint_eq(t.kind_blocks_per_sm[LC_GEMV_DOWN], 1);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_DOWN], 4);
  ck_assert_uint_eq(t.kind_blocks_per_sm[LC_GEMV_QKV], 2);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_QKV], 6);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_O], 0);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_GATE_UP], 0);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_LM_HEAD], 0);
  end = lc_decode_tuning_parse("0,1,4,8,8", &t);
  ck_assert_ptr_nonnull(end);
  ck_assert_str_eq(end, "");
  ck_assert_uint_eq(t.kind_blocks_per_sm[LC_GEMV_DOWN], 0); /* none left from before */
  ck_assert_uint_eq(t.attn_block_splits, 0);
  ck_assert_uint_eq(t.attn_bound, 0);
  ck_assert_uint_eq(t.probe, 0);
}
END_TEST

START_TEST(test_attention_fields_and_probes_are_read) {
  lc_decode_tuning t;
  const char *end = lc_decode_tuning_parse("1,1,4,8,8,2,512/1:1:5!272;next", &t);
  ck_assert_ptr_nonnull(end);
  ck_assert_str_eq(end, ";next");
  ck_assert_uint_eq(t.attn_splits, 8);
  ck_assert_uint_eq(t.attn_block_splits, 2);
  ck_assert_uint_eq(t.attn_bound, 512);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_O], 5);
  ck_assert_uint_eq(t.probe, LC_PROBE_O_NO_WAIT | LC_PROBE_ATTN_NO_WAIT);
  end = lc_decode_tuning_parse("1,1,4,32,8,4!1", &t);
  ck_assert_ptr_nonnull(end);
  ck_assert_str_eq(end, "");
  ck_assert_uint_eq(t.attn_block_splits, 4);
  ck_assert_uint_eq(t.attn_bound, 0);
  ck_assert_uint_eq(t.probe, LC_PROBE_NO_ATTENTION);
}
END_TEST

/* lc_decode_capture refuses these before it touches the device. */
START_TEST(test_capture_refuses_bad_attention_settings) {
  pio_model_config c;
  memset(&c, 0, sizeof c);
  c.hidden_size = 4096;
  c.n_heads = 32;
  c.n_kv_heads = 8; /* 4 query heads a KV head */
  pio_model m;
  memset(&m, 0, sizeof m);
  m.config = &c;
  const char *bad[] = {"1,1,4,32,8,3",      /* 3 does not divide 32 */
                       "1,1,4,32,16,16",    /* 16 x 4 warps > 32 */
                       "1,1,4,32,8,1,256",  /* attn_bound 0, 512 or 1024 */
                       "1,1,4,32,8!2",      /* no such probe */
                       "1,1,4,32,8!1024"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lc_decode_tuning t;
    ck_assert_ptr_nonnull(lc_decode_tuning_parse(bad[i], &t));
    pio_error err = {0};
    ck_assert_msg(lc_decode_capture(&m, &t, &err) == PIO_ERR_INVALID_ARGUMENT, "%s", bad[i]);
    ck_assert_ptr_nonnull(strstr(err.message, "attn_block_splits"));
  }
}
END_TEST

static lc_decode_tuning default_for(uint32_t hidden) {
  pio_model_config c;
  memset(&c, 0, sizeof c);
  c.hidden_size = hidden;
  pio_model m;
  memset(&m, 0, sizeof m);
  m.config = &c;
  return lc_decode_tuning_default(&m);
}

START_TEST(test_default_follows_the_hidden_size) {
  unsetenv("PIO_CUDA_DECODE");
  lc_decode_tuning t = default_for(2048); /* llama-3.2-1b */
  ck_assert_uint_eq(t.blocks_per_sm, 2);
  ck_assert_uint_eq(t.stages, 8);
  ck_assert_uint_eq(t.kind_blocks_per_sm[LC_GEMV_DOWN], 1);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_DOWN], 4);
  ck_assert_uint_eq(t.attn_splits, 32);
  ck_assert_uint_eq(t.attn_bound, 512);
  t = default_for(4096); /* llama-3.1-8b */
  ck_assert_uint_eq(t.blocks_per_sm, 1);
  ck_assert_uint_eq(t.stages, 4);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_DOWN], 0);
  ck_assert_uint_eq(t.attn_bound, 512);
}
END_TEST

START_TEST(test_the_environment_replaces_the_default) {
  setenv("PIO_CUDA_DECODE", "0,1,3,4,16/4:2:8", 1);
  lc_decode_tuning t = default_for(2048);
  ck_assert_int_eq(t.pdl, 0);
  ck_assert_uint_eq(t.stages, 3);
  ck_assert_uint_eq(t.attn_splits, 4);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_DOWN], 0);
  ck_assert_uint_eq(t.kind_stages[LC_GEMV_LM_HEAD], 8);
  /* Mistyped: stages 0, which capture refuses. */
  setenv("PIO_CUDA_DECODE", "1,2,8,32", 1);
  ck_assert_uint_eq(default_for(2048).stages, 0);
  setenv("PIO_CUDA_DECODE", "1,2,8,32,8 trailing", 1);
  ck_assert_uint_eq(default_for(4096).stages, 0);
  setenv("PIO_CUDA_DECODE", "", 1); /* empty: the default */
  ck_assert_uint_eq(default_for(4096).stages, 4);
  unsetenv("PIO_CUDA_DECODE");
}
END_TEST

int main(void) {
  Suite *s = suite_create("llama3_1_cuda_tuning");
  TCase *t = tcase_create("tuning");
  tcase_add_test(t, test_bad_text_is_refused);
  tcase_add_test(t, test_settings_are_read);
  tcase_add_test(t, test_attention_fields_and_probes_are_read);
  tcase_add_test(t, test_capture_refuses_bad_attention_settings);
  tcase_add_test(t, test_default_follows_the_hidden_size);
  tcase_add_test(t, test_the_environment_replaces_the_default);
  suite_add_tcase(s, t);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  const int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? 0 : 1;
}
