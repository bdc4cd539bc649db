/* cuda/kernels/launch.h — the CUDA variant's kernels as the C side calls
 * them: one launcher a kernel, each enqueuing on a stream and returning the
 * launch's cudaError_t.  Pointers are device memory unless named host_;
 * bf16 tensors are passed as uint16_t (their bit pattern).  Shapes are
 * written beside each argument; d = hidden_size, D = head_dim. */
#ifndef PIO_LLAMA3_1_CUDA_LAUNCH_H
#define PIO_LLAMA3_1_CUDA_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What one decode step reads before anything else: written by the host
 * (copied in as the step graph's first node), never by a kernel. */
typedef struct lc_step {
  int32_t token;
  uint32_t pos; /* the token's position: the cache holds pos tokens before it */
} lc_step;

/* The decode step's GEMVs, for settings of their own. */
typedef enum lc_gemv_kind {
  LC_GEMV_QKV = 0,
  LC_GEMV_O = 1,
  LC_GEMV_GATE_UP = 2,
  LC_GEMV_DOWN = 3,
  LC_GEMV_LM_HEAD = 4,
  LC_GEMV_KINDS = 5
} lc_gemv_kind;

/* How decode kernels are launched (tuning; lc_decode_tuning_default). */
typedef struct lc_decode_tuning {
  int pdl;                /* launch with programmatic dependent launch */
  uint32_t blocks_per_sm; /* GEMV grid: at most this many blocks a multiprocessor (1-2) */
  uint32_t stages;        /* GEMV: most ring stages a warp, 2 to lc_gemv_max_stages(); fewer
                           * when shared memory runs out */
  uint32_t attn_splits;   /* most splits of the context in decode attention (1-32) */
  uint32_t attn_min_positions; /* fewest positions a split takes (1-1024): a short context
                                * uses fewer splits */
  uint32_t kind_blocks_per_sm[LC_GEMV_KINDS]; /* 0, or blocks_per_sm for that GEMV */
  uint32_t kind_stages[LC_GEMV_KINDS];        /* 0, or stages for that GEMV */
  uint32_t attn_block_splits; /* 0 or 1: a block a split; S: a block takes S splits of one KV
                               * head (a warp a split and query head) and merges them in shared
                               * memory; S divides attn_splits, S x the group at most 32 warps */
  uint32_t attn_bound;        /* 0 or 1024: the attention kernel built with
                               * __launch_bounds__(1024) (64 registers a thread; spills at
                               * head_dim 128); 512: built with (512) where its block has at
                               * most 512 threads (no spills), (1024) otherwise */
  uint32_t probe;             /* LC_PROBE_* bits: timing only, the logits are WRONG */
} lc_decode_tuning;

/* Timing probes (lc_decode_tuning.probe, "!MASK" after a setting): each
 * leaves a part of the step out, so the step's logits are wrong; only a
 * setting parsed from PIO_TUNE_SWEEP (pio-cuda-tune) or PIO_CUDA_DECODE
 * (which warns) carries one, the default never; lc_decode_capture refuses
 * unknown bits. */
enum {
  LC_PROBE_NO_ATTENTION = 1,   /* no attention kernel: o_proj reads a stale input and follows qkv */
  LC_PROBE_ATTN_NO_MERGE = 4,  /* attention's blocks write their split and return (no merge) */
  LC_PROBE_ATTN_EMPTY = 8,     /* attention's blocks return at griddepcontrol.wait */
  LC_PROBE_O_NO_WAIT = 16,     /* o_proj does not wait for attention */
  LC_PROBE_NO_NORM = 128,      /* qkv and gate_up copy a stale bf16 vector (no RMSNorm; layer 0
                                * still reads its embedding row) */
  LC_PROBE_ATTN_NO_WAIT = 256, /* attention does not wait for qkv (stale q, k, v) */
  LC_PROBES = 1 | 4 | 8 | 16 | 128 | 256
};

/* What the GEMV launchers size their grids and rings by. */
typedef struct lc_device {
  uint32_t sm_count;
  uint32_t smem_per_block; /* cudaDevAttrMaxSharedMemoryPerBlockOptin */
} lc_device;

/* Where a GEMV's input vector xs[cols] comes from. */
typedef enum lc_input_mode {
  LC_INPUT_COPY = 0,       /* xs = x_bf16 (a kernel's bf16 output, as xs holds it) */
  LC_INPUT_NORM = 1,       /* xs = rmsnorm(x) * norm */
  LC_INPUT_EMBED_NORM = 2  /* x = embed[step->token] (block 0 stores it in x_out); xs = rmsnorm(x) * norm */
} lc_input_mode;

typedef struct lc_gemv_input {
  lc_input_mode mode;
  const float *x;          /* [cols], NORM */
  const uint16_t *x_bf16;  /* [cols], COPY */
  const float *norm;       /* [cols] */
  float eps;
  const uint16_t *embed;   /* [vocab][cols] */
  const lc_step *step;
  float *x_out;            /* [cols] */
  int no_wait;             /* probe LC_PROBE_O_NO_WAIT: skip griddepcontrol.wait (wrong results) */
} lc_gemv_input;

/* Lets the GEMVs use up to smem_per_block bytes of shared memory (the
 * device's cudaDevAttrMaxSharedMemoryPerBlockOptin).  Once per process and
 * device is enough; safe to repeat. */
cudaError_t lc_gemv_prepare(size_t smem_per_block);
/* Bytes of shared memory a GEMV block over cols with `stages` needs. */
size_t lc_gemv_shared_bytes(uint32_t cols, uint32_t stages);
/* The deepest ring built. */
uint32_t lc_gemv_max_stages(void);

/* qkv[(H + 2 KV) D] = Wqkv[(H + 2 KV) D][d] . xs, then RoPE on q and k at
 * step->pos with tables cos, sin[max_context][D/2]; q[H D] is written in
 * f32, k and v into the layer's cache k, v[KV][max_context][D] at pos. */
cudaError_t lc_decode_qkv(cudaStream_t s, const lc_decode_tuning *t, const lc_device *dev,
                          const uint16_t *w_qkv, uint32_t d, const lc_gemv_input *in,
                          uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                          uint32_t max_context, const float *cos, const float *sin,
                          const lc_step *step, float *q, uint16_t *k_cache, uint16_t *v_cache);

/* x[rows] += W[rows][cols] . xs (o_proj and down_proj with their residual). */
cudaError_t lc_decode_residual(cudaStream_t s, const lc_decode_tuning *t, const lc_device *dev,
                               const uint16_t *w, uint32_t rows, uint32_t cols,
                               const lc_gemv_input *in, float *x);

/* h[ff] (bf16) = silu(Wg . xs) * (Wu . xs), W = [gate; up][2 ff][d] stacked. */
cudaError_t lc_decode_swiglu(cudaStream_t s, const lc_decode_tuning *t, const lc_device *dev,
                             const uint16_t *w_gate_up, uint32_t ff, uint32_t d,
                             const lc_gemv_input *in, uint16_t *h);

/* logits[vocab] = W[vocab][d] . xs and *next = the index of the largest
 * (the lowest on ties).  partial: scratch of lc_decode_lm_head_partials()
 * pairs; counter: one zeroed word, left zeroed. */
cudaError_t lc_decode_lm_head(cudaStream_t s, const lc_decode_tuning *t, const lc_device *dev,
                              const uint16_t *w, uint32_t vocab, uint32_t d,
                              const lc_gemv_input *in, float *logits, int32_t *next,
                              float *partial_value, uint32_t *partial_index,
                              uint32_t *counter);
/* Entries partial_value and partial_index need at most. */
uint32_t lc_decode_lm_head_partials(const lc_decode_tuning *t, const lc_device *dev);

/* Attention of one new token (decode), split over the context:
 * out[H][D] (bf16) = softmax(q k^T / sqrt(D)) v over positions [0, step->pos],
 * query head h reading KV head h / (H / KV).  partial: scratch of
 * lc_decode_attention_partial_floats(); counters[KV] zeroed, left zeroed. */
cudaError_t lc_decode_attention(cudaStream_t s, const lc_decode_tuning *t, const float *q,
                                const uint16_t *k_cache, const uint16_t *v_cache,
                                uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                                uint32_t max_context, const lc_step *step, float *partial,
                                uint32_t *counters, uint16_t *out);
size_t lc_decode_attention_partial_floats(const lc_decode_tuning *t, uint32_t n_heads,
                                          uint32_t head_dim);

/* ---- prefill: n tokens at positions [start, start + n) -------------- */

/* x[n][d] = embed[tokens[n]] widened to f32. */
cudaError_t lc_embed_rows(cudaStream_t s, const int32_t *tokens, uint32_t n,
                          const uint16_t *embed, uint32_t d, float *x);
/* out[n][d] (bf16) = rmsnorm(x[n][d]) * norm[d]; x rows x_stride apart. */
cudaError_t lc_rmsnorm_rows(cudaStream_t s, const float *x, size_t x_stride, uint32_t n,
                            uint32_t d, const float *norm, float eps, uint16_t *out);
/* From qkv[n][(H + 2 KV) D] (f32): q rotated into q_out[n][H][D] (bf16),
 * k rotated and v into the layer's cache at positions start + t. */
cudaError_t lc_rope_store_rows(cudaStream_t s, const float *qkv, uint32_t n, uint32_t start,
                               uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                               uint32_t max_context, const float *cos, const float *sin,
                               uint16_t *q_out, uint16_t *k_cache, uint16_t *v_cache);
/* Causal attention of the n new tokens over the cache, tiled for tensor
 * cores: out[n][H D] (bf16) from q[n][H][D]. */
cudaError_t lc_prefill_attention(cudaStream_t s, const uint16_t *q, const uint16_t *k_cache,
                                 const uint16_t *v_cache, uint32_t n, uint32_t start,
                                 uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim,
                                 uint32_t max_context, uint16_t *out);
/* Head sizes the tiled prefill and the decode attention are built for. */
int lc_attention_head_dim_supported(uint32_t head_dim);
/* h[n][ff] (bf16) = silu(gu[n][0:ff]) * gu[n][ff:2ff] from gu[n][2 ff] (f32). */
cudaError_t lc_silu_mul_rows(cudaStream_t s, const float *gu, uint32_t n, uint32_t ff,
                             uint16_t *h);
/* *out = index of the largest of x[n] (the lowest on ties). */
cudaError_t lc_argmax(cudaStream_t s, const float *x, uint32_t n, int32_t *out);

/* ---- weights -------------------------------------------------------- */

/* dst[n] (bf16) from src[n] of dtype 0 = f32, 1 = f16 (device memory). */
cudaError_t lc_to_bf16(cudaStream_t s, const void *src, int src_is_f16, size_t n,
                       uint16_t *dst);

#ifdef __cplusplus
}
#endif
#endif
