/* mlp/mlp.c — SwiGLU.  The stacked gate/up matmul leaves each token's row
 * as [gate | up]; after silu(gate) * up the d_ff products are packed to the
 * front so down's input is a plain [n][d_ff] matrix. */
#include <string.h>

#include "mlp/mlp.h"

void llama_mlp(pio_threadpool *pool, pio_kernel_path path, const llama_mlp_weights *w,
               const float *x, uint32_t n, float *scratch, float *out) {
  const size_t d_ff = w->down.cols;
  pio_matmul(pool, path, &w->gate_up, x, n, scratch); /* scratch[n][2 * d_ff] */
  for (uint32_t t = 0; t < n; t++) {
    float *gate = scratch + (size_t)t * 2 * d_ff;
    pio_silu_mul(gate, gate + d_ff, d_ff);
    /* Row t moves to [t * d_ff, (t + 1) * d_ff): only rows before t, already
     * consumed, lie there, so packing in order never overwrites unread data. */
    if (t > 0) memmove(scratch + (size_t)t * d_ff, gate, d_ff * sizeof *gate);
  }
  pio_matmul(pool, path, &w->down, scratch, n, out); /* out[n][d] */
}
