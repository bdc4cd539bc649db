/* tests/test_compute_limits.c — the arithmetic behind pio-bench's machine
 * limits: medians, the read loops' checksums on every path this CPU has,
 * the FMA and bf16 loops doing exactly the work they are counted for, and
 * the measurement functions' argument checks.  No timing thresholds. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute_kernels.h"
#include "compute_limits.h"
#include "stats.h"

START_TEST(test_median_of_odd_count_is_middle_value) {
  double v[] = {5.0, 1.0, 3.0};
  ck_assert_double_eq(pio_bench_median(v, 3), 3.0);
}
END_TEST

START_TEST(test_median_of_even_count_is_mean_of_middle_values) {
  double v[] = {4.0, 1.0, 10.0, 2.0};
  ck_assert_double_eq(pio_bench_median(v, 4), 3.0);
}
END_TEST

START_TEST(test_median_of_one_value_is_that_value) {
  double v[] = {7.5};
  ck_assert_double_eq(pio_bench_median(v, 1), 7.5);
}
END_TEST

START_TEST(test_median_of_nothing_is_nan) {
  ck_assert(isnan(pio_bench_median(NULL, 0)));
}
END_TEST

START_TEST(test_min_and_max_find_the_extremes) {
  double v[] = {3.0, -2.0, 8.0, 0.5};
  ck_assert_double_eq(pio_bench_min(v, 4), -2.0);
  ck_assert_double_eq(pio_bench_max(v, 4), 8.0);
}
END_TEST

START_TEST(test_clock_does_not_go_backwards) {
  double a = pio_bench_now();
  double b = pio_bench_now();
  ck_assert(b >= a);
}
END_TEST

/* words[n] = i * 3 + 1: the sum is known in closed form. */
static uint64_t *pattern(size_t n) {
  uint64_t *w = aligned_alloc(64, n * sizeof *w);
  ck_assert_ptr_nonnull(w);
  for (size_t i = 0; i < n; i++) w[i] = (uint64_t)i * 3 + 1;
  return w;
}

START_TEST(test_read_sum_of_every_path_counts_every_word_once) {
  /* 40 lines: not a multiple of the AVX-512 loop's 4-line round. */
  size_t n = 40 * 8;
  uint64_t *w = pattern(n);
  uint64_t expected = 3 * (uint64_t)n * (n - 1) / 2 + n;
  for (int isa = 0; isa < PIO_BENCH_ISA_COUNT; isa++) {
    if (!pio_bench_isa_available((pio_bench_isa)isa)) continue;
    ck_assert_msg(pio_bench_read_sum((pio_bench_isa)isa, w, n) == expected, "%s read sum",
                  pio_bench_isa_name((pio_bench_isa)isa));
  }
  free(w);
}
END_TEST

/* What pio_bench_fma_f32 must return: chains k = 0.. starting at 2 + k,
 * each updated `iterations` times by x = x * 0.9 + 0.1. */
static double fma_reference(uint32_t chains, uint64_t iterations, int fused) {
  double sum = 0.0;
  for (uint32_t k = 0; k < chains; k++) {
    float x = 2.0f + (float)k;
    for (uint64_t i = 0; i < iterations; i++) x = fused ? fmaf(x, 0.9f, 0.1f) : x * 0.9f + 0.1f;
    sum += x;
  }
  return sum;
}

START_TEST(test_fma_loop_of_every_path_runs_every_chain_every_round) {
  for (int isa = 0; isa < PIO_BENCH_ISA_COUNT; isa++) {
    if (!pio_bench_isa_available((pio_bench_isa)isa)) continue;
    uint32_t chains = pio_bench_fma_chains((pio_bench_isa)isa);
    for (uint64_t iterations = 0; iterations <= 5; iterations++) {
      double expected = fma_reference(chains, iterations, isa != PIO_BENCH_ISA_SCALAR);
      double got = pio_bench_fma_f32((pio_bench_isa)isa, iterations);
      ck_assert_msg(fabs(got - expected) <= 1e-5 * fabs(expected),
                    "%s, %llu rounds: got %.6f, expected %.6f",
                    pio_bench_isa_name((pio_bench_isa)isa), (unsigned long long)iterations,
                    got, expected);
    }
  }
}
END_TEST

START_TEST(test_fma_loop_keeps_more_chains_than_fma_latency_needs) {
  /* 2 FMA ports x 4-5 cycles latency: at least 10 vectors in flight. */
  if (pio_bench_isa_available(PIO_BENCH_ISA_AVX2))
    ck_assert_uint_ge(pio_bench_fma_chains(PIO_BENCH_ISA_AVX2) / 8, 10);
  if (pio_bench_isa_available(PIO_BENCH_ISA_AVX512))
    ck_assert_uint_ge(pio_bench_fma_chains(PIO_BENCH_ISA_AVX512) / 16, 10);
}
END_TEST

START_TEST(test_bf16_loop_adds_a_quarter_per_round_to_every_lane) {
  if (!pio_bench_bf16_available()) {
    ck_assert(pio_bench_bf16_dot(3) == 0.0f);
    return;
  }
  uint32_t lanes = pio_bench_bf16_chains();
  for (uint64_t iterations = 0; iterations <= 4; iterations++) {
    /* Lane k starts at k; each round adds 0.5*0.25 + 0.5*0.25. */
    double expected = (double)lanes * (lanes - 1) / 2 + 0.25 * (double)iterations * lanes;
    ck_assert_double_eq_tol(pio_bench_bf16_dot(iterations), expected, 1e-3);
  }
}
END_TEST

START_TEST(test_read_buffer_size_is_whole_pages_and_at_least_the_minimum) {
  ck_assert_uint_eq(pio_bench_read_buffer_size(1), PIO_BENCH_READ_BUFFER_MIN);
  ck_assert_uint_eq(pio_bench_read_buffer_size((3ull << 20) + 4095), 3ull << 20);
  ck_assert_uint_eq(pio_bench_read_buffer_size((3ull << 20) + 4096) % 4096, 0);
}
END_TEST

START_TEST(test_read_bandwidth_with_zero_passes_is_refused) {
  pio_error err = {0};
  double rate = -1.0;
  pio_status s = pio_bench_measure_read_bandwidth(NULL, PIO_BENCH_ISA_SCALAR, 1 << 20, 0, &rate,
                                                  &err);
  ck_assert_int_eq(s, PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "passes must be between 1 and"));
  ck_assert_double_eq(rate, -1.0);
}
END_TEST

START_TEST(test_read_bandwidth_on_every_path_gives_a_rate) {
  for (int isa = 0; isa < PIO_BENCH_ISA_COUNT; isa++) {
    if (!pio_bench_isa_available((pio_bench_isa)isa)) continue;
    pio_error err = {0};
    double rate = 0.0;
    pio_status s = pio_bench_measure_read_bandwidth(NULL, (pio_bench_isa)isa, 2 << 20, 2, &rate,
                                                    &err);
    ck_assert_msg(s == PIO_OK, "%s: %s", pio_bench_isa_name((pio_bench_isa)isa), err.message);
    ck_assert(rate > 0.0 && isfinite(rate));
  }
}
END_TEST

START_TEST(test_f32_peak_with_too_many_passes_is_refused) {
  pio_error err = {0};
  double rate = 0.0;
  ck_assert_int_eq(pio_bench_measure_f32_peak(NULL, PIO_BENCH_ISA_SCALAR, 100000, 0.001, &rate,
                                              &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "got 100000"));
}
END_TEST

START_TEST(test_bf16_peak_without_the_instruction_is_unsupported) {
  if (pio_bench_bf16_available()) return; /* covered by the measuring test */
  pio_error err = {0};
  double rate = 0.0;
  ck_assert_int_eq(pio_bench_measure_bf16_peak(NULL, 1, 0.001, &rate, &err),
                   PIO_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull(strstr(err.message, "avx512_bf16"));
}
END_TEST

START_TEST(test_limits_with_a_pool_report_its_threads_and_positive_rates) {
  pio_error err = {0};
  pio_threadpool *pool = NULL;
  ck_assert_int_eq(pio_threadpool_create(2, &pool, &err), PIO_OK);
  pio_bench_limits_options opts = {.read_buffer_bytes = 2 << 20, .passes = 2,
                                   .compute_pass_seconds = 0.002};
  pio_bench_limits limits;
  ck_assert_msg(pio_bench_measure_limits(pool, &opts, &limits, &err) == PIO_OK, "%s",
                err.message);
  ck_assert_uint_eq(limits.n_threads, 2);
  ck_assert_uint_eq(limits.passes, 2);
  ck_assert_uint_eq(limits.read_buffer_bytes, 2 << 20);
  ck_assert(limits.read_bytes_per_s > 0.0);
  ck_assert(limits.f32_flops_per_s > 0.0);
  ck_assert_int_eq(limits.has_bf16, pio_bench_bf16_available());
  ck_assert(limits.has_bf16 ? limits.bf16_flops_per_s > 0.0 : limits.bf16_flops_per_s == 0.0);
  pio_threadpool_destroy(pool);
}
END_TEST

static pio_bench_limits_sampler *small_sampler(uint32_t max_passes) {
  pio_bench_limits_options opts = {.read_buffer_bytes = 1 << 20, .compute_pass_seconds = 0.001};
  pio_bench_limits_sampler *s = NULL;
  pio_error err = {0};
  ck_assert_msg(pio_bench_limits_sampler_create(NULL, &opts, max_passes, &s, &err) == PIO_OK,
                "%s", err.message);
  return s;
}

START_TEST(test_sampler_before_any_pass_reports_no_passes) {
  pio_bench_limits_sampler *s = small_sampler(2);
  pio_bench_limits limits;
  pio_bench_limits_sampler_result(s, &limits);
  ck_assert_uint_eq(limits.passes, 0);
  ck_assert_uint_eq(limits.n_threads, 1);
  ck_assert_double_eq(limits.read_bytes_per_s, 0.0);
  pio_bench_limits_sampler_destroy(s);
}
END_TEST

START_TEST(test_sampler_adds_the_passes_of_every_call) {
  pio_bench_limits_sampler *s = small_sampler(3);
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_limits_sample(s, 1, &err), PIO_OK);
  ck_assert_int_eq(pio_bench_limits_sample(s, 2, &err), PIO_OK);
  pio_bench_limits limits;
  pio_bench_limits_sampler_result(s, &limits);
  ck_assert_uint_eq(limits.passes, 3);
  ck_assert_uint_eq(limits.read_buffer_bytes, 1 << 20);
  ck_assert(limits.read_bytes_per_s > 0.0 && limits.f32_flops_per_s > 0.0);
  pio_bench_limits_sampler_destroy(s);
}
END_TEST

START_TEST(test_sampler_past_its_capacity_is_refused) {
  pio_bench_limits_sampler *s = small_sampler(2);
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_limits_sample(s, 2, &err), PIO_OK);
  ck_assert_int_eq(pio_bench_limits_sample(s, 1, &err), PIO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(err.message, "holds 2 passes, 2 taken, 1 asked"));
  pio_bench_limits_sampler_destroy(s);
}
END_TEST

START_TEST(test_sampler_with_no_passes_is_refused) {
  pio_bench_limits_sampler *s = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_limits_sampler_create(NULL, NULL, 0, &s, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(s);
  ck_assert_ptr_nonnull(strstr(err.message, "got 0"));
}
END_TEST

static Suite *compute_limits_suite(void) {
  Suite *s = suite_create("compute_limits");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_median_of_odd_count_is_middle_value);
  tcase_add_test(tc, test_median_of_even_count_is_mean_of_middle_values);
  tcase_add_test(tc, test_median_of_one_value_is_that_value);
  tcase_add_test(tc, test_median_of_nothing_is_nan);
  tcase_add_test(tc, test_min_and_max_find_the_extremes);
  tcase_add_test(tc, test_clock_does_not_go_backwards);
  tcase_add_test(tc, test_read_sum_of_every_path_counts_every_word_once);
  tcase_add_test(tc, test_fma_loop_of_every_path_runs_every_chain_every_round);
  tcase_add_test(tc, test_fma_loop_keeps_more_chains_than_fma_latency_needs);
  tcase_add_test(tc, test_bf16_loop_adds_a_quarter_per_round_to_every_lane);
  tcase_add_test(tc, test_read_buffer_size_is_whole_pages_and_at_least_the_minimum);
  tcase_add_test(tc, test_read_bandwidth_with_zero_passes_is_refused);
  tcase_add_test(tc, test_read_bandwidth_on_every_path_gives_a_rate);
  tcase_add_test(tc, test_f32_peak_with_too_many_passes_is_refused);
  tcase_add_test(tc, test_bf16_peak_without_the_instruction_is_unsupported);
  tcase_add_test(tc, test_limits_with_a_pool_report_its_threads_and_positive_rates);
  tcase_add_test(tc, test_sampler_before_any_pass_reports_no_passes);
  tcase_add_test(tc, test_sampler_adds_the_passes_of_every_call);
  tcase_add_test(tc, test_sampler_past_its_capacity_is_refused);
  tcase_add_test(tc, test_sampler_with_no_passes_is_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(compute_limits_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
