/* sdk/src/thread_buffer.c — one buffer kept per thread for the kernels that
 * run without a pool (a matmul too small to thread, or one a pool's share
 * runs alone), so that such a call allocates nothing once its thread has
 * seen the largest size it needs: a decoded token then allocates nothing.
 * Freed when its thread ends; the key goes when the library is unloaded. */
#include <pthread.h>
#include <stdlib.h>

#include "kernels_internal.h"

typedef struct kept_buffer {
  void *data;
  size_t bytes;
} kept_buffer;

static pthread_key_t kept_key;
static int kept_key_made;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;

static void kept_free(void *p) {
  kept_buffer *k = p;
  free(k->data);
  free(k);
}

static void make_key(void) { kept_key_made = pthread_key_create(&kept_key, kept_free) == 0; }

/* A thread ending after the library is gone must not call kept_free. */
__attribute__((destructor)) static void delete_key(void) {
  if (kept_key_made) pthread_key_delete(kept_key);
}

void *pio_k_thread_buffer(size_t bytes) {
  pthread_once(&kept_once, make_key);
  if (!kept_key_made) return NULL;
  kept_buffer *k = pthread_getspecific(kept_key);
  if (k == NULL) {
    k = calloc(1, sizeof *k);
    if (k == NULL) return NULL;
    if (pthread_setspecific(kept_key, k) != 0) {
      free(k);
      return NULL;
    }
  }
  if (k->bytes < bytes || k->data == NULL) {
    free(k->data);
    const size_t rounded = bytes > 0 ? (bytes + 63) / 64 * 64 : 64;
    k->data = aligned_alloc(64, rounded);
    k->bytes = k->data != NULL ? rounded : 0;
  }
  return k->data;
}
