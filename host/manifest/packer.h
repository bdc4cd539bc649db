/* host/manifest/packer.h — building a structure and everything it points to in one
 * allocation, in two passes: a first with no block only adds up the sizes,
 * a second, over a block of that size, places the pieces.  Internal to
 * libpio-host (manifest/manifest_pack.c, registry/cache/cache_format.c). */
#ifndef PIO_HOST_PACKER_H
#define PIO_HOST_PACKER_H

#include <stddef.h>

typedef struct packer {
  char *base;   /* NULL: the sizing pass */
  size_t cap;   /* the block's size */
  size_t used;  /* bytes handed out so far, alignment included */
  int overflow; /* a piece did not fit: the second pass found more than the first */
} packer;

/* size bytes aligned for any type: NULL in the sizing pass, and NULL with
 * overflow set when the block has no room left. */
void *packer_take(packer *p, size_t size);

/* A copy of len bytes of text and a terminating NUL (unaligned): NULL in
 * the sizing pass or when it does not fit (overflow set). */
char *packer_text(packer *p, const char *text, size_t len);

#endif
