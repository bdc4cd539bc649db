/* cuda/cuda_model.c — creating, resetting, describing and destroying a
 * Llama model instance on a CUDA device.  Everything a forward pass
 * touches is allocated here, and the decode step is captured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "cuda/cuda_status.h"
#include "pio/instance.h"
#include "pio/rope.h"
#include "rotary/rope_params.h"

/* What the kernels were built for: sm_90 machine code (and its PTX). */
#define MIN_CC_MAJOR 9

/* The first CUDA device, if it can run this build; its name and size. */
static pio_status open_device(pio_model *m, pio_error *err) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "no CUDA device: %s",
                         e != cudaSuccess ? cudaGetErrorString(e) : "none found");
  struct cudaDeviceProp p;
  pio_status s = lc_cuda_check(cudaGetDeviceProperties(&p, 0), err, "device 0's properties");
  if (s != PIO_OK) return s;
  snprintf(m->device_name, sizeof m->device_name, "%s", p.name);
  if (p.major < MIN_CC_MAJOR)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s is compute capability %d.%d; this build "
                         "of the CUDA variant needs %d.0 (Hopper) or later", p.name, p.major,
                         p.minor, MIN_CC_MAJOR);
  m->device = 0;
  m->sm_count = (uint32_t)p.multiProcessorCount;
  m->smem_per_block = (uint32_t)p.sharedMemPerBlockOptin;
  const uint32_t widest = m->config->intermediate_size > m->config->hidden_size
                              ? m->config->intermediate_size
                              : m->config->hidden_size;
  /* Two ring stages at least, at one block a multiprocessor. */
  const size_t need = lc_gemv_shared_bytes(widest, 2) + 1024;
  if (need > p.sharedMemPerBlockOptin)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "intermediate_size / hidden_size %u needs "
                         "%zu bytes of shared memory a block; %s allows %zu", widest, need,
                         p.name, (size_t)p.sharedMemPerBlockOptin);
  s = lc_cuda_check(cudaSetDevice(m->device), err, "cudaSetDevice");
  if (s == PIO_OK)
    s = lc_cuda_check(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking), err,
                      "creating a stream");
  return s;
}

/* Shapes the kernels handle; anything else is refused by name. */
static pio_status check_shapes(const pio_model_config *c, pio_error *err) {
  if (!lc_attention_head_dim_supported(c->head_dim))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: head_dim %u: the CUDA variant's "
                         "attention is built for head_dim 64 and 128", c->path, c->head_dim);
  const uint32_t group = c->n_heads / c->n_kv_heads;
  if (group * c->n_kv_heads != c->n_heads || group > 32)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: num_attention_heads %u over "
                         "num_key_value_heads %u: the CUDA variant takes groups of 1 to 32 "
                         "query heads a KV head", c->path, c->n_heads, c->n_kv_heads);
  if (c->hidden_size % 8 || c->intermediate_size % 8 || (c->n_heads * c->head_dim) % 8)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: hidden_size %u, intermediate_size %u "
                         "and num_attention_heads x head_dim %u must be multiples of 8 for "
                         "the CUDA variant's 16-byte loads", c->path, c->hidden_size,
                         c->intermediate_size, c->n_heads * c->head_dim);
  return PIO_OK;
}

/* cudaMalloc of count elements of size, named for the error. */
static pio_status dalloc(void *out, size_t count, size_t size, const char *what,
                         pio_error *err) {
  return lc_cuda_check(cudaMalloc((void **)out, count * size), err,
                       "%s: %zu bytes of device memory", what, count * size);
}

static pio_status alloc_cache(pio_model *m, pio_error *err) {
  const pio_model_config *c = m->config;
  const size_t n = (size_t)c->n_layers * c->n_kv_heads * m->max_context * c->head_dim;
  m->kv_bytes = 2 * n * sizeof(uint16_t);
  pio_status s = dalloc(&m->k_cache, n, sizeof(uint16_t), "KV cache", err);
  if (s == PIO_OK) s = dalloc(&m->v_cache, n, sizeof(uint16_t), "KV cache", err);
  /* Zeros, so a tile read past the written positions holds no NaN. */
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMemsetAsync(m->k_cache, 0, n * sizeof(uint16_t), m->stream), err,
                      "clearing the cache");
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMemsetAsync(m->v_cache, 0, n * sizeof(uint16_t), m->stream), err,
                      "clearing the cache");
  return s;
}

/* The CPU module's tables (the SDK's, the same angles), copied to the
 * device. */
static pio_status upload_rope(pio_model *m, pio_error *err) {
  pio_rope rope;
  const pio_rope_params params = llama_rope_params(m->config);
  pio_status s = pio_rope_init(&rope, &params, m->max_context, err);
  if (s != PIO_OK) return s;
  const size_t n = (size_t)m->max_context * rope.half;
  s = dalloc(&m->rope_cos, n, sizeof(float), "RoPE tables", err);
  if (s == PIO_OK) s = dalloc(&m->rope_sin, n, sizeof(float), "RoPE tables", err);
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMemcpyAsync(m->rope_cos, rope.cos, n * sizeof(float),
                                      cudaMemcpyHostToDevice, m->stream), err,
                      "copying RoPE tables");
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMemcpyAsync(m->rope_sin, rope.sin, n * sizeof(float),
                                      cudaMemcpyHostToDevice, m->stream), err,
                      "copying RoPE tables");
  const pio_status drained = lc_cuda_check(cudaStreamSynchronize(m->stream), err, "RoPE tables");
  if (s == PIO_OK) s = drained;
  pio_rope_free(&rope);
  return s;
}

static pio_status alloc_prefill(pio_model *m, pio_error *err) {
  const pio_model_config *c = m->config;
  lc_prefill_buffers *p = &m->pre;
  const size_t n = m->chunk, d = c->hidden_size, ff = c->intermediate_size;
  const size_t hd = (size_t)c->n_heads * c->head_dim;
  pio_status s = dalloc(&p->tokens, n, sizeof(int32_t), "prefill tokens", err);
  if (s == PIO_OK) s = dalloc(&p->x, n * d, sizeof(float), "prefill residual", err);
  if (s == PIO_OK) s = dalloc(&p->xn, n * d, sizeof(uint16_t), "prefill norm", err);
  if (s == PIO_OK) s = dalloc(&p->qkv, n * m->qkv_dim, sizeof(float), "prefill qkv", err);
  if (s == PIO_OK) s = dalloc(&p->q, n * hd, sizeof(uint16_t), "prefill q", err);
  if (s == PIO_OK) s = dalloc(&p->attn, n * hd, sizeof(uint16_t), "prefill attention", err);
  if (s == PIO_OK) s = dalloc(&p->gate_up, n * 2 * ff, sizeof(float), "prefill gate_up", err);
  if (s == PIO_OK) s = dalloc(&p->h, n * ff, sizeof(uint16_t), "prefill SwiGLU", err);
  if (s == PIO_OK) s = dalloc(&p->logits, c->vocab_size, sizeof(float), "prefill logits", err);
  if (s == PIO_OK) p->logit_rows = 1;
  return s;
}

static pio_status alloc_decode(pio_model *m, pio_error *err) {
  const pio_model_config *c = m->config;
  lc_decode_buffers *b = &m->dec;
  const size_t hd = (size_t)c->n_heads * c->head_dim;
  /* Sized for the largest tuning lc_decode_capture accepts. */
  const lc_decode_tuning most = {.pdl = 1, .blocks_per_sm = 2, .stages = 2, .attn_splits = 32,
                                 .attn_min_positions = 1};
  const lc_device dev = {.sm_count = m->sm_count, .smem_per_block = m->smem_per_block};
  const size_t partials = lc_decode_attention_partial_floats(&most, c->n_heads, c->head_dim);
  const size_t lm = lc_decode_lm_head_partials(&most, &dev);
  pio_status s = dalloc(&b->step, 1, sizeof(lc_step), "decode step", err);
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMallocHost((void **)&b->host_step, sizeof(lc_step)), err,
                      "pinned step");
  if (s == PIO_OK) s = dalloc(&b->next, 1, sizeof(int32_t), "decode token", err);
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMallocHost((void **)&b->host_next, sizeof(int32_t)), err,
                      "pinned token");
  if (s == PIO_OK) s = dalloc(&b->x, c->hidden_size, sizeof(float), "decode residual", err);
  if (s == PIO_OK) s = dalloc(&b->q, hd, sizeof(float), "decode q", err);
  if (s == PIO_OK) s = dalloc(&b->attn, hd, sizeof(uint16_t), "decode attention", err);
  if (s == PIO_OK)
    s = dalloc(&b->h, c->intermediate_size, sizeof(uint16_t), "decode SwiGLU", err);
  if (s == PIO_OK) s = dalloc(&b->logits, c->vocab_size, sizeof(float), "decode logits", err);
  if (s == PIO_OK) s = dalloc(&b->attn_partial, partials, sizeof(float), "attention splits", err);
  if (s == PIO_OK) s = dalloc(&b->counters, c->n_kv_heads + 1, sizeof(uint32_t), "counters", err);
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMemsetAsync(b->counters, 0, (c->n_kv_heads + 1) * sizeof(uint32_t),
                                      m->stream),
                      err, "clearing counters");
  if (s == PIO_OK) s = dalloc(&b->lm_value, lm, sizeof(float), "lm_head partials", err);
  if (s == PIO_OK) s = dalloc(&b->lm_index, lm, sizeof(uint32_t), "lm_head partials", err);
  return s;
}

/* Parameters of the matrices one token goes through (lm_head included,
 * the embedding not: one row of it is read). */
static uint64_t matrix_params_per_token(const pio_model_config *c) {
  const uint64_t d = c->hidden_size, hd = (uint64_t)c->n_heads * c->head_dim;
  const uint64_t qkv = (uint64_t)(c->n_heads + 2 * c->n_kv_heads) * c->head_dim * d;
  const uint64_t layer = qkv + d * hd + 3 * d * c->intermediate_size;
  return layer * c->n_layers + (uint64_t)c->vocab_size * d;
}

static void describe(pio_model *m) {
  const pio_model_config *c = m->config;
  const uint64_t norms = (2ull * c->n_layers + 1) * c->hidden_size * sizeof(float);
  const uint64_t per_token = matrix_params_per_token(c);
  const uint64_t embed = (uint64_t)c->vocab_size * c->hidden_size;
  m->flops_per_token = 2 * per_token;
  m->weight_bytes_per_token = 2 * per_token + norms + 2ull * c->hidden_size;
  m->weight_bytes = 2 * (per_token + (c->tie_word_embeddings ? 0 : embed)) + norms;
  snprintf(m->kernel, sizeof m->kernel, "cuda sm_90 (graph%s, cuBLASLt)",
           m->tuning.pdl ? " + PDL" : "");
}

static pio_status build(pio_model *m, const pio_model_config *config,
                        const pio_model_options *o, pio_error *err) {
  pio_status s = llama_config_copy(config, &m->config, err);
  if (s == PIO_OK) s = check_shapes(config, err);
  if (s == PIO_OK)
    s = pio_model_context_size(config->max_position, o->max_context, LC_DEFAULT_CONTEXT,
                               &m->max_context, err);
  if (s == PIO_OK && o->kernel != NULL && strcmp(o->kernel, "auto") != 0)
    s = pio_error_set(err, PIO_ERR_UNSUPPORTED, "kernel path '%s': the CUDA variant runs its "
                      "own kernels; kernel paths choose among the CPU module's", o->kernel);
  if (s == PIO_OK && o->synthetic && o->weight_dtype != PIO_DTYPE_BF16)
    s = pio_error_set(err, PIO_ERR_UNSUPPORTED, "synthetic weights in %s: the CUDA variant "
                      "holds bf16 weights; ask for bf16", pio_dtype_name(o->weight_dtype));
  if (s == PIO_OK) s = open_device(m, err);
  if (s != PIO_OK) return s;
  m->qkv_dim = (config->n_heads + 2 * config->n_kv_heads) * config->head_dim;
  m->chunk = m->max_context < LC_PREFILL_CHUNK ? m->max_context : LC_PREFILL_CHUNK;
  s = lc_weights_upload(m, o, err);
  if (s == PIO_OK) s = alloc_cache(m, err);
  if (s == PIO_OK) s = upload_rope(m, err);
  if (s == PIO_OK) s = lc_gemm_init(&m->gemm, err);
  if (s == PIO_OK) s = alloc_prefill(m, err);
  if (s == PIO_OK) s = alloc_decode(m, err);
  if (s == PIO_OK)
    s = lc_cuda_check(lc_gemv_prepare(m->smem_per_block), err,
                      "raising the GEMV shared memory limit");
  if (s == PIO_OK) {
    lc_decode_tuning t = lc_decode_tuning_default(m);
    s = lc_decode_capture(m, &t, err);
    if (s != PIO_OK && t.pdl) {
      /* A driver that cannot put programmatic dependencies in a graph:
       * the same kernels, launched one after another. */
      t.pdl = 0;
      s = lc_decode_capture(m, &t, err);
    }
  }
  if (s == PIO_OK) s = lc_cuda_check(cudaStreamSynchronize(m->stream), err, "model create");
  if (s == PIO_OK) describe(m);
  return s;
}

pio_status lc_model_create(const pio_model_config *config, const pio_model_options *opts,
                           pio_model **out, pio_error *err) {
  return pio_model_instance_create(config, opts, sizeof(pio_model), build, lc_model_destroy, out,
                                   err);
}

static void dfree(void *p) {
  if (p != NULL) cudaFree(p);
}

void lc_model_destroy(pio_model *m) {
  if (m == NULL) return;
  if (m->stream != NULL) cudaStreamSynchronize(m->stream);
  if (m->step_graph != NULL) cudaGraphExecDestroy(m->step_graph);
  lc_prefill_buffers *p = &m->pre;
  void *device[] = {p->tokens, p->x, p->xn, p->qkv, p->q, p->attn, p->gate_up, p->h, p->logits,
                    m->dec.step, m->dec.next, m->dec.x, m->dec.q, m->dec.attn, m->dec.h,
                    m->dec.logits, m->dec.attn_partial, m->dec.counters, m->dec.lm_value,
                    m->dec.lm_index, m->k_cache, m->v_cache, m->rope_cos, m->rope_sin};
  for (size_t i = 0; i < sizeof device / sizeof device[0]; i++) dfree(device[i]);
  if (m->dec.host_step != NULL) cudaFreeHost(m->dec.host_step);
  if (m->dec.host_next != NULL) cudaFreeHost(m->dec.host_next);
  lc_gemm_free(&m->gemm);
  lc_weights_free(&m->w);
  if (m->stream != NULL) cudaStreamDestroy(m->stream);
  llama_config_free(m->config);
  free(m);
}

void lc_model_reset(pio_model *m) {
  if (m != NULL) m->position = 0;
}

pio_status lc_model_stats(const pio_model *m, pio_model_stats *out, pio_error *err) {
  if (m == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: model is NULL");
  pio_model_stats s;
  memset(&s, 0, sizeof s);
  s.n_params = llama_config_param_count(m->config);
  s.weight_bytes = m->weight_bytes;
  s.weight_bytes_per_token = m->weight_bytes_per_token;
  s.flops_per_token = m->flops_per_token;
  s.kv_bytes = m->kv_bytes;
  s.position = m->position;
  s.max_context = m->max_context;
  s.n_threads = 1;
  s.kernel = m->kernel;
  s.kernel_prefill = "cuda cuBLASLt bf16";
  s.kernel_decode = "cuda gemv (TMA ring, graph)";
  s.matmul_dtypes = 1u << PIO_DTYPE_BF16;
  s.device = "cuda";
  s.device_name = m->device_name;
  return pio_model_stats_copy(&s, out, err);
}
