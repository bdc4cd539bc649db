/* tests/test_sampling.c — the SDK's sampler (pio/sampling.h): on logits
 * the test chooses, each filter keeps exactly the tokens it should and the
 * distribution left is the renormalised softmax; draws follow it; the
 * same seed repeats its tokens; the defaults of generation_config.json. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pio/generation_config.h"
#include "pio/sampling.h"

static pio_sampler *sampler(double temperature, uint32_t top_k, double top_p, double min_p,
                            double penalty, uint64_t seed, uint32_t n) {
  pio_sampling s;
  pio_sampling_defaults(&s);
  s.temperature = temperature;
  s.top_k = top_k;
  s.top_p = top_p;
  s.min_p = min_p;
  s.repeat_penalty = penalty;
  s.seed = seed;
  pio_sampler *p = NULL;
  pio_error err = {0};
  ck_assert_msg(pio_sampler_new(&s, n, &p, &err) == PIO_OK, "%s", err.message);
  return p;
}

/* logits whose softmax is probs (up to a constant). */
static void logits_of(const double *probs, float *logits, size_t n) {
  for (size_t i = 0; i < n; i++) logits[i] = (float)log(probs[i]);
}

static void assert_probs(const float *got, const double *want, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) < 1e-5, "%s: token %zu has %g, expected %g", what, i,
                  got[i], want[i]);
}

START_TEST(test_greedy_takes_the_first_largest) {
  pio_sampler *p = sampler(0, 0, 1, 0, 1, 0, 5);
  float logits[5] = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  ck_assert_int_eq(pio_sampler_sample(p, logits, NULL, 0), 1);
  float probs[5];
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){0, 1, 0, 0, 0}, 5, "greedy");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_temperature_scales_the_softmax) {
  double base[4] = {0.1, 0.2, 0.3, 0.4};
  float logits[4], probs[4];
  logits_of(base, logits, 4);
  pio_sampler *p = sampler(2.0, 0, 1, 0, 1, 0, 4);
  pio_sampler_probs(p, logits, NULL, 0, probs);
  double want[4], sum = 0; /* softmax(log p / 2) = sqrt(p) normalised */
  for (int i = 0; i < 4; i++) sum += want[i] = sqrt(base[i]);
  for (int i = 0; i < 4; i++) want[i] /= sum;
  assert_probs(probs, want, 4, "temperature 2");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_top_k_keeps_the_k_largest_and_their_ties) {
  float logits[5] = {3.0f, 1.0f, 2.0f, 2.0f, 0.0f}, probs[5];
  pio_sampler *p = sampler(1, 2, 1, 0, 1, 0, 5);
  pio_sampler_probs(p, logits, NULL, 0, probs);
  double e3 = exp(3.0), e2 = exp(2.0), sum = e3 + 2 * e2; /* the 2nd largest is 2: both 2s stay */
  assert_probs(probs, (double[]){e3 / sum, 0, e2 / sum, e2 / sum, 0}, 5, "top_k 2");
  pio_sampler_free(p);
  p = sampler(1, 1, 1, 0, 1, 0, 5);
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){1, 0, 0, 0, 0}, 5, "top_k 1");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_top_p_drops_the_unlikely_tail) {
  double base[4] = {0.5, 0.3, 0.15, 0.05};
  float logits[4], probs[4];
  logits_of(base, logits, 4);
  pio_sampler *p = sampler(1, 0, 0.75, 0, 1, 0, 4); /* tail 0.05 + 0.15 = 0.2 <= 0.25 goes */
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){0.625, 0.375, 0, 0}, 4, "top_p 0.75");
  pio_sampler_free(p);
  p = sampler(1, 0, 0.9, 0, 1, 0, 4); /* only 0.05 <= 0.1 goes */
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 4, "top_p 0.9");
  pio_sampler_free(p);
  p = sampler(1, 0, 0.01, 0, 1, 0, 4); /* the most likely always stays */
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){1, 0, 0, 0}, 4, "top_p 0.01");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_min_p_drops_tokens_below_a_share_of_the_top) {
  double base[4] = {0.5, 0.3, 0.15, 0.05};
  float logits[4], probs[4];
  logits_of(base, logits, 4);
  pio_sampler *p = sampler(1, 0, 1, 0.35, 1, 0, 4); /* below 0.175 goes */
  pio_sampler_probs(p, logits, NULL, 0, probs);
  assert_probs(probs, (double[]){0.625, 0.375, 0, 0}, 4, "min_p 0.35");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_filters_apply_in_transformers_order) {
  /* temperature first, then top-k, then top-p on what top-k left */
  double base[5] = {0.4, 0.3, 0.2, 0.06, 0.04};
  float logits[5], probs[5];
  logits_of(base, logits, 5);
  pio_sampler *p = sampler(1, 3, 0.7, 0, 1, 0, 5);
  pio_sampler_probs(p, logits, NULL, 0, probs);
  /* top-k 3: {0.4, 0.3, 0.2} -> 4/9, 3/9, 2/9; top-p 0.7: the tail 2/9 <= 0.3 goes */
  assert_probs(probs, (double[]){4.0 / 7, 3.0 / 7, 0, 0, 0}, 5, "top_k 3 then top_p 0.7");
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_repetition_penalty_divides_positive_and_multiplies_negative) {
  float logits[4] = {2.0f, 1.0f, 0.5f, -1.0f}, probs[4];
  int32_t history[] = {0, 0, 3, 99 /* outside the vocabulary: ignored */};
  pio_sampler *p = sampler(1, 0, 1, 0, 2.0, 0, 4);
  pio_sampler_probs(p, logits, history, 4, probs);
  double e[4] = {exp(1.0), exp(1.0), exp(0.5), exp(-2.0)}, sum = e[0] + e[1] + e[2] + e[3];
  assert_probs(probs, (double[]){e[0] / sum, e[1] / sum, e[2] / sum, e[3] / sum}, 4, "penalty 2");
  pio_sampler_free(p);
  p = sampler(0, 0, 1, 0, 4.0, 0, 4); /* greedy sees the penalty too */
  ck_assert_int_eq(pio_sampler_sample(p, logits, history, 3), 1);
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_draws_follow_the_distribution_and_never_pick_a_removed_token) {
  double base[5] = {0.4, 0.3, 0.2, 0.06, 0.04};
  float logits[5];
  logits_of(base, logits, 5);
  pio_sampler *p = sampler(1, 3, 1, 0, 1, 7, 5);
  int counts[5] = {0};
  const int n = 40000;
  for (int i = 0; i < n; i++) counts[pio_sampler_sample(p, logits, NULL, 0)]++;
  ck_assert_int_eq(counts[3] + counts[4], 0);
  double want[3] = {4.0 / 9, 3.0 / 9, 2.0 / 9};
  for (int i = 0; i < 3; i++)
    ck_assert_msg(fabs((double)counts[i] / n - want[i]) < 0.01,
                  "token %d drawn %d times of %d (%.3f expected)", i, counts[i], n, want[i]);
  pio_sampler_free(p);
}
END_TEST

START_TEST(test_the_same_seed_repeats_its_tokens) {
  float logits[64];
  for (int i = 0; i < 64; i++) logits[i] = (float)sin(i * 1.7);
  int32_t a[200], b[200], c[200];
  pio_sampler *p = sampler(0.8, 40, 0.95, 0.02, 1.1, 1234, 64),
              *q = sampler(0.8, 40, 0.95, 0.02, 1.1, 1234, 64),
              *r = sampler(0.8, 40, 0.95, 0.02, 1.1, 1235, 64);
  for (int i = 0; i < 200; i++) {
    a[i] = pio_sampler_sample(p, logits, a, (size_t)i);
    b[i] = pio_sampler_sample(q, logits, b, (size_t)i);
    c[i] = pio_sampler_sample(r, logits, c, (size_t)i);
  }
  ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
  ck_assert_int_ne(memcmp(a, c, sizeof a), 0);
  pio_sampler_free(p);
  pio_sampler_free(q);
  pio_sampler_free(r);
}
END_TEST

START_TEST(test_bad_values_are_refused) {
  pio_sampling s;
  pio_error err = {0};
  pio_sampling_defaults(&s);
  s.top_p = 0;
  ck_assert_int_eq(pio_sampling_check(&s, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "top_p"));
  pio_sampling_defaults(&s);
  s.temperature = -1;
  ck_assert_int_eq(pio_sampling_check(&s, &err), PIO_ERR_INVALID);
  pio_sampling_defaults(&s);
  s.min_p = 1.5;
  ck_assert_int_eq(pio_sampling_check(&s, &err), PIO_ERR_INVALID);
  pio_sampling_defaults(&s);
  s.repeat_penalty = 0;
  ck_assert_int_eq(pio_sampling_check(&s, &err), PIO_ERR_INVALID);
}
END_TEST

static char dir[] = "/tmp/pio-test-gen-XXXXXX";

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(test_generation_config_gives_eos_ids_and_sampling) {
  ck_assert_ptr_nonnull(mkdtemp(dir));
  pio_generation_config g;
  pio_error err = {0};
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_OK); /* nothing there: greedy */
  ck_assert_uint_eq(g.n_eos, 0);
  ck_assert(g.sampling.temperature == 0);
  write_file("config.json", "{\"eos_token_id\": 2, \"bos_token_id\": 1}");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_OK);
  ck_assert_uint_eq(g.n_eos, 1);
  ck_assert_int_eq(g.eos[0], 2);
  ck_assert_int_eq(g.bos, 1);
  write_file("generation_config.json",
             "{\"eos_token_id\": [128001, 128008, 128009], \"do_sample\": true, "
             "\"temperature\": 0.6, \"top_p\": 0.9}");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_OK);
  ck_assert_uint_eq(g.n_eos, 3);
  ck_assert_int_eq(g.eos[2], 128009);
  ck_assert(fabs(g.sampling.temperature - 0.6) < 1e-12 && fabs(g.sampling.top_p - 0.9) < 1e-12);
  ck_assert_uint_eq(g.sampling.top_k, 50); /* Transformers' default */
  write_file("generation_config.json", "{\"do_sample\": false, \"temperature\": 0.6}");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_OK);
  ck_assert(g.sampling.temperature == 0);
  ck_assert_int_eq(g.eos[0], 2); /* none there: config.json's */
  write_file("generation_config.json", "{\"eos_token_id\": \"</s>\"}");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "generation_config.json: eos_token_id"));
  write_file("generation_config.json", "{\"do_sample\": true, \"top_p\": 3}");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "top_p"));
  write_file("generation_config.json", "{\"do_sample\": tru");
  ck_assert_int_eq(pio_generation_config_read(dir, &g, &err), PIO_ERR_PARSE);
  char path[256];
  snprintf(path, sizeof path, "%s/generation_config.json", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/config.json", dir);
  unlink(path);
  rmdir(dir);
}
END_TEST

static Suite *sampling_suite(void) {
  Suite *s = suite_create("sampling");
  TCase *t = tcase_create("sampling");
  tcase_add_test(t, test_greedy_takes_the_first_largest);
  tcase_add_test(t, test_temperature_scales_the_softmax);
  tcase_add_test(t, test_top_k_keeps_the_k_largest_and_their_ties);
  tcase_add_test(t, test_top_p_drops_the_unlikely_tail);
  tcase_add_test(t, test_min_p_drops_tokens_below_a_share_of_the_top);
  tcase_add_test(t, test_filters_apply_in_transformers_order);
  tcase_add_test(t, test_repetition_penalty_divides_positive_and_multiplies_negative);
  tcase_add_test(t, test_draws_follow_the_distribution_and_never_pick_a_removed_token);
  tcase_add_test(t, test_the_same_seed_repeats_its_tokens);
  tcase_add_test(t, test_bad_values_are_refused);
  tcase_add_test(t, test_generation_config_gives_eos_ids_and_sampling);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(sampling_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
