/* host/manifest/packer.c — see packer.h. */
#include "manifest/packer.h"

#include <stdalign.h>
#include <string.h>

/* The next size bytes from offset at, or NULL (sizing, or no room). */
static char *hand_out(packer *p, size_t at, size_t size) {
  p->used = at + size;
  if (p->base == NULL) return NULL;
  if (at > p->cap || size > p->cap - at) {
    p->overflow = 1;
    return NULL;
  }
  return p->base + at;
}

void *packer_take(packer *p, size_t size) {
  size_t align = alignof(max_align_t);
  return hand_out(p, (p->used + align - 1) / align * align, size);
}

char *packer_text(packer *p, const char *text, size_t len) {
  char *copy = hand_out(p, p->used, len + 1);
  if (copy != NULL) {
    memcpy(copy, text, len);
    copy[len] = '\0';
  }
  return copy;
}
