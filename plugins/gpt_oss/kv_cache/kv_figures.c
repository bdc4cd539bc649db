/* kv_cache/kv_figures.c — how many bytes a GPT-OSS KV cache takes per
 * token and per page IO, as one rank of a tp x pp deployment holds it: K
 * and V of every KV head on every layer, a sliding layer keeping only its
 * window (128 tokens) and a full one everything.  The sinks are weights,
 * not cache.  kvbench's gpt_oss model file is kept beside it: it counts
 * every layer as full. */
#include "kv_cache/kv_figures.h"
#include "config/gpt_oss_config.h"
#include "pio/kv.h"

static const char kv_layout[] = "K,V[layers][tokens][kv_heads][head_dim]";

static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q, pio_kv_figures *f,
                              pio_error *err) {
  return pio_kv_gqa_pattern_fill(q, &c->kv, c->d.n_heads, c->d.n_kv_heads, c->d.head_dim,
                                 c->sliding_window, 0, kv_layout, f, err);
}

/* kvbench (ai-dynamo/nixl benchmark/kvbench/models/gpt_oss.py):
 * every layer full, whatever its window (pio/kv.h pio_kv_kvbench_gqa). */
static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *f, pio_error *err) {
  return pio_kv_kvbench_gqa(q, c->d.n_layers, c->d.n_kv_heads, c->d.head_dim, kv_layout, f, err);
}

pio_status gpt_oss_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                              pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->d.n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
