/* tests/test_norm.c — RMSNorm, plain, strided, fused with the residual add
 * and with Gemma's (1 + weight), on every path this CPU runs, against a
 * double-precision reference; sizes around the vector widths. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/norm.h"

static uint64_t rng_state;

static float rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

static const size_t sizes[] = {1, 7, 16, 31, 33, 100, 2048, 2051};
enum { N_SIZES = sizeof sizes / sizeof sizes[0], ROWS = 3 };
static const float eps = 1e-5f;

static int skip_unavailable(pio_kernel_path path) { return !pio_kernel_path_available(path); }

/* out[d] of one row against the double reference: error within a few
 * float roundings of each output. */
static void check_row(const float *x, const float *w, size_t d, unsigned flags,
                      const float *out) {
  double sum = 0;
  for (size_t i = 0; i < d; i++) sum += (double)x[i] * x[i];
  const double inv = 1.0 / sqrt(sum / (double)d + eps);
  for (size_t i = 0; i < d; i++) {
    const double wi = (flags & PIO_NORM_WEIGHT_PLUS_ONE) ? 1.0 + (double)w[i] : (double)w[i];
    const double want = wi * (x[i] * inv);
    ck_assert_msg(fabs(out[i] - want) <= 2e-6 * fabs(want) + 1e-30,
                  "d=%zu i=%zu: %.9g, want %.9g", d, i, (double)out[i], want);
  }
}

static float *random_floats(size_t n, float scale) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = rand_unit() * scale;
  return p;
}

START_TEST(test_norm_rmsnorm_matches_reference) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 5;
  for (unsigned flags = 0; flags <= PIO_NORM_WEIGHT_PLUS_ONE; flags++) {
    for (size_t s = 0; s < N_SIZES; s++) {
      const size_t d = sizes[s];
      float *x = random_floats(ROWS * d, 3), *w = random_floats(d, 1);
      float *out = malloc(ROWS * d * sizeof *out);
      pio_rmsnorm_strided_on(path, x, d, w, ROWS, d, eps, flags, out, d);
      for (size_t t = 0; t < ROWS; t++) check_row(x + t * d, w, d, flags, out + t * d);
      free(x);
      free(w);
      free(out);
    }
  }
}
END_TEST

START_TEST(test_norm_strided_rows_leave_the_rest_of_each_row) {
  /* DeepSeek's kv_a rows: [c_kv (normalised) ; k_rope (left alone)]. */
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 6;
  enum { D = 37, STRIDE = 45, OUT_STRIDE = 40 };
  float *x = random_floats(ROWS * STRIDE, 2), *w = random_floats(D, 1);
  float out[ROWS * OUT_STRIDE];
  for (size_t i = 0; i < ROWS * OUT_STRIDE; i++) out[i] = 1234.0f;
  pio_rmsnorm_strided_on(path, x, STRIDE, w, ROWS, D, eps, 0, out, OUT_STRIDE);
  for (size_t t = 0; t < ROWS; t++) {
    check_row(x + t * STRIDE, w, D, 0, out + t * OUT_STRIDE);
    for (size_t i = D; i < OUT_STRIDE; i++) ck_assert_float_eq(out[t * OUT_STRIDE + i], 1234.0f);
  }
  free(x);
  free(w);
}
END_TEST

START_TEST(test_norm_in_place_equals_out_of_place) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 7;
  enum { D = 100 };
  float *x = random_floats(ROWS * D, 3), *w = random_floats(D, 1);
  float apart[ROWS * D], inplace[ROWS * D];
  memcpy(inplace, x, sizeof inplace);
  pio_rmsnorm_strided_on(path, x, D, w, ROWS, D, eps, 0, apart, D);
  pio_rmsnorm_strided_on(path, inplace, D, w, ROWS, D, eps, 0, inplace, D);
  ck_assert_int_eq(memcmp(apart, inplace, sizeof apart), 0);
  free(x);
  free(w);
}
END_TEST

START_TEST(test_norm_residual_adds_then_normalises) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 8;
  for (unsigned flags = 0; flags <= PIO_NORM_WEIGHT_PLUS_ONE; flags++) {
    for (size_t s = 0; s < N_SIZES; s++) {
      const size_t d = sizes[s];
      float *x = random_floats(ROWS * d, 2), *delta = random_floats(ROWS * d, 2);
      float *w = random_floats(d, 1), *out = malloc(ROWS * d * sizeof *out);
      float *sum = malloc(ROWS * d * sizeof *sum);
      for (size_t i = 0; i < ROWS * d; i++) sum[i] = x[i] + delta[i];
      pio_rmsnorm_residual_on(path, x, delta, w, ROWS, d, eps, flags, out);
      /* The residual stream holds exactly the float sums. */
      ck_assert_int_eq(memcmp(x, sum, ROWS * d * sizeof *x), 0);
      for (size_t t = 0; t < ROWS; t++) check_row(sum + t * d, w, d, flags, out + t * d);
      free(x);
      free(delta);
      free(w);
      free(out);
      free(sum);
    }
  }
}
END_TEST

START_TEST(test_norm_residual_without_delta_keeps_x) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 9;
  enum { D = 33 };
  float *x = random_floats(ROWS * D, 2), *w = random_floats(D, 1);
  float keep[ROWS * D], out[ROWS * D];
  memcpy(keep, x, sizeof keep);
  pio_rmsnorm_residual_on(path, x, NULL, w, ROWS, D, eps, 0, out);
  ck_assert_int_eq(memcmp(x, keep, sizeof keep), 0);
  for (size_t t = 0; t < ROWS; t++) check_row(x + t * D, w, D, 0, out + t * D);
  free(x);
  free(w);
}
END_TEST

START_TEST(test_norm_zero_rows_and_zero_width_do_nothing) {
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, out[4] = {9, 9, 9, 9};
  pio_rmsnorm(x, w, 0, 4, eps, 0, out);
  pio_rmsnorm(x, w, 1, 0, eps, 0, out);
  pio_rmsnorm_residual(x, x, w, 0, 4, eps, 0, out);
  for (int i = 0; i < 4; i++) ck_assert_float_eq(out[i], 9.0f);
  ck_assert_float_eq(x[3], 4.0f);
}
END_TEST

START_TEST(test_norm_best_path_matches_its_own_path) {
  rng_state = 10;
  enum { D = 2048 };
  float *x = random_floats(ROWS * D, 3), *w = random_floats(D, 1);
  float *a = malloc(sizeof(float) * ROWS * D), *b = malloc(sizeof(float) * ROWS * D);
  pio_rmsnorm(x, w, ROWS, D, eps, 0, a);
  pio_rmsnorm_strided_on(pio_kernel_best(), x, D, w, ROWS, D, eps, 0, b, D);
  ck_assert_int_eq(memcmp(a, b, sizeof(float) * ROWS * D), 0);
  free(x);
  free(w);
  free(a);
  free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("norm");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, test_norm_rmsnorm_matches_reference, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_norm_strided_rows_leave_the_rest_of_each_row, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_norm_in_place_equals_out_of_place, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_norm_residual_adds_then_normalises, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_norm_residual_without_delta_keeps_x, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_test(tc, test_norm_zero_rows_and_zero_width_do_nothing);
  tcase_add_test(tc, test_norm_best_path_matches_its_own_path);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
