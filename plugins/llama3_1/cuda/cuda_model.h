/* cuda/cuda_model.h — a Llama model instance on a CUDA device (the CUDA
 * module's pio_model): bf16 weights, the KV cache, RoPE tables and every
 * scratch buffer in device memory, all allocated at create; the decode
 * step captured once as a CUDA graph; a stream of its own. */
#ifndef PIO_LLAMA3_1_CUDA_MODEL_H
#define PIO_LLAMA3_1_CUDA_MODEL_H

#include <stdint.h>

#include <cuda_runtime_api.h>

#include "config/llama_config.h"
#include "cuda/cuda_gemm.h"
#include "cuda/kernels/launch.h"
#include "pio/plugin.h"

/* Most tokens one prefill pass takes; longer prompts run in chunks. */
#define LC_PREFILL_CHUNK 1024u
/* KV capacity when the caller leaves max_context at 0, as the CPU
 * module's LLAMA_DEFAULT_CONTEXT. */
#define LC_DEFAULT_CONTEXT 4096u

/* One layer's weights, device pointers into lc_weights.block. */
typedef struct lc_layer {
  const float *attn_norm;  /* [d] */
  const float *mlp_norm;   /* [d] */
  const uint16_t *qkv;     /* [(H + 2 KV) D][d]: q rows, k rows, v rows */
  const uint16_t *o;       /* [d][H D] */
  const uint16_t *gate_up; /* [2 ff][d]: gate rows, up rows */
  const uint16_t *down;    /* [d][ff] */
} lc_layer;

typedef struct lc_weights {
  void *block;              /* one device allocation holding everything, owned */
  size_t bytes;
  const uint16_t *embed;    /* [vocab][d] */
  const uint16_t *lm_head;  /* [vocab][d]; embed when tied */
  const float *final_norm;  /* [d] */
  lc_layer *layers;         /* [n_layers], host memory, owned */
} lc_weights;

/* Device scratch of the prefill, [chunk][...] each. */
typedef struct lc_prefill_buffers {
  int32_t *tokens;   /* [chunk] */
  float *x;          /* residual stream [chunk][d] */
  uint16_t *xn;      /* normalised rows, bf16 [chunk][d] */
  float *qkv;        /* [chunk][qkv_dim] */
  uint16_t *q;       /* rotated queries, bf16 [chunk][H][D] */
  uint16_t *attn;    /* bf16 [chunk][H D] */
  float *gate_up;    /* [chunk][2 ff] */
  uint16_t *h;       /* bf16 [chunk][ff] */
  float *logits;     /* [logit_rows][vocab]; grown when all logits are asked */
  uint32_t logit_rows;
} lc_prefill_buffers;

/* Device scratch and host mailboxes of the decode step. */
typedef struct lc_decode_buffers {
  lc_step *step;          /* device copy of *host_step, the graph's first node */
  lc_step *host_step;     /* pinned */
  int32_t *next;          /* device: the argmax of the step's logits */
  int32_t *host_next;     /* pinned, the graph's last node copies next here */
  float *x;               /* residual [d] */
  float *q;               /* [H D] */
  uint16_t *attn;         /* bf16 [H D] */
  uint16_t *h;            /* bf16 [ff] */
  float *logits;          /* [vocab] */
  float *attn_partial;    /* lc_decode_attention_partial_floats */
  uint32_t *counters;     /* [KV + 1]: attention per KV head, then lm_head */
  float *lm_value;        /* [lc_decode_lm_head_partials] */
  uint32_t *lm_index;
} lc_decode_buffers;

struct pio_model {
  pio_model_config *config;  /* own copy */
  int device;                /* CUDA device ordinal */
  char device_name[256];
  uint32_t sm_count;
  uint32_t smem_per_block;   /* shared memory a block may have (opt-in) */
  cudaStream_t stream;
  lc_gemm gemm;
  lc_weights w;
  uint16_t *k_cache, *v_cache; /* bf16 [layers][KV][max_context][D] each */
  float *rope_cos, *rope_sin;  /* [max_context][D / 2] */
  lc_prefill_buffers pre;
  lc_decode_buffers dec;
  lc_decode_tuning tuning;     /* what the graph was captured with */
  cudaGraphExec_t step_graph;  /* NULL until captured */
  uint32_t position;           /* tokens in the cache */
  uint32_t max_context;
  uint32_t chunk;              /* tokens a prefill pass takes */
  uint32_t qkv_dim;            /* (H + 2 KV) D */
  int failed;                  /* a CUDA error left the device state unknown */
  char kernel[128];            /* pio_model_stats.kernel */
  uint64_t weight_bytes;
  uint64_t weight_bytes_per_token;
  uint64_t flops_per_token;
  uint64_t kv_bytes;
};

/* pio_model_api of the CUDA module (cuda_model.c, cuda_forward.c). */
pio_status lc_model_create(const pio_model_config *config, const pio_model_options *opts,
                           pio_model **out, pio_error *err);
void lc_model_destroy(pio_model *model);
pio_status lc_model_forward(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                            float *logits, int all_logits, pio_error *err);
pio_status lc_model_forward_argmax(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                                   int32_t *next_token, pio_error *err);
void lc_model_reset(pio_model *model);
pio_status lc_model_stats(const pio_model *model, pio_model_stats *out, pio_error *err);

/* Weights on the device (cuda_weights.c), from the CPU module's walk over
 * the files or the synthetic seed that o names, narrowed to bf16. */
pio_status lc_weights_upload(pio_model *m, const pio_model_options *o, pio_error *err);
void lc_weights_free(lc_weights *w);

/* The decode step (cuda_decode.c): captures it as a graph with tuning
 * (replacing any earlier capture), and runs one token through it. */
pio_status lc_decode_capture(pio_model *m, const lc_decode_tuning *tuning, pio_error *err);
pio_status lc_decode_step(pio_model *m, int32_t token, float *logits, int32_t *next,
                          pio_error *err);
/* What lc_decode_capture uses when nothing else is asked (or what
 * PIO_CUDA_DECODE says). */
lc_decode_tuning lc_decode_tuning_default(const pio_model *m);
/* A tuning from text: "pdl,blocks_per_sm,stages,attn_splits,attn_min_positions",
 * optionally ",attn_block_splits" and then ",attn_bound", then for any GEMV
 * kind (lc_gemv_kind) "/kind:blocks_per_sm:stages", then optionally
 * "!MASK", timing probes (LC_PROBE_*: wrong logits).
 * Returns the text after it, or NULL when it is not that form; ranges are
 * lc_decode_capture's to check. */
const char *lc_decode_tuning_parse(const char *text, lc_decode_tuning *out);

#endif
