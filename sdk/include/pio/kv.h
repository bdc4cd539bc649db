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
 * formula are known, scales known and NONE unless kv_dtype is fp8 or int8,
 * state_dtype known; under PIO_KV_FORMULA_PIO also pp <= n_layers (every
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
 * kv_heads_per_rank, replication and layout are the caller's, copied in;
 * the ABI 1.2 figures say one FULL class of every layer.  Scales per token
 * cannot be sized from these arguments: a query asking for them is
 * PIO_ERR_UNSUPPORTED (use pio_kv_classes_fill).  A product over 64 bits
 * is PIO_ERR_INVALID_ARGUMENT.  The query must have passed
 * pio_kv_query_check and out pio_kv_figures_check.
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

/* ---- ABI 1.2: layers of several classes, scales, recurrent state ---- */

/* The query's scales and state dtype, PIO_KV_SCALES_NONE and
 * PIO_DTYPE_BF16 when its struct_size does not cover them (ABI 1.1). */
pio_kv_scales pio_kv_query_scales(const pio_kv_query *query);
pio_dtype pio_kv_query_state_dtype(const pio_kv_query *query);

/*
 * The layers of pipeline stage `stage` (0 <= stage < pp) as vLLM splits
 * them: n_layers / pp each, and the n_layers % pp left over one each to the
 * stages just before the last (the last also holds the head).  Sets *first
 * and *count; the largest count is pio_kv_layers_per_stage(n_layers, pp).
 */
void pio_kv_stage_layers(uint32_t n_layers, uint32_t pp, uint32_t stage, uint32_t *first,
                         uint32_t *count);

/* One class of layers as a plugin's layout describes it. */
typedef struct pio_kv_class_spec {
  pio_kv_layer_kind kind;
  uint32_t window;       /* SLIDING, CHUNKED: tokens, >= 1 */
  /* Attention classes (FULL, SLIDING, CHUNKED): */
  uint32_t n_heads;      /* query heads: tp must divide them */
  uint32_t n_kv_heads;   /* KV heads, sharded by pio_kv_gqa_shard; 1 for a latent */
  uint32_t k_head_dim;   /* numbers cached per head and token for K (or the latent) */
  uint32_t v_head_dim;   /* ... for V; 0 when the layer caches no separate V (MLA) */
  int latent;            /* non-zero: one latent every rank holds whole (MLA) */
  /* STATE: numbers one layer keeps per sequence, split over tp ranks along
   * a dimension of state_split entries (tp must divide it: Mamba's
   * d_inner). */
  uint64_t state_numbers;
  uint32_t state_split;
} pio_kv_class_spec;

/*
 * Fills every figure of the pio formula from the classes of a model's
 * layers: layer i is of class specs[layer_class[i]] (layer_class NULL: all
 * of specs[0]); layer_class must outlive out (it is handed back in
 * out->layer_class).  Per token and layer an attention class caches K and V
 * of its heads at query->kv_dtype, plus the scales the query asks for
 * (PIO_KV_SCALES_TOKEN_HEAD: an f32 for K and one for V per KV head); a
 * STATE class keeps state_numbers at the query's state dtype.  Sharding and
 * stages as pio_kv_gqa_shard and pio_kv_stage_layers say; the figures from
 * ABI 1.0 follow the rules written on pio_kv_figures.
 * Errors: PIO_ERR_INVALID_ARGUMENT naming the class and the rule (tp that
 * does not divide heads or the state; a product over 64 bits).
 */
pio_status pio_kv_classes_fill(const pio_kv_query *query, uint32_t n_layers,
                               const uint8_t *layer_class, const pio_kv_class_spec *specs,
                               uint32_t n_specs, const char *layout, pio_kv_figures *out,
                               pio_error *err);

/* A model's layers by class, as a config keeps them for its kv_cache
 * component: layer i is of class layer_class[i], whose kind is
 * class_kind[layer_class[i]].  Classes are numbered in kind order. */
typedef struct pio_kv_pattern {
  uint8_t *layer_class;                    /* [n_layers], owned (pio_kv_pattern_clear) */
  uint32_t n_layers;
  uint32_t n_classes;                      /* 1 to PIO_KV_MAX_CLASSES */
  uint8_t class_kind[PIO_KV_MAX_CLASSES];  /* pio_kv_layer_kind of each class */
} pio_kv_pattern;

/* The pattern of layers of the kinds kinds[n_layers] (pio_kv_layer_kind
 * values; n_layers >= 1).  *p owns what it allocates; on an error (an
 * unknown kind: PIO_ERR_INVALID_ARGUMENT; no memory) it holds nothing. */
pio_status pio_kv_pattern_init(pio_kv_pattern *p, const uint8_t *kinds, uint32_t n_layers,
                               pio_error *err);
pio_status pio_kv_pattern_copy(const pio_kv_pattern *from, pio_kv_pattern *to, pio_error *err);
void pio_kv_pattern_clear(pio_kv_pattern *p);

/* Each layer's attention window as a forward pass takes it
 * (pio_decoder_spec.window): window for a sliding layer of p, 0 for the
 * others.  A new array [p->n_layers] the caller frees; NULL when out of
 * memory. */
uint32_t *pio_kv_pattern_windows(const pio_kv_pattern *p, uint32_t window);

/* pio_kv_classes_fill for the classes of p, class c described by
 * by_kind[p->class_kind[c]] (by_kind indexed by kind, PIO_KV_MAX_CLASSES
 * entries; those of absent kinds are not read). */
pio_status pio_kv_pattern_fill(const pio_kv_query *query, const pio_kv_pattern *p,
                               const pio_kv_class_spec *by_kind, const char *layout,
                               pio_kv_figures *out, pio_error *err);

/* by_kind[PIO_KV_MAX_CLASSES] for GQA layers of one head shape (K and V of
 * head_dim each): FULL, SLIDING with window, CHUNKED with chunk; the STATE
 * entry is cleared. */
void pio_kv_gqa_by_kind(uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                        uint32_t window, uint32_t chunk, pio_kv_class_spec *by_kind);

/*
 * kvbench's qwen3.py and gpt_oss.py: int(layers * kv_heads * head_dim * 2 *
 * precision) in integers, every layer full (no window), then
 * pio_kv_kvbench_fill.  Precision as pio_kv_kvbench_precision_bytes.
 */
pio_status pio_kv_kvbench_gqa(const pio_kv_query *query, uint32_t n_layers,
                              uint32_t n_kv_heads, uint32_t head_dim, const char *layout,
                              pio_kv_figures *out, pio_error *err);

/* pio_kv_pattern_fill of GQA layers of one head shape
 * (pio_kv_gqa_by_kind): the whole of most layouts' pio formula. */
pio_status pio_kv_gqa_pattern_fill(const pio_kv_query *query, const pio_kv_pattern *p,
                                   uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                                   uint32_t window, uint32_t chunk, const char *layout,
                                   pio_kv_figures *out, pio_error *err);

/* The kvbench formula of an architecture kvbench has no model file for
 * (it ships llama3_1, deepseek_r1, qwen3 and gpt_oss): PIO_ERR_UNSUPPORTED
 * naming architecture, and saying that the pio formula sizes it. */
pio_status pio_kv_kvbench_refuse(const char *architecture, pio_error *err);

/*
 * kvbench's arithmetic after its KV size per token (for llama3_1, qwen3 and
 * gpt_oss alike, models/NAME.py get_io_size): per_layer = int(per_token /
 * layers), PIO_ERR_INVALID_ARGUMENT when 0; per_rank = int(per_layer / tp);
 * block: int(per_rank * (layers / pp)); io = that * page_size.  Every layer
 * is one FULL class (kvbench knows no windows, state or scales);
 * layers_per_rank = layers / pp, kv_heads_per_rank 0 (kvbench divides bytes,
 * not heads), replication 1.
 */
pio_status pio_kv_kvbench_fill(const pio_kv_query *query, uint32_t n_layers, double per_token,
                               const char *layout, pio_kv_figures *out, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
