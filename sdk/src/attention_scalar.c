/* sdk/src/attention_scalar.c — the reference inner kernels of the tiled
 * attention: plain C that every CPU runs and the AVX-512 ones are tested
 * against.  Four partial sums in the dot product keep it from being
 * needlessly slow where it is the only path. */
#include <math.h>

#include "attention_internal.h"

static float dot(const float *a, const float *b, uint32_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

static void scalar_scores(const float *q, size_t q_stride, const float *packed, uint32_t rows,
                          const float *k, size_t k_stride, uint32_t n_keys, uint32_t dim,
                          float *s, size_t s_stride) {
  (void)packed;
  for (uint32_t j = 0; j < n_keys; j++)
    for (uint32_t r = 0; r < rows; r++)
      s[j * s_stride + r] = dot(q + r * q_stride, k + j * k_stride, dim);
}

static void scalar_softmax(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m,
                           float *l, float *alpha) {
  for (uint32_t r = 0; r < rows; r++) {
    float *col = s + r; /* col[j * s_stride]: row r's logit of key j */
    float max = m[r];
    for (uint32_t j = 0; j < n_keys; j++)
      max = col[j * s_stride] > max ? col[j * s_stride] : max;
    if (max == -INFINITY) {
      for (uint32_t j = 0; j < n_keys; j++) col[j * s_stride] = 0.0f;
      alpha[r] = 1.0f;
      continue;
    }
    float sum = 0.0f;
    for (uint32_t j = 0; j < n_keys; j++) {
      col[j * s_stride] = expf(col[j * s_stride] - max);
      sum += col[j * s_stride];
    }
    alpha[r] = expf(m[r] - max);
    l[r] = l[r] * alpha[r] + sum;
    m[r] = max;
  }
}

static void scalar_accumulate(const float *p, size_t p_stride, uint32_t rows, const float *v,
                              size_t v_stride, uint32_t n_keys, uint32_t dim,
                              const float *alpha, float *o, size_t o_stride) {
  for (uint32_t r = 0; r < rows; r++) {
    float *out = o + r * o_stride;
    for (uint32_t c = 0; c < dim; c++) out[c] *= alpha[r];
    for (uint32_t j = 0; j < n_keys; j++) {
      const float w = p[j * p_stride + r];
      const float *value = v + j * v_stride;
      for (uint32_t c = 0; c < dim; c++) out[c] += w * value[c];
    }
  }
}

const pio_attn_ops pio_attn_scalar_ops = {
    .pack_queries = NULL,
    .scores = scalar_scores,
    .softmax = scalar_softmax,
    .accumulate = scalar_accumulate,
};
