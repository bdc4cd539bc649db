/* model/weights.c — what loaded and synthetic weights share: the buffers a
 * weight set owns, freeing, and byte accounting. */
#include <stdlib.h>
#include <sys/mman.h>

#include "model/weights.h"
#include "model/weights_internal.h"

uint64_t llama_matrix_bytes(const pio_matrix *m) {
  return (uint64_t)m->rows * m->cols * pio_dtype_size(m->dtype);
}

/* Buffers from this size up are mapped with huge pages advised. */
#define HUGE_PAGE_BYTES ((size_t)2 << 20)

static llama_buffer buffer_new(size_t bytes) {
  llama_buffer b = {NULL, 0};
  if (bytes >= HUGE_PAGE_BYTES) {
    size_t size = (bytes + HUGE_PAGE_BYTES - 1) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
#if defined(MADV_HUGEPAGE)
      madvise(p, size, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
      b.data = p;
      b.mapped = size;
      return b;
    }
  }
  /* 64-byte alignment: the kernels' vector loads never split a line. */
  b.data = aligned_alloc(64, (bytes + 63) / 64 * 64);
  return b;
}

static void buffer_free(llama_buffer *b) {
  if (b->mapped)
    munmap(b->data, b->mapped);
  else
    free(b->data);
}

void *llama_weights_alloc(llama_weights *w, size_t bytes, pio_error *err) {
  if (w->n_owned == w->cap_owned) {
    size_t cap = w->cap_owned ? 2 * w->cap_owned : 64;
    llama_buffer *grown = realloc(w->owned, cap * sizeof *grown);
    if (grown == NULL) {
      pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory");
      return NULL;
    }
    w->owned = grown;
    w->cap_owned = cap;
  }
  llama_buffer b = buffer_new(bytes);
  if (b.data == NULL) {
    pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory allocating %zu bytes", bytes);
    return NULL;
  }
  w->owned[w->n_owned++] = b;
  return b.data;
}

pio_status llama_weights_begin(llama_weights *w, const pio_model_config *c, pio_error *err) {
  w->n_layers = c->n_layers;
  w->layers = calloc(c->n_layers, sizeof *w->layers);
  if (w->layers == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory");
  return PIO_OK;
}

void llama_weights_free(llama_weights *w) {
  if (w == NULL) return;
  for (size_t i = 0; i < w->n_owned; i++) buffer_free(&w->owned[i]);
  free(w->owned);
  free(w->layers);
  pio_safetensors_close(w->set);
  w->owned = NULL;
  w->layers = NULL;
  w->set = NULL;
  w->n_owned = w->cap_owned = 0;
}

uint64_t llama_weights_bytes_per_token(const llama_weights *w, const pio_model_config *c) {
  uint64_t bytes = 0;
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const llama_layer_weights *L = &w->layers[l];
    bytes += llama_matrix_bytes(&L->qkv) + llama_matrix_bytes(&L->o) +
             llama_matrix_bytes(&L->mlp.gate_up) + llama_matrix_bytes(&L->mlp.down);
  }
  const uint64_t norms = (2ull * c->n_layers + 1) * c->hidden_size * sizeof(float);
  const uint64_t embed_row = (uint64_t)c->hidden_size * pio_dtype_size(w->embed.dtype);
  return bytes + llama_matrix_bytes(&w->lm_head) + norms + embed_row;
}
