/* sdk/src/memory.c — huge-page-friendly allocations (see pio/memory.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "pio/memory.h"

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

pio_status pio_pages_alloc(size_t bytes, void **out, pio_error *err) {
  if (out == NULL || bytes == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "page allocation: %s",
                         out == NULL ? "out is NULL" : "0 bytes asked");
  *out = NULL;
  if (bytes > SIZE_MAX - 2 * PIO_PAGES_ALIGN)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "page allocation: %zu bytes is too large", bytes);
  size_t size = round_up(bytes, PIO_PAGES_ALIGN);
  /* Map one alignment more than needed, then trim both ends to the
   * aligned block: mmap only promises 4 KiB alignment. */
  size_t mapped = size + PIO_PAGES_ALIGN;
  unsigned char *raw = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "page allocation of %zu bytes failed: %s", bytes,
                         strerror(errno));
  unsigned char *block = (unsigned char *)round_up((uintptr_t)raw, PIO_PAGES_ALIGN);
  size_t head = (size_t)(block - raw), tail = mapped - head - size;
  if (head > 0) munmap(raw, head);
  if (tail > 0) munmap(block + size, tail);
#ifdef MADV_HUGEPAGE
  madvise(block, size, MADV_HUGEPAGE);
#endif
  *out = block;
  return PIO_OK;
}

void pio_pages_free(void *ptr, size_t bytes) {
  if (ptr == NULL || bytes == 0) return;
  munmap(ptr, round_up(bytes, PIO_PAGES_ALIGN));
}

void pio_pages_discard_mapped(const void *ptr, size_t bytes) {
  const uintptr_t page = 4096, begin = round_up((uintptr_t)ptr, page);
  const uintptr_t end = ((uintptr_t)ptr + bytes) / page * page;
  if (end > begin) madvise((void *)begin, end - begin, MADV_DONTNEED);
}
