/* tests/test_dtype.c — dtype names and the scalar bf16/f16 conversions:
 * exact round trips of every 16-bit pattern, round-to-nearest-even on
 * narrowing (ties, overflow, subnormals), inf and NaN. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/dtype.h"

/* Check's ck_assert marks a point through a pipe on success, far too slow
 * for millions of values: loops check with this and abort on the first
 * mismatch. */
#define EXPECT_EQ(got, want)                                                             \
  do {                                                                                   \
    unsigned long long g_ = (got), w_ = (want);                                          \
    if (g_ != w_) ck_abort_msg("%s = 0x%llx, expected 0x%llx", #got, g_, w_);            \
  } while (0)
#define EXPECT(cond)                                                                     \
  do {                                                                                   \
    if (!(cond)) ck_abort_msg("%s is false", #cond);                                     \
  } while (0)

static uint32_t bits_of(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static float float_of(uint32_t b) {
  float v;
  memcpy(&v, &b, sizeof v);
  return v;
}

START_TEST(test_dtype_names_sizes_and_aliases) {
  ck_assert_uint_eq(pio_dtype_size(PIO_DTYPE_BF16), 2);
  ck_assert_uint_eq(pio_dtype_size(PIO_DTYPE_F32), 4);
  ck_assert_uint_eq(pio_dtype_size(PIO_DTYPE_COUNT), 0);
  ck_assert_str_eq(pio_dtype_name(PIO_DTYPE_F16), "fp16");
  pio_dtype d;
  ck_assert_int_eq(pio_dtype_parse("bfloat16", &d), 0);
  ck_assert_int_eq(d, PIO_DTYPE_BF16);
  ck_assert_int_eq(pio_dtype_parse("half", &d), 0);
  ck_assert_int_eq(d, PIO_DTYPE_F16);
  ck_assert_int_eq(pio_dtype_parse("float64", &d), -1);
  ck_assert_int_eq(pio_dtype_parse(NULL, &d), -1);
}
END_TEST

START_TEST(test_bf16_every_pattern_round_trips) {
  for (uint32_t b = 0; b < 65536; b++) {
    float v = pio_bf16_to_f32((uint16_t)b);
    EXPECT_EQ(bits_of(v), b << 16);
    if (isnan(v))
      EXPECT(isnan(pio_bf16_to_f32(pio_f32_to_bf16(v))));
    else
      EXPECT_EQ(pio_f32_to_bf16(v), b);
  }
}
END_TEST

START_TEST(test_bf16_rounds_to_nearest_even) {
  ck_assert_uint_eq(pio_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);      /* tie, down to even */
  ck_assert_uint_eq(pio_f32_to_bf16(1.0f + 3 * 0x1p-8f), 0x3f82);  /* tie, up to even */
  ck_assert_uint_eq(pio_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  ck_assert_uint_eq(pio_f32_to_bf16(-1.0f - 0x1p-8f - 0x1p-20f), 0xbf81);
  ck_assert_uint_eq(pio_f32_to_bf16(FLT_MAX), 0x7f80);             /* overflows to inf */
  ck_assert_uint_eq(pio_f32_to_bf16(float_of(0x00010000u)), 0x0001); /* subnormal kept */
  ck_assert_uint_eq(pio_f32_to_bf16(float_of(0x00008000u)), 0x0000); /* subnormal tie to 0 */
  ck_assert_uint_eq(pio_f32_to_bf16(float_of(0x00018000u)), 0x0002); /* tie up to even */
  ck_assert_uint_eq(pio_f32_to_bf16(-0.0f), 0x8000);
}
END_TEST

START_TEST(test_bf16_inf_and_nan) {
  ck_assert_uint_eq(pio_f32_to_bf16(INFINITY), 0x7f80);
  ck_assert_uint_eq(pio_f32_to_bf16(-INFINITY), 0xff80);
  /* a NaN whose payload sits only in the low bits must stay NaN, not
   * become inf by truncation */
  uint16_t n = pio_f32_to_bf16(float_of(0x7f800001u));
  ck_assert(isnan(pio_bf16_to_f32(n)));
  ck_assert(isnan(pio_bf16_to_f32(pio_f32_to_bf16(-NAN))));
  ck_assert(signbit(pio_bf16_to_f32(pio_f32_to_bf16(float_of(0xffc00000u)))));
}
END_TEST

/* The exact bf16 nearest to v, ties to even, by comparing distances in
 * double: an independent reference for the bit trick. */
static uint16_t bf16_reference(float v) {
  uint32_t b = bits_of(v);
  uint16_t lo = (uint16_t)(b >> 16), hi = (uint16_t)(lo + 1);
  double dl = fabs((double)v - (double)pio_bf16_to_f32(lo));
  double dh = fabs((double)v - (double)pio_bf16_to_f32(hi));
  if ((hi & 0x7f80) == 0x7f80 && (hi & 0x7f) == 0) /* next is inf: compare with 2^128 */
    dh = fabs(fabs((double)v) - ldexp(1.0, 128));
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return (lo & 1) ? hi : lo;
}

START_TEST(test_bf16_matches_reference_on_sampled_floats) {
  for (uint64_t b = 0; b < 0x7f800000ull; b += 997) {
    float v = float_of((uint32_t)b);
    EXPECT_EQ(pio_f32_to_bf16(v), bf16_reference(v));
    EXPECT_EQ(pio_f32_to_bf16(-v), bf16_reference(-v));
  }
}
END_TEST

START_TEST(test_f16_every_pattern_round_trips) {
  for (uint32_t b = 0; b < 65536; b++) {
    float v = pio_f16_to_f32((uint16_t)b);
    __extension__ _Float16 h;
    memcpy(&h, &b, sizeof h);
    if (isnan(v)) {
      EXPECT(isnan((float)h));
      EXPECT(isnan(pio_f16_to_f32(pio_f32_to_f16(v))));
    } else {
      EXPECT(v == (float)h);
      EXPECT_EQ(pio_f32_to_f16(v), b);
    }
  }
}
END_TEST

START_TEST(test_f16_rounds_like_the_compiler_on_sampled_floats) {
  /* every exponent, all the way into f16 subnormals and overflow */
  for (uint64_t b = 0; b < 0x7f800000ull; b += 613) {
    float v = float_of((uint32_t)b);
    __extension__ _Float16 h = (_Float16)v;
    uint16_t want;
    memcpy(&want, &h, sizeof want);
    EXPECT_EQ(pio_f32_to_f16(v), want);
  }
}
END_TEST

START_TEST(test_f16_edges) {
  ck_assert_uint_eq(pio_f32_to_f16(65504.0f), 0x7bff);
  ck_assert_uint_eq(pio_f32_to_f16(65519.0f), 0x7bff);
  ck_assert_uint_eq(pio_f32_to_f16(65520.0f), 0x7c00); /* tie rounds to inf */
  ck_assert_uint_eq(pio_f32_to_f16(ldexpf(1, -24)), 0x0001);
  ck_assert_uint_eq(pio_f32_to_f16(ldexpf(1, -25)), 0x0000); /* tie to even zero */
  ck_assert_uint_eq(pio_f32_to_f16(ldexpf(3, -25)), 0x0002); /* tie up to even */
  ck_assert_uint_eq(pio_f32_to_f16(ldexpf(1, -14)), 0x0400);
  ck_assert_uint_eq(pio_f32_to_f16(ldexpf(1, -14) - ldexpf(1, -26)), 0x0400);
  ck_assert_uint_eq(pio_f32_to_f16(-0.0f), 0x8000);
  ck_assert_uint_eq(pio_f32_to_f16(INFINITY), 0x7c00);
  ck_assert_uint_eq(pio_f32_to_f16(-INFINITY), 0xfc00);
  ck_assert_uint_eq(pio_f32_to_f16(NAN) & 0x7e00, 0x7e00);
  ck_assert_float_eq(pio_f16_to_f32(0x0001), ldexpf(1, -24));
  ck_assert_float_eq(pio_f16_to_f32(0x83ff), -ldexpf(1023, -24));
  ck_assert(isinf(pio_f16_to_f32(0xfc00)) && pio_f16_to_f32(0xfc00) < 0);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("dtype");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_dtype_names_sizes_and_aliases);
  tcase_add_test(tc, test_bf16_every_pattern_round_trips);
  tcase_add_test(tc, test_bf16_rounds_to_nearest_even);
  tcase_add_test(tc, test_bf16_inf_and_nan);
  tcase_add_test(tc, test_bf16_matches_reference_on_sampled_floats);
  tcase_add_test(tc, test_f16_every_pattern_round_trips);
  tcase_add_test(tc, test_f16_rounds_like_the_compiler_on_sampled_floats);
  tcase_add_test(tc, test_f16_edges);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
