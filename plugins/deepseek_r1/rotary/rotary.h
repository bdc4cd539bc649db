/* rotary/rotary.h — DeepSeek's decoupled RoPE: the qk_rope_head_dim
 * dimensions of each query head and the one shared key, rotated as the
 * config says (YaRN in DeepSeek-V3, or no scaling), in the interleaved pair
 * layout of DeepSeek's checkpoints unless rope_interleave is false; and the
 * softmax scale YaRN's mscale_all_dim changes. */
#ifndef PIO_DEEPSEEK_R1_ROTARY_H
#define PIO_DEEPSEEK_R1_ROTARY_H

#include <stdint.h>

#include "config/deepseek_config.h"
#include "pio/rope.h"

/* The SDK's RoPE tables for positions [0, max_positions) of config.
 * Errors name config.json and the rope_scaling field. */
pio_status deepseek_rotary_init(pio_rope *rope, const pio_model_config *config,
                                uint32_t max_positions, pio_error *err);

/* The attention logits' scale, as Transformers' DeepseekV3Attention forms
 * it: 1/sqrt(qk_nope_head_dim + qk_rope_head_dim), times
 * yarn_get_mscale(factor, mscale_all_dim)^2 when YaRN sets mscale_all_dim. */
float deepseek_softmax_scale(const pio_model_config *config);

#endif
