/* kv_cache/kv_figures.h — KV-cache sizing of a Llama configuration: bytes
 * per token, per rank under tensor and pipeline parallelism, and the size of
 * one page IO (pio's real sharding, or kvbench's arithmetic). */
#ifndef PIO_LLAMA3_1_KV_FIGURES_H
#define PIO_LLAMA3_1_KV_FIGURES_H

#include "pio/plugin.h"

/* pio_kv_cache_api.figures.  See docs/running-models.md and
 * docs/benchmarks.md for the rules; in short:
 *  - PIO_KV_FORMULA_PIO: tp must divide num_attention_heads, and either
 *    divide num_key_value_heads (each rank holds kv_heads / tp heads) or be
 *    a multiple of it (each rank holds one head, replicated tp / kv_heads
 *    times); a pipeline stage holds ceil(layers / pp) layers (pp <= layers).
 *  - PIO_KV_FORMULA_KVBENCH: kvbench's float arithmetic truncated where
 *    kvbench truncates; no divisibility is required, as in kvbench.
 * out->struct_size must be set by the caller; only what it covers is
 * written. */
pio_status llama_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                            pio_kv_figures *out, pio_error *err);

#endif
