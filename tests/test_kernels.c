/* tests/test_kernels.c — every kernel path this CPU can run against a
 * double-precision reference, for f32/bf16/f16 weights and shapes that are
 * not multiples of any vector width.  Paths the CPU lacks are skipped; the
 * scalar path always runs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/kernels.h"

static uint64_t rng_state;

static float rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

/* Weights stored in dtype, plus the exact f32 values they hold. */
static void *make_weights(pio_dtype dtype, size_t count, float *exact) {
  void *data = malloc(count * 4 + 4);
  for (size_t i = 0; i < count; i++) {
    float v = rand_unit();
    if (dtype == PIO_DTYPE_F32) {
      ((float *)data)[i] = exact[i] = v;
    } else if (dtype == PIO_DTYPE_BF16) {
      ((uint16_t *)data)[i] = pio_f32_to_bf16(v);
      exact[i] = pio_bf16_to_f32(((uint16_t *)data)[i]);
    } else {
      ((uint16_t *)data)[i] = pio_f32_to_f16(v);
      exact[i] = pio_f16_to_f32(((uint16_t *)data)[i]);
    }
  }
  return data;
}

static const pio_dtype weight_dtypes[] = {PIO_DTYPE_F32, PIO_DTYPE_BF16, PIO_DTYPE_F16};

/* rows, cols, n: odd sizes around the vector widths (8, 16, 32), the row
 * and token blocks of the vector paths, activations too big for one column
 * panel of the avx512bf16 path, whose last panel is partial ({13, 1557,
 * 128}, {7, 3100, 64}), and that path's outer-product route (96 tokens or
 * more) over whole 48-row blocks with row and token tails ({100, 1031,
 * 97}, {150, 70, 96}, {61, 3100, 100}). */
static const size_t shapes[][3] = {
    {1, 1, 1},   {3, 7, 1},    {5, 33, 2},   {17, 100, 3}, {8, 16, 1},    {33, 257, 5},
    {64, 512, 8}, {67, 1031, 13}, {129, 64, 1}, {6, 48, 7},  {13, 95, 20}, {200, 300, 1},
    {13, 1557, 128}, {7, 3100, 64}, {100, 1031, 97}, {150, 70, 96}, {61, 3100, 100},
};

/* Shapes the bf16 layouts take (rows and cols multiples of 32): one
 * panel pair, shares of 32-row blocks on three threads, one token, a few,
 * the AMX route's 16-token tiles with tails, the avx512bf16 route's 48-row
 * blocks with a 16- and a 32-row tail, more than one 16-step panel. */
static const size_t laid_out_shapes[][3] = {
    {32, 32, 1}, {64, 64, 3}, {32, 512, 16}, {96, 1024, 1}, {128, 2048, 40}, {64, 96, 97},
    {256, 640, 17}, {160, 64, 9},
};

/* Checks pio_matmul on `path` for every dtype and shape against the
 * double-precision dot of the stored weights with x — rounded to bf16 first
 * where the path does that for bf16 weights.  layout other than rows: bf16
 * weights in it (rewritten in place) on the shapes it takes. */
static void check_matmul_path(pio_kernel_path path, pio_threadpool *pool,
                              pio_matrix_layout layout) {
  const int laid_out = layout != PIO_LAYOUT_ROWS;
  const size_t n_shapes = laid_out ? sizeof laid_out_shapes / sizeof laid_out_shapes[0]
                                   : sizeof shapes / sizeof shapes[0];
  for (size_t d = laid_out ? 1 : 0; d < (laid_out ? 2 : 3); d++) {
    pio_dtype dtype = weight_dtypes[d];
    int rounds_x = (path == PIO_KERNEL_AVX512_BF16 || path == PIO_KERNEL_AMX_BF16) &&
                   dtype == PIO_DTYPE_BF16;
    /* Tiles take only the AMX route; pairs the avx512bf16 and AMX routes,
     * both rounding x, as for rows; the avx512 path reads every layout with
     * f32 activations. */
    if (layout == PIO_LAYOUT_TILES) rounds_x = path == PIO_KERNEL_AMX_BF16;
    for (size_t s = 0; s < n_shapes; s++) {
      const size_t *shape = laid_out ? laid_out_shapes[s] : shapes[s];
      size_t rows = shape[0], cols = shape[1], n = shape[2];
      float *exact = malloc(rows * cols * sizeof *exact);
      void *data = make_weights(dtype, rows * cols, exact);
      float *x = malloc(n * cols * sizeof *x);
      float *y = malloc(n * rows * sizeof *y);
      for (size_t i = 0; i < n * cols; i++) x[i] = rand_unit();
      for (size_t i = 0; i < n * rows; i++) y[i] = NAN;
      pio_matrix w = {.data = data, .dtype = dtype, .rows = (uint32_t)rows, .cols = (uint32_t)cols};
      pio_error err = {0};
      if (laid_out) ck_assert_int_eq(pio_matrix_set_layout(pool, &w, layout, data, &err), PIO_OK);
      pio_matmul(pool, path, &w, x, n, y);
      for (size_t t = 0; t < n; t++) {
        for (size_t r = 0; r < rows; r++) {
          double ref = 0, mag = 0;
          for (size_t k = 0; k < cols; k++) {
            float xv = x[t * cols + k];
            if (rounds_x) xv = pio_bf16_to_f32(pio_f32_to_bf16(xv));
            ref += (double)xv * exact[r * cols + k];
            mag += fabs((double)xv * exact[r * cols + k]);
          }
          double got = y[t * rows + r];
          /* f32 accumulation: error grows like sqrt(cols) ulps of the
           * magnitude; 1e-5 relative to the sum of |terms| is generous for
           * that and far below any real bug (wrong element, missed tail). */
          double tol = 1e-5 * mag + 1e-6;
          if (!(fabs(got - ref) <= tol))
            ck_abort_msg("%s %s %s rows=%zu cols=%zu n=%zu: y[%zu][%zu] = %.9g, expected %.9g "
                         "(tol %g)", pio_kernel_path_name(path), pio_dtype_name(dtype),
                         pio_matrix_layout_name(layout), rows, cols, n, t, r, got, ref, tol);
        }
      }
      free(exact);
      free(data);
      free(x);
      free(y);
    }
  }
}

static int skip_unavailable(pio_kernel_path path) {
  if (pio_kernel_path_available(path)) return 0;
  fprintf(stderr, "skipped: this CPU or build lacks the %s path\n", pio_kernel_path_name(path));
  return 1;
}

static void check_matmul_path_on_three_threads(pio_kernel_path path, pio_matrix_layout layout) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(3, &pool, &err), PIO_OK);
  check_matmul_path(path, pool, layout);
  pio_threadpool_destroy(pool);
}

START_TEST(test_kernels_matmul_matches_reference_single_thread) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 42 + (uint64_t)_i;
  check_matmul_path(path, NULL, PIO_LAYOUT_ROWS);
}
END_TEST

START_TEST(test_kernels_laid_out_weights_match_reference_on_one_and_three_threads) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 11 + (uint64_t)_i;
  for (pio_matrix_layout layout = PIO_LAYOUT_TILES; layout <= PIO_LAYOUT_PAIRS; layout++) {
    check_matmul_path(path, NULL, layout);
    check_matmul_path_on_three_threads(path, layout);
  }
}
END_TEST

/* Where element (r, c) of a rows x cols matrix lies in layout, by
 * pio/kernels.h's formulas. */
static size_t documented_at(pio_matrix_layout layout, size_t r, size_t c, size_t cols) {
  return layout == PIO_LAYOUT_TILES ? ((r / 16 * cols / 32 + c / 32) * 16 + r % 16) * 32 + c % 32
                                    : ((r / 16 * cols / 2 + c / 2) * 16 + r % 16) * 2 + c % 2;
}

/* Each layout: element (r, c) where pio/kernels.h says; in place and into
 * another buffer alike; a matrix it does not take is refused, unchanged. */
START_TEST(test_kernels_layouts_put_each_element_where_documented) {
  const pio_matrix_layout layout = _i ? PIO_LAYOUT_PAIRS : PIO_LAYOUT_TILES;
  const size_t rows = 64, cols = 96;
  uint16_t *src = malloc(rows * cols * 2), *copy = malloc(rows * cols * 2);
  for (size_t i = 0; i < rows * cols; i++) src[i] = (uint16_t)i;
  pio_matrix a = {.data = src, .dtype = PIO_DTYPE_BF16, .rows = rows, .cols = cols};
  pio_matrix b = a;
  pio_error err = {0};
  ck_assert_int_eq(pio_matrix_set_layout(NULL, &a, layout, copy, &err), PIO_OK);
  ck_assert_ptr_eq(a.data, copy);
  ck_assert_int_eq(a.layout, layout);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++)
      ck_assert_uint_eq(copy[documented_at(layout, r, c, cols)], (uint16_t)(r * cols + c));
  pio_threadpool *pool = NULL;
  ck_assert_int_eq(pio_threadpool_create(3, &pool, &err), PIO_OK);
  ck_assert_int_eq(pio_matrix_set_layout(pool, &b, layout, src, &err), PIO_OK);
  ck_assert_mem_eq(src, copy, rows * cols * 2);
  pio_matrix twice = b, odd = {.data = copy, .dtype = PIO_DTYPE_BF16, .rows = 48, .cols = 96};
  pio_matrix f32 = {.data = copy, .dtype = PIO_DTYPE_F32, .rows = 32, .cols = 32};
  pio_matrix rows_again = a;
  ck_assert_int_eq(pio_matrix_set_layout(NULL, &twice, layout, copy, &err), PIO_ERR_INVALID);
  ck_assert_int_eq(pio_matrix_set_layout(NULL, &odd, layout, copy, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "48x96"));
  ck_assert_int_eq(pio_matrix_set_layout(NULL, &f32, layout, copy, &err), PIO_ERR_INVALID);
  ck_assert_int_eq(pio_matrix_set_layout(NULL, &rows_again, PIO_LAYOUT_ROWS, copy, &err),
                   PIO_ERR_INVALID);
  ck_assert_int_eq(odd.layout, PIO_LAYOUT_ROWS);
  pio_threadpool_destroy(pool);
  free(src);
  free(copy);
}
END_TEST

START_TEST(test_kernels_matmul_matches_reference_on_three_threads) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 7 + (uint64_t)_i;
  check_matmul_path_on_three_threads(path, PIO_LAYOUT_ROWS);
}
END_TEST

/* bf16 activations lose ~3 significant digits: against the unrounded
 * reference the error stays within 2^-8 of the magnitude. */
START_TEST(test_kernels_bf16_activation_error_stays_within_bf16_precision) {
  const pio_kernel_path path = _i ? PIO_KERNEL_AMX_BF16 : PIO_KERNEL_AVX512_BF16;
  if (skip_unavailable(path)) return;
  rng_state = 99;
  size_t rows = 40, cols = 777;
  float *exact = malloc(rows * cols * sizeof *exact);
  void *data = make_weights(PIO_DTYPE_BF16, rows * cols, exact);
  float x[777], y[40];
  for (size_t k = 0; k < cols; k++) x[k] = rand_unit();
  pio_matrix w = {.data = data, .dtype = PIO_DTYPE_BF16, .rows = 40, .cols = 777};
  pio_matmul(NULL, path, &w, x, 1, y);
  for (size_t r = 0; r < rows; r++) {
    double ref = 0, mag = 0;
    for (size_t k = 0; k < cols; k++) {
      ref += (double)x[k] * exact[r * cols + k];
      mag += fabs((double)x[k] * exact[r * cols + k]);
    }
    ck_assert_double_le(fabs(y[r] - ref), mag / 256);
  }
  free(exact);
  free(data);
}
END_TEST

/* Rows of x apart in memory give the results of the same rows together. */
START_TEST(test_kernels_strided_x_gives_the_contiguous_result) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 5;
  const size_t rows = 37, cols = 70, n = 21, stride = 93;
  for (size_t d = 0; d < 3; d++) {
    float *exact = malloc(rows * cols * sizeof *exact);
    void *data = make_weights(weight_dtypes[d], rows * cols, exact);
    float *x = malloc(n * cols * sizeof *x), *xs = malloc(n * stride * sizeof *xs);
    float *y = malloc(n * rows * sizeof *y), *ys = malloc(n * rows * sizeof *ys);
    for (size_t t = 0; t < n; t++)
      for (size_t k = 0; k < stride; k++) {
        float v = rand_unit();
        xs[t * stride + k] = k < cols ? v : NAN; /* the gap is never read */
        if (k < cols) x[t * cols + k] = v;
      }
    pio_matrix w = {.data = data, .dtype = weight_dtypes[d], .rows = rows, .cols = cols};
    pio_matmul(NULL, path, &w, x, n, y);
    pio_matmul_strided(NULL, path, &w, xs, stride, n, ys);
    ck_assert_mem_eq(y, ys, n * rows * sizeof *y);
    free(exact);
    free(data);
    free(x);
    free(xs);
    free(y);
    free(ys);
  }
}
END_TEST

START_TEST(test_kernels_softmax_matches_reference_and_sums_to_one) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 6;
  const size_t sizes[] = {1, 5, 16, 31, 128, 1000};
  for (size_t s = 0; s < 6; s++) {
    size_t n = sizes[s];
    float *x = malloc(n * sizeof *x);
    double *ref = malloc(n * sizeof *ref);
    /* large offsets: the max must be subtracted before exp */
    for (size_t i = 0; i < n; i++) x[i] = rand_unit() * 20 + 500;
    double max = x[0], sum = 0;
    for (size_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    for (size_t i = 0; i < n; i++) sum += ref[i] = exp(x[i] - max);
    pio_softmax_on(path, x, n);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
      ck_assert_double_le(fabs(x[i] - ref[i] / sum), 4e-6 * ref[i] / sum + 1e-9);
      total += x[i];
    }
    ck_assert_double_le(fabs(total - 1), 1e-5);
    free(x);
    free(ref);
  }
}
END_TEST

START_TEST(test_kernels_silu_mul_matches_reference) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 8;
  const size_t sizes[] = {1, 9, 16, 47, 8192};
  for (size_t s = 0; s < 5; s++) {
    size_t n = sizes[s];
    float *g = malloc(n * sizeof *g), *u = malloc(n * sizeof *u), *g0 = malloc(n * sizeof *g0);
    for (size_t i = 0; i < n; i++) {
      g0[i] = g[i] = rand_unit() * 12; /* both tails of the sigmoid */
      u[i] = rand_unit();
    }
    if (n > 2) g[0] = g0[0] = -100.0f, g[1] = g0[1] = 100.0f;
    pio_silu_mul_on(path, g, u, n);
    for (size_t i = 0; i < n; i++) {
      double ref = g0[i] / (1.0 + exp(-(double)g0[i])) * u[i];
      ck_assert_double_le(fabs(g[i] - ref), 4e-6 * fabs(ref) + 1e-30);
    }
    free(g);
    free(u);
    free(g0);
  }
}
END_TEST

START_TEST(test_kernels_to_f32_converts_every_dtype_exactly) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 9;
  size_t n = 37;
  for (size_t d = 0; d < 3; d++) {
    float exact[37], out[37];
    void *data = make_weights(weight_dtypes[d], n, exact);
    if (weight_dtypes[d] != PIO_DTYPE_F32) {
      ((uint16_t *)data)[3] = weight_dtypes[d] == PIO_DTYPE_BF16 ? 0x7f80 : 0x7c00; /* inf */
      exact[3] = INFINITY;
      ((uint16_t *)data)[4] = weight_dtypes[d] == PIO_DTYPE_BF16 ? 0x0001 : 0x0001; /* subnormal */
      exact[4] = weight_dtypes[d] == PIO_DTYPE_BF16 ? pio_bf16_to_f32(1) : ldexpf(1, -24);
    }
    pio_to_f32_on(path, data, weight_dtypes[d], n, out);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(out[i], exact[i]);
    free(data);
  }
}
END_TEST

/* A decode-sized one-token matmul (bf16, rows and pairs) takes many chunks
 * of rows, of other sizes on other thread counts: every row is written, and
 * each row's sum is the same bits on 1, 2, 3 and 4 threads (a row's result
 * never depends on the chunk it fell in). */
START_TEST(test_kernels_one_token_rows_same_bits_on_any_thread_count) {
  pio_kernel_path path = (pio_kernel_path)_i;
  if (skip_unavailable(path)) return;
  rng_state = 3 + (uint64_t)_i;
  const size_t rows = 1536, cols = 2048;
  float *exact = malloc(rows * cols * sizeof *exact), *x = malloc(cols * sizeof *x);
  uint16_t *data = make_weights(PIO_DTYPE_BF16, rows * cols, exact);
  uint16_t *paired = malloc(rows * cols * sizeof *paired);
  float *one = malloc(rows * sizeof *one), *y = malloc(rows * sizeof *y);
  for (size_t k = 0; k < cols; k++) x[k] = rand_unit();
  for (pio_matrix_layout layout = PIO_LAYOUT_ROWS; layout <= PIO_LAYOUT_PAIRS; layout++) {
    if (layout == PIO_LAYOUT_TILES) continue; /* the AMX route's, not a one-token one */
    pio_matrix w = {.data = data, .dtype = PIO_DTYPE_BF16, .rows = rows, .cols = cols};
    pio_error err = {0};
    if (layout != PIO_LAYOUT_ROWS)
      ck_assert_int_eq(pio_matrix_set_layout(NULL, &w, layout, paired, &err), PIO_OK);
    for (size_t r = 0; r < rows; r++) one[r] = NAN;
    pio_matmul(NULL, path, &w, x, 1, one);
    for (size_t r = 0; r < rows; r++) ck_assert_msg(isfinite(one[r]), "row %zu not written", r);
    for (uint32_t threads = 2; threads <= 4; threads++) {
      pio_threadpool *pool = NULL;
      ck_assert_int_eq(pio_threadpool_create(threads, &pool, &err), PIO_OK);
      for (size_t r = 0; r < rows; r++) y[r] = NAN;
      pio_matmul(pool, path, &w, x, 1, y);
      for (size_t r = 0; r < rows; r++)
        if (memcmp(&y[r], &one[r], sizeof y[r]) != 0)
          ck_abort_msg("%s %s, %u threads: y[%zu] = %.9g, %.9g on one thread",
                       pio_kernel_path_name(path), pio_matrix_layout_name(layout), threads, r,
                       y[r], one[r]);
      pio_threadpool_destroy(pool);
    }
  }
  free(exact);
  free(x);
  free(data);
  free(paired);
  free(one);
  free(y);
}
END_TEST

START_TEST(test_kernels_path_names_and_best_is_available) {
  ck_assert_str_eq(pio_kernel_path_name(PIO_KERNEL_SCALAR), "scalar");
  ck_assert_str_eq(pio_kernel_path_name(PIO_KERNEL_AVX2), "avx2");
  ck_assert_str_eq(pio_kernel_path_name(PIO_KERNEL_AVX512), "avx512");
  ck_assert_str_eq(pio_kernel_path_name(PIO_KERNEL_AVX512_BF16), "avx512bf16");
  ck_assert_str_eq(pio_kernel_path_name(PIO_KERNEL_AMX_BF16), "amx_bf16");
  ck_assert_int_eq(pio_kernel_path_available(PIO_KERNEL_SCALAR), 1);
  ck_assert_int_eq(pio_kernel_path_available(pio_kernel_best()), 1);
  ck_assert_int_ne(pio_kernel_best(), PIO_KERNEL_AMX_BF16); /* for the element-wise helpers */
  ck_assert_int_eq(pio_kernel_path_available(PIO_KERNEL_PATH_COUNT), 0);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("kernels");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_kernels_matmul_matches_reference_single_thread, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_matmul_matches_reference_on_three_threads, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_laid_out_weights_match_reference_on_one_and_three_threads, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_layouts_put_each_element_where_documented, 0, 2);
  tcase_add_loop_test(tc, test_kernels_bf16_activation_error_stays_within_bf16_precision, 0, 2);
  tcase_add_loop_test(tc, test_kernels_strided_x_gives_the_contiguous_result, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_softmax_matches_reference_and_sums_to_one, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_silu_mul_matches_reference, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_to_f32_converts_every_dtype_exactly, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_kernels_one_token_rows_same_bits_on_any_thread_count, 0,
                      PIO_KERNEL_PATH_COUNT);
  tcase_add_test(tc, test_kernels_path_names_and_best_is_available);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
