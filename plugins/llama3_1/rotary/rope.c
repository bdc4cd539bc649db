/* rotary/rope.c — RoPE tables and their application.  The inverse
 * frequencies follow Transformers' _compute_default_rope_parameters and
 * _compute_llama3_parameters in float32; each angle is the float32 product
 * position x inv_freq, as Transformers forms it, and its cosine and sine are
 * taken in double and rounded once. */
#include <math.h>
#include <stdlib.h>

#include "rotary/rope.h"

/* 2 pi as Python's math.pi gives it, narrowed as PyTorch narrows a Python
 * scalar combined with a float32 tensor. */
static const float two_pi = (float)(2.0 * 3.14159265358979323846);

void llama_rope_inv_freq(const pio_model_config *c, float *inv_freq) {
  const uint32_t half = c->head_dim / 2;
  const float base = (float)c->rope_theta;
  for (uint32_t i = 0; i < half; i++) {
    float exponent = (float)(2 * i) / (float)c->head_dim;
    inv_freq[i] = 1.0f / powf(base, exponent);
  }
  const llama_rope_scaling *s = &c->rope_scaling;
  if (!s->enabled) return;
  const float factor = (float)s->factor;
  const float low = (float)s->low_freq_factor, high = (float)s->high_freq_factor;
  const float old_len = (float)s->original_max_position;
  /* Python floats, narrowed when compared with a float32 tensor. */
  const float low_freq_wavelen = (float)((double)s->original_max_position / s->low_freq_factor);
  const float high_freq_wavelen = (float)((double)s->original_max_position / s->high_freq_factor);
  for (uint32_t i = 0; i < half; i++) {
    const float wavelen = two_pi / inv_freq[i];
    /* Long wavelengths (low frequencies) are slowed by factor, short ones
     * kept, and those between blended smoothly. */
    float scaled = wavelen > low_freq_wavelen ? inv_freq[i] / factor : inv_freq[i];
    const int medium = !(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen);
    if (medium) {
      const float smooth = (old_len / wavelen - low) / (high - low);
      scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
    }
    inv_freq[i] = scaled;
  }
}

pio_status llama_rope_init(llama_rope *rope, const pio_model_config *config,
                           uint32_t max_context, pio_error *err) {
  rope->half = config->head_dim / 2;
  rope->max_context = max_context;
  const size_t n = (size_t)max_context * rope->half;
  rope->cos = malloc(n * sizeof *rope->cos);
  rope->sin = malloc(n * sizeof *rope->sin);
  float *inv_freq = malloc(rope->half * sizeof *inv_freq);
  if (rope->cos == NULL || rope->sin == NULL || inv_freq == NULL) {
    free(inv_freq);
    llama_rope_free(rope);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "rotary tables for %u positions: out of "
                         "memory", max_context);
  }
  llama_rope_inv_freq(config, inv_freq);
  for (uint32_t p = 0; p < max_context; p++) {
    for (uint32_t i = 0; i < rope->half; i++) {
      const float angle = (float)p * inv_freq[i];
      rope->cos[(size_t)p * rope->half + i] = (float)cos((double)angle);
      rope->sin[(size_t)p * rope->half + i] = (float)sin((double)angle);
    }
  }
  free(inv_freq);
  return PIO_OK;
}

void llama_rope_free(llama_rope *rope) {
  free(rope->cos);
  free(rope->sin);
  rope->cos = rope->sin = NULL;
}

void llama_rope_apply(const llama_rope *rope, float *vec, uint32_t n_heads, uint32_t pos) {
  const uint32_t half = rope->half;
  const float *c = rope->cos + (size_t)pos * half;
  const float *s = rope->sin + (size_t)pos * half;
  for (uint32_t h = 0; h < n_heads; h++) {
    float *x = vec + (size_t)h * 2 * half; /* x[2 * half]: pairs (i, i + half) */
    for (uint32_t i = 0; i < half; i++) {
      const float x1 = x[i], x2 = x[i + half];
      x[i] = x1 * c[i] - x2 * s[i];
      x[i + half] = x2 * c[i] + x1 * s[i];
    }
  }
}
