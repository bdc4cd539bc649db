/* model/weights_synthetic.c — deterministic random weights of a Llama
 * configuration's shapes, for running published sizes without downloads.
 * Each matrix is drawn with standard deviation 1 / sqrt(input features),
 * so a unit-size input gives a unit-size output; norm weights are 1.  q, k,
 * v and gate, up are built already stacked, as the forward pass reads them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/weights.h"
#include "model/weights_internal.h"
#include "pio/synthetic.h"

typedef struct synth {
  llama_weights *w;
  pio_dtype dtype;
  uint64_t seed;
  pio_threadpool *pool;
} synth;

/* A rows x cols matrix named name (the name seeds its own stream). */
static pio_status matrix(synth *s, const char *name, uint32_t rows, uint32_t cols,
                         pio_matrix *out, pio_error *err) {
  const size_t n = (size_t)rows * cols;
  void *data = llama_weights_alloc(s->w, n * pio_dtype_size(s->dtype), err);
  if (data == NULL) return PIO_ERR_NO_MEMORY;
  pio_status st = pio_synthetic_fill(s->pool, s->seed, pio_synthetic_stream(name),
                                     PIO_SYNTHETIC_UNIFORM, 0.0f, 1.0f / sqrtf((float)cols),
                                     s->dtype, data, n, err);
  if (st != PIO_OK) return st;
  *out = (pio_matrix){.data = data, .dtype = s->dtype, .rows = rows, .cols = cols};
  s->w->weight_bytes += llama_matrix_bytes(out);
  return PIO_OK;
}

/* A norm weight of ones, stored in f32. */
static pio_status ones(synth *s, uint32_t d, const float **out, pio_error *err) {
  float *f = llama_weights_alloc(s->w, (size_t)d * sizeof *f, err);
  if (f == NULL) return PIO_ERR_NO_MEMORY;
  for (uint32_t i = 0; i < d; i++) f[i] = 1.0f;
  s->w->weight_bytes += (uint64_t)d * sizeof *f;
  *out = f;
  return PIO_OK;
}

static pio_status layer(synth *s, const pio_model_config *c, uint32_t l, pio_error *err) {
  llama_layer_weights *L = &s->w->layers[l];
  const uint32_t d = c->hidden_size, q_dim = c->n_heads * c->head_dim;
  const uint32_t qkv_rows = (c->n_heads + 2 * c->n_kv_heads) * c->head_dim;
  char name[128];
  pio_status st;
#define NAMED(suffix) (snprintf(name, sizeof name, "model.layers.%u.%s", l, suffix), name)
  if ((st = matrix(s, NAMED("self_attn.qkv_proj.weight"), qkv_rows, d, &L->qkv, err)) ||
      (st = matrix(s, NAMED("self_attn.o_proj.weight"), d, q_dim, &L->o, err)) ||
      (st = matrix(s, NAMED("mlp.gate_up_proj.weight"), 2 * c->intermediate_size, d,
                   &L->mlp.gate_up, err)) ||
      (st = matrix(s, NAMED("mlp.down_proj.weight"), d, c->intermediate_size, &L->mlp.down,
                   err)) ||
      (st = ones(s, d, &L->attn_norm, err)) || (st = ones(s, d, &L->mlp_norm, err)))
    return st;
#undef NAMED
  return PIO_OK;
}

pio_status llama_weights_synthetic(llama_weights *w, const pio_model_config *c, pio_dtype dtype,
                                   uint64_t seed, pio_threadpool *pool, pio_error *err) {
  memset(w, 0, sizeof *w);
  if (dtype != PIO_DTYPE_F32 && dtype != PIO_DTYPE_BF16 && dtype != PIO_DTYPE_F16)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "synthetic weights: dtype %s is not "
                         "f32, bf16 or f16", pio_dtype_name(dtype));
  synth s = {.w = w, .dtype = dtype, .seed = seed, .pool = pool};
  pio_status st = llama_weights_begin(w, c, err);
  if (st == PIO_OK)
    st = matrix(&s, "model.embed_tokens.weight", c->vocab_size, c->hidden_size, &w->embed, err);
  for (uint32_t l = 0; st == PIO_OK && l < c->n_layers; l++) st = layer(&s, c, l, err);
  if (st == PIO_OK) st = ones(&s, c->hidden_size, &w->final_norm, err);
  if (st == PIO_OK) {
    if (c->tie_word_embeddings)
      w->lm_head = w->embed;
    else
      st = matrix(&s, "lm_head.weight", c->vocab_size, c->hidden_size, &w->lm_head, err);
  }
  if (st != PIO_OK) llama_weights_free(w);
  return st;
}
