/* tests/test_moe.c — the SDK's mixture-of-experts helpers (pio/moe.h),
 * each alone against a double-precision reference written here the plain
 * way (sort everything, then take the first k), plus small cases worked
 * out by hand for Mixtral's and DeepSeek-V3's routing. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/moe.h"

static uint64_t rng_state = 42;

static double rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(rng_state >> 11) / (double)(1ull << 52) - 1.0;
}

static uint32_t rand_below(uint32_t n) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)((rng_state >> 33) % n);
}

/* ---- the reference ---------------------------------------------------- */

static const double *sort_keys;

/* Larger first, NaN last, ties to the lower index. */
static int by_value_desc(const void *pa, const void *pb) {
  uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
  double va = sort_keys[a], vb = sort_keys[b];
  if (isnan(va) != isnan(vb)) return isnan(va) ? 1 : -1;
  if (!isnan(va) && va != vb) return va > vb ? -1 : 1;
  return a < b ? -1 : (a > b);
}

/* idx[k]: the k best of keys[n] among the allowed ones (allowed NULL: all). */
static void ref_topk(const double *keys, const int *allowed, uint32_t n, uint32_t k,
                     uint32_t *idx) {
  uint32_t *all = malloc(n * sizeof *all), m = 0;
  for (uint32_t i = 0; i < n; i++)
    if (allowed == NULL || allowed[i]) all[m++] = i;
  sort_keys = keys;
  qsort(all, m, sizeof *all, by_value_desc);
  memcpy(idx, all, k * sizeof *idx);
  free(all);
}

/* allowed[n]: the experts of the topk_group best groups. */
/* Returns the smallest gap between the group scores ranked around the cut. */
static double ref_groups(const double *keys, uint32_t n, uint32_t n_group, uint32_t topk_group,
                         pio_moe_group_rank rank, int *allowed) {
  const uint32_t size = n / n_group;
  double *gs = malloc(n_group * sizeof *gs);
  uint32_t *order = malloc(size * sizeof *order), *best = malloc(n_group * sizeof *best);
  for (uint32_t g = 0; g < n_group; g++) {
    ref_topk(keys + g * size, NULL, size, rank == PIO_MOE_GROUP_TOP2_SUM ? 2 : 1, order);
    gs[g] = keys[g * size + order[0]] +
            (rank == PIO_MOE_GROUP_TOP2_SUM ? keys[g * size + order[1]] : 0.0);
  }
  ref_topk(gs, NULL, n_group, n_group, best);
  for (uint32_t i = 0; i < n; i++) allowed[i] = 0;
  for (uint32_t j = 0; j < topk_group; j++)
    for (uint32_t i = 0; i < size; i++) allowed[best[j] * size + i] = 1;
  double gap = INFINITY;
  for (uint32_t j = 0; j < topk_group && j + 1 < n_group; j++)
    gap = fmin(gap, gs[best[j]] - gs[best[j + 1]]);
  free(gs);
  free(order);
  free(best);
  return gap;
}

static void ref_scores(pio_moe_scoring scoring, const float *logits, uint32_t n, double *out) {
  double max = -INFINITY, sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    out[i] = logits[i];
    if (logits[i] > max) max = logits[i];
  }
  if (scoring == PIO_MOE_SCORE_SIGMOID)
    for (uint32_t i = 0; i < n; i++) out[i] = 1.0 / (1.0 + exp(-(double)logits[i]));
  if (scoring != PIO_MOE_SCORE_SOFTMAX) return;
  for (uint32_t i = 0; i < n; i++) sum += (out[i] = exp(logits[i] - max));
  for (uint32_t i = 0; i < n; i++) out[i] /= sum;
}

/* The whole route in double.  Returns the smallest gap between the keys
 * (and group scores) that decide the choice and its order, so callers can
 * tell a near-tie (where f32 rounding may rightly choose otherwise) from a
 * bug. */
static double ref_route(const pio_moe_router *r, const float *logits, uint32_t *experts,
                        double *weights) {
  const uint32_t n = r->n_experts, k = r->top_k;
  double *s = malloc(n * sizeof *s), *c = malloc(n * sizeof *c);
  int *allowed = NULL;
  double gap = INFINITY;
  ref_scores(r->scoring, logits, n, s);
  for (uint32_t i = 0; i < n; i++) c[i] = s[i] + (r->selection_bias ? r->selection_bias[i] : 0);
  uint32_t m = n; /* candidates left after the group cut */
  if (r->n_group > 1) {
    allowed = malloc(n * sizeof *allowed);
    gap = ref_groups(c, n, r->n_group, r->topk_group, r->group_rank, allowed);
    m = r->topk_group * (n / r->n_group);
  }
  uint32_t *all = malloc(n * sizeof *all);
  ref_topk(c, allowed, n, m, all);
  for (uint32_t i = 0; i < k && i + 1 < m; i++) gap = fmin(gap, c[all[i]] - c[all[i + 1]]);
  memcpy(experts, all, k * sizeof *experts);
  if (r->scoring == PIO_MOE_SCORE_SOFTMAX_CHOSEN) {
    double max = logits[experts[0]], sum = 0;
    for (uint32_t j = 0; j < k; j++) sum += (weights[j] = exp(logits[experts[j]] - max));
    for (uint32_t j = 0; j < k; j++) weights[j] /= sum;
  } else {
    for (uint32_t j = 0; j < k; j++) weights[j] = s[experts[j]];
  }
  double sum = 0;
  for (uint32_t j = 0; j < k; j++) sum += weights[j];
  for (uint32_t j = 0; j < k; j++)
    weights[j] = (r->normalize ? weights[j] / (sum + 1e-20) : weights[j]) * r->scale;
  free(s);
  free(c);
  free(allowed);
  free(all);
  return gap;
}

/* ---- top-k ------------------------------------------------------------ */

START_TEST(test_topk_matches_a_full_sort) {
  for (int trial = 0; trial < 300; trial++) {
    uint32_t n = 1 + rand_below(300), k = 1 + rand_below(n);
    float *v = malloc(n * sizeof *v);
    double *d = malloc(n * sizeof *d);
    uint32_t *got = malloc(k * sizeof *got), *want = malloc(k * sizeof *want);
    /* Few distinct values, so ties are common. */
    for (uint32_t i = 0; i < n; i++) d[i] = v[i] = (float)(trial % 2 ? rand_below(7) : rand_unit());
    pio_moe_topk(v, n, k, got);
    ref_topk(d, NULL, n, k, want);
    for (uint32_t j = 0; j < k; j++) ck_assert_uint_eq(got[j], want[j]);
    free(v);
    free(d);
    free(got);
    free(want);
  }
}
END_TEST

START_TEST(test_topk_breaks_ties_by_lower_index) {
  const float v[] = {1, 3, 2, 3, 3, 0};
  uint32_t idx[4];
  pio_moe_topk(v, 6, 4, idx);
  ck_assert_uint_eq(idx[0], 1);
  ck_assert_uint_eq(idx[1], 3);
  ck_assert_uint_eq(idx[2], 4);
  ck_assert_uint_eq(idx[3], 2);
}
END_TEST

START_TEST(test_topk_ranks_nan_below_minus_infinity) {
  const float v[] = {NAN, -INFINITY, NAN, -5.0f};
  uint32_t idx[3];
  pio_moe_topk(v, 4, 3, idx);
  ck_assert_uint_eq(idx[0], 3);
  ck_assert_uint_eq(idx[1], 1);
  ck_assert_uint_eq(idx[2], 0);
}
END_TEST

/* ---- scores ------------------------------------------------------------ */

START_TEST(test_scores_match_double_softmax_and_sigmoid) {
  const pio_moe_scoring kinds[] = {PIO_MOE_SCORE_SOFTMAX, PIO_MOE_SCORE_SIGMOID,
                                   PIO_MOE_SCORE_SOFTMAX_CHOSEN};
  for (int trial = 0; trial < 60; trial++) {
    uint32_t n = 1 + rand_below(512);
    float *logits = malloc(n * sizeof *logits), *got = malloc(n * sizeof *got);
    double *want = malloc(n * sizeof *want);
    for (uint32_t i = 0; i < n; i++) logits[i] = (float)(20 * rand_unit());
    pio_moe_scoring kind = kinds[trial % 3];
    pio_moe_scores(kind, logits, n, got);
    ref_scores(kind, logits, n, want);
    for (uint32_t i = 0; i < n; i++)
      ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6 * fmax(1.0, fabs(want[i])),
                    "scoring %d n %u [%u]: %g, want %g", (int)kind, n, i, got[i], want[i]);
    free(logits);
    free(got);
    free(want);
  }
}
END_TEST

START_TEST(test_scores_may_be_computed_in_place) {
  float x[3] = {0.0f, 0.0f, 0.0f};
  pio_moe_scores(PIO_MOE_SCORE_SOFTMAX, x, 3, x);
  for (int i = 0; i < 3; i++) ck_assert_float_eq_tol(x[i], 1.0f / 3.0f, 1e-7f);
  float y[2] = {0.0f, 100.0f};
  pio_moe_scores(PIO_MOE_SCORE_SIGMOID, y, 2, y);
  ck_assert_float_eq_tol(y[0], 0.5f, 1e-7f);
  ck_assert_float_eq_tol(y[1], 1.0f, 1e-7f);
}
END_TEST

/* ---- group-limited top-k -------------------------------------------- */

START_TEST(test_group_topk_matches_reference) {
  for (int trial = 0; trial < 400; trial++) {
    const uint32_t n_group = 1 + rand_below(8), size = 2 + rand_below(9), n = n_group * size;
    const uint32_t topk_group = 1 + rand_below(n_group);
    const uint32_t k = 1 + rand_below(topk_group * size);
    const pio_moe_group_rank rank = trial % 2 ? PIO_MOE_GROUP_TOP2_SUM : PIO_MOE_GROUP_MAX;
    float *v = malloc(n * sizeof *v), *gs = malloc(n_group * sizeof *gs);
    double *d = malloc(n * sizeof *d);
    int *allowed = malloc(n * sizeof *allowed);
    uint32_t *groups = malloc(topk_group * sizeof *groups), got[64], want[64];
    /* Sums of two floats are exact in double, not always in float: keep
     * the values on a grid of 1/64 so both add them exactly. */
    for (uint32_t i = 0; i < n; i++) d[i] = v[i] = (float)(rand_below(128) / 64.0 - 1.0);
    pio_moe_group_topk(v, n, n_group, topk_group, rank, k, gs, groups, got);
    ref_groups(d, n, n_group, topk_group, rank, allowed);
    ref_topk(d, allowed, n, k, want);
    for (uint32_t j = 0; j < k; j++)
      ck_assert_msg(got[j] == want[j], "trial %d slot %u: expert %u, want %u", trial, j, got[j],
                    want[j]);
    free(v);
    free(gs);
    free(d);
    free(allowed);
    free(groups);
  }
}
END_TEST

/* Group 0 holds the single best expert, group 1 the best pair: ranked by
 * its best expert (DeepSeek-V2) group 0 wins, by its best two (V3) group 1. */
START_TEST(test_group_rank_by_best_two_differs_from_best_one) {
  const float v[] = {0.9f, 0.0f, 0.1f, 0.6f, 0.6f, 0.0f};
  float gs[2];
  uint32_t groups[1], idx[2];
  pio_moe_group_topk(v, 6, 2, 1, PIO_MOE_GROUP_MAX, 2, gs, groups, idx);
  ck_assert_uint_eq(idx[0], 0);
  ck_assert_uint_eq(idx[1], 2);
  pio_moe_group_topk(v, 6, 2, 1, PIO_MOE_GROUP_TOP2_SUM, 2, gs, groups, idx);
  ck_assert_uint_eq(idx[0], 3);
  ck_assert_uint_eq(idx[1], 4);
}
END_TEST

/* ---- the whole route -------------------------------------------------- */

static pio_moe_router random_router(float *bias) {
  pio_moe_router r = {0};
  r.n_group = 1 + rand_below(8);
  const uint32_t size = 2 + rand_below(16);
  r.n_experts = r.n_group * size;
  r.topk_group = 1 + rand_below(r.n_group);
  r.top_k = 1 + rand_below(r.topk_group * size < 10 ? r.topk_group * size : 10);
  r.scoring = (pio_moe_scoring)rand_below(3);
  r.group_rank = (pio_moe_group_rank)rand_below(2);
  r.normalize = (int)rand_below(2);
  r.scale = rand_below(2) ? 1.0f : 2.5f;
  if (rand_below(2)) {
    for (uint32_t i = 0; i < r.n_experts; i++) bias[i] = (float)(0.5 * rand_unit());
    r.selection_bias = bias;
  }
  return r;
}

START_TEST(test_route_matches_double_reference) {
  int compared = 0;
  for (int trial = 0; trial < 2000; trial++) {
    float bias[256], logits[256], weights[16], scratch_f[1024];
    uint32_t experts[16], want[16];
    double want_w[16];
    pio_moe_router r = random_router(bias);
    ck_assert_int_eq(pio_moe_router_check(&r, NULL), PIO_OK);
    ck_assert_uint_le(pio_moe_route_scratch_bytes(&r), sizeof scratch_f);
    for (uint32_t i = 0; i < r.n_experts; i++) logits[i] = (float)(3 * rand_unit());
    pio_moe_route(&r, logits, scratch_f, experts, weights);
    /* A gap below f32 rounding may rightly be ranked either way. */
    if (ref_route(&r, logits, want, want_w) < 1e-5) continue;
    compared++;
    for (uint32_t j = 0; j < r.top_k; j++) {
      ck_assert_msg(experts[j] == want[j], "trial %d slot %u: expert %u, want %u", trial, j,
                    experts[j], want[j]);
      ck_assert_msg(fabs(weights[j] - want_w[j]) <= 2e-6 * fmax(1.0, fabs(want_w[j])),
                    "trial %d slot %u: weight %.9g, want %.9g", trial, j, weights[j], want_w[j]);
    }
  }
  ck_assert_int_ge(compared, 1900);
}
END_TEST

/* Mixtral: softmax over 8 experts, top 2, renormalised to sum 1. */
START_TEST(test_mixtral_top2_is_renormalised) {
  const float logits[8] = {0.0f, 2.0f, -1.0f, 1.0f, 0.5f, -3.0f, 0.0f, 1.5f};
  pio_moe_router r = {.n_experts = 8, .top_k = 2, .scoring = PIO_MOE_SCORE_SOFTMAX, .n_group = 1,
                      .topk_group = 1, .normalize = 1, .scale = 1.0f};
  float scratch[256], w[2];
  uint32_t e[2];
  ck_assert_int_eq(pio_moe_router_check(&r, NULL), PIO_OK);
  pio_moe_route(&r, logits, scratch, e, w);
  ck_assert_uint_eq(e[0], 1);
  ck_assert_uint_eq(e[1], 7);
  /* softmax then renormalise = exp(2) / (exp(2) + exp(1.5)). */
  const double w0 = 1.0 / (1.0 + exp(-0.5));
  ck_assert_double_eq_tol(w[0], w0, 1e-6);
  ck_assert_double_eq_tol(w[1], 1.0 - w0, 1e-6);
}
END_TEST

/* DeepSeek-V3 in small: sigmoid, the bias steers the choice (expert 2 over
 * expert 1) but the weights are the unbiased scores, normalised, scaled. */
START_TEST(test_deepseek_v3_bias_chooses_but_does_not_weigh) {
  const float logits[8] = {2.0f, 1.0f, 0.9f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const float bias[8] = {0.0f, 0.0f, 0.2f, 0.0f, -1.0f, -1.0f, -1.0f, -1.0f};
  pio_moe_router r = {.n_experts = 8, .top_k = 2, .scoring = PIO_MOE_SCORE_SIGMOID, .n_group = 2,
                      .topk_group = 1, .group_rank = PIO_MOE_GROUP_TOP2_SUM,
                      .selection_bias = bias, .normalize = 1, .scale = 2.5f};
  float scratch[256], w[2];
  uint32_t e[2];
  ck_assert_int_eq(pio_moe_router_check(&r, NULL), PIO_OK);
  pio_moe_route(&r, logits, scratch, e, w);
  ck_assert_uint_eq(e[0], 2); /* 0.711 + 0.2 over 0.881 */
  ck_assert_uint_eq(e[1], 0);
  const double s0 = 1.0 / (1.0 + exp(-2.0)), s2 = 1.0 / (1.0 + exp(-0.9));
  ck_assert_double_eq_tol(w[0], 2.5 * s2 / (s0 + s2), 1e-6);
  ck_assert_double_eq_tol(w[1], 2.5 * s0 / (s0 + s2), 1e-6);
}
END_TEST

START_TEST(test_without_normalize_weights_are_scaled_scores) {
  const float logits[4] = {1.0f, 3.0f, 2.0f, 0.0f};
  pio_moe_router r = {.n_experts = 4, .top_k = 2, .scoring = PIO_MOE_SCORE_SOFTMAX, .n_group = 1,
                      .topk_group = 1, .normalize = 0, .scale = 16.0f};
  float scratch[256], w[2];
  uint32_t e[2];
  pio_moe_route(&r, logits, scratch, e, w);
  const double z = exp(1.0) + exp(3.0) + exp(2.0) + exp(0.0);
  ck_assert_double_eq_tol(w[0], 16.0 * exp(3.0) / z, 1e-5);
  ck_assert_double_eq_tol(w[1], 16.0 * exp(2.0) / z, 1e-5);
}
END_TEST

/* ---- plan and weighted sum -------------------------------------------- */

START_TEST(test_plan_lists_each_experts_pairs_in_token_order) {
  const uint32_t experts[4][2] = {{2, 0}, {0, 3}, {2, 3}, {1, 2}};
  uint32_t offsets[5], entries[8];
  pio_moe_plan(&experts[0][0], 4, 2, 4, offsets, entries);
  const uint32_t want_offsets[5] = {0, 2, 3, 6, 8};
  const uint32_t want_entries[8] = {1, 2, 6, 0, 4, 7, 3, 5};
  for (int i = 0; i < 5; i++) ck_assert_uint_eq(offsets[i], want_offsets[i]);
  for (int i = 0; i < 8; i++) ck_assert_uint_eq(entries[i], want_entries[i]);
}
END_TEST

START_TEST(test_plan_of_random_routes_covers_every_pair_once) {
  enum { N = 50, K = 6, E = 64 };
  uint32_t experts[N * K], offsets[E + 1], entries[N * K];
  int seen[N * K] = {0};
  for (int i = 0; i < N * K; i++) experts[i] = rand_below(E);
  pio_moe_plan(experts, N, K, E, offsets, entries);
  ck_assert_uint_eq(offsets[E], N * K);
  for (uint32_t e = 0; e < E; e++)
    for (uint32_t p = offsets[e]; p < offsets[e + 1]; p++) {
      ck_assert_uint_eq(experts[entries[p]], e);
      if (p > offsets[e]) ck_assert_uint_lt(entries[p - 1], entries[p]);
      seen[entries[p]]++;
    }
  for (int i = 0; i < N * K; i++) ck_assert_int_eq(seen[i], 1);
}
END_TEST

START_TEST(test_weighted_sum_matches_double) {
  enum { K = 7, D = 133, STRIDE = 150 };
  float outputs[K * STRIDE], weights[K], out[D];
  for (int i = 0; i < K * STRIDE; i++) outputs[i] = (float)rand_unit();
  for (int j = 0; j < K; j++) weights[j] = (float)rand_unit();
  pio_moe_weighted_sum(outputs, STRIDE, weights, K, D, out);
  for (int i = 0; i < D; i++) {
    double want = 0;
    for (int j = 0; j < K; j++) want += (double)weights[j] * outputs[j * STRIDE + i];
    ck_assert_double_eq_tol(out[i], want, 1e-6);
  }
}
END_TEST

/* ---- bad routers ------------------------------------------------------ */

static void expect_refused(pio_moe_router r, const char *fragment) {
  pio_error err = {0};
  ck_assert_int_eq(pio_moe_router_check(&r, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, fragment) != NULL, "'%s' lacks '%s'", err.message, fragment);
}

START_TEST(test_router_check_refuses_inconsistent_numbers) {
  const pio_moe_router ok = {.n_experts = 64, .top_k = 6, .n_group = 8, .topk_group = 3,
                             .group_rank = PIO_MOE_GROUP_TOP2_SUM, .scale = 1.0f};
  ck_assert_int_eq(pio_moe_router_check(&ok, NULL), PIO_OK);
  pio_moe_router r = ok;
  r.n_experts = 0;
  expect_refused(r, "n_experts 0");
  r = ok;
  r.top_k = 65;
  expect_refused(r, "top_k 65");
  r = ok;
  r.top_k = 0;
  expect_refused(r, "top_k 0");
  r = ok;
  r.n_group = 7;
  expect_refused(r, "n_group 7 does not divide");
  r = ok;
  r.n_group = 0;
  expect_refused(r, "n_group 0");
  r = ok;
  r.topk_group = 9;
  expect_refused(r, "topk_group 9");
  r = ok;
  r.topk_group = 0;
  expect_refused(r, "topk_group 0");
  r = ok;
  r.top_k = 25; /* 3 groups of 8 hold 24 */
  expect_refused(r, "top_k 25 is more than the 24 experts");
  r = ok;
  r.n_group = 64;
  r.topk_group = 6;
  expect_refused(r, "best two");
  r = ok;
  r.scale = INFINITY;
  expect_refused(r, "scale");
  r = ok;
  r.scoring = (pio_moe_scoring)7;
  expect_refused(r, "scoring 7");
}
END_TEST

int main(void) {
  Suite *s = suite_create("moe");
  TCase *t = tcase_create("moe");
  tcase_add_test(t, test_topk_matches_a_full_sort);
  tcase_add_test(t, test_topk_breaks_ties_by_lower_index);
  tcase_add_test(t, test_topk_ranks_nan_below_minus_infinity);
  tcase_add_test(t, test_scores_match_double_softmax_and_sigmoid);
  tcase_add_test(t, test_scores_may_be_computed_in_place);
  tcase_add_test(t, test_group_topk_matches_reference);
  tcase_add_test(t, test_group_rank_by_best_two_differs_from_best_one);
  tcase_add_test(t, test_route_matches_double_reference);
  tcase_add_test(t, test_mixtral_top2_is_renormalised);
  tcase_add_test(t, test_deepseek_v3_bias_chooses_but_does_not_weigh);
  tcase_add_test(t, test_without_normalize_weights_are_scaled_scores);
  tcase_add_test(t, test_plan_lists_each_experts_pairs_in_token_order);
  tcase_add_test(t, test_plan_of_random_routes_covers_every_pair_once);
  tcase_add_test(t, test_weighted_sum_matches_double);
  tcase_add_test(t, test_router_check_refuses_inconsistent_numbers);
  suite_add_tcase(s, t);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
