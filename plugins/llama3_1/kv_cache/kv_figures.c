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
 * stages of ceil(layers / pp) layers, KV heads split or replicated. */
static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q,
                              pio_kv_figures *f, pio_error *err) {
  uint32_t heads_per_rank = 0, replication = 0;
  pio_status s = pio_kv_gqa_shard(c->n_heads, c->n_kv_heads, q->tp, &heads_per_rank,
                                  &replication, err);
  if (s != PIO_OK) return s;
  /* Within the config limits (1024 x 1024 x 2 x 4) these cannot overflow. */
  const uint64_t head_bytes = (uint64_t)c->head_dim * 2 * pio_dtype_size(q->kv_dtype);
  return pio_kv_figures_fill(q, c->n_layers, c->n_kv_heads * head_bytes,
                             heads_per_rank * head_bytes, heads_per_rank, replication,
                             kv_layout, f, err);
}

/* kvbench (ai-dynamo/nixl benchmark/kvbench/models/llama3_1.py) computes in
 * Python floats and truncates with int() after each step; C doubles are the
 * same IEEE binary64, and trunc() is int() on a finite value.  The number
 * of queries per group is what kvbench's model file states; for a
 * config.json it is heads / kv_heads. */
static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *f, pio_error *err) {
  uint32_t precision = 0;
  pio_status s = pio_kv_kvbench_precision_bytes(q->kv_dtype, &precision, err);
  if (s != PIO_OK) return s;
  const double layers = c->n_layers;
  const double queries_per_group = (double)(c->n_heads / c->n_kv_heads);
  const double per_token = trunc(layers * ((double)c->n_heads / queries_per_group) *
                                 (double)c->head_dim * 2.0 * (double)precision * 1.0);
  const double per_layer = trunc(per_token / layers);
  if (per_layer <= 0.0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvbench formula: KV size per layer "
                         "is 0");
  const double per_rank_layer = trunc(per_layer / (double)q->tp);
  const double stage = trunc(per_rank_layer * (layers / (double)q->pp));
  const double io = q->access == PIO_KV_ACCESS_BLOCK ? stage : per_rank_layer;
  /* Python multiplies two ints here: exact. */
  uint64_t io_bytes = 0;
  if (pio_kv_mul_u64((uint64_t)io, q->page_size, &io_bytes) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvbench formula: io_bytes_per_page "
                         "exceeds 64 bits (page_size %u)", q->page_size);
  f->bytes_per_token = (uint64_t)per_token;
  f->bytes_per_token_per_layer_per_rank = (uint64_t)per_rank_layer;
  f->bytes_per_token_per_rank = (uint64_t)stage;
  f->io_bytes_per_page = io_bytes;
  /* kvbench has no notion of heads per rank: it divides bytes evenly, as if
   * every rank held kv_heads / tp heads, fractions included. */
  f->layers_per_rank = c->n_layers / q->pp;
  f->kv_heads_per_rank = 0;
  f->replication = 1;
  f->layout = kv_layout;
  return PIO_OK;
}

pio_status llama_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                            pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
