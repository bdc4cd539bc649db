/* rotary/rope.h — rotary position embeddings as Hugging Face Llama applies
 * them (rotate_half pairing of dimension i with i + head_dim/2), with
 * rope_theta and the llama3 frequency scaling, from precomputed tables. */
#ifndef PIO_LLAMA3_1_ROPE_H
#define PIO_LLAMA3_1_ROPE_H

#include <stdint.h>

#include "config/llama_config.h"

typedef struct llama_rope {
  uint32_t half;        /* head_dim / 2 */
  uint32_t max_context; /* positions the tables cover */
  float *cos;           /* cos[max_context][half], owned */
  float *sin;           /* sin[max_context][half], owned */
} llama_rope;

/* Inverse frequencies inv_freq[head_dim / 2] of config, llama3 scaling
 * applied when rope_scaling says so.  Computed in float32 step by step as
 * Transformers computes them, so angles agree with it at long contexts. */
void llama_rope_inv_freq(const pio_model_config *config, float *inv_freq);

/* Fills the tables for positions [0, max_context).  rope->cos/sin owned by
 * rope (llama_rope_free). */
pio_status llama_rope_init(llama_rope *rope, const pio_model_config *config,
                           uint32_t max_context, pio_error *err);
void llama_rope_free(llama_rope *rope);

/* Rotates vec[n_heads][2 * half] in place for position pos (< max_context). */
void llama_rope_apply(const llama_rope *rope, float *vec, uint32_t n_heads, uint32_t pos);

#endif
