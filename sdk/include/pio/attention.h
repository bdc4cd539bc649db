/* pio/attention.h — causal softmax attention of a run of new query tokens
 * over a KV cache: MHA, GQA and MQA, key and value heads of their own sizes
 * and strides (so DeepSeek's MLA in absorbed form is MQA over its latent
 * cache), the softmax scale given by the caller, an optional sliding
 * window, per-head sink logits and a logit soft-cap.
 *
 * How it computes: flash-style.  The (token, head) rows of one KV head are
 * taken in tiles; each tile walks the visible keys in blocks, keeping a
 * running max, a running sum and an unnormalised output per row (online
 * softmax), so no score row of the whole context is ever stored.  A call
 * with few tokens (decode) also splits the positions into ranges computed
 * apart and merged (flash-decoding), so a long context keeps every thread
 * busy.  Tiles, blocks and splits depend on the shapes, the position and
 * the context length only, never on the thread count: the result is the
 * same bits for any pool size.  Scalar reference, AVX2 and AVX-512 paths. */
#ifndef PIO_ATTENTION_H
#define PIO_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "pio/kernels.h"
#include "pio/status.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The head counts and sizes the scratch depends on. */
typedef struct pio_attention_shape {
  uint32_t n_heads;    /* query heads, >= 1 */
  uint32_t n_kv_heads; /* divides n_heads: MHA n_heads, GQA fewer, MQA 1 */
  uint32_t k_dim;      /* floats of a query and of a key head, >= 1 */
  uint32_t v_dim;      /* floats of a value head and of an output head, >= 1 */
} pio_attention_shape;

/* One call: n_tokens new tokens at positions [start, start + n_tokens),
 * their keys and values already in the cache with those of every earlier
 * position.  Zero a struct and set the fields (designated initializers);
 * fields may be appended in later versions, zero meaning "off". */
typedef struct pio_attention_args {
  pio_attention_shape shape;
  uint32_t n_tokens;          /* >= 1 */
  uint32_t start;             /* position of the first new token */
  /* Query head h of token t: q[t * q_token_stride + h * q_head_stride + i],
   * i < k_dim, rotated already. */
  const float *q;
  size_t q_token_stride;
  size_t q_head_stride;
  /* Key head g at position p: k[p * k_pos_stride + g * k_head_stride + i],
   * i < k_dim, for p < start + n_tokens.  Value head g alike with v and
   * v_dim.  k and v may overlap (read only): absorbed MLA passes one cache
   * row [c_kv ; k_rope] as the key (k_dim = kv_lora_rank + rope dim) and its
   * first kv_lora_rank floats as the value. */
  const float *k;
  size_t k_pos_stride;
  size_t k_head_stride;
  const float *v;
  size_t v_pos_stride;
  size_t v_head_stride;
  /* Output head h of token t: out[t * out_token_stride + h * out_head_stride
   * + i], i < v_dim.  Must not overlap q, k or v. */
  float *out;
  size_t out_token_stride;
  size_t out_head_stride;
  /* logit(t, h, p) = scale * q . k.  1/sqrt(k_dim) for most models; the
   * caller folds in what else its model multiplies by (DeepSeek with YaRN:
   * times pio_rope_yarn_mscale(factor, mscale_all_dim)^2). */
  float scale;
  /* 0: every earlier position.  w > 0: a token at position P sees only
   * positions (P - w, P], the last w including itself (Mistral, Gemma 2/3
   * local layers, GPT-OSS; transformers' sliding_window). */
  uint32_t window;
  /* NULL, or sinks[n_heads]: head h's softmax has one more logit, sinks[h],
   * that takes probability but carries no value (GPT-OSS). */
  const float *sinks;
  /* 0, or c > 0: logits become c * tanh(logit / c) before the softmax
   * (Gemma 2's attn_logit_softcapping). */
  float softcap;
  /* Scratch of at least pio_attention_scratch_size(&shape, pool size)
   * bytes, 64-byte aligned; owned by the caller, reused across calls. */
  void *scratch;
  size_t scratch_size;
  /* 0, or c > 0: a token at position P sees only the positions of its own
   * chunk of c, [P - P mod c, P] (Llama 4's chunked attention; with a
   * window too, the narrower of the two). */
  uint32_t chunk;
} pio_attention_args;

/* Bytes of scratch a call of this shape needs on a pool of n_threads
 * (pio_threadpool_size; 1 for no pool), for any n_tokens and context. */
size_t pio_attention_scratch_size(const pio_attention_shape *shape, uint32_t n_threads);

/* Checks every field of a (shapes, strides, pointers, scratch size for
 * n_threads) and names the first that is wrong.  The attention itself
 * trusts its arguments; call this once where they are set up, and in
 * tests. */
pio_status pio_attention_check(const pio_attention_args *a, uint32_t n_threads,
                               pio_error *err);

/* out = softmax(logits over the visible positions) . v for every new
 * token and query head; query head h reads KV head h / (n_heads /
 * n_kv_heads).  Runs on pool (NULL: the caller's thread), best path. */
void pio_attention(pio_threadpool *pool, const pio_attention_args *a);

/* The same on a chosen path (scalar when path is not available here). */
void pio_attention_on(pio_kernel_path path, pio_threadpool *pool, const pio_attention_args *a);

#ifdef __cplusplus
}
#endif
#endif
