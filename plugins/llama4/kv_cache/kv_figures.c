/* kv_cache/kv_figures.c — how many bytes a Llama 4 KV cache takes per
 * token and per page IO, as one rank of a tp x pp deployment holds it: K
 * and V of every KV head on every layer, a chunked layer keeping only the
 * tokens of its current chunk and a NoPE layer everything.  kvbench has no
 * Llama 4 model. */
#include "kv_cache/kv_figures.h"
#include "config/llama4_config.h"
#include "pio/kv.h"

static const char kv_layout[] = "K,V[layers][tokens][kv_heads][head_dim]";

static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q, pio_kv_figures *f,
                              pio_error *err) {
  return pio_kv_gqa_pattern_fill(q, &c->kv, c->d.n_heads, c->d.n_kv_heads, c->d.head_dim, 0,
                                 c->attention_chunk_size, kv_layout, f, err);
}

static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *f, pio_error *err) {
  (void)q;
  (void)f;
  return pio_kv_kvbench_refuse(c->architecture, err);
}

pio_status llama4_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                             pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->d.n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
