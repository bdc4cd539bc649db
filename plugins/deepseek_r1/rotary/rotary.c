/* rotary/rotary.c — DeepSeek's RoPE: the config's parameters (read by the
 * SDK's reader, in the layout rope_interleave chose) handed to the SDK's
 * RoPE (pio/rope.h), and the softmax scale YaRN changes. */
#include <math.h>

#include "rotary/rotary.h"

pio_status deepseek_rotary_init(pio_rope *rope, const pio_model_config *c,
                                uint32_t max_positions, pio_error *err) {
  pio_status s = pio_rope_init(rope, &c->rope, max_positions, err);
  if (s != PIO_OK) return pio_error_prefix(err, "%s", c->path);
  return PIO_OK;
}

float deepseek_softmax_scale(const pio_model_config *c) {
  const pio_rope_params *p = &c->rope;
  double scale = 1.0 / sqrt((double)c->qk_nope_head_dim + c->qk_rope_head_dim);
  if (p->type == PIO_ROPE_YARN && p->mscale_all_dim != 0.0) {
    const double m = pio_rope_yarn_mscale(p->factor, p->mscale_all_dim);
    scale *= m * m;
  }
  return (float)scale;
}
