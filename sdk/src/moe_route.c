/* sdk/src/moe_route.c — choosing a token's experts (pio/moe.h): router
 * scores, top-k, group-limited top-k, and the chosen experts' weights.
 * Top-k keeps a sorted list of the best k seen so far: O(n k), with k a
 * handful in every published model, and no sort of all n. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "pio/moe.h"

/* A NaN ranks below every number, -inf included. */
static int better(float a, uint32_t ia, float b, uint32_t ib) {
  if (isnan(a)) return 0;
  if (isnan(b)) return 1;
  return a > b || (a == b && ia < ib);
}

/* Offers candidate i (value values[i]) to the sorted list idx[*count] of
 * at most k entries. */
static void offer(const float *values, uint32_t i, uint32_t k, uint32_t *idx, uint32_t *count) {
  uint32_t pos = *count;
  while (pos > 0 && better(values[i], i, values[idx[pos - 1]], idx[pos - 1])) pos--;
  if (pos >= k) return;
  uint32_t last = *count < k ? *count : k - 1;
  memmove(idx + pos + 1, idx + pos, (size_t)(last - pos) * sizeof *idx);
  idx[pos] = i;
  if (*count < k) (*count)++;
}

void pio_moe_topk(const float *values, uint32_t n, uint32_t k, uint32_t *idx) {
  uint32_t count = 0;
  for (uint32_t i = 0; i < n && k > 0; i++) offer(values, i, k, idx, &count);
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* x[n] = softmax(x[n]) over the entries of idx[n] (NULL: all of 0..n). */
static void softmax_of(const float *logits, const uint32_t *idx, uint32_t n, float *out) {
  float max = -INFINITY;
  for (uint32_t j = 0; j < n; j++) {
    float v = logits[idx ? idx[j] : j];
    if (v > max) max = v;
  }
  float sum = 0.0f;
  for (uint32_t j = 0; j < n; j++) {
    out[j] = expf(logits[idx ? idx[j] : j] - max);
    sum += out[j];
  }
  for (uint32_t j = 0; j < n; j++) out[j] /= sum;
}

void pio_moe_scores(pio_moe_scoring scoring, const float *logits, uint32_t n, float *scores) {
  if (scoring == PIO_MOE_SCORE_SOFTMAX) {
    softmax_of(logits, NULL, n, scores);
  } else if (scoring == PIO_MOE_SCORE_SIGMOID) {
    for (uint32_t i = 0; i < n; i++) scores[i] = sigmoid(logits[i]);
  } else if (scores != logits) {
    memcpy(scores, logits, (size_t)n * sizeof *scores);
  }
}

/* A group's rank: its best value, or the sum of its best two. */
static float group_score(const float *v, uint32_t size, pio_moe_group_rank rank) {
  uint32_t best[2] = {0, 0}, count = 0;
  const uint32_t take = rank == PIO_MOE_GROUP_TOP2_SUM ? 2 : 1;
  for (uint32_t i = 0; i < size; i++) offer(v, i, take, best, &count);
  return take == 2 ? v[best[0]] + v[best[1]] : v[best[0]];
}

void pio_moe_group_topk(const float *values, uint32_t n, uint32_t n_group, uint32_t topk_group,
                        pio_moe_group_rank rank, uint32_t k, float *group_scores,
                        uint32_t *groups, uint32_t *idx) {
  const uint32_t size = n / n_group;
  for (uint32_t g = 0; g < n_group; g++)
    group_scores[g] = group_score(values + (size_t)g * size, size, rank);
  pio_moe_topk(group_scores, n_group, topk_group, groups);
  /* group_scores becomes the mask of kept groups. */
  for (uint32_t g = 0; g < n_group; g++) group_scores[g] = 0.0f;
  for (uint32_t j = 0; j < topk_group; j++) group_scores[groups[j]] = 1.0f;
  uint32_t count = 0;
  for (uint32_t g = 0; g < n_group; g++) {
    if (group_scores[g] == 0.0f) continue;
    for (uint32_t i = g * size; i < (g + 1) * size; i++) offer(values, i, k, idx, &count);
  }
}

/* The layout of pio_moe_route's scratch: scores[n], choice[n],
 * group_scores[n_group], groups[topk_group], each 64-byte aligned. */
static size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

size_t pio_moe_route_scratch_bytes(const pio_moe_router *r) {
  return 2 * align64((size_t)r->n_experts * sizeof(float)) +
         align64((size_t)r->n_group * sizeof(float)) +
         align64((size_t)r->topk_group * sizeof(uint32_t));
}

void pio_moe_route(const pio_moe_router *r, const float *logits, void *scratch,
                   uint32_t *experts, float *weights) {
  const uint32_t n = r->n_experts, k = r->top_k;
  unsigned char *base = scratch;
  float *scores = (float *)(void *)base;
  float *choice = (float *)(void *)(base + align64((size_t)n * sizeof(float)));
  float *group_scores = (float *)(void *)(base + 2 * align64((size_t)n * sizeof(float)));
  uint32_t *groups = (uint32_t *)(void *)((unsigned char *)group_scores +
                                          align64((size_t)r->n_group * sizeof(float)));
  pio_moe_scores(r->scoring, logits, n, scores);
  const float *ranked = scores;
  if (r->selection_bias != NULL) {
    for (uint32_t i = 0; i < n; i++) choice[i] = scores[i] + r->selection_bias[i];
    ranked = choice;
  }
  if (r->n_group > 1)
    pio_moe_group_topk(ranked, n, r->n_group, r->topk_group, r->group_rank, k, group_scores,
                       groups, experts);
  else
    pio_moe_topk(ranked, n, k, experts);
  if (r->scoring == PIO_MOE_SCORE_SOFTMAX_CHOSEN)
    softmax_of(logits, experts, k, weights);
  else
    for (uint32_t j = 0; j < k; j++) weights[j] = scores[experts[j]];
  if (r->normalize) {
    float sum = 0.0f;
    for (uint32_t j = 0; j < k; j++) sum += weights[j];
    for (uint32_t j = 0; j < k; j++) weights[j] /= sum + 1e-20f;
  }
  for (uint32_t j = 0; j < k; j++) weights[j] *= r->scale;
}

pio_status pio_moe_router_check(const pio_moe_router *r, pio_error *err) {
  if (r == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: NULL");
  const uint32_t n = r->n_experts;
  if (n == 0 || n > PIO_MOE_MAX_EXPERTS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: n_experts %u is outside "
                         "[1, %u]", n, PIO_MOE_MAX_EXPERTS);
  if (r->top_k == 0 || r->top_k > n)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: top_k %u is outside [1, "
                         "n_experts %u]", r->top_k, n);
  if ((unsigned)r->scoring > PIO_MOE_SCORE_SOFTMAX_CHOSEN)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: unknown scoring %d",
                         (int)r->scoring);
  if (r->n_group == 0 || n % r->n_group != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: n_group %u does not divide "
                         "n_experts %u", r->n_group, n);
  if (r->topk_group == 0 || r->topk_group > r->n_group)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: topk_group %u is outside "
                         "[1, n_group %u]", r->topk_group, r->n_group);
  const uint32_t size = n / r->n_group;
  if ((uint64_t)r->topk_group * size < r->top_k)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: top_k %u is more than the "
                         "%u experts of topk_group %u groups of %u", r->top_k,
                         r->topk_group * size, r->topk_group, size);
  if ((unsigned)r->group_rank > PIO_MOE_GROUP_TOP2_SUM)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: unknown group_rank %d",
                         (int)r->group_rank);
  if (r->n_group > 1 && r->group_rank == PIO_MOE_GROUP_TOP2_SUM && size < 2)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: groups of %u expert "
                         "cannot be ranked by their best two (n_group %u, n_experts %u)", size,
                         r->n_group, n);
  if (!isfinite(r->scale))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "MoE router: scale %g is not finite",
                         (double)r->scale);
  return PIO_OK;
}
