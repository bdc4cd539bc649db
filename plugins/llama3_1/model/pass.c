/* model/pass.c — the forward pass's buffers. */
#include <stdlib.h>
#include <string.h>

#include "model/pass.h"

static void *buffer(size_t bytes, int *failed) {
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == NULL) *failed = 1;
  return p;
}

/* Every buffer of d and its size, in one list: what is allocated and what
 * is counted before allocating are the same. */
enum { PASS_BUFFERS = 7 };
static void pass_sizes(llama_pass_buffers *b, const llama_pass_dims *d, void **slots[PASS_BUFFERS],
                       size_t sizes[PASS_BUFFERS]) {
  const size_t n = d->chunk, f = sizeof(float);
  void **ptrs[PASS_BUFFERS] = {(void **)&b->x,   (void **)&b->xn,   (void **)&b->qkv,
                               (void **)&b->attn, (void **)&b->proj, (void **)&b->mlp,
                               &b->attention_scratch};
  const size_t bytes[PASS_BUFFERS] = {n * d->d_model * f, n * d->d_model * f,
                                      n * d->qkv_dim * f, n * d->attn_dim * f,
                                      n * d->d_model * f, n * d->mlp_dim * f,
                                      pio_attention_scratch_size(&d->attention, d->n_threads)};
  for (int i = 0; i < PASS_BUFFERS; i++) {
    slots[i] = ptrs[i];
    sizes[i] = bytes[i];
  }
}

size_t llama_pass_buffers_bytes(const llama_pass_dims *d) {
  llama_pass_buffers b;
  void **slots[PASS_BUFFERS];
  size_t sizes[PASS_BUFFERS], total = 0;
  pass_sizes(&b, d, slots, sizes);
  for (int i = 0; i < PASS_BUFFERS; i++) total += (sizes[i] + 63) / 64 * 64;
  return total;
}

pio_status llama_pass_buffers_alloc(llama_pass_buffers *b, const llama_pass_dims *d,
                                    pio_error *err) {
  memset(b, 0, sizeof *b);
  void **slots[PASS_BUFFERS];
  size_t sizes[PASS_BUFFERS];
  pass_sizes(b, d, slots, sizes);
  int failed = 0;
  for (int i = 0; i < PASS_BUFFERS; i++) *slots[i] = buffer(sizes[i], &failed);
  b->attention_scratch_size = sizes[PASS_BUFFERS - 1];
  if (failed) {
    llama_pass_buffers_free(b);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model scratch for %u tokens: out of memory",
                         d->chunk);
  }
  return PIO_OK;
}

void llama_pass_buffers_free(llama_pass_buffers *b) {
  free(b->x);
  free(b->xn);
  free(b->qkv);
  free(b->attn);
  free(b->proj);
  free(b->mlp);
  free(b->attention_scratch);
  memset(b, 0, sizeof *b);
}
