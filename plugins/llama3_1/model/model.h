/* model/model.h — a Llama model instance (the plugin's pio_model): its own
 * config copy, weights, rotary tables, KV cache, thread pool and scratch,
 * all allocated at create so a forward pass allocates nothing. */
#ifndef PIO_LLAMA3_1_MODEL_H
#define PIO_LLAMA3_1_MODEL_H

#include <stdint.h>

#include "config/llama_config.h"
#include "kv_cache/kv_cache.h"
#include "model/pass.h"
#include "model/weights.h"
#include "pio/kernels.h"
#include "pio/rope.h"
#include "pio/threadpool.h"

/* Most tokens one pass of the layers takes: a longer prompt runs in chunks
 * of this many, so scratch stays bounded while each chunk still reads every
 * weight once for all its tokens. */
#define LLAMA_PREFILL_CHUNK 128u
/* The same on AMX tiles, which multiply so fast that reading the weights
 * once per 128 tokens would bound the prefill: 512 tokens a pass. */
#define LLAMA_PREFILL_CHUNK_TILES 512u
/* KV capacity when the caller leaves max_context at 0. */
#define LLAMA_DEFAULT_CONTEXT 4096u

struct pio_model {
  pio_model_config *config; /* own copy */
  llama_weights weights;
  pio_rope rope;
  llama_kv_cache cache;
  pio_threadpool *pool;
  pio_kernel_plan plan;     /* matmul kernel paths for prefill and decode, and why */
  uint32_t position;        /* tokens in the cache */
  uint32_t chunk;           /* tokens a scratch buffer holds */
  uint32_t qkv_dim;         /* (n_heads + 2 n_kv_heads) * head_dim */
  llama_pass_buffers buf;   /* activations of one chunk, owned */
  uint64_t flops_per_token;
  uint32_t matmul_dtypes;   /* bit (1u << dtype) per type of the matrices */
  uint64_t weight_bytes_per_token;
};

/* pio_model_api functions. */
pio_status llama_model_create(const pio_model_config *config, const pio_model_options *opts,
                              pio_model **out, pio_error *err);
void llama_model_destroy(pio_model *model);
pio_status llama_model_forward(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                               float *logits, int all_logits, pio_error *err);
void llama_model_reset(pio_model *model);
pio_status llama_model_stats(const pio_model *model, pio_model_stats *out, pio_error *err);

#endif
