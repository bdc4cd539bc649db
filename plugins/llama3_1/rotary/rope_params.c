/* rotary/rope_params.c — the config's rope fields as pio_rope_params. */
#include "rotary/rope_params.h"

pio_rope_params llama_rope_params(const pio_model_config *c) {
  const llama_rope_scaling *s = &c->rope_scaling;
  pio_rope_params p = {.type = s->enabled ? PIO_ROPE_LLAMA3 : PIO_ROPE_DEFAULT,
                       .layout = PIO_ROPE_HALF_SPLIT,
                       .rotary_dim = c->head_dim,
                       .theta = c->rope_theta,
                       .factor = s->factor,
                       .low_freq_factor = s->low_freq_factor,
                       .high_freq_factor = s->high_freq_factor,
                       .original_max_position = s->original_max_position};
  return p;
}
