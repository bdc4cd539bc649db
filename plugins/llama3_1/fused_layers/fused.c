/* fused_layers/fused.c — residual add + RMSNorm in two passes over a row
 * instead of three (add, norm statistics, scale). */
#include <math.h>
#include <stddef.h>

#include "fused_layers/fused.h"

/* Adds delta into x and returns the sum of squares of the result.  Eight
 * partial sums keep the loop vectorisable and the rounding small. */
static float add_and_square(float *x, const float *delta, uint32_t d) {
  float acc[8] = {0};
  uint32_t i = 0;
  if (delta != NULL) {
    for (; i + 8 <= d; i += 8)
      for (uint32_t j = 0; j < 8; j++) {
        x[i + j] += delta[i + j];
        acc[j] += x[i + j] * x[i + j];
      }
    for (; i < d; i++) {
      x[i] += delta[i];
      acc[0] += x[i] * x[i];
    }
  } else {
    for (; i + 8 <= d; i += 8)
      for (uint32_t j = 0; j < 8; j++) acc[j] += x[i + j] * x[i + j];
    for (; i < d; i++) acc[0] += x[i] * x[i];
  }
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

void llama_residual_rmsnorm(float *x, const float *delta, const float *weight, uint32_t n,
                            uint32_t d, float eps, float *out) {
  for (uint32_t t = 0; t < n; t++) {
    float *row = x + (size_t)t * d;
    float *o = out + (size_t)t * d;
    const float ss = add_and_square(row, delta ? delta + (size_t)t * d : NULL, d);
    const float inv = 1.0f / sqrtf(ss / (float)d + eps);
    for (uint32_t i = 0; i < d; i++) o[i] = (row[i] * inv) * weight[i];
  }
}
