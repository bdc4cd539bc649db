/* sdk/src/decoder_internal.h — the insides of a pio_decoder, shared by its
 * files: decoder.c (create, stats), decoder_weights.c (tensors by name),
 * decoder_forward.c (the pass) and decoder_moe.c (the experts). */
#ifndef PIO_SDK_DECODER_INTERNAL_H
#define PIO_SDK_DECODER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pio/attention.h"
#include "pio/decoder.h"
#include "pio/kernels.h"
#include "pio/mlp.h"
#include "pio/moe.h"
#include "pio/threadpool.h"
#include "pio/weights.h"

/* Most tokens one pass of the layers takes (a longer prompt runs in chunks
 * of this many, so scratch stays bounded while each chunk still reads every
 * weight once for all its tokens), and the same on AMX tiles. */
#define DECODER_CHUNK 128u
#define DECODER_CHUNK_TILES 512u
/* KV capacity when the caller leaves max_context at 0. */
#define DECODER_DEFAULT_CONTEXT 4096u

/* A gated MLP (a dense layer's, or one expert's) and its biases. */
typedef struct decoder_ffn {
  pio_swiglu_weights w;      /* gate rows, then up rows; down */
  const float *gate_up_bias; /* [2 d_ff] in the same order, or NULL */
  const float *down_bias;    /* [d] or NULL */
} decoder_ffn;

typedef struct decoder_layer {
  const float *attn_norm, *mlp_norm; /* [d] */
  const float *post_attn_norm, *post_mlp_norm; /* [d] with sandwich norms, else NULL */
  pio_matrix qkv;                    /* [(H + 2 KV) head_dim][d]: q rows, k rows, v rows */
  const float *qkv_bias;             /* [(H + 2 KV) head_dim] or NULL */
  pio_matrix o;                      /* [d][H head_dim] */
  const float *o_bias;               /* [d] or NULL */
  const float *q_norm, *k_norm;      /* [head_dim] or NULL */
  const float *sinks;                /* [n_heads] or NULL */
  int rope;                          /* q and k rotate */
  uint32_t chunk;                    /* tokens per attention chunk; 0 none */
  uint32_t window;                   /* tokens attended to; 0 all */
  int moe;
  decoder_ffn mlp;            /* a dense layer's */
  pio_matrix router;          /* an MoE layer's [n_experts][d] */
  const float *router_bias;   /* [n_experts] or NULL */
  decoder_ffn *experts;       /* [n_experts], in the weight set */
  decoder_ffn shared;         /* the shared expert (shared.w.down.rows 0: none) */
} decoder_layer;

/* Scratch of the experts, for one chunk of n tokens. */
typedef struct decoder_moe {
  pio_moe_router router;
  float *logits;     /* [n][E] */
  uint32_t *experts; /* [n][k] */
  float *weights;    /* [n][k] */
  uint32_t *offsets; /* [E + 1] */
  uint32_t *entries; /* [n k] */
  float *rows;       /* [n][d]: the tokens of one expert */
  float *out;        /* [n][d]: its outputs */
  float *slots;      /* [n k][d]: every (token, slot) output */
  void *route;       /* pio_moe_route's scratch */
} decoder_moe;

struct pio_decoder {
  pio_decoder_spec spec; /* the caller's, its pointers not kept */
  pio_weights set;
  decoder_layer *layers; /* [n_layers], owned */
  pio_matrix embed, lm_head;
  const float *final_norm;
  pio_rope rope;
  pio_rope rope_local;         /* windowed layers' when spec.local_rope */
  pio_threadpool *pool;
  pio_kernel_plan plan;
  pio_kernel_path router_path; /* f32 activations: routing as Transformers computes it */
  uint32_t max_context, position, chunk;
  uint32_t q_dim, kv_dim, qkv_dim;
  float *k_cache, *v_cache; /* [n_layers][max_context][n_kv_heads][head_dim] each */
  uint64_t kv_bytes;
  /* Activations of one chunk, [chunk][...] each. */
  float *x, *xn, *qkv, *attn, *proj, *hidden;
  void *attention_scratch;
  size_t attention_scratch_size;
  decoder_moe moe;
  uint64_t flops_per_token, weight_bytes_per_token;
  uint32_t matmul_dtypes;
};

/* out[n][d] = f(x[n][d]) with spec.activation, on path; hidden holds
 * [n][2 d_ff]. */
void decoder_ffn_run(pio_decoder *d, const decoder_ffn *f, const float *x, uint32_t n,
                     pio_kernel_path path, float *hidden, float *out);

/* Every tensor of d's spec from d->set (files or synthetic). */
pio_status decoder_weights_build(pio_decoder *d, pio_error *err);

/* The feed-forward step of layer l on n tokens: proj[n][d] from xn. */
void decoder_moe_step(pio_decoder *d, const decoder_layer *L, uint32_t n);

/* The attention of layer (window tokens, 0 all) over n new tokens at start:
 * q from d->qkv, keys and values from the cache, out into d->attn. */
pio_attention_args decoder_attention_args(const pio_decoder *d, uint32_t layer, uint32_t window,
                                          uint32_t start, uint32_t n);

/* The pass of n <= chunk tokens (pio_forward_chunk_fn). */
void decoder_run_chunk(void *decoder, const int32_t *tokens, uint32_t n, float *logits,
                       int all_logits, int last_chunk);

#endif
