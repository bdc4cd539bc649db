/* mlp/mlp.h — Llama's SwiGLU feed-forward: down(silu(gate x) * up x), with
 * gate and up stacked into one matrix so one matmul reads both. */
#ifndef PIO_LLAMA3_1_MLP_H
#define PIO_LLAMA3_1_MLP_H

#include <stdint.h>

#include "pio/kernels.h"

typedef struct llama_mlp_weights {
  pio_matrix gate_up; /* [2 * d_ff][d]: gate rows, then up rows */
  pio_matrix down;    /* [d][d_ff] */
} llama_mlp_weights;

/* out[n][d] = down(silu(gate x) * up x) for x[n][d].  scratch holds
 * [n][2 * d_ff] floats. */
void llama_mlp(pio_threadpool *pool, pio_kernel_path path, const llama_mlp_weights *w,
               const float *x, uint32_t n, float *scratch, float *out);

#endif
