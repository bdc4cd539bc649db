/* fused_layers/fused.h — RMSNorm fused with the residual add before it: one
 * pass adds the sublayer's output into the residual stream and sums the
 * squares, a second writes the normalised rows the next matmul reads. */
#ifndef PIO_LLAMA3_1_FUSED_H
#define PIO_LLAMA3_1_FUSED_H

#include <stdint.h>

/* x[n][d] += delta[n][d] (skipped when delta is NULL), then
 * out[n][d] = x / sqrt(mean(x^2) + eps) * weight[d], row by row, as
 * Transformers' LlamaRMSNorm computes it in float32. */
void llama_residual_rmsnorm(float *x, const float *delta, const float *weight, uint32_t n,
                            uint32_t d, float eps, float *out);

#endif
