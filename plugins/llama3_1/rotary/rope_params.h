/* rotary/rope_params.h — Llama's RoPE as the SDK's parameters: the whole
 * head rotated in rotate_half pairs, rope_theta, and the frequency scaling
 * rope_scaling names, llama3 for Llama 3.1 (read by the SDK's
 * pio_hf_config_read_rope; pio/rope.h computes and applies it). */
#ifndef PIO_LLAMA3_1_ROPE_PARAMS_H
#define PIO_LLAMA3_1_ROPE_PARAMS_H

#include "config/llama_config.h"
#include "pio/rope.h"

pio_rope_params llama_rope_params(const pio_model_config *config);

#endif
