/* sdk/src/rope.c — RoPE cosine and sine tables, and rotating heads with
 * them.  The rotation is a few multiply-adds per dimension against a
 * matmul's thousands, so it has only this scalar form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/rope.h"

pio_status pio_rope_init(pio_rope *rope, const pio_rope_params *params, uint32_t max_positions,
                         pio_error *err) {
  memset(rope, 0, sizeof *rope);
  pio_status s = pio_rope_params_check(params, err);
  if (s != PIO_OK) return s;
  if (max_positions == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "rope: tables for 0 positions");
  const uint32_t half = params->rotary_dim / 2;
  const size_t n = (size_t)max_positions * half;
  float *inv_freq = malloc(half * sizeof *inv_freq);
  float *cos_table = malloc(n * sizeof *cos_table), *sin_table = malloc(n * sizeof *sin_table);
  if (inv_freq == NULL || cos_table == NULL || sin_table == NULL) {
    free(inv_freq);
    free(cos_table);
    free(sin_table);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "rotary tables for %u positions of %u "
                         "dimensions: out of memory", max_positions, params->rotary_dim);
  }
  double attention = 1.0;
  pio_rope_inv_freq(params, inv_freq, &attention);
  const float factor = (float)attention;
  for (uint32_t p = 0; p < max_positions; p++) {
    for (uint32_t i = 0; i < half; i++) {
      /* The angle as transformers forms it (inv_freq @ position_ids in
       * float32), its cosine and sine rounded once. */
      const double angle = (double)((float)p * inv_freq[i]);
      cos_table[(size_t)p * half + i] = (float)cos(angle) * factor;
      sin_table[(size_t)p * half + i] = (float)sin(angle) * factor;
    }
  }
  free(inv_freq);
  rope->params = *params;
  rope->half = half;
  rope->max_positions = max_positions;
  rope->attention_factor = factor;
  rope->cos = cos_table;
  rope->sin = sin_table;
  return PIO_OK;
}

void pio_rope_free(pio_rope *rope) {
  if (rope == NULL) return;
  free(rope->cos);
  free(rope->sin);
  rope->cos = rope->sin = NULL;
}

/* x[2 half]: pairs (i, i + half), transformers' q * cos + rotate_half(q) * sin. */
static void rotate_half_split(float *x, const float *c, const float *s, uint32_t half) {
  for (uint32_t i = 0; i < half; i++) {
    const float x1 = x[i], x2 = x[i + half];
    x[i] = x1 * c[i] - x2 * s[i];
    x[i + half] = x2 * c[i] + x1 * s[i];
  }
}

/* x[2 half]: pairs (2i, 2i + 1). */
static void rotate_interleaved(float *x, const float *c, const float *s, uint32_t half) {
  for (uint32_t i = 0; i < half; i++) {
    const float x1 = x[2 * i], x2 = x[2 * i + 1];
    x[2 * i] = x1 * c[i] - x2 * s[i];
    x[2 * i + 1] = x2 * c[i] + x1 * s[i];
  }
}

void pio_rope_apply(const pio_rope *rope, float *x, size_t n_tokens, size_t token_stride,
                    uint32_t n_heads, size_t head_stride, uint32_t first_pos) {
  const uint32_t half = rope->half;
  const int interleaved = rope->params.layout == PIO_ROPE_INTERLEAVED;
  for (size_t t = 0; t < n_tokens; t++) {
    const size_t pos = first_pos + t;
    const float *c = rope->cos + pos * half, *s = rope->sin + pos * half;
    float *token = x + t * token_stride;
    for (uint32_t h = 0; h < n_heads; h++) {
      if (interleaved)
        rotate_interleaved(token + h * head_stride, c, s, half);
      else
        rotate_half_split(token + h * head_stride, c, s, half);
    }
  }
}
