/* kv_cache/kv_figures.c — how many bytes a Llama KV cache takes per token
 * and per page IO, as one rank of a tp x pp deployment holds it.
 *
 * A token's cache is, per layer, one key and one value vector for every KV
 * head: layers x kv_heads x head_dim x 2 x dtype bytes.  Tensor parallelism
 * splits the KV heads across ranks; when there are more ranks than KV heads
 * each rank keeps one head and the heads are replicated (as vLLM and
 * TensorRT-LLM do).  Pipeline parallelism gives each stage at most
 * ceil(layers / pp) layers; the largest stage sizes every rank.  kvbench's
 * formula is kept beside it, with its float division and truncation, so
 * users can compare the two tools figure for figure. */
#include <math.h>

#include "config/llama_config.h"
#include "kv_cache/kv_figures.h"
#include "pio/kv.h"

static const char kv_layout[] = "K,V[layers][tokens][kv_heads][head_dim]";

/* Real sharding, through the rules every plugin shares (pio/kv.h): pipeline
 * stages of ceil(layers / pp) layers, KV heads split or replicated, every
 * layer full attention. */
static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q,
                              pio_kv_figures *f, pio_error *err) {
  const pio_kv_class_spec full = {.kind = PIO_KV_LAYER_FULL, .n_heads = c->n_heads,
                                  .n_kv_heads = c->n_kv_heads, .k_head_dim = c->head_dim,
                                  .v_head_dim = c->head_dim};
  return pio_kv_classes_fill(q, c->n_layers, NULL, &full, 1, kv_layout, f, err);
}

/* kvbench (ai-dynamo/nixl benchmark/kvbench/models/llama3_1.py): its KV
 * size per token in Python floats, truncated by int(); the number of
 * queries per group is what kvbench's model file states, for a config.json
 * heads / kv_heads.  The rest is kvbench's common arithmetic (pio/kv.h). */
static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *f, pio_error *err) {
  uint32_t precision = 0;
  pio_status s = pio_kv_kvbench_precision_bytes(q->kv_dtype, &precision, err);
  if (s != PIO_OK) return s;
  const double queries_per_group = (double)(c->n_heads / c->n_kv_heads);
  const double per_token = trunc((double)c->n_layers * ((double)c->n_heads / queries_per_group) *
                                 (double)c->head_dim * 2.0 * (double)precision * 1.0);
  return pio_kv_kvbench_fill(q, c->n_layers, per_token, kv_layout, f, err);
}

pio_status llama_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                            pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
