/* pio/moe.h — mixture-of-experts routing that MoE families share: router
 * scores (softmax or sigmoid), top-k and group-limited top-k selection, the
 * chosen experts' weights (normalised, scaled), a plan that gathers the
 * tokens of each expert so its weights are read once for all of them, and
 * the weighted sum of the experts' outputs.  Family-neutral: Mixtral
 * (softmax, top-2, renormalised), Qwen-MoE, DeepSeek-V2 (softmax, greedy or
 * group-limited by each group's best expert), DeepSeek-V3 (sigmoid, a
 * selection-only bias, groups ranked by their best two experts), gpt-oss
 * (softmax over the k chosen logits) are all a pio_moe_router. */
#ifndef PIO_MOE_H
#define PIO_MOE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest expert count and top-k the helpers accept. */
#define PIO_MOE_MAX_EXPERTS 65536u

typedef enum pio_moe_scoring {
  /* softmax over every expert's logit, then choose (Mixtral, Qwen-MoE,
   * DeepSeek-V2) */
  PIO_MOE_SCORE_SOFTMAX = 0,
  /* sigmoid of each logit, then choose (DeepSeek-V3, Llama 4) */
  PIO_MOE_SCORE_SIGMOID = 1,
  /* choose on the logits, then softmax over the k chosen (gpt-oss) */
  PIO_MOE_SCORE_SOFTMAX_CHOSEN = 2
} pio_moe_scoring;

/* How a group of experts is ranked when routing is group-limited. */
typedef enum pio_moe_group_rank {
  PIO_MOE_GROUP_MAX = 0,     /* its best expert's score (DeepSeek-V2 group_limited_greedy) */
  PIO_MOE_GROUP_TOP2_SUM = 1 /* the sum of its best two (DeepSeek-V3 noaux_tc) */
} pio_moe_group_rank;

/* One router's rules.  The selection, per token:
 *   s = score(logits)                       (scoring)
 *   c = s + selection_bias                  (for choosing only)
 *   keep the topk_group best groups of c    (n_group > 1; group_rank)
 *   chosen = the top_k best c in kept groups
 *   w = s[chosen]; w /= sum(w) + 1e-20 when normalize; w *= scale */
typedef struct pio_moe_router {
  uint32_t n_experts;            /* 1..PIO_MOE_MAX_EXPERTS */
  uint32_t top_k;                /* experts a token uses, 1..n_experts */
  pio_moe_scoring scoring;
  uint32_t n_group;              /* groups of consecutive experts; 1: ungrouped; divides n_experts */
  uint32_t topk_group;           /* groups a token may choose from, 1..n_group */
  pio_moe_group_rank group_rank; /* TOP2_SUM needs groups of >= 2 experts */
  const float *selection_bias;   /* [n_experts] or NULL; not owned */
  int normalize;                 /* divide the k weights by their sum (norm_topk_prob) */
  float scale;                   /* then multiply by this (routed_scaling_factor; 1 for none) */
} pio_moe_router;

/* Checks r's numbers against each other: PIO_ERR_INVALID_ARGUMENT naming
 * the field (top_k above n_experts, n_group not dividing n_experts,
 * topk_group above n_group, fewer experts in topk_group groups than top_k,
 * groups of one expert ranked by their best two, a non-finite scale, ...). */
pio_status pio_moe_router_check(const pio_moe_router *r, pio_error *err);

/* Bytes of scratch pio_moe_route needs for r (a multiple of 64). */
size_t pio_moe_route_scratch_bytes(const pio_moe_router *r);

/* Routes one token: experts[top_k] (best first) and weights[top_k] from
 * logits[n_experts] (the router's output for the token).  r must have
 * passed pio_moe_router_check; scratch holds pio_moe_route_scratch_bytes(r)
 * bytes, aligned for floats.  Ties go to the lower expert index; a NaN
 * ranks below every number. */
void pio_moe_route(const pio_moe_router *r, const float *logits, void *scratch,
                   uint32_t *experts, float *weights);

/* The steps of pio_moe_route, each usable alone. */
/* scores[n] = softmax(logits[n]) or sigmoid(logits[n]); SOFTMAX_CHOSEN
 * copies (its softmax comes after the choice).  scores may be logits. */
void pio_moe_scores(pio_moe_scoring scoring, const float *logits, uint32_t n, float *scores);
/* idx[k] = the indices of the k largest values[n], largest first (k <= n). */
void pio_moe_topk(const float *values, uint32_t n, uint32_t k, uint32_t *idx);
/* idx[k] = the indices of the k largest values[n] among the topk_group
 * best of n_group groups of n / n_group consecutive values, groups ranked
 * as rank says; largest first.  Scratch: group_scores[n_group] and
 * groups[topk_group].  Needs what pio_moe_router_check checks (n_group
 * divides n, topk_group <= n_group, k <= topk_group * n / n_group). */
void pio_moe_group_topk(const float *values, uint32_t n, uint32_t n_group, uint32_t topk_group,
                        pio_moe_group_rank rank, uint32_t k, float *group_scores,
                        uint32_t *groups, uint32_t *idx);

/* Which (token, slot) pairs each expert serves, for running every expert
 * once over all its tokens.  experts[n_tokens][k] from pio_moe_route.
 * Fills offsets[n_experts + 1] and entries[n_tokens * k]: the entries of
 * expert e are entries[offsets[e] .. offsets[e + 1]), each token * k + slot,
 * in token order. */
void pio_moe_plan(const uint32_t *experts, uint32_t n_tokens, uint32_t k, uint32_t n_experts,
                  uint32_t *offsets, uint32_t *entries);

/* out[d] = sum over j < k of weights[j] * outputs[j][d] (outputs rows of
 * d floats, row_stride apart); out may not alias outputs. */
void pio_moe_weighted_sum(const float *outputs, size_t row_stride, const float *weights,
                          uint32_t k, size_t d, float *out);

#ifdef __cplusplus
}
#endif
#endif
