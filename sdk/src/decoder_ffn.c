/* sdk/src/decoder_ffn.c — a pio_decoder's gated MLP, a dense layer's or
 * one expert's: gate and up in one matmul (and their biases), the gate's
 * activation times up (SwiGLU; Gemma's GeGLU; GPT-OSS's clamped SwiGLU),
 * then down (and its bias).  Shapes: n tokens, d = d_model, f = d_ff. */
#include <math.h>

#include "decoder_internal.h"

/* rows[n][dim] (row stride stride) += bias[dim] */
static void add_rows(float *rows, size_t stride, const float *bias, uint32_t n, size_t dim) {
  for (uint32_t t = 0; t < n; t++)
    for (size_t i = 0; i < dim; i++) rows[t * stride + i] += bias[i];
}

/* gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
static float gelu_tanh(float x) {
  const float k = 0.7978845608028654f; /* sqrt(2 / pi) */
  return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

/* GPT-OSS: (clamp(up) + 1) * g * sigmoid(alpha g), g = min(gate, limit). */
static float swiglu_clamped(float gate, float up, float limit, float alpha) {
  const float g = gate < limit ? gate : limit;
  const float u = up < -limit ? -limit : up > limit ? limit : up;
  return (u + 1.0f) * g / (1.0f + expf(-alpha * g));
}

/* In place on hidden[n][gate f | up f]: the first f of each row become
 * act(gate) * up (the down projection reads them at row stride 2 f). */
static void gate_rows(const pio_decoder_spec *sp, float *hidden, uint32_t n, size_t f) {
  for (uint32_t t = 0; t < n; t++) {
    float *g = hidden + (size_t)t * 2 * f, *u = g + f;
    if (sp->activation == PIO_DECODER_GELU_TANH)
      for (size_t i = 0; i < f; i++) g[i] = gelu_tanh(g[i]) * u[i];
    else
      for (size_t i = 0; i < f; i++)
        g[i] = swiglu_clamped(g[i], u[i], sp->swiglu_limit, sp->swiglu_alpha);
  }
}

void decoder_ffn_run(pio_decoder *d, const decoder_ffn *f, const float *x, uint32_t n,
                     pio_kernel_path path, float *hidden, float *out) {
  const pio_decoder_spec *sp = &d->spec;
  if (sp->activation == PIO_DECODER_SILU && f->gate_up_bias == NULL && f->down_bias == NULL) {
    pio_swiglu(d->pool, path, &f->w, x, n, hidden, out);
    return;
  }
  const size_t d_ff = f->w.down.cols, dm = f->w.down.rows;
  pio_matmul(d->pool, path, &f->w.gate_up, x, n, hidden); /* hidden[n][gate f | up f] */
  if (f->gate_up_bias != NULL) add_rows(hidden, 2 * d_ff, f->gate_up_bias, n, 2 * d_ff);
  if (sp->activation == PIO_DECODER_SILU)
    pio_swiglu_pack(hidden, n, d_ff); /* hidden[n][f] */
  else
    gate_rows(sp, hidden, n, d_ff);
  const size_t stride = sp->activation == PIO_DECODER_SILU ? d_ff : 2 * d_ff;
  pio_matmul_strided(d->pool, path, &f->w.down, hidden, stride, n, out); /* out[n][d] */
  if (f->down_bias != NULL) add_rows(out, dm, f->down_bias, n, dm);
}
