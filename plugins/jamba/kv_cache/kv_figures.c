/* kv_cache/kv_figures.c — how many bytes a Jamba cache takes, as one rank
 * of a tp x pp deployment holds it: K and V of every KV head on each
 * attention layer per token, and on each Mamba layer a state of fixed size
 * per sequence (the convolution's last inputs and the SSM state), split
 * across tensor-parallel ranks along d_inner.  kvbench has no Jamba model. */
#include "kv_cache/kv_figures.h"
#include "config/jamba_config.h"
#include "pio/kv.h"

static const char kv_layout[] =
    "K,V[attention layers][tokens][kv_heads][head_dim]; "
    "conv[mamba layers][d_conv-1][d_inner], ssm[mamba layers][d_inner][d_state]";

static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q, pio_kv_figures *f,
                              pio_error *err) {
  pio_kv_class_spec by_kind[PIO_KV_MAX_CLASSES];
  pio_kv_gqa_by_kind(c->d.n_heads, c->d.n_kv_heads, c->d.head_dim, c->sliding_window, 0, by_kind);
  by_kind[PIO_KV_LAYER_STATE].state_numbers = jamba_config_state_numbers(c);
  by_kind[PIO_KV_LAYER_STATE].state_split = c->mamba.expand * c->d.hidden_size;
  return pio_kv_pattern_fill(q, &c->kv, by_kind, kv_layout, f, err);
}

static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *f, pio_error *err) {
  (void)c;
  (void)q;
  (void)f;
  return pio_kv_kvbench_refuse(JAMBA_ARCHITECTURE, err);
}

pio_status jamba_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                            pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->d.n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
