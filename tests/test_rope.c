/* tests/test_rope.c — RoPE: parameter checks naming the field, inverse
 * frequencies of every type against the formulas in double, YaRN's
 * attention factor and mscale, the tables, and the rotation of both pair
 * layouts on whole and partial heads against a double-precision rotation.
 * (tests/test_rope_torch.py compares the frequencies bit for bit with
 * transformers' float32 arithmetic.) */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/rope.h"

static const double pi = 3.14159265358979323846;

static pio_rope_params llama3_params(void) {
  pio_rope_params p = {.type = PIO_ROPE_LLAMA3, .rotary_dim = 64, .theta = 500000, .factor = 8,
                       .low_freq_factor = 1, .high_freq_factor = 4,
                       .original_max_position = 8192};
  return p;
}

static pio_rope_params yarn_params(void) {
  /* DeepSeek-V2-Lite's rope_scaling. */
  pio_rope_params p = {.type = PIO_ROPE_YARN, .layout = PIO_ROPE_INTERLEAVED, .rotary_dim = 64,
                       .theta = 10000, .factor = 40, .beta_fast = 32, .beta_slow = 1,
                       .mscale = 0.707, .mscale_all_dim = 0.707,
                       .original_max_position = 4096};
  return p;
}

static void expect_invalid(pio_rope_params p, const char *field) {
  pio_error err = {0};
  ck_assert_int_eq(pio_rope_params_check(&p, &err), PIO_ERR_INVALID);
  ck_assert_msg(strstr(err.message, field) != NULL, "'%s' not in '%s'", field, err.message);
  pio_rope rope;
  ck_assert_int_ne(pio_rope_init(&rope, &p, 16, &err), PIO_OK);
  ck_assert_ptr_null(rope.cos);
}

START_TEST(test_rope_bad_params_name_the_field) {
  pio_rope_params p = llama3_params();
  p.rotary_dim = 63;
  expect_invalid(p, "rotary dimension");
  p.rotary_dim = 0;
  expect_invalid(p, "rotary dimension");
  p = llama3_params();
  p.theta = 0;
  expect_invalid(p, "rope_theta");
  p.theta = INFINITY;
  expect_invalid(p, "rope_theta");
  p = llama3_params();
  p.factor = -1;
  expect_invalid(p, "rope_scaling.factor");
  p = llama3_params();
  p.high_freq_factor = 0.5;
  expect_invalid(p, "rope_scaling.high_freq_factor");
  p = llama3_params();
  p.original_max_position = 0;
  expect_invalid(p, "original_max_position_embeddings");
  p = yarn_params();
  p.beta_fast = NAN;
  expect_invalid(p, "rope_scaling.beta_fast");
  p = yarn_params();
  p.mscale_all_dim = -2;
  expect_invalid(p, "rope_scaling.mscale_all_dim");
  pio_error err = {0};
  p = yarn_params();
  ck_assert_int_eq(pio_rope_params_check(&p, &err), PIO_OK);
  p.type = (pio_rope_type)9;
  ck_assert_int_eq(pio_rope_params_check(&p, &err), PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

static void check_close(const float *got, const double *want, uint32_t n, double rel) {
  for (uint32_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) <= rel * fabs(want[i]), "inv_freq[%u] = %.9g, want "
                  "%.9g", i, (double)got[i], want[i]);
}

START_TEST(test_rope_default_and_linear_frequencies) {
  pio_rope_params p = {.type = PIO_ROPE_DEFAULT, .rotary_dim = 128, .theta = 10000};
  float f[64];
  double want[64], attention = 0;
  pio_rope_inv_freq(&p, f, &attention);
  for (int i = 0; i < 64; i++) want[i] = pow(10000.0, -2.0 * i / 128);
  check_close(f, want, 64, 1e-6);
  ck_assert_double_eq(attention, 1.0);
  p.type = PIO_ROPE_LINEAR;
  p.factor = 4;
  pio_rope_inv_freq(&p, f, NULL);
  for (int i = 0; i < 64; i++) want[i] /= 4;
  check_close(f, want, 64, 1e-6);
}
END_TEST

START_TEST(test_rope_llama3_frequencies_follow_the_three_bands) {
  pio_rope_params p = llama3_params();
  float f[32];
  pio_rope_inv_freq(&p, f, NULL);
  for (int i = 0; i < 32; i++) {
    const double base = pow(500000.0, -2.0 * i / 64), wavelen = 2 * pi / base;
    double want = base;
    if (wavelen > 8192.0) want = base / 8;
    else if (wavelen >= 8192.0 / 4) {
      const double smooth = (8192.0 / wavelen - 1) / (4 - 1);
      want = (1 - smooth) * base / 8 + smooth * base;
    }
    ck_assert_msg(fabs(f[i] - want) <= 2e-6 * want, "%d: %.9g vs %.9g", i, (double)f[i], want);
  }
}
END_TEST

/* The YaRN frequencies and attention factor from the paper's formulas in
 * double: ramp between the dimensions where beta_fast and beta_slow
 * rotations fit the original context. */
static void yarn_reference(const pio_rope_params *p, double *want, double *attention) {
  const double d = p->rotary_dim, b = p->theta, L = p->original_max_position;
  double lo = floor(d * log(L / (p->beta_fast * 2 * pi)) / (2 * log(b)));
  double hi = ceil(d * log(L / (p->beta_slow * 2 * pi)) / (2 * log(b)));
  lo = fmax(lo, 0);
  hi = fmin(hi, d - 1);
  for (uint32_t i = 0; i < p->rotary_dim / 2; i++) {
    const double extra = pow(b, -2.0 * i / d), inter = extra / p->factor;
    const double ramp = fmin(fmax((i - lo) / (hi - lo), 0), 1);
    want[i] = inter * ramp + extra * (1 - ramp);
  }
  const double m = 0.1 * p->mscale * log(p->factor) + 1, m_all =
      0.1 * p->mscale_all_dim * log(p->factor) + 1;
  *attention = p->mscale > 0 && p->mscale_all_dim > 0 ? m / m_all : 0.1 * log(p->factor) + 1;
}

START_TEST(test_rope_yarn_frequencies_and_attention_factor) {
  pio_rope_params p = yarn_params();
  float f[32];
  double want[32], attention, want_attention;
  pio_rope_inv_freq(&p, f, &attention);
  yarn_reference(&p, want, &want_attention);
  check_close(f, want, 32, 2e-6);
  ck_assert_double_eq_tol(attention, want_attention, 1e-12);
  ck_assert_double_eq_tol(attention, 1.0, 1e-12); /* mscale == mscale_all_dim */
  /* Qwen-style: no mscale fields, the factor gives it. */
  p.mscale = p.mscale_all_dim = 0;
  p.factor = 4;
  pio_rope_inv_freq(&p, f, &attention);
  yarn_reference(&p, want, &want_attention);
  check_close(f, want, 32, 2e-6);
  ck_assert_double_eq_tol(attention, 0.1 * log(4.0) + 1, 1e-12);
  /* An explicit attention_factor wins. */
  p.attention_factor = 0.5;
  pio_rope_inv_freq(&p, f, &attention);
  ck_assert_double_eq(attention, 0.5);
}
END_TEST

START_TEST(test_rope_yarn_mscale) {
  ck_assert_double_eq(pio_rope_yarn_mscale(1.0, 0.707), 1.0);
  ck_assert_double_eq(pio_rope_yarn_mscale(0.5, 1.0), 1.0);
  ck_assert_double_eq_tol(pio_rope_yarn_mscale(40.0, 0.707), 0.1 * 0.707 * log(40.0) + 1, 1e-15);
}
END_TEST

START_TEST(test_rope_tables_hold_cos_and_sin_of_each_angle) {
  pio_rope_params p = yarn_params();
  pio_rope rope;
  pio_error err = {0};
  ck_assert_int_eq(pio_rope_init(&rope, &p, 5000, &err), PIO_OK);
  float f[32];
  double attention;
  pio_rope_inv_freq(&p, f, &attention);
  ck_assert_uint_eq(rope.half, 32);
  for (uint32_t pos = 0; pos < 5000; pos += 499) {
    for (uint32_t i = 0; i < 32; i++) {
      const double angle = (float)pos * f[i];
      ck_assert_double_eq_tol(rope.cos[pos * 32 + i], cos(angle) * attention, 1e-7);
      ck_assert_double_eq_tol(rope.sin[pos * 32 + i], sin(angle) * attention, 1e-7);
    }
  }
  pio_rope_free(&rope);
  pio_rope_free(&rope); /* twice is harmless */
}
END_TEST

/* Rotates x[n_tokens][n_heads][head_dim] (the first rotary_dim of each
 * head) in double with the table's frequencies, and compares. */
static void check_rotation(pio_rope_layout layout, uint32_t head_dim, uint32_t rotary_dim,
                           uint32_t offset) {
  pio_rope_params p = llama3_params();
  p.layout = layout;
  p.rotary_dim = rotary_dim;
  pio_rope rope;
  pio_error err = {0};
  ck_assert_int_eq(pio_rope_init(&rope, &p, 300, &err), PIO_OK);
  enum { TOKENS = 5, HEADS = 3, FIRST = 250 };
  const size_t stride = (size_t)HEADS * head_dim + 7; /* rows wider than their heads */
  float *x = malloc(TOKENS * stride * sizeof *x), *orig = malloc(TOKENS * stride * sizeof *x);
  for (size_t i = 0; i < TOKENS * stride; i++) x[i] = orig[i] = (float)sin(i * 0.37) * 2;
  pio_rope_apply(&rope, x + offset, TOKENS, stride, HEADS, head_dim, FIRST);
  const uint32_t half = rotary_dim / 2;
  for (uint32_t t = 0; t < TOKENS; t++) {
    for (uint32_t h = 0; h < HEADS; h++) {
      const float *in = orig + t * stride + h * head_dim + offset;
      const float *out = x + t * stride + h * head_dim + offset;
      for (uint32_t i = 0; i < half; i++) {
        const uint32_t a = layout == PIO_ROPE_INTERLEAVED ? 2 * i : i;
        const uint32_t b = layout == PIO_ROPE_INTERLEAVED ? 2 * i + 1 : i + half;
        const double c = rope.cos[(FIRST + t) * half + i], s = rope.sin[(FIRST + t) * half + i];
        ck_assert_double_eq_tol(out[a], in[a] * c - in[b] * s, 2e-6);
        ck_assert_double_eq_tol(out[b], in[b] * c + in[a] * s, 2e-6);
      }
    }
  }
  /* Everything outside the rotated dims is untouched. */
  for (uint32_t t = 0; t < TOKENS; t++)
    for (size_t i = 0; i < stride; i++) {
      const size_t in_head = i % head_dim;
      const int rotated = i < (size_t)HEADS * head_dim && in_head >= offset &&
                          in_head < offset + rotary_dim;
      if (!rotated) ck_assert_float_eq(x[t * stride + i], orig[t * stride + i]);
    }
  free(x);
  free(orig);
  pio_rope_free(&rope);
}

START_TEST(test_rope_half_split_rotates_pairs_i_and_i_plus_half) {
  check_rotation(PIO_ROPE_HALF_SPLIT, 64, 64, 0);
}
END_TEST

START_TEST(test_rope_interleaved_rotates_adjacent_pairs) {
  check_rotation(PIO_ROPE_INTERLEAVED, 64, 64, 0);
}
END_TEST

START_TEST(test_rope_partial_rotary_touches_only_its_part) {
  /* GPT-NeoX-style: the first 16 of 40; DeepSeek-style: the last 16 of 48. */
  check_rotation(PIO_ROPE_HALF_SPLIT, 40, 16, 0);
  check_rotation(PIO_ROPE_INTERLEAVED, 48, 16, 32);
}
END_TEST

START_TEST(test_rope_rotation_keeps_the_norm_and_relative_angle) {
  /* q.k after rotating q at position a and k at b depends on a - b only. */
  pio_rope_params p = yarn_params();
  pio_rope rope;
  pio_error err = {0};
  ck_assert_int_eq(pio_rope_init(&rope, &p, 64, &err), PIO_OK);
  float q1[64], k1[64], q2[64], k2[64];
  for (int i = 0; i < 64; i++) q1[i] = q2[i] = (float)cos(i * 0.9), k1[i] = k2[i] = (float)sin(i);
  pio_rope_apply(&rope, q1, 1, 0, 1, 64, 10);
  pio_rope_apply(&rope, k1, 1, 0, 1, 64, 3);
  pio_rope_apply(&rope, q2, 1, 0, 1, 64, 40);
  pio_rope_apply(&rope, k2, 1, 0, 1, 64, 33);
  double d1 = 0, d2 = 0;
  for (int i = 0; i < 64; i++) d1 += (double)q1[i] * k1[i], d2 += (double)q2[i] * k2[i];
  ck_assert_double_eq_tol(d1, d2, 1e-4);
  pio_rope_free(&rope);
}
END_TEST

START_TEST(test_rope_zero_positions_is_refused) {
  pio_rope_params p = llama3_params();
  pio_rope rope;
  pio_error err = {0};
  ck_assert_int_eq(pio_rope_init(&rope, &p, 0, &err), PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
  Suite *s = suite_create("rope");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_rope_bad_params_name_the_field);
  tcase_add_test(tc, test_rope_default_and_linear_frequencies);
  tcase_add_test(tc, test_rope_llama3_frequencies_follow_the_three_bands);
  tcase_add_test(tc, test_rope_yarn_frequencies_and_attention_factor);
  tcase_add_test(tc, test_rope_yarn_mscale);
  tcase_add_test(tc, test_rope_tables_hold_cos_and_sin_of_each_angle);
  tcase_add_test(tc, test_rope_half_split_rotates_pairs_i_and_i_plus_half);
  tcase_add_test(tc, test_rope_interleaved_rotates_adjacent_pairs);
  tcase_add_test(tc, test_rope_partial_rotary_touches_only_its_part);
  tcase_add_test(tc, test_rope_rotation_keeps_the_norm_and_relative_angle);
  tcase_add_test(tc, test_rope_zero_positions_is_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
