/* sdk/src/moe_combine.c — after routing (pio/moe.h): the plan that groups
 * the (token, slot) pairs by expert, so each expert's weights are read once
 * for all the tokens that chose it, and the weighted sum of the outputs. */
#include <string.h>

#include "pio/moe.h"

void pio_moe_plan(const uint32_t *experts, uint32_t n_tokens, uint32_t k, uint32_t n_experts,
                  uint32_t *offsets, uint32_t *entries) {
  const size_t pairs = (size_t)n_tokens * k;
  memset(offsets, 0, ((size_t)n_experts + 1) * sizeof *offsets);
  for (size_t p = 0; p < pairs; p++) offsets[experts[p] + 1]++;
  for (uint32_t e = 0; e < n_experts; e++) offsets[e + 1] += offsets[e];
  /* A counting sort, stable: each expert's entries stay in token order.
   * offsets[e] serves as expert e's cursor, then is restored. */
  for (size_t p = 0; p < pairs; p++) entries[offsets[experts[p]]++] = (uint32_t)p;
  for (uint32_t e = n_experts; e > 0; e--) offsets[e] = offsets[e - 1];
  offsets[0] = 0;
}

void pio_moe_weighted_sum(const float *outputs, size_t row_stride, const float *weights,
                          uint32_t k, size_t d, float *out) {
  for (size_t i = 0; i < d; i++) out[i] = 0.0f;
  for (uint32_t j = 0; j < k; j++) {
    const float *y = outputs + (size_t)j * row_stride;
    const float w = weights[j];
    for (size_t i = 0; i < d; i++) out[i] += w * y[i];
  }
}
