/* pio/mlp.h — the gated feed-forward block of Llama-like models (SwiGLU):
 * down(silu(gate x) * up x), with gate and up stacked in one matrix so one
 * matmul reads both, and the same activation on its own for callers that
 * run the matmuls themselves (MoE experts). */
#ifndef PIO_MLP_H
#define PIO_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "pio/kernels.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A SwiGLU block's weights (not owned). */
typedef struct pio_swiglu_weights {
  pio_matrix gate_up; /* [2 * d_ff][d]: the d_ff gate rows, then the d_ff up rows */
  pio_matrix down;    /* [d][d_ff] */
} pio_swiglu_weights;

/* In place on gu[n][2 * d_ff], each row [gate | up] as the stacked matmul
 * leaves it: row t's silu(gate) * up (silu(g) = g / (1 + exp(-g))) is
 * written to gu[t * d_ff .. (t + 1) * d_ff), so on return gu holds a
 * plain [n][d_ff] matrix, the down projection's input. */
void pio_swiglu_pack(float *gu, size_t n, size_t d_ff);

/* Floats of scratch pio_swiglu needs for n tokens: n * 2 * d_ff. */
size_t pio_swiglu_scratch_floats(const pio_swiglu_weights *w, size_t n);

/* out[n][d] = down(silu(gate x) * up x) for x[n][d], the matmuls on path
 * and pool.  scratch: pio_swiglu_scratch_floats floats, not overlapping x
 * or out. */
void pio_swiglu(pio_threadpool *pool, pio_kernel_path path, const pio_swiglu_weights *w,
                const float *x, size_t n, float *scratch, float *out);

#ifdef __cplusplus
}
#endif
#endif
