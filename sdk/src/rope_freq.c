/* sdk/src/rope_freq.c — checking RoPE parameters and computing their
 * inverse frequencies.  Each follows transformers' _compute_*_parameters
 * in float32, operation by operation: Python floats combined with a
 * float32 tensor are narrowed to float32 first, as PyTorch narrows a
 * scalar, the correction range of YaRN is Python (double) arithmetic, and
 * only pow is correctly rounded where PyTorch's may be 1 ulp off.
 * Matching the rounding keeps angles equal to transformers' at positions
 * where a last-bit difference in inv_freq would have grown to a visible
 * one. */
#include <math.h>

#include "pio/rope.h"

/* 2 pi as Python's math.pi gives it. */
static const double two_pi = 2.0 * 3.14159265358979323846;

/* base^exponent of float32 operands, correctly rounded (pow in double,
 * rounded once).  PyTorch's float32 pow is SLEEF's, within 1 ulp of this
 * and equal to it for ~98.5% of the exponents RoPE uses; no libm's powf
 * is needed to be as good. */
static float pow_f32(float base, float exponent) {
  return (float)pow((double)base, (double)exponent);
}

static pio_status need_positive(double v, const char *field, pio_error *err) {
  if (!(v > 0) || !isfinite(v))
    return pio_error_set(err, PIO_ERR_INVALID, "%s must be a finite number > 0, found %g", field,
                         v);
  return PIO_OK;
}

static pio_status need_optional(double v, const char *field, pio_error *err) {
  if (!(v >= 0) || !isfinite(v))
    return pio_error_set(err, PIO_ERR_INVALID, "%s must be a finite number > 0 when given, "
                         "found %g", field, v);
  return PIO_OK;
}

static pio_status check_llama3(const pio_rope_params *p, pio_error *err) {
  pio_status s;
  if ((s = need_positive(p->low_freq_factor, "rope_scaling.low_freq_factor", err)) ||
      (s = need_positive(p->high_freq_factor, "rope_scaling.high_freq_factor", err)))
    return s;
  /* Equal factors leave no band between kept and slowed (Llama 4 Scout
   * publishes 1 and 1). */
  if (!(p->high_freq_factor >= p->low_freq_factor))
    return pio_error_set(err, PIO_ERR_INVALID, "rope_scaling.high_freq_factor must be at least "
                         "low_freq_factor (%g), found %g", p->low_freq_factor,
                         p->high_freq_factor);
  return PIO_OK;
}

static pio_status check_yarn(const pio_rope_params *p, pio_error *err) {
  pio_status s;
  if ((s = need_optional(p->beta_fast, "rope_scaling.beta_fast", err)) ||
      (s = need_optional(p->beta_slow, "rope_scaling.beta_slow", err)) ||
      (s = need_optional(p->mscale, "rope_scaling.mscale", err)) ||
      (s = need_optional(p->mscale_all_dim, "rope_scaling.mscale_all_dim", err)) ||
      (s = need_optional(p->attention_factor, "rope_scaling.attention_factor", err)))
    return s;
  return PIO_OK;
}

pio_status pio_rope_params_check(const pio_rope_params *p, pio_error *err) {
  if (p == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "rope: params are NULL");
  if (p->rotary_dim < 2 || p->rotary_dim % 2 != 0 || p->rotary_dim > PIO_ROPE_MAX_DIM)
    return pio_error_set(err, PIO_ERR_INVALID, "rotary dimension must be even, 2 to %u, found "
                         "%u", PIO_ROPE_MAX_DIM, p->rotary_dim);
  if (p->layout != PIO_ROPE_HALF_SPLIT && p->layout != PIO_ROPE_INTERLEAVED)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "rope: unknown layout %d",
                         (int)p->layout);
  pio_status s = need_positive(p->theta, "rope_theta", err);
  if (s != PIO_OK || p->type == PIO_ROPE_DEFAULT) return s;
  if (p->type != PIO_ROPE_LINEAR && p->type != PIO_ROPE_LLAMA3 && p->type != PIO_ROPE_YARN)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "rope: unknown type %d", (int)p->type);
  if ((s = need_positive(p->factor, "rope_scaling.factor", err)) != PIO_OK) return s;
  if (p->type == PIO_ROPE_LINEAR) return PIO_OK;
  if (p->original_max_position == 0)
    return pio_error_set(err, PIO_ERR_INVALID, "rope_scaling.original_max_position_embeddings "
                         "must be >= 1, found 0");
  return p->type == PIO_ROPE_LLAMA3 ? check_llama3(p, err) : check_yarn(p, err);
}

/* inv_freq[i] = 1 / theta^(2i / dim): _compute_default_rope_parameters. */
static void default_inv_freq(const pio_rope_params *p, float *inv_freq) {
  const float base = (float)p->theta, dim = (float)p->rotary_dim;
  for (uint32_t i = 0; i < p->rotary_dim / 2; i++)
    inv_freq[i] = 1.0f / pow_f32(base, (float)(2 * i) / dim);
}

/* _compute_llama3_parameters: long wavelengths (low frequencies) slowed by
 * factor, short ones kept, those between blended smoothly. */
static void llama3_inv_freq(const pio_rope_params *p, float *inv_freq) {
  const float factor = (float)p->factor;
  const float low = (float)p->low_freq_factor, high = (float)p->high_freq_factor;
  const float old_len = (float)p->original_max_position;
  const float low_freq_wavelen = (float)((double)p->original_max_position / p->low_freq_factor);
  const float high_freq_wavelen =
      (float)((double)p->original_max_position / p->high_freq_factor);
  for (uint32_t i = 0; i < p->rotary_dim / 2; i++) {
    const float wavelen = (float)two_pi / inv_freq[i];
    float scaled = wavelen > low_freq_wavelen ? inv_freq[i] / factor : inv_freq[i];
    const int medium = !(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen);
    if (medium && high > low) {
      const float smooth = (old_len / wavelen - low) / (high - low);
      scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
    }
    inv_freq[i] = scaled;
  }
}

/* find_correction_dim: the dimension whose wavelength turns num_rotations
 * times over the original context. */
static double correction_dim(double num_rotations, const pio_rope_params *p) {
  return (p->rotary_dim * log(p->original_max_position / (num_rotations * two_pi))) /
         (2 * log(p->theta));
}

/* _compute_yarn_parameters: extrapolated (unscaled) frequencies above the
 * correction range, interpolated (divided by factor) below it, a linear
 * ramp between. */
static void yarn_inv_freq(const pio_rope_params *p, float *inv_freq) {
  const double beta_fast = p->beta_fast > 0 ? p->beta_fast : 32;
  const double beta_slow = p->beta_slow > 0 ? p->beta_slow : 1;
  double low = correction_dim(beta_fast, p), high = correction_dim(beta_slow, p);
  if (!p->yarn_no_truncate) {
    low = floor(low);
    high = ceil(high);
  }
  low = low > 0 ? low : 0;
  high = high < p->rotary_dim - 1 ? high : p->rotary_dim - 1;
  if (low == high) high += 0.001; /* transformers' guard against a zero-width ramp */
  const float ramp_min = (float)low, ramp_width = (float)(high - low);
  const float base = (float)p->theta, dim = (float)p->rotary_dim, factor = (float)p->factor;
  for (uint32_t i = 0; i < p->rotary_dim / 2; i++) {
    const float pos_freq = pow_f32(base, (float)(2 * i) / dim);
    const float extrapolation = 1.0f / pos_freq;
    const float interpolation = 1.0f / (factor * pos_freq);
    float ramp = ((float)i - ramp_min) / ramp_width;
    ramp = ramp < 0.0f ? 0.0f : ramp > 1.0f ? 1.0f : ramp;
    const float extrapolation_factor = 1.0f - ramp;
    inv_freq[i] = interpolation * (1.0f - extrapolation_factor) +
                  extrapolation * extrapolation_factor;
  }
}

double pio_rope_yarn_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * log(scale) + 1.0;
}

static double yarn_attention_factor(const pio_rope_params *p) {
  if (p->attention_factor > 0) return p->attention_factor;
  if (p->mscale > 0 && p->mscale_all_dim > 0)
    return pio_rope_yarn_mscale(p->factor, p->mscale) /
           pio_rope_yarn_mscale(p->factor, p->mscale_all_dim);
  return pio_rope_yarn_mscale(p->factor, 1.0);
}

void pio_rope_inv_freq(const pio_rope_params *p, float *inv_freq, double *attention_factor) {
  double attention = 1.0;
  switch (p->type) {
    case PIO_ROPE_LINEAR:
      default_inv_freq(p, inv_freq);
      for (uint32_t i = 0; i < p->rotary_dim / 2; i++) inv_freq[i] /= (float)p->factor;
      break;
    case PIO_ROPE_LLAMA3:
      default_inv_freq(p, inv_freq);
      llama3_inv_freq(p, inv_freq);
      break;
    case PIO_ROPE_YARN:
      yarn_inv_freq(p, inv_freq);
      attention = yarn_attention_factor(p);
      break;
    default: default_inv_freq(p, inv_freq); break;
  }
  if (attention_factor != NULL) *attention_factor = attention;
}
