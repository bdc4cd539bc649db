/* model/model.h — a DeepSeek model instance (the plugin's pio_model): its
 * own config copy, weights, RoPE tables, MLA cache, thread pool and
 * scratch, all allocated at create so that a forward pass allocates
 * nothing.  Scratch holds at most `chunk` tokens. */
#ifndef PIO_DEEPSEEK_R1_MODEL_H
#define PIO_DEEPSEEK_R1_MODEL_H

#include <stdint.h>

#include "config/deepseek_config.h"
#include "kv_cache/kv_cache.h"
#include "model/weights.h"
#include "pio/attention.h"
#include "pio/kernels.h"
#include "pio/moe.h"
#include "pio/rope.h"
#include "pio/threadpool.h"

/* Most tokens one pass of the layers takes: a longer prompt runs in
 * chunks, so scratch stays bounded while each chunk still reads every
 * weight (and every chosen expert) once for all its tokens. */
#define DEEPSEEK_PREFILL_CHUNK 128u
/* KV capacity when the caller leaves max_context at 0. */
#define DEEPSEEK_DEFAULT_CONTEXT 4096u

/* Scratch of the attention step, [chunk] rows each. */
typedef struct deepseek_attn_scratch {
  float *in;       /* xn's input projections [chunk][in.rows] */
  float *q_a;      /* normalised q_a [chunk][q_lora_rank] (q LoRA) */
  float *q;        /* q_b's output [chunk][n_heads][qk] (q LoRA) */
  float *q_lat;    /* absorbed queries [chunk][n_heads][kv_lora_rank + qk_rope] */
  float *lat;      /* attention output in the latent [chunk][n_heads][kv_lora_rank] */
  float *heads;    /* per-head values [chunk][n_heads][v_head] */
  float *gather;   /* per thread [chunk][max(qk_nope, kv_lora_rank)] */
  float *product;  /* per thread [chunk][max(kv_lora_rank, v_head)] */
  size_t per_thread; /* floats of gather and of product per thread */
  void *attention;   /* pio_attention's scratch */
  size_t attention_bytes;
} deepseek_attn_scratch;

/* Scratch of the MoE step. */
typedef struct deepseek_moe_scratch {
  float *logits;      /* router [chunk][n_routed_experts] */
  uint32_t *experts;  /* [chunk][k] */
  float *weights;     /* [chunk][k] */
  uint32_t *offsets;  /* [n_routed_experts + 1] */
  uint32_t *entries;  /* [chunk * k] */
  float *rows;        /* one expert's gathered inputs [chunk][d] */
  float *hidden;      /* [chunk][2 * widest] */
  float *out;         /* one expert's outputs [chunk][d] */
  float *slots;       /* every (token, slot) output [chunk * k][d] */
  void *route;        /* pio_moe_route's scratch */
  size_t widest;      /* d_ff of the widest MLP, hidden's row is twice it */
  pio_moe_router router; /* bias set per layer */
} deepseek_moe_scratch;

struct pio_model {
  pio_model_config *config; /* own copy */
  deepseek_weights weights;
  pio_rope rope;
  deepseek_kv_cache cache;
  pio_threadpool *pool;
  pio_kernel_plan plan;     /* matmul kernel paths for prefill and decode, and why */
  pio_kernel_path router_path; /* the router's: f32 activations, as Transformers' f32 router */
  float softmax_scale;
  uint32_t position;        /* tokens in the cache */
  uint32_t chunk;           /* tokens a scratch buffer holds */
  float *x;                 /* residual stream [chunk][d] */
  float *xn;                /* normalised rows, the next step's input [chunk][d] */
  float *proj;              /* a step's output [chunk][d] */
  deepseek_attn_scratch attn;
  deepseek_moe_scratch moe;
  uint64_t flops_per_token;
  uint64_t weight_bytes_per_token;
  char weights_note[192];   /* how the weights are held, for stats */
};

/* pio_model_api functions. */
pio_status deepseek_model_create(const pio_model_config *config, const pio_model_options *opts,
                                 pio_model **out, pio_error *err);
void deepseek_model_destroy(pio_model *model);
pio_status deepseek_model_forward(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                                  float *logits, int all_logits, pio_error *err);
void deepseek_model_reset(pio_model *model);
pio_status deepseek_model_stats(const pio_model *model, pio_model_stats *out, pio_error *err);

/* The matmul path for n tokens under the model's plan. */
static inline pio_kernel_path deepseek_path(const pio_model *m, size_t n) {
  return pio_kernel_plan_path(&m->plan, n);
}

/* The layer steps (attention/mla.c, mlp/moe.c): on xn[n][d] of the n
 * tokens at positions [start, start + n), write proj[n][d]. */
void deepseek_mla(pio_model *m, uint32_t layer, uint32_t start, uint32_t n);
void deepseek_moe(pio_model *m, uint32_t layer, uint32_t n);
void deepseek_dense_mlp(pio_model *m, uint32_t layer, uint32_t n);
/* The arguments deepseek_mla gives the SDK's attention (also checked once
 * at create). */
pio_attention_args deepseek_mla_args(const pio_model *m, uint32_t layer, uint32_t start,
                                     uint32_t n);

#endif
