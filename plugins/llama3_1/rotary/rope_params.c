/* rotary/rope_params.c — the config's rope fields as pio_rope_params. */
#include "rotary/rope_params.h"

pio_rope_params llama_rope_params(const pio_model_config *c) { return c->rope; }
