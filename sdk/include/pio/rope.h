/* pio/rope.h — rotary position embeddings: the inverse frequencies of the
 * Hugging Face rope types (default, linear, llama3, yarn), tables of their
 * cosines and sines, and the rotation of query and key heads in either pair
 * layout, on all of a head or a part of it. */
#ifndef PIO_ROPE_H
#define PIO_ROPE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest rotary_dim accepted (rotated dimensions of one head). */
#define PIO_ROPE_MAX_DIM 4096u

/* rope_scaling's rope_type (or type). */
typedef enum pio_rope_type {
  PIO_ROPE_DEFAULT = 0, /* none, null or "default" */
  PIO_ROPE_LINEAR = 1,  /* inv_freq / factor */
  PIO_ROPE_LLAMA3 = 2,  /* Llama 3.1: low frequencies / factor, a smooth band between */
  PIO_ROPE_YARN = 3,    /* YaRN (DeepSeek-V2/V3, Qwen, GPT-OSS) */
} pio_rope_type;

/* Which dimensions of a head are rotated together. */
typedef enum pio_rope_layout {
  /* (i, i + rotary_dim/2) by inv_freq[i]: transformers' rotate_half, used
   * by every Hugging Face Llama-like model. */
  PIO_ROPE_HALF_SPLIT = 0,
  /* (2i, 2i+1) by inv_freq[i], in place: the pairs of Meta's and
   * DeepSeek's original checkpoints.  transformers' DeepseekV3
   * (apply_rotary_pos_emb_interleave, rope_interleave = true) rotates the
   * same pairs by the same angles but writes pair i's two results to i and
   * i + rotary_dim/2; that is a fixed permutation of the rotated dimensions,
   * the same for q and k, so every q.k (all attention sees) is equal. */
  PIO_ROPE_INTERLEAVED = 1,
} pio_rope_layout;

/* What a config.json says about RoPE.  Zero a struct and set the fields the
 * type uses (designated initializers); zero fields take transformers'
 * defaults where it has one; fields may be appended in later versions. */
typedef struct pio_rope_params {
  pio_rope_type type;
  pio_rope_layout layout;
  uint32_t rotary_dim;      /* even, 2..PIO_ROPE_MAX_DIM: head_dim, or less for a
                             * partial rotary (DeepSeek: qk_rope_head_dim) */
  double theta;             /* rope_theta, > 0 */
  double factor;            /* linear, llama3, yarn: > 0 */
  /* llama3 */
  double low_freq_factor;   /* > 0 */
  double high_freq_factor;  /* > low_freq_factor */
  /* llama3 and yarn: original_max_position_embeddings, > 0 (for yarn a
   * config without it means max_position_embeddings; the caller decides) */
  uint32_t original_max_position;
  /* yarn */
  double beta_fast;         /* 0: 32 */
  double beta_slow;         /* 0: 1 */
  double mscale;            /* 0: absent */
  double mscale_all_dim;    /* 0: absent */
  double attention_factor;  /* > 0: the config's attention_factor; 0: derived
                             * from factor, mscale and mscale_all_dim */
  int yarn_no_truncate;     /* 1: "truncate": false (GPT-OSS); 0: floor/ceil the
                             * correction range, transformers' default */
} pio_rope_params;

/* Checks p: each field the type uses in range.  The message names the
 * field as config.json spells it ("rope_scaling.factor must be > 0, found
 * -1") for the caller to prefix with the file. */
pio_status pio_rope_params_check(const pio_rope_params *p, pio_error *err);

/* The inverse frequencies inv_freq[p->rotary_dim / 2] of p (checked), in
 * float32 step by step as transformers' _compute_*_parameters forms them,
 * so that angles agree with it at long contexts.  *attention_factor (may
 * be NULL) is the factor transformers multiplies cos and sin by: 1, or
 * yarn's attention_factor (given, or get_mscale(factor, mscale) /
 * get_mscale(factor, mscale_all_dim) when both are set, else
 * get_mscale(factor)). */
void pio_rope_inv_freq(const pio_rope_params *p, float *inv_freq, double *attention_factor);

/* DeepSeek's yarn_get_mscale: 1 for scale <= 1, else 0.1 * mscale *
 * ln(scale) + 1.  DeepSeek-V2/V3 multiply the softmax scale by
 * yarn_get_mscale(factor, mscale_all_dim)^2 when mscale_all_dim is set. */
double pio_rope_yarn_mscale(double scale, double mscale);

/* Precomputed tables for positions [0, max_positions). */
typedef struct pio_rope {
  pio_rope_params params;   /* a copy */
  uint32_t half;            /* rotary_dim / 2 */
  uint32_t max_positions;
  float attention_factor;   /* folded into cos and sin (1 unless yarn) */
  /* cos[p][i] = f32(cos(f32(p * inv_freq[i]))) * attention_factor, the angle
   * rounded to float32 as transformers forms it, its cosine taken in double
   * and rounded once; sin alike.  [max_positions][half] each, owned. */
  float *cos;
  float *sin;
} pio_rope;

/* Checks params and fills *rope for max_positions (>= 1) positions.  On
 * failure *rope holds nothing to free.  Free with pio_rope_free. */
pio_status pio_rope_init(pio_rope *rope, const pio_rope_params *params, uint32_t max_positions,
                         pio_error *err);
/* Frees the tables; rope may be zeroed or already freed. */
void pio_rope_free(pio_rope *rope);

/* Rotates, in place, the first rotary_dim floats of every head of every
 * token: token t (at position first_pos + t, < max_positions) has heads
 * x[t * token_stride + h * head_stride + 0 .. rotary_dim), h < n_heads.
 * For a partial rotary at the end of a head (DeepSeek's q_pe after
 * q_nope) pass x pointing at the first rotated float of head 0. */
void pio_rope_apply(const pio_rope *rope, float *x, size_t n_tokens, size_t token_stride,
                    uint32_t n_heads, size_t head_stride, uint32_t first_pos);

#ifdef __cplusplus
}
#endif
#endif
