/* kv_cache/kv_figures.h — KV-cache sizing of a DeepSeek-V3 configuration
 * (multi-head latent attention): bytes per token, per rank under tensor and
 * pipeline parallelism, and the size of one page IO, by pio's rules or by
 * kvbench's arithmetic. */
#ifndef PIO_DEEPSEEK_R1_KV_FIGURES_H
#define PIO_DEEPSEEK_R1_KV_FIGURES_H

#include "pio/plugin.h"

/*
 * pio_kv_cache_api.figures.  MLA caches, per token and layer, the
 * compressed latent c_kv (kv_lora_rank numbers) and the decoupled RoPE key
 * (qk_rope_head_dim numbers), shared by all heads.
 *  - PIO_KV_FORMULA_PIO: tp must divide num_attention_heads (query heads are
 *    split); the latent cannot be split by head, so every tensor-parallel
 *    rank holds all of it (replication = tp).  Pipeline stages hold
 *    ceil(layers / pp) layers at most; pp may not exceed the layers.
 *  - PIO_KV_FORMULA_KVBENCH: kvbench's models/deepseek_r1.py reproduced
 *    (the latent divided by tp, ceil(layers / pp) per stage, floats
 *    truncated where kvbench truncates); fp32 is refused as kvbench does.
 * out->struct_size must be set by the caller (pio/kv.h).
 */
pio_status deepseek_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                               pio_kv_figures *out, pio_error *err);

#endif
