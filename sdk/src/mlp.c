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

typedef struct silu_rows {
  float *gu; /* gu[n][gate | up] */
  size_t n, d_ff;
} silu_rows;

static void silu_rows_run(void *ctx, uint32_t i, uint32_t n_threads) {
  const silu_rows *s = ctx;
  for (size_t t = s->n * i / n_threads; t < s->n * (i + 1) / n_threads; t++)
    pio_silu_mul(s->gu + t * 2 * s->d_ff, s->gu + t * 2 * s->d_ff + s->d_ff, s->d_ff);
}

void pio_swiglu(pio_threadpool *pool, pio_kernel_path path, const pio_swiglu_weights *w,
                const float *x, size_t n, float *scratch, float *out) {
  const size_t d_ff = w->down.cols;
  pio_matmul(pool, path, &w->gate_up, x, n, scratch); /* scratch[n][2 * d_ff] */
  /* silu(gate) * up over the gate half, by all threads for a prompt, and
   * down reads that half in place: no pass packing the rows together. */
  silu_rows s = {.gu = scratch, .n = n, .d_ff = d_ff};
  pio_threadpool_run(n > 1 ? pool : NULL, silu_rows_run, &s);
  pio_matmul_strided(pool, path, &w->down, scratch, 2 * d_ff, n, out); /* out[n][d] */
}
