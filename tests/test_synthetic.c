/* tests/test_synthetic.c — synthetic weights: the same bytes for any
 * thread count, distinct per seed and stream, the asked mean and standard
 * deviation, every dtype, and refusal of bad arguments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/synthetic.h"

enum { N = 1 << 20 };

static float *fill_f32(pio_threadpool *pool, uint64_t seed, uint64_t stream,
                       pio_synthetic_dist dist, float mean, float std) {
  float *v = malloc(N * sizeof *v);
  pio_error err = {0};
  ck_assert_int_eq(pio_synthetic_fill(pool, seed, stream, dist, mean, std, PIO_DTYPE_F32, v, N,
                                      &err),
                   PIO_OK);
  return v;
}

START_TEST(test_synthetic_same_values_for_any_thread_count) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(3, &pool, &err), PIO_OK);
  for (int dist = 0; dist < 2; dist++) {
    float *a = fill_f32(NULL, 11, 5, (pio_synthetic_dist)dist, 0, 1);
    float *b = fill_f32(pool, 11, 5, (pio_synthetic_dist)dist, 0, 1);
    ck_assert_int_eq(memcmp(a, b, N * sizeof *a), 0);
    free(a);
    free(b);
  }
  pio_threadpool_destroy(pool);
}
END_TEST

START_TEST(test_synthetic_seed_and_stream_change_the_values) {
  float *a = fill_f32(NULL, 1, 1, PIO_SYNTHETIC_NORMAL, 0, 1);
  float *b = fill_f32(NULL, 2, 1, PIO_SYNTHETIC_NORMAL, 0, 1);
  float *c = fill_f32(NULL, 1, 2, PIO_SYNTHETIC_NORMAL, 0, 1);
  size_t same_ab = 0, same_ac = 0;
  for (size_t i = 0; i < N; i++) {
    same_ab += a[i] == b[i];
    same_ac += a[i] == c[i];
  }
  /* coincidences of 16-bit sums happen, but rarely */
  ck_assert_uint_lt(same_ab, N / 100);
  ck_assert_uint_lt(same_ac, N / 100);
  free(a);
  free(b);
  free(c);
}
END_TEST

/* A prefix filled alone equals the start of a longer fill: element i does
 * not depend on n. */
START_TEST(test_synthetic_element_depends_only_on_its_index) {
  float *a = fill_f32(NULL, 3, 9, PIO_SYNTHETIC_UNIFORM, 0, 1);
  float b[1000];
  pio_error err = {0};
  ck_assert_int_eq(pio_synthetic_fill(NULL, 3, 9, PIO_SYNTHETIC_UNIFORM, 0, 1, PIO_DTYPE_F32, b,
                                      1000, &err),
                   PIO_OK);
  ck_assert_int_eq(memcmp(a, b, sizeof b), 0);
  free(a);
}
END_TEST

static void moments(const float *v, double *mean, double *std, double *max_abs_z) {
  double sum = 0, sq = 0;
  for (size_t i = 0; i < N; i++) sum += v[i];
  *mean = sum / N;
  for (size_t i = 0; i < N; i++) sq += (v[i] - *mean) * (v[i] - *mean);
  *std = sqrt(sq / N);
  *max_abs_z = 0;
  for (size_t i = 0; i < N; i++) {
    double z = fabs((v[i] - *mean) / *std);
    *max_abs_z = z > *max_abs_z ? z : *max_abs_z;
  }
}

START_TEST(test_synthetic_normal_has_the_asked_mean_and_std) {
  float *v = fill_f32(NULL, 7, 0, PIO_SYNTHETIC_NORMAL, 0.5f, 0.02f);
  double mean, std, max_z;
  moments(v, &mean, &std, &max_z);
  /* standard error of the mean over 2^20 samples is 0.02/1024 */
  ck_assert_double_le(fabs(mean - 0.5), 1e-4);
  ck_assert_double_le(fabs(std / 0.02 - 1), 5e-3);
  ck_assert_double_le(max_z, 3.47);
  ck_assert_double_ge(max_z, 2.5); /* tails are there */
  free(v);
}
END_TEST

START_TEST(test_synthetic_uniform_has_the_asked_mean_std_and_bounds) {
  float *v = fill_f32(NULL, 8, 0, PIO_SYNTHETIC_UNIFORM, 0, 2.0f);
  double mean, std, max_z;
  moments(v, &mean, &std, &max_z);
  ck_assert_double_le(fabs(mean), 0.01);
  ck_assert_double_le(fabs(std / 2.0 - 1), 5e-3);
  for (size_t i = 0; i < N; i++)
    if (!(fabsf(v[i]) <= 2.0f * 1.7320508f)) ck_abort_msg("v[%zu] = %g out of bounds", i, v[i]);
  free(v);
}
END_TEST

START_TEST(test_synthetic_half_dtypes_are_the_rounded_f32_values) {
  float *f = fill_f32(NULL, 4, 4, PIO_SYNTHETIC_NORMAL, 0, 0.1f);
  uint16_t *h = malloc(N * sizeof *h);
  pio_error err = {0};
  ck_assert_int_eq(pio_synthetic_fill(NULL, 4, 4, PIO_SYNTHETIC_NORMAL, 0, 0.1f, PIO_DTYPE_BF16,
                                      h, N, &err),
                   PIO_OK);
  for (size_t i = 0; i < N; i++)
    if (h[i] != pio_f32_to_bf16(f[i])) ck_abort_msg("bf16 element %zu differs", i);
  ck_assert_int_eq(pio_synthetic_fill(NULL, 4, 4, PIO_SYNTHETIC_NORMAL, 0, 0.1f, PIO_DTYPE_F16,
                                      h, N, &err),
                   PIO_OK);
  for (size_t i = 0; i < N; i++)
    if (h[i] != pio_f32_to_f16(f[i])) ck_abort_msg("f16 element %zu differs", i);
  free(f);
  free(h);
}
END_TEST

/* The generator as documented: splitmix64 of key + i * golden, key from
 * seed and stream; written out again here so that any path (scalar or
 * AVX-512) that drifts from it by one bit fails. */
static uint64_t ref_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static float ref_value(uint64_t seed, uint64_t stream, int dist, float mean, float std, size_t i) {
  const uint64_t golden = 0x9e3779b97f4a7c15ull;
  uint64_t h = ref_mix(ref_mix(seed ^ ref_mix(stream + golden)) + i * golden);
  float u;
  if (dist == PIO_SYNTHETIC_UNIFORM) {
    u = ((float)(h >> 40) * (1.0f / 16777216.0f) - 0.5f) * 3.4641016151f;
  } else {
    uint32_t sum = (uint32_t)(h & 0xffff) + (uint32_t)((h >> 16) & 0xffff) +
                   (uint32_t)((h >> 32) & 0xffff) + (uint32_t)(h >> 48);
    u = ((float)sum + 2.0f) * (1.0f / 65536.0f) * 1.7320508076f - 3.4641016151f;
  }
  return mean + std * u;
}

START_TEST(test_synthetic_values_are_exactly_the_documented_generator) {
  enum { M = 1037 }; /* not a multiple of any vector width */
  static float f[M];
  static uint16_t h[M];
  pio_error err = {0};
  for (int dist = 0; dist < 2; dist++) {
    ck_assert_int_eq(pio_synthetic_fill(NULL, 77, 5, (pio_synthetic_dist)dist, 0.25f, 0.5f,
                                        PIO_DTYPE_F32, f, M, &err), PIO_OK);
    for (size_t i = 0; i < M; i++) {
      float want = ref_value(77, 5, dist, 0.25f, 0.5f, i);
      if (memcmp(&f[i], &want, sizeof want) != 0)
        ck_abort_msg("dist %d f32 element %zu: %.9g, expected %.9g", dist, i, f[i], want);
    }
    ck_assert_int_eq(pio_synthetic_fill(NULL, 77, 5, (pio_synthetic_dist)dist, 0.25f, 0.5f,
                                        PIO_DTYPE_BF16, h, M, &err), PIO_OK);
    for (size_t i = 0; i < M; i++)
      if (h[i] != pio_f32_to_bf16(ref_value(77, 5, dist, 0.25f, 0.5f, i)))
        ck_abort_msg("dist %d bf16 element %zu differs", dist, i);
    ck_assert_int_eq(pio_synthetic_fill(NULL, 77, 5, (pio_synthetic_dist)dist, 0.25f, 0.5f,
                                        PIO_DTYPE_F16, h, M, &err), PIO_OK);
    for (size_t i = 0; i < M; i++)
      if (h[i] != pio_f32_to_f16(ref_value(77, 5, dist, 0.25f, 0.5f, i)))
        ck_abort_msg("dist %d f16 element %zu differs", dist, i);
  }
}
END_TEST

START_TEST(test_synthetic_bad_arguments_are_refused) {
  float v[4];
  pio_error err = {0};
  ck_assert_int_eq(pio_synthetic_fill(NULL, 1, 1, PIO_SYNTHETIC_NORMAL, 0, 1, PIO_DTYPE_INT8, v,
                                      4, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "dtype int8"));
  ck_assert_int_eq(pio_synthetic_fill(NULL, 1, 1, PIO_SYNTHETIC_NORMAL, 0, -1, PIO_DTYPE_F32, v,
                                      4, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "std >= 0"));
  ck_assert_int_eq(pio_synthetic_fill(NULL, 1, 1, PIO_SYNTHETIC_NORMAL, 0, NAN, PIO_DTYPE_F32, v,
                                      4, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pio_synthetic_fill(NULL, 1, 1, PIO_SYNTHETIC_NORMAL, 0, 1, PIO_DTYPE_F32, NULL,
                                      4, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pio_synthetic_fill(NULL, 1, 1, (pio_synthetic_dist)7, 0, 1, PIO_DTYPE_F32, v,
                                      4, &err),
                   PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_synthetic_stream_is_fnv1a_of_the_name) {
  ck_assert_uint_eq(pio_synthetic_stream(""), 0xcbf29ce484222325ull);
  ck_assert_uint_eq(pio_synthetic_stream("a"), 0xaf63dc4c8601ec8cull);
  ck_assert_uint_ne(pio_synthetic_stream("model.layers.0.mlp.up_proj.weight"),
                    pio_synthetic_stream("model.layers.1.mlp.up_proj.weight"));
}
END_TEST

int main(void) {
  Suite *suite = suite_create("synthetic");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_synthetic_same_values_for_any_thread_count);
  tcase_add_test(tc, test_synthetic_seed_and_stream_change_the_values);
  tcase_add_test(tc, test_synthetic_element_depends_only_on_its_index);
  tcase_add_test(tc, test_synthetic_normal_has_the_asked_mean_and_std);
  tcase_add_test(tc, test_synthetic_uniform_has_the_asked_mean_std_and_bounds);
  tcase_add_test(tc, test_synthetic_half_dtypes_are_the_rounded_f32_values);
  tcase_add_test(tc, test_synthetic_values_are_exactly_the_documented_generator);
  tcase_add_test(tc, test_synthetic_bad_arguments_are_refused);
  tcase_add_test(tc, test_synthetic_stream_is_fnv1a_of_the_name);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
