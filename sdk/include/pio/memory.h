/* pio/memory.h — large page-aligned allocations for weights and caches:
 * anonymous memory advised to use transparent huge pages, so that filling
 * it takes fewer page faults and streaming it fewer TLB misses. */
#ifndef PIO_MEMORY_H
#define PIO_MEMORY_H

#include <stddef.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment of every pio_pages_alloc block: one x86-64 huge page. */
#define PIO_PAGES_ALIGN ((size_t)2 << 20)

/*
 * Allocates `bytes` (> 0) of zeroed, read-write memory aligned to
 * PIO_PAGES_ALIGN, advising huge pages where the system offers them (the
 * advice failing is not an error).  Pages are backed on first touch, so a
 * threaded fill also spreads the faults over the threads.  *out owned by
 * the caller: pio_pages_free(*out, bytes).  PIO_ERR_NO_MEMORY when the
 * mapping fails.
 */
pio_status pio_pages_alloc(size_t bytes, void **out, pio_error *err);
/* Frees a block from pio_pages_alloc; bytes as allocated.  NULL is a no-op. */
void pio_pages_free(void *ptr, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif
