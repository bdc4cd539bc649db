/* model/pass.c — the forward pass's buffers. */
#include <stdlib.h>
#include <string.h>

#include "model/pass.h"

static void *buffer(size_t bytes, int *failed) {
  void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == NULL) *failed = 1;
  return p;
}

pio_status llama_pass_buffers_alloc(llama_pass_buffers *b, const llama_pass_dims *d,
                                    pio_error *err) {
  memset(b, 0, sizeof *b);
  const size_t n = d->chunk, f = sizeof(float);
  int failed = 0;
  b->x = buffer(n * d->d_model * f, &failed);
  b->xn = buffer(n * d->d_model * f, &failed);
  b->qkv = buffer(n * d->qkv_dim * f, &failed);
  b->attn = buffer(n * d->attn_dim * f, &failed);
  b->proj = buffer(n * d->d_model * f, &failed);
  b->mlp = buffer(n * d->mlp_dim * f, &failed);
  b->attention_scratch_size = pio_attention_scratch_size(&d->attention, d->n_threads);
  b->attention_scratch = buffer(b->attention_scratch_size, &failed);
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
