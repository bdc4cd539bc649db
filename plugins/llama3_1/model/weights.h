/* model/weights.h — a Llama model's weights as the forward pass reads them:
 * matrices kept in their stored dtype (views into the safetensors mapping,
 * or stacked copies where two matrices are read by one matmul), norm
 * vectors widened to f32, all held by a pio_weights set (pio/weights.h). */
#ifndef PIO_LLAMA3_1_WEIGHTS_H
#define PIO_LLAMA3_1_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "config/llama_config.h"
#include "pio/kernels.h"
#include "pio/mlp.h"
#include "pio/threadpool.h"
#include "pio/weights.h"

typedef struct llama_layer_weights {
  const float *attn_norm; /* input_layernorm [d] */
  const float *mlp_norm;  /* post_attention_layernorm [d] */
  pio_matrix qkv;         /* [(H + 2 KV) * head_dim][d]: q rows, k rows, v rows */
  pio_matrix o;           /* [d][H * head_dim] */
  pio_swiglu_weights mlp; /* gate_up [2 d_ff][d] (gate rows, then up), down [d][d_ff] */
} llama_layer_weights;

typedef struct llama_weights {
  pio_weights set;             /* the files (or synthetic) and every buffer the weights own */
  pio_matrix embed;            /* embed_tokens [vocab][d] */
  pio_matrix lm_head;          /* [vocab][d]; the embedding when tied */
  const float *final_norm;     /* [d] */
  llama_layer_weights *layers; /* [n_layers], owned by set */
  uint32_t n_layers;
} llama_weights;

/* Reads the weights of config from the safetensors in dir: every tensor
 * LlamaForCausalLM has, each with exactly its shape.  Tensors the model
 * does not use are an error naming them (the config and the files then
 * disagree), except rotary inv_freq buffers and a tied lm_head, which
 * Transformers ignores too.  The files are mapped (PIO_WEIGHTS_MAP) or read
 * into memory of the model's own (PIO_WEIGHTS_READ; pio/plugin.h).  w is
 * filled; free with llama_weights_free. */
pio_status llama_weights_load(llama_weights *w, const pio_model_config *config,
                              const char *dir, uint32_t load, pio_error *err);

/* Deterministic random weights of config's shapes in dtype (f32, bf16 or
 * f16), built with pool (may be NULL) and scaled so activations keep unit
 * size through every layer. */
pio_status llama_weights_synthetic(llama_weights *w, const pio_model_config *config,
                                   pio_dtype dtype, uint64_t seed, pio_threadpool *pool,
                                   pio_error *err);

void llama_weights_free(llama_weights *w);

/* Bytes one decoded token reads: every matrix, the norms as f32, one
 * embedding row. */
uint64_t llama_weights_bytes_per_token(const llama_weights *w, const pio_model_config *config);

#endif
