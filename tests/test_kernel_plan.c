/* tests/test_kernel_plan.c — choosing matmul paths (pio_kernel_plan_choose):
 * auto plans use paths this CPU runs and say why, f32/f16 weights take the
 * widest f32 path, a named path is used for every matmul, unknown and
 * unavailable names are refused with the reason, and the plan switches
 * paths at its prefill size. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/cpu.h"
#include "pio/kernels.h"

START_TEST(test_auto_plan_for_bf16_uses_available_paths_and_says_why) {
  pio_kernel_plan plan;
  pio_error err = {0};
  ck_assert_int_eq(pio_kernel_plan_choose(NULL, PIO_DTYPE_BF16, &plan, &err), PIO_OK);
  ck_assert(pio_kernel_path_available(plan.prefill));
  ck_assert(pio_kernel_path_available(plan.decode));
  ck_assert_int_ne(plan.decode, PIO_KERNEL_AMX_BF16);
  ck_assert_ptr_nonnull(strstr(plan.name, pio_kernel_path_name(plan.prefill)));
  ck_assert_ptr_nonnull(strstr(plan.why, "measured"));
  ck_assert_ptr_nonnull(strstr(plan.why, pio_kernel_path_name(plan.prefill)));
  if (!pio_kernel_path_available(PIO_KERNEL_AMX_BF16))
    ck_assert_ptr_nonnull(strstr(plan.why, "amx_bf16 not used: "));
  /* "auto" and "" are the same request. */
  pio_kernel_plan again;
  ck_assert_int_eq(pio_kernel_plan_choose("auto", PIO_DTYPE_BF16, &again, &err), PIO_OK);
  ck_assert_int_eq(again.prefill, plan.prefill);
  ck_assert_int_eq(pio_kernel_plan_choose("", PIO_DTYPE_BF16, &again, &err), PIO_OK);
  ck_assert_int_eq(again.decode, plan.decode);
}
END_TEST

START_TEST(test_f32_and_f16_weights_take_the_widest_f32_path) {
  pio_kernel_path widest = pio_kernel_path_available(PIO_KERNEL_AVX512) ? PIO_KERNEL_AVX512
                           : pio_kernel_path_available(PIO_KERNEL_AVX2) ? PIO_KERNEL_AVX2
                                                                         : PIO_KERNEL_SCALAR;
  const pio_dtype dtypes[] = {PIO_DTYPE_F32, PIO_DTYPE_F16};
  for (int d = 0; d < 2; d++) {
    pio_kernel_plan plan;
    pio_error err = {0};
    ck_assert_int_eq(pio_kernel_plan_choose(NULL, dtypes[d], &plan, &err), PIO_OK);
    ck_assert_int_eq(plan.prefill, widest);
    ck_assert_int_eq(plan.decode, widest);
    ck_assert_str_eq(plan.name, pio_kernel_path_name(widest));
    ck_assert_ptr_nonnull(strstr(plan.why, "widened to f32"));
  }
}
END_TEST

START_TEST(test_named_path_is_used_for_every_matmul) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (!pio_kernel_path_available(path)) return;
  pio_kernel_plan plan;
  pio_error err = {0};
  ck_assert_int_eq(pio_kernel_plan_choose(pio_kernel_path_name(path), PIO_DTYPE_BF16, &plan, &err),
                   PIO_OK);
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 1), path);
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 1000), path);
  ck_assert_str_eq(plan.name, pio_kernel_path_name(path));
  ck_assert_ptr_nonnull(strstr(plan.why, "asked for"));
}
END_TEST

START_TEST(test_unknown_path_is_refused_with_the_names) {
  pio_kernel_plan plan;
  pio_error err = {0};
  ck_assert_int_eq(pio_kernel_plan_choose("avx1024", PIO_DTYPE_BF16, &plan, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "'avx1024'"));
  ck_assert_ptr_nonnull(strstr(err.message, "amx_bf16"));
  pio_kernel_path p;
  ck_assert_int_eq(pio_kernel_path_parse("avx1024", &p), -1);
  ck_assert_int_eq(pio_kernel_path_parse(NULL, &p), -1);
  ck_assert_int_eq(pio_kernel_path_parse("amx_bf16", &p), 0);
  ck_assert_int_eq(p, PIO_KERNEL_AMX_BF16);
}
END_TEST

START_TEST(test_unavailable_path_is_refused_with_the_reason) {
  for (int i = 0; i < PIO_KERNEL_PATH_COUNT; i++) {
    pio_kernel_path path = (pio_kernel_path)i;
    const char *why = pio_kernel_path_unavailable_reason(path);
    ck_assert_int_eq(why == NULL, pio_kernel_path_available(path));
    if (why == NULL) continue;
    pio_kernel_plan plan;
    pio_error err = {0};
    ck_assert_int_eq(pio_kernel_plan_choose(pio_kernel_path_name(path), PIO_DTYPE_BF16, &plan,
                                            &err),
                     PIO_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, why));
  }
  ck_assert_ptr_nonnull(pio_kernel_path_unavailable_reason(PIO_KERNEL_PATH_COUNT));
}
END_TEST

START_TEST(test_weights_no_matmul_takes_are_refused) {
  pio_kernel_plan plan;
  pio_error err = {0};
  ck_assert_int_eq(pio_kernel_plan_choose(NULL, PIO_DTYPE_INT8, &plan, &err),
                   PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "f32, bf16 or f16"));
}
END_TEST

START_TEST(test_plan_switches_paths_at_its_prefill_size) {
  pio_kernel_plan plan = {.prefill = PIO_KERNEL_AMX_BF16, .decode = PIO_KERNEL_AVX512_BF16,
                          .prefill_min_tokens = 16};
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 1), PIO_KERNEL_AVX512_BF16);
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 15), PIO_KERNEL_AVX512_BF16);
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 16), PIO_KERNEL_AMX_BF16);
  ck_assert_int_eq(pio_kernel_plan_path(&plan, 512), PIO_KERNEL_AMX_BF16);
}
END_TEST

/* The avx512 one-token kernel prefetches 4 KiB ahead on Intel CPUs only,
 * and a plan that decodes there says so. */
START_TEST(test_one_token_prefetch_follows_the_vendor_and_is_explained) {
  const size_t ahead = pio_kernel_one_token_prefetch();
#ifndef PIO_ONE_TOKEN_PREFETCH
  ck_assert_uint_eq(ahead, pio_cpu_is_intel() ? 4096u : 0u);
#endif
  if (!pio_kernel_path_available(PIO_KERNEL_AVX512)) return;
  pio_kernel_plan plan;
  pio_error err = {0};
  ck_assert_int_eq(pio_kernel_plan_choose("avx512", PIO_DTYPE_BF16, &plan, &err), PIO_OK);
  char expect[96];
  snprintf(expect, sizeof expect, "avx512 one-token rows prefetched %zu bytes ahead", ahead);
  ck_assert_msg((strstr(plan.why, expect) != NULL) == (ahead != 0), "why: %s", plan.why);
}
END_TEST

START_TEST(test_f32_path_keeps_f32_activations_and_forced_paths) {
  const pio_kernel_path decode[] = {PIO_KERNEL_SCALAR, PIO_KERNEL_AVX2, PIO_KERNEL_AVX512,
                                    PIO_KERNEL_AVX512_BF16, PIO_KERNEL_AMX_BF16};
  const pio_kernel_path want[] = {PIO_KERNEL_SCALAR, PIO_KERNEL_AVX2, PIO_KERNEL_AVX512,
                                  PIO_KERNEL_AVX512, PIO_KERNEL_AVX512};
  for (size_t i = 0; i < sizeof decode / sizeof decode[0]; i++) {
    pio_kernel_plan plan = {.prefill = PIO_KERNEL_AMX_BF16, .decode = decode[i],
                            .prefill_min_tokens = 16};
    ck_assert_int_eq(pio_kernel_plan_f32_path(&plan), want[i]);
  }
}
END_TEST

int main(void) {
  Suite *suite = suite_create("kernel_plan");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_auto_plan_for_bf16_uses_available_paths_and_says_why);
  tcase_add_test(tc, test_f32_and_f16_weights_take_the_widest_f32_path);
  tcase_add_loop_test(tc, test_named_path_is_used_for_every_matmul, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_test(tc, test_unknown_path_is_refused_with_the_names);
  tcase_add_test(tc, test_unavailable_path_is_refused_with_the_reason);
  tcase_add_test(tc, test_weights_no_matmul_takes_are_refused);
  tcase_add_test(tc, test_plan_switches_paths_at_its_prefill_size);
  tcase_add_test(tc, test_f32_path_keeps_f32_activations_and_forced_paths);
  tcase_add_test(tc, test_one_token_prefetch_follows_the_vendor_and_is_explained);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
