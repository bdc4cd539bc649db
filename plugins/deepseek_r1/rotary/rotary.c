/* rotary/rotary.c — DeepSeek's RoPE settings handed to the SDK's RoPE
 * (pio/rope.h): which type and layout, over which dimensions. */
#include <math.h>

#include "rotary/rotary.h"

pio_status deepseek_rotary_init(pio_rope *rope, const pio_model_config *c,
                                uint32_t max_positions, pio_error *err) {
  const deepseek_yarn *y = &c->rope_scaling;
  pio_rope_params p = {
      .type = y->enabled ? PIO_ROPE_YARN : PIO_ROPE_DEFAULT,
      .layout = c->rope_interleave ? PIO_ROPE_INTERLEAVED : PIO_ROPE_HALF_SPLIT,
      .rotary_dim = c->qk_rope_head_dim,
      .theta = c->rope_theta,
  };
  if (y->enabled) {
    p.factor = y->factor;
    p.original_max_position = y->original_max_position;
    p.beta_fast = y->beta_fast;
    p.beta_slow = y->beta_slow;
    p.mscale = y->mscale;
    p.mscale_all_dim = y->mscale_all_dim;
  }
  pio_status s = pio_rope_init(rope, &p, max_positions, err);
  if (s != PIO_OK) return pio_error_prefix(err, "%s", c->path);
  return PIO_OK;
}

float deepseek_softmax_scale(const pio_model_config *c) {
  double scale = 1.0 / sqrt((double)c->qk_nope_head_dim + c->qk_rope_head_dim);
  if (c->rope_scaling.enabled && c->rope_scaling.mscale_all_dim != 0.0) {
    const double m = pio_rope_yarn_mscale(c->rope_scaling.factor, c->rope_scaling.mscale_all_dim);
    scale *= m * m;
  }
  return (float)scale;
}
