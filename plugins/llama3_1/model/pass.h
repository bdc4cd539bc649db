/* model/pass.h — what a forward pass of a Llama-like decoder works in: the
 * activation buffers of one chunk of tokens (the chunk loop itself is
 * pio_forward_chunks, pio/forward.h).  Nothing here is Llama's own: any
 * family whose layer is norm, fused qkv, attention, o_proj, norm, gated
 * MLP can take it as is (it is written to move into the SDK when a second
 * family needs it). */
#ifndef PIO_LLAMA3_1_PASS_H
#define PIO_LLAMA3_1_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/attention.h"
#include "pio/status.h"

/* The sizes the buffers are made for. */
typedef struct llama_pass_dims {
  uint32_t chunk;      /* most tokens one pass of the layers takes */
  uint32_t d_model;
  uint32_t qkv_dim;    /* rows of the fused q, k, v projection */
  uint32_t attn_dim;   /* attention output of a token: n_heads x v head size */
  uint32_t mlp_dim;    /* rows of the stacked gate/up projection */
  pio_attention_shape attention;
  uint32_t n_threads;  /* of the pool the attention runs on */
} llama_pass_dims;

/* Activations of one chunk, [chunk][...] each, 64-byte aligned, owned. */
typedef struct llama_pass_buffers {
  float *x;    /* residual stream [chunk][d_model] */
  float *xn;   /* normalised rows, the next matmul's input [chunk][d_model] */
  float *qkv;  /* [chunk][qkv_dim] */
  float *attn; /* [chunk][attn_dim] */
  float *proj; /* o_proj and down_proj outputs [chunk][d_model] */
  float *mlp;  /* [chunk][mlp_dim] */
  void *attention_scratch;
  size_t attention_scratch_size;
} llama_pass_buffers;

/* Allocates every buffer of dims; on failure frees what it made and says
 * so.  Free with llama_pass_buffers_free (also on a zeroed struct). */
pio_status llama_pass_buffers_alloc(llama_pass_buffers *b, const llama_pass_dims *dims,
                                    pio_error *err);
void llama_pass_buffers_free(llama_pass_buffers *b);
/* What llama_pass_buffers_alloc takes for dims, in bytes. */
size_t llama_pass_buffers_bytes(const llama_pass_dims *dims);

#endif
