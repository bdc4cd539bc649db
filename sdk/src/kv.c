/* sdk/src/kv.c — KV-cache sizing rules shared by every model plugin
 * (pio/kv.h): query checks, pipeline stages, GQA head sharding, and the
 * per-rank and per-page arithmetic. */
#include <stddef.h>
#include <stdint.h>

#include "kv_internal.h"
#include "pio/kv.h"

/* Bytes of struct_size that an ABI 1.0 table covers. */
#define KV_QUERY_V1_SIZE (offsetof(pio_kv_query, formula) + sizeof(pio_kv_formula))
#define KV_FIGURES_V1_SIZE (offsetof(pio_kv_figures, layout) + sizeof(const char *))

int pio_kv_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
  if (a != 0 && b > UINT64_MAX / a) return -1;
  *out = a * b;
  return 0;
}

pio_status pio_kv_query_check(const pio_kv_query *q, uint32_t n_layers, pio_error *err) {
  if (q == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: no query given");
  if (q->struct_size < KV_QUERY_V1_SIZE)
    return pio_error_set(err, PIO_ERR_ABI, "KV query: struct_size is %u, at least %zu "
                         "expected (ABI 1.0)", q->struct_size, (size_t)KV_QUERY_V1_SIZE);
  if (pio_dtype_size(q->kv_dtype) == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: kv_dtype: expected fp32, "
                         "bf16, fp16, fp8 or int8, found value %d", (int)q->kv_dtype);
  if (q->tp < 1)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "KV query: tp: expected at least 1 rank, found 0");
  if (q->pp < 1)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "KV query: pp: expected at least 1 stage, found 0");
  if (q->page_size < 1)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "KV query: page_size: expected at least 1 token, found 0");
  if (q->access != PIO_KV_ACCESS_BLOCK && q->access != PIO_KV_ACCESS_LAYER)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: access: expected block "
                         "or layer, found value %d", (int)q->access);
  if (q->formula != PIO_KV_FORMULA_PIO && q->formula != PIO_KV_FORMULA_KVBENCH)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: formula: expected pio or "
                         "kvbench, found value %d", (int)q->formula);
  pio_kv_scales scales = pio_kv_query_scales(q);
  int quantised = q->kv_dtype == PIO_DTYPE_FP8 || q->kv_dtype == PIO_DTYPE_INT8;
  if (scales > PIO_KV_SCALES_TOKEN_HEAD)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: scales: expected none, "
                         "tensor, head or token-head, found value %d", (int)scales);
  if (scales != PIO_KV_SCALES_NONE && !quantised)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: scales: a %s cache keeps "
                         "no scales (they come with fp8 or int8)", pio_dtype_name(q->kv_dtype));
  if (pio_dtype_size(pio_kv_query_state_dtype(q)) == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: state_dtype: expected "
                         "fp32, bf16, fp16, fp8 or int8, found value %d",
                         (int)pio_kv_query_state_dtype(q));
  if (q->formula == PIO_KV_FORMULA_PIO && q->pp > n_layers)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV query: pp: expected at most %u "
                         "stages (the model's layers; every stage holds one), found %u",
                         n_layers, q->pp);
  return PIO_OK;
}

pio_status pio_kv_figures_check(const pio_kv_figures *out, pio_error *err) {
  if (out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV figures: no output table given");
  if (out->struct_size < KV_FIGURES_V1_SIZE)
    return pio_error_set(err, PIO_ERR_ABI, "KV figures: struct_size is %u, at least %zu "
                         "expected (set it to sizeof(pio_kv_figures) before the call)",
                         out->struct_size, (size_t)KV_FIGURES_V1_SIZE);
  return PIO_OK;
}

pio_status pio_kv_figures_compute(const pio_model_config *config, uint32_t n_layers,
                                  const pio_kv_query *query, pio_kv_formula_fn by_pio,
                                  pio_kv_formula_fn by_kvbench, pio_kv_figures *out,
                                  pio_error *err) {
  if (config == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV figures: no config given");
  pio_status s = pio_kv_figures_check(out, err);
  if (s == PIO_OK) s = pio_kv_query_check(query, n_layers, err);
  if (s != PIO_OK) return s;
  return query->formula == PIO_KV_FORMULA_KVBENCH ? by_kvbench(config, query, out, err)
                                                  : by_pio(config, query, out, err);
}

uint32_t pio_kv_layers_per_stage(uint32_t n_layers, uint32_t pp) {
  if (pp == 0) return 0;
  return n_layers / pp + (n_layers % pp != 0);
}

pio_status pio_kv_gqa_shard(uint32_t n_heads, uint32_t n_kv_heads, uint32_t tp,
                            uint32_t *kv_heads_per_rank, uint32_t *replication,
                            pio_error *err) {
  if (tp == 0 || n_heads == 0 || n_kv_heads == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u with %u query heads and %u KV "
                         "heads: every count must be at least 1", tp, n_heads, n_kv_heads);
  if (n_heads % tp != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u does not divide the %u "
                         "attention heads (each rank takes an equal share of query heads)",
                         tp, n_heads);
  if (tp <= n_kv_heads) {
    if (n_kv_heads % tp != 0)
      return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u does not divide the %u KV "
                           "heads (each rank takes an equal share of KV heads)", tp,
                           n_kv_heads);
    *kv_heads_per_rank = n_kv_heads / tp;
    *replication = 1;
    return PIO_OK;
  }
  if (tp % n_kv_heads != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "tp %u exceeds the %u KV heads and is "
                         "not a multiple of them (each head must be replicated on an equal "
                         "number of ranks)", tp, n_kv_heads);
  *kv_heads_per_rank = 1;
  *replication = tp / n_kv_heads;
  return PIO_OK;
}

pio_kv_scales pio_kv_query_scales(const pio_kv_query *q) {
  return PIO_TABLE_HAS(q, pio_kv_query, scales) ? (pio_kv_scales)q->scales : PIO_KV_SCALES_NONE;
}

pio_dtype pio_kv_query_state_dtype(const pio_kv_query *q) {
  return PIO_TABLE_HAS(q, pio_kv_query, state_dtype) ? q->state_dtype : PIO_DTYPE_BF16;
}

pio_status pio_kv_figures_fill(const pio_kv_query *q, uint32_t n_layers,
                               uint64_t per_layer, uint64_t per_layer_per_rank,
                               uint32_t kv_heads_per_rank, uint32_t replication,
                               const char *layout, pio_kv_figures *out, pio_error *err) {
  if (pio_kv_query_scales(q) == PIO_KV_SCALES_TOKEN_HEAD)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "KV figures: this layout does not size "
                         "scales per token and head (ask for tensor or head scales, or none)");
  uint32_t layers_per_rank = pio_kv_layers_per_stage(n_layers, q->pp);
  uint64_t per_token = 0, per_rank = 0, per_page = 0, io = 0;
  uint64_t io_layers = q->access == PIO_KV_ACCESS_BLOCK ? layers_per_rank : 1;
  if (pio_kv_mul_u64(per_layer, n_layers, &per_token) != 0 ||
      pio_kv_mul_u64(per_layer_per_rank, layers_per_rank, &per_rank) != 0 ||
      pio_kv_mul_u64(per_layer_per_rank, q->page_size, &per_page) != 0 ||
      pio_kv_mul_u64(per_page, io_layers, &io) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "KV figures: a byte count exceeds "
                         "64 bits (page_size %u, %u layers)", q->page_size, n_layers);
  out->bytes_per_token = per_token;
  out->bytes_per_token_per_rank = per_rank;
  out->bytes_per_token_per_layer_per_rank = per_layer_per_rank;
  out->io_bytes_per_page = io;
  out->layers_per_rank = layers_per_rank;
  out->kv_heads_per_rank = kv_heads_per_rank;
  out->replication = replication;
  out->layout = layout;
  pio_kv_one_class(n_layers, out);
  return PIO_OK;
}

pio_status pio_kv_kvbench_precision_bytes(pio_dtype dtype, uint32_t *out, pio_error *err) {
  switch (dtype) {
    case PIO_DTYPE_FP8:
    case PIO_DTYPE_INT8: *out = 1; return PIO_OK;
    case PIO_DTYPE_F16:
    case PIO_DTYPE_BF16: *out = 2; return PIO_OK;
    case PIO_DTYPE_F32:
    case PIO_DTYPE_COUNT: break;
  }
  return pio_error_set(err, PIO_ERR_UNSUPPORTED, "kvbench formula: kvbench knows the "
                       "precisions fp8, int8, fp16 and bfloat16, not %s (the pio formula "
                       "takes every dtype)", pio_dtype_name(dtype));
}

pio_status pio_kv_cache_bytes(pio_status (*figures)(const pio_model_config *,
                                                    const pio_kv_query *, pio_kv_figures *,
                                                    pio_error *),
                              const pio_model_config *config, uint32_t max_context,
                              uint64_t *bytes, pio_error *err) {
  pio_kv_query q = {.struct_size = sizeof q, .kv_dtype = PIO_DTYPE_F32, .tp = 1, .pp = 1,
                    .page_size = 1, .access = PIO_KV_ACCESS_BLOCK,
                    .formula = PIO_KV_FORMULA_PIO};
  pio_kv_figures f = {.struct_size = sizeof f};
  pio_status s = figures(config, &q, &f, err);
  if (s != PIO_OK) return s;
  if (max_context == 0 || pio_kv_mul_u64(f.bytes_per_token, max_context, bytes) != 0)
    return pio_error_set(err, PIO_ERR_LIMIT, "KV cache of %u tokens: size overflows",
                         max_context);
  if (*bytes > SIZE_MAX)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "KV cache of %u tokens: %llu bytes do not "
                         "fit this address space", max_context, (unsigned long long)*bytes);
  return PIO_OK;
}
