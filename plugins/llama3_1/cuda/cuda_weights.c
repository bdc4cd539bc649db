/* cuda/cuda_weights.c — a Llama's weights in one device allocation, bf16
 * matrices and f32 norms, copied from the host tensors the CPU module's
 * walk builds (model/weights.c: safetensors files, or synthetic weights of
 * the same seed and tensor names, so both modules run the same model); f32
 * and f16 matrices are narrowed to bf16 on the device. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "cuda/cuda_status.h"
#include "model/weights.h"
#include "pio/threadpool.h"

/* Every tensor starts on a 256-byte boundary (cuBLASLt's preferred
 * alignment; the GEMVs need 16). */
#define ALIGN 256u

/* Hands out consecutive aligned pieces of base (NULL: only counts). */
typedef struct carve {
  char *base;
  size_t used;
} carve;

static void *take(carve *c, size_t elems, size_t size) {
  void *p = c->base != NULL ? c->base + c->used : NULL;
  c->used += (elems * size + ALIGN - 1) / ALIGN * ALIGN;
  return p;
}

static void *take_matrix(carve *c, const pio_matrix *m) {
  return take(c, (size_t)m->rows * m->cols, sizeof(uint16_t));
}

/* Points w's tensors into base, shaped as the host set h (with base NULL,
 * only sizes them); a tied lm_head is the embedding. */
static size_t lay_out(lc_weights *w, const llama_weights *h, const pio_model_config *cfg,
                      void *base) {
  carve c = {.base = base, .used = 0};
  const size_t d = cfg->hidden_size;
  const uint16_t *embed = take_matrix(&c, &h->embed);
  const uint16_t *lm_head = cfg->tie_word_embeddings ? embed : take_matrix(&c, &h->lm_head);
  const float *final_norm = take(&c, d, sizeof(float));
  if (w != NULL) {
    w->embed = embed;
    w->lm_head = lm_head;
    w->final_norm = final_norm;
  }
  for (uint32_t l = 0; l < h->n_layers; l++) {
    const llama_layer_weights *H = &h->layers[l];
    lc_layer L;
    L.attn_norm = take(&c, d, sizeof(float));
    L.mlp_norm = take(&c, d, sizeof(float));
    L.qkv = take_matrix(&c, &H->qkv);
    L.o = take_matrix(&c, &H->o);
    L.gate_up = take_matrix(&c, &H->mlp.gate_up);
    L.down = take_matrix(&c, &H->mlp.down);
    if (w != NULL) w->layers[l] = L;
  }
  return c.used;
}

void lc_weights_free(lc_weights *w) {
  if (w->block != NULL) cudaFree(w->block);
  free(w->layers);
  memset(w, 0, sizeof *w);
}

/* Allocates the block and points every tensor into it. */
static pio_status allocate(pio_model *m, const llama_weights *h, pio_error *err) {
  lc_weights *w = &m->w;
  const pio_model_config *c = m->config;
  w->bytes = lay_out(NULL, h, c, NULL);
  w->layers = calloc(c->n_layers, sizeof *w->layers);
  if (w->layers == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory");
  size_t free_bytes = 0, total_bytes = 0;
  pio_status s = lc_cuda_check(cudaMemGetInfo(&free_bytes, &total_bytes), err, "cudaMemGetInfo");
  if (s != PIO_OK) return s;
  if (w->bytes > free_bytes)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "the weights need %.2f GiB of device memory; "
                         "%s has %.2f GiB free of %.2f GiB", w->bytes / 1073741824.0,
                         m->device_name, free_bytes / 1073741824.0, total_bytes / 1073741824.0);
  s = lc_cuda_check(cudaMalloc(&w->block, w->bytes), err, "weights: %zu bytes of device memory",
                    w->bytes);
  if (s != PIO_OK) return s;
  lay_out(w, h, c, w->block);
  return PIO_OK;
}

/* Device scratch for narrowing f32 / f16 matrices, grown as needed. */
typedef struct staging {
  void *data;
  size_t bytes;
} staging;

static pio_status put_matrix(pio_model *m, staging *st, const pio_matrix *src, const void *dst,
                             const char *what, pio_error *err) {
  const size_t n = (size_t)src->rows * src->cols;
  const size_t bytes = n * pio_dtype_size(src->dtype);
  uint16_t *out = (uint16_t *)dst;
  /* Every copy and kernel on the model's stream: a pageable cudaMemcpy
   * may still be in flight when it returns, and the model's stream does
   * not wait for the legacy one. */
  if (src->dtype == PIO_DTYPE_BF16)
    return lc_cuda_check(cudaMemcpyAsync(out, src->data, bytes, cudaMemcpyHostToDevice,
                                         m->stream),
                         err, "copying %s to the device", what);
  if (src->dtype != PIO_DTYPE_F32 && src->dtype != PIO_DTYPE_F16)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: dtype %s cannot be narrowed to bf16",
                         what, pio_dtype_name(src->dtype));
  if (st->bytes < bytes) {
    /* The old staging buffer may still be read by a narrowing kernel. */
    pio_status s = lc_cuda_check(cudaStreamSynchronize(m->stream), err, "narrowing");
    if (s != PIO_OK) return s;
    if (st->data != NULL) cudaFree(st->data);
    st->data = NULL;
    st->bytes = 0;
    s = lc_cuda_check(cudaMalloc(&st->data, bytes), err, "staging %s", what);
    if (s != PIO_OK) return s;
    st->bytes = bytes;
  }
  pio_status s = lc_cuda_check(cudaMemcpyAsync(st->data, src->data, bytes,
                                               cudaMemcpyHostToDevice, m->stream),
                               err, "copying %s to the device", what);
  if (s == PIO_OK)
    s = lc_cuda_check(lc_to_bf16(m->stream, st->data, src->dtype == PIO_DTYPE_F16, n, out), err,
                      "narrowing %s to bf16", what);
  return s;
}

static pio_status put_norm(pio_model *m, const float *src, const float *dst, uint32_t d,
                           const char *what, pio_error *err) {
  return lc_cuda_check(cudaMemcpyAsync((float *)dst, src, (size_t)d * sizeof *src,
                                       cudaMemcpyHostToDevice, m->stream),
                       err, "copying %s to the device", what);
}

static pio_status put_all(pio_model *m, const llama_weights *h, staging *st, pio_error *err) {
  const pio_model_config *c = m->config;
  lc_weights *w = &m->w;
  pio_status s = put_matrix(m, st, &h->embed, w->embed, "embed_tokens", err);
  if (s == PIO_OK && !c->tie_word_embeddings)
    s = put_matrix(m, st, &h->lm_head, w->lm_head, "lm_head", err);
  if (s == PIO_OK) s = put_norm(m, h->final_norm, w->final_norm, c->hidden_size, "norm", err);
  for (uint32_t l = 0; s == PIO_OK && l < c->n_layers; l++) {
    const llama_layer_weights *H = &h->layers[l];
    const lc_layer *D = &w->layers[l];
    if ((s = put_matrix(m, st, &H->qkv, D->qkv, "qkv_proj", err)) ||
        (s = put_matrix(m, st, &H->o, D->o, "o_proj", err)) ||
        (s = put_matrix(m, st, &H->mlp.gate_up, D->gate_up, "gate_up_proj", err)) ||
        (s = put_matrix(m, st, &H->mlp.down, D->down, "down_proj", err)) ||
        (s = put_norm(m, H->attn_norm, D->attn_norm, c->hidden_size, "input_layernorm", err)) ||
        (s = put_norm(m, H->mlp_norm, D->mlp_norm, c->hidden_size, "post_attention_layernorm",
                      err)))
      return pio_error_prefix(err, "layer %u", l);
  }
  return s;
}

pio_status lc_weights_upload(pio_model *m, const pio_model_options *o, pio_error *err) {
  llama_weights host;
  pio_threadpool *pool = NULL;
  /* Synthetic weights come from the same walk as the CPU module's, bf16
   * (what the device holds), filled by a pool of the caller's threads. */
  pio_status s = PIO_OK;
  if (o->synthetic) {
    s = pio_threadpool_create(o->n_threads, &pool, err);
    if (s == PIO_OK)
      s = llama_weights_synthetic(&host, m->config, PIO_DTYPE_BF16, o->seed, pool, err);
  } else {
    s = llama_weights_load(&host, m->config, o->weights_dir, o->weights_load, err);
  }
  if (s != PIO_OK) {
    pio_threadpool_destroy(pool);
    return s;
  }
  staging st = {NULL, 0};
  s = allocate(m, &host, err);
  if (s == PIO_OK) s = put_all(m, &host, &st, err);
  /* The host tensors and the staging buffer are read until the stream
   * drains. */
  const pio_status drained =
      lc_cuda_check(cudaStreamSynchronize(m->stream), err, "copying weights to the device");
  if (s == PIO_OK) s = drained;
  if (st.data != NULL) cudaFree(st.data);
  llama_weights_free(&host);
  pio_threadpool_destroy(pool);
  return s;
}
