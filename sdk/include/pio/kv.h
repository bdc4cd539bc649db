/*
 * pio/kv.h — KV-cache sizing arithmetic that every model plugin's kv_cache
 * component shares: checking a pio_kv_query, splitting layers into pipeline
 * stages and heads across tensor-parallel ranks, turning per-layer sizes into
 * the figures of pio_kv_figures, and kvbench's precision table.  A plugin
 * supplies only what its layout stores per token and layer; the rules for
 * sharding and IO are then the same for every model (docs/benchmarks.md).
 */
#ifndef PIO_KV_H
#define PIO_KV_H

#include <stdint.h>

#include "pio/dtype.h"
#include "pio/plugin.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Checks what every layout needs of a query: struct_size covers the ABI 1.0
 * query, kv_dtype is known, tp >= 1, pp >= 1, page_size >= 1, access and
 * formula are known; under PIO_KV_FORMULA_PIO also pp <= n_layers (every
 * pipeline stage holds at least one layer).  kvbench checks none of the
 * latter, so neither does PIO_KV_FORMULA_KVBENCH.
 * Errors: PIO_ERR_INVALID_ARGUMENT naming the field and the value found.
 */
pio_status pio_kv_query_check(const pio_kv_query *query, uint32_t n_layers, pio_error *err);

/*
 * Checks that out->struct_size covers the ABI 1.0 pio_kv_figures (the caller
 * sets it before the call, as for every out-table); PIO_ERR_ABI otherwise.
 */
pio_status pio_kv_figures_check(const pio_kv_figures *out, pio_error *err);

/* A layout's figures by one formula; called with arguments checked. */
typedef pio_status (*pio_kv_formula_fn)(const pio_model_config *config,
                                        const pio_kv_query *query, pio_kv_figures *out,
                                        pio_error *err);

/*
 * The whole of a pio_kv_cache_api.figures call but the layout's own
 * arithmetic.  Checks, in this order: config given (else
 * PIO_ERR_INVALID_ARGUMENT "KV figures: no config given"), out
 * (pio_kv_figures_check), query against the model's n_layers
 * (pio_kv_query_check); then returns by_kvbench's status under
 * PIO_KV_FORMULA_KVBENCH, by_pio's otherwise.  The caller reads n_layers
 * from its config (0 when config is NULL).
 */
pio_status pio_kv_figures_compute(const pio_model_config *config, uint32_t n_layers,
                                  const pio_kv_query *query, pio_kv_formula_fn by_pio,
                                  pio_kv_formula_fn by_kvbench, pio_kv_figures *out,
                                  pio_error *err);

/*
 * Layers the largest pipeline stage holds: ceil(n_layers / pp).  When pp
 * does not divide n_layers the stages differ by one layer (as vLLM and
 * SGLang split them); the largest one sizes the memory every rank needs.
 * pp must be >= 1.
 */
uint32_t pio_kv_layers_per_stage(uint32_t n_layers, uint32_t pp);

/*
 * Grouped-query attention heads under tensor parallelism, as the serving
 * engines shard them: tp must divide n_heads (query heads are split evenly);
 * when tp <= n_kv_heads it must divide n_kv_heads and each rank holds
 * n_kv_heads / tp heads; when tp > n_kv_heads it must be a multiple of
 * n_kv_heads and each rank holds one head, replicated on tp / n_kv_heads
 * ranks.  Errors: PIO_ERR_INVALID_ARGUMENT with the rule that failed.
 */
pio_status pio_kv_gqa_shard(uint32_t n_heads, uint32_t n_kv_heads, uint32_t tp,
                            uint32_t *kv_heads_per_rank, uint32_t *replication,
                            pio_error *err);

/*
 * Fills the pio formula's figures from what the layout stores for one token:
 *   bytes_per_token_per_layer           whole model (all distinct heads)
 *   bytes_per_token_per_layer_per_rank  one tensor-parallel rank
 * with layers_per_rank = pio_kv_layers_per_stage(n_layers, query->pp), and
 *   bytes_per_token          = per_layer * n_layers
 *   bytes_per_token_per_rank = per_layer_per_rank * layers_per_rank
 *   io_bytes_per_page        = per_layer_per_rank * page_size
 *                              * (access == BLOCK ? layers_per_rank : 1).
 * kv_heads_per_rank, replication and layout are the caller's, copied in.
 * A product over 64 bits is PIO_ERR_INVALID_ARGUMENT.  The query must have
 * passed pio_kv_query_check and out pio_kv_figures_check.
 */
pio_status pio_kv_figures_fill(const pio_kv_query *query, uint32_t n_layers,
                               uint64_t bytes_per_token_per_layer,
                               uint64_t bytes_per_token_per_layer_per_rank,
                               uint32_t kv_heads_per_rank, uint32_t replication,
                               const char *layout, pio_kv_figures *out, pio_error *err);

/*
 * kvbench's precision sizes (models/utils.py get_precision_size): fp8 1,
 * int8 1, fp16 2, bfloat16 2.  kvbench knows no fp32: PIO_ERR_UNSUPPORTED.
 */
pio_status pio_kv_kvbench_precision_bytes(pio_dtype dtype, uint32_t *out, pio_error *err);

/*
 * Bytes of the runtime cache a model allocates for max_context tokens in
 * f32 on one rank, from the plugin's own figures (its
 * pio_kv_cache_api.figures), so the memory used and the figures reported
 * cannot drift apart.  PIO_ERR_LIMIT when max_context is 0 or the size
 * overflows; PIO_ERR_NO_MEMORY when it does not fit this address space.
 */
pio_status pio_kv_cache_bytes(pio_status (*figures)(const pio_model_config *,
                                                    const pio_kv_query *, pio_kv_figures *,
                                                    pio_error *),
                              const pio_model_config *config, uint32_t max_context,
                              uint64_t *bytes, pio_error *err);

/* a * b, or -1 when the product does not fit 64 bits (0 on success). */
int pio_kv_mul_u64(uint64_t a, uint64_t b, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
