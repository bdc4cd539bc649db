/* tests/test_compute_limits.c — the arithmetic behind pio-bench's machine
 * limits: medians, the read loops' checksums on every path this CPU has,
 * every peak loop doing exactly the work it is counted for, the paths'
 * bounding instructions, the measurement functions' argument checks, and
 * that a calibrated peak is never below the matmul it bounds. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compute_kernels.h"
#include "compute_limits.h"
#include "pio/kernels.h"
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
  /* 40 and 43 lines: not a multiple of any stream count's round. */
  const size_t line_counts[] = {40, 43, 1};
  for (size_t l = 0; l < sizeof line_counts / sizeof line_counts[0]; l++) {
    size_t n = line_counts[l] * 8;
    uint64_t *w = pattern(n);
    uint64_t expected = 3 * (uint64_t)n * (n - 1) / 2 + n;
    for (int isa = 0; isa < PIO_BENCH_ISA_COUNT; isa++) {
      if (!pio_bench_isa_available((pio_bench_isa)isa)) continue;
      for (int c = 0; c < PIO_BENCH_READ_STREAM_COUNTS; c++)
        for (int prefetch = 0; prefetch < 2; prefetch++)
          ck_assert_msg(pio_bench_read_sum((pio_bench_isa)isa, pio_bench_read_streams[c], prefetch,
                                           w, n) == expected,
                        "%s read sum, %u streams, prefetch %d, %zu lines",
                        pio_bench_isa_name((pio_bench_isa)isa), pio_bench_read_streams[c],
                        prefetch, line_counts[l]);
    }
    free(w);
  }
}
END_TEST

/* What pio_bench_peak_run must return (compute_kernels.h). */
static double peak_reference(pio_bench_peak peak, uint32_t accumulators, uint64_t rounds) {
  if (peak == PIO_BENCH_PEAK_AMX_BF16) return (double)accumulators * 256 * 4.0 * (double)rounds;
  if (peak == PIO_BENCH_PEAK_BF16_DOT) {
    double lanes = 16.0 * accumulators;
    return lanes * (lanes - 1) / 2 + 0.25 * (double)rounds * lanes;
  }
  uint32_t lanes = accumulators * (peak == PIO_BENCH_PEAK_SSE2       ? 4
                                   : peak == PIO_BENCH_PEAK_AVX2_FMA ? 8
                                                                     : 16);
  double sum = 0.0;
  for (uint32_t k = 0; k < lanes; k++) {
    float x = 2.0f + (float)k;
    for (uint64_t i = 0; i < rounds; i++)
      x = peak == PIO_BENCH_PEAK_SSE2 ? x * 0.9f + 0.1f : fmaf(x, 0.9f, 0.1f);
    sum += x;
  }
  return sum;
}

START_TEST(test_every_peak_loop_of_every_width_does_the_work_it_is_counted_for) {
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    pio_bench_peak peak = (pio_bench_peak)p;
    if (!pio_bench_peak_available(peak)) {
      ck_assert(pio_bench_peak_run(peak, 0, 3) == 0.0);
      continue;
    }
    ck_assert_uint_gt(pio_bench_peak_variants(peak), 1);
    for (uint32_t v = 0; v < pio_bench_peak_variants(peak); v++) {
      uint32_t acc = pio_bench_peak_accumulators(peak, v);
      ck_assert(pio_bench_peak_round_flop(peak, v) > 0.0);
      for (uint64_t rounds = 0; rounds <= 5; rounds++) {
        double expected = peak_reference(peak, acc, rounds);
        double got = pio_bench_peak_run(peak, v, rounds);
        ck_assert_msg(fabs(got - expected) <= 1e-5 * fabs(expected) + 1e-3,
                      "%s, %u accumulators, %llu rounds: got %.6f, expected %.6f",
                      pio_bench_peak_key(peak), acc, (unsigned long long)rounds, got, expected);
      }
    }
  }
}
END_TEST

START_TEST(test_peak_widths_grow_past_latency_times_issue_rate) {
  /* FMA and vdpbf16ps: up to 6 cycles x 2 ports on current cores; AMX:
   * tdpbf16ps issues every 16 cycles with a latency of about 52. */
  const uint32_t needed[PIO_BENCH_PEAK_COUNT] = {12, 12, 12, 12, 4};
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    uint32_t n = pio_bench_peak_variants((pio_bench_peak)p);
    ck_assert_uint_ge(pio_bench_peak_accumulators((pio_bench_peak)p, n - 1), needed[p]);
    for (uint32_t v = 1; v < n; v++)
      ck_assert_uint_gt(pio_bench_peak_accumulators((pio_bench_peak)p, v),
                        pio_bench_peak_accumulators((pio_bench_peak)p, v - 1));
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

START_TEST(test_peak_with_too_many_passes_is_refused) {
  pio_error err = {0};
  pio_bench_peak_figure fig = {0};
  ck_assert_int_eq(pio_bench_measure_peak(NULL, PIO_BENCH_PEAK_SSE2, 100000, 0.001, &fig, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "got 100000"));
  ck_assert_int_eq(fig.measured, 0);
}
END_TEST

START_TEST(test_peak_of_an_instruction_this_cpu_lacks_is_unsupported) {
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    if (pio_bench_peak_available((pio_bench_peak)p)) continue;
    pio_error err = {0};
    pio_bench_peak_figure fig = {0};
    ck_assert_int_eq(pio_bench_measure_peak(NULL, (pio_bench_peak)p, 1, 0.001, &fig, &err),
                     PIO_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, pio_bench_peak_instruction((pio_bench_peak)p)));
  }
}
END_TEST

START_TEST(test_each_kernel_path_is_bounded_by_the_instruction_it_multiplies_with) {
  ck_assert_int_eq(pio_bench_peak_bounding("scalar", PIO_DTYPE_BF16), PIO_BENCH_PEAK_SSE2);
  ck_assert_int_eq(pio_bench_peak_bounding("avx2", PIO_DTYPE_F32), PIO_BENCH_PEAK_AVX2_FMA);
  ck_assert_int_eq(pio_bench_peak_bounding("avx512", PIO_DTYPE_BF16), PIO_BENCH_PEAK_AVX512_FMA);
  ck_assert_int_eq(pio_bench_peak_bounding("avx512bf16", PIO_DTYPE_BF16), PIO_BENCH_PEAK_BF16_DOT);
  ck_assert_int_eq(pio_bench_peak_bounding("avx512bf16", PIO_DTYPE_F16),
                   PIO_BENCH_PEAK_AVX512_FMA);
  ck_assert_int_eq(pio_bench_peak_bounding("amx_bf16", PIO_DTYPE_BF16), PIO_BENCH_PEAK_AMX_BF16);
  ck_assert_int_eq(pio_bench_peak_bounding("amx_bf16", PIO_DTYPE_F32), PIO_BENCH_PEAK_AVX512_FMA);
  ck_assert_int_eq(pio_bench_peak_bounding("gpu", PIO_DTYPE_BF16), PIO_BENCH_PEAK_COUNT);
  ck_assert_int_eq(pio_bench_peak_bounding(NULL, PIO_DTYPE_BF16), PIO_BENCH_PEAK_COUNT);
}
END_TEST

/* An L2-sized bf16 or f32 matrix and activations for one path's matmul. */
typedef struct matmul_case {
  pio_matrix m;
  float *x, *y;
  size_t n;
} matmul_case;

static matmul_case matmul_case_make(pio_dtype dtype) {
  enum { ROWS = 256, COLS = 1024, N = 64 };
  unsigned char *w = malloc((size_t)ROWS * COLS * pio_dtype_size(dtype));
  matmul_case c = {.m = {.data = w, .dtype = dtype, .rows = ROWS, .cols = COLS},
                   .x = malloc(sizeof(float) * N * COLS), .y = malloc(sizeof(float) * N * ROWS),
                   .n = N};
  ck_assert(w != NULL && c.x != NULL && c.y != NULL);
  for (size_t i = 0; i < (size_t)ROWS * COLS; i++) {
    float v = (float)((i * 37) % 101) / 101.0f - 0.5f;
    if (dtype == PIO_DTYPE_BF16)
      ((uint16_t *)(void *)w)[i] = pio_f32_to_bf16(v);
    else
      ((float *)(void *)w)[i] = v;
  }
  for (size_t i = 0; i < (size_t)N * COLS; i++) c.x[i] = (float)((i * 53) % 97) / 97.0f - 0.5f;
  return c;
}

static void matmul_case_free(matmul_case *c) {
  free((void *)c->m.data);
  free(c->x);
  free(c->y);
}

/* FLOP/s of one single-threaded matmul. */
static double matmul_rate(pio_kernel_path path, matmul_case *c) {
  double t0 = pio_bench_now();
  pio_matmul(NULL, path, &c->m, c->x, c->n, c->y);
  return 2.0 * c->m.rows * c->m.cols * (double)c->n / (pio_bench_now() - t0);
}

/* Calibrated peaks bound the kernels' own matmuls: a limit below what it
 * bounds is a wrong measurement (too few chains for the instruction's
 * latency, or the wrong instruction).  Short peak passes (1 ms, each with
 * its own calibration) alternate with matmuls of about the same length,
 * and the fastest of each is compared: on a machine shared with other
 * work, a time slice lost to another process then slows neither side's
 * best. */
START_TEST(test_calibrated_peak_is_never_below_the_matmul_it_bounds) {
  const pio_dtype dtypes[] = {PIO_DTYPE_BF16, PIO_DTYPE_F32};
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++) {
    pio_kernel_path path = (pio_kernel_path)p;
    if (!pio_kernel_path_available(path)) continue;
    for (int d = 0; d < 2; d++) {
      pio_bench_peak peak = pio_bench_peak_bounding(pio_kernel_path_name(path), dtypes[d]);
      ck_assert_int_lt(peak, PIO_BENCH_PEAK_COUNT);
      matmul_case c = matmul_case_make(dtypes[d]);
      pio_matmul(NULL, path, &c.m, c.x, c.n, c.y); /* warm caches */
      double best_matmul = 0.0, best_peak = 0.0;
      uint32_t accumulators = 0;
      for (int round = 0; round < 15; round++) {
        pio_error err = {0};
        pio_bench_peak_figure fig = {0};
        ck_assert_int_eq(pio_bench_measure_peak(NULL, peak, 1, 0.001, &fig, &err), PIO_OK);
        if (fig.flops_per_s > best_peak) {
          best_peak = fig.flops_per_s;
          accumulators = fig.accumulators;
        }
        double rate = matmul_rate(path, &c);
        if (rate > best_matmul) best_matmul = rate;
      }
      matmul_case_free(&c);
      ck_assert_msg(best_matmul <= best_peak, "%s path, %s weights: matmul %.1f GFLOP/s above "
                    "the %s peak %.1f GFLOP/s (%u accumulators)", pio_kernel_path_name(path),
                    pio_dtype_name(dtypes[d]), best_matmul / 1e9,
                    pio_bench_peak_instruction(peak), best_peak / 1e9, accumulators);
    }
  }
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
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    const pio_bench_peak_figure *fig = &limits.peaks[p];
    ck_assert_int_eq(fig->measured, pio_bench_peak_available((pio_bench_peak)p));
    ck_assert(fig->measured ? fig->flops_per_s > 0.0 && fig->accumulators > 0
                            : fig->flops_per_s == 0.0);
  }
  pio_threadpool_destroy(pool);
}
END_TEST

START_TEST(test_limits_measure_only_the_peaks_asked_for) {
  pio_error err = {0};
  pio_bench_limits_options opts = {.read_buffer_bytes = 1 << 20, .passes = 1,
                                   .compute_pass_seconds = 0.001,
                                   .peaks = 1u << PIO_BENCH_PEAK_SSE2};
  pio_bench_limits limits;
  ck_assert_int_eq(pio_bench_measure_limits(NULL, &opts, &limits, &err), PIO_OK);
  ck_assert_int_eq(limits.peaks[PIO_BENCH_PEAK_SSE2].measured, 1);
  for (int p = PIO_BENCH_PEAK_SSE2 + 1; p < PIO_BENCH_PEAK_COUNT; p++)
    ck_assert_int_eq(limits.peaks[p].measured, 0);
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
  ck_assert(limits.read_bytes_per_s > 0.0 && limits.peaks[PIO_BENCH_PEAK_SSE2].flops_per_s > 0.0);
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
  tcase_add_test(tc, test_every_peak_loop_of_every_width_does_the_work_it_is_counted_for);
  tcase_add_test(tc, test_peak_widths_grow_past_latency_times_issue_rate);
  tcase_add_test(tc, test_read_buffer_size_is_whole_pages_and_at_least_the_minimum);
  tcase_add_test(tc, test_read_bandwidth_with_zero_passes_is_refused);
  tcase_add_test(tc, test_read_bandwidth_on_every_path_gives_a_rate);
  tcase_add_test(tc, test_peak_with_too_many_passes_is_refused);
  tcase_add_test(tc, test_peak_of_an_instruction_this_cpu_lacks_is_unsupported);
  tcase_add_test(tc, test_each_kernel_path_is_bounded_by_the_instruction_it_multiplies_with);
  tcase_add_test(tc, test_calibrated_peak_is_never_below_the_matmul_it_bounds);
  tcase_add_test(tc, test_limits_with_a_pool_report_its_threads_and_positive_rates);
  tcase_add_test(tc, test_limits_measure_only_the_peaks_asked_for);
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
