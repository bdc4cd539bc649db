/* sdk/src/mlp.c — the SwiGLU block: the stacked gate/up matmul leaves each
 * token's row as [gate | up]; after silu(gate) * up the d_ff products are
 * packed to the front so down's input is a plain [n][d_ff] matrix. */
#include <string.h>

#include "pio/mlp.h"

void pio_swiglu_pack(float *gu, size_t n, size_t d_ff) {
  for (size_t t = 0; t < n; t++) {
    float *gate = gu + t * 2 * d_ff;
    pio_silu_mul(gate, gate + d_ff, d_ff);
    /* Row t moves to [t * d_ff, (t + 1) * d_ff): only rows before t, already
     * consumed, lie there, so packing in order never overwrites unread data. */
    if (t > 0) memmove(gu + t * d_ff, gate, d_ff * sizeof *gate);
  }
}

size_t pio_swiglu_scratch_floats(const pio_swiglu_weights *w, size_t n) {
  return n * (size_t)w->gate_up.rows;
}

void pio_swiglu(pio_threadpool *pool, pio_kernel_path path, const pio_swiglu_weights *w,
                const float *x, size_t n, float *scratch, float *out) {
  const size_t d_ff = w->down.cols;
  pio_matmul(pool, path, &w->gate_up, x, n, scratch); /* scratch[n][2 * d_ff] */
  pio_swiglu_pack(scratch, n, d_ff);                  /* scratch[n][d_ff] */
  pio_matmul(pool, path, &w->down, scratch, n, out);  /* out[n][d] */
}
