/* kv_cache/kv_figures.c — how many bytes a DeepSeek-V3 (MLA) KV cache takes
 * per token and per page IO, as one rank of a tp x pp deployment holds it.
 * The shared sharding and page arithmetic live in the SDK (pio/kv.h); this
 * file says what MLA stores and how kvbench counts it. */
#include <math.h>

#include "config/deepseek_config.h"
#include "kv_cache/kv_figures.h"
#include "pio/kv.h"

static const char pio_layout[] =
    "latent[layers][tokens][kv_lora_rank + qk_rope_head_dim], whole on every tp rank";
static const char kvbench_layout[] =
    "latent[layers][tokens][kv_lora_rank + qk_rope_head_dim], divided by tp (kvbench)";

/* Numbers cached per token and layer: the latent and the RoPE key. */
static uint64_t latent_width(const pio_model_config *c) {
  return (uint64_t)c->kv_lora_rank + c->qk_rope_head_dim;
}

static pio_status figures_pio(const pio_model_config *c, const pio_kv_query *q,
                              pio_kv_figures *out, pio_error *err) {
  if (c->n_heads % q->tp != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u does not divide "
                         "num_attention_heads %u: MLA splits the query heads evenly across "
                         "ranks (the latent itself is replicated)", q->tp, c->n_heads);
  /* Every rank needs the whole latent to expand its own heads from it. */
  const pio_kv_class_spec latent = {.kind = PIO_KV_LAYER_FULL, .n_heads = c->n_heads,
                                    .n_kv_heads = 1, .k_head_dim = (uint32_t)latent_width(c),
                                    .latent = 1};
  return pio_kv_classes_fill(q, c->n_layers, NULL, &latent, 1, pio_layout, out, err);
}

/* kvbench (ai-dynamo/nixl benchmark/kvbench/models/deepseek_r1.py) in
 * Python's order: kv = int((rope + latent) * precision * layers);
 * io = int(kv / layers) / tp (a float); block: io * ceil(layers / pp);
 * int(io * page_size).  C doubles are Python's floats; a cast truncates as
 * int() does for these finite positive values. */
static pio_status figures_kvbench(const pio_model_config *c, const pio_kv_query *q,
                                  pio_kv_figures *out, pio_error *err) {
  uint32_t precision = 0;
  pio_status s = pio_kv_kvbench_precision_bytes(q->kv_dtype, &precision, err);
  if (s != PIO_OK) return s;
  const uint64_t kv = latent_width(c) * precision * c->n_layers;
  const double per_layer = trunc((double)kv / (double)c->n_layers);
  const double per_rank_layer = per_layer / (double)q->tp;
  const double stage_layers = ceil((double)c->n_layers / (double)q->pp);
  const double stage = per_rank_layer * stage_layers;
  const double io = q->access == PIO_KV_ACCESS_BLOCK ? stage : per_rank_layer;
  const double io_bytes = io * (double)q->page_size;
  if (!(io_bytes < 18446744073709551616.0))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvbench formula: io bytes per page "
                         "exceed 64 bits (page_size %u)", q->page_size);
  out->bytes_per_token = kv;
  out->bytes_per_token_per_layer_per_rank = (uint64_t)per_rank_layer;
  out->bytes_per_token_per_rank = (uint64_t)stage;
  out->io_bytes_per_page = (uint64_t)io_bytes;
  out->layers_per_rank = (uint32_t)stage_layers;
  out->kv_heads_per_rank = 1;
  out->replication = 1; /* kvbench divides the latent instead of replicating it */
  out->layout = kvbench_layout;
  return PIO_OK;
}

pio_status deepseek_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                               pio_kv_figures *out, pio_error *err) {
  return pio_kv_figures_compute(config, config ? config->n_layers : 0, query, figures_pio,
                                figures_kvbench, out, err);
}
