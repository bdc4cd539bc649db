/* pio/memory.h — large page-aligned allocations for weights and caches:
 * anonymous memory advised to use transparent huge pages, so that filling
 * it takes fewer page faults and streaming it fewer TLB misses; and how
 * much memory this process may still take, to refuse what would not fit
 * before it is touched (instead of being OOM-killed, or having the kernel
 * kill another process first). */
#ifndef PIO_MEMORY_H
#define PIO_MEMORY_H

#include <stddef.h>
#include <stdint.h>

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
/* Gives back to the kernel the whole pages inside [ptr, ptr + bytes) of a
 * read-only file mapping whose contents were copied elsewhere: they leave
 * the process's resident set, and a later read maps them from the file
 * again.  Only for mappings nothing writes (MAP_PRIVATE pages a write
 * touched would lose it). */
void pio_pages_discard_mapped(const void *ptr, size_t bytes);

/* The memory this process may still take, in bytes. */
typedef struct pio_memory_budget {
  uint64_t available;     /* the least of what is known below; UINT64_MAX when nothing is */
  uint64_t mem_available; /* MemAvailable of /proc/meminfo; 0 when unknown */
  uint64_t cgroup_limit;  /* the tightest memory limit of this process's cgroups (v2
                             memory.max up the hierarchy, v1 memory.limit_in_bytes); 0: none */
  uint64_t cgroup_used;   /* what that cgroup holds now, its inactive file cache not
                             counted (reclaimed first) */
  int known;              /* MemAvailable or a cgroup limit was read */
} pio_memory_budget;

/* Reads the budget now.  Never fails on a system that hides the files: the
 * budget is then unknown (known 0).  _at reads root + "/proc/..." and
 * root + "/sys/fs/cgroup/..." (root "" is this system; tests and
 * containers' mounts use another). */
pio_status pio_memory_budget_read(pio_memory_budget *out, pio_error *err);
pio_status pio_memory_budget_read_at(const char *root, pio_memory_budget *out, pio_error *err);

/* "21.4 GiB is available (MemAvailable 21.4 GiB; no cgroup memory limit)"
 * into buf; returns buf. */
const char *pio_memory_budget_describe(const pio_memory_budget *b, char *buf, size_t cap);

/* PIO_OK when bytes fit in what the process may still take; else
 * PIO_ERR_NO_MEMORY "WHAT needs 810.0 GiB (... bytes) but 21.4 GiB is
 * available (MemAvailable ...; ...)", what saying what needs it.  PIO_OK
 * when the budget is unknown, or when the environment says
 * PIO_MEMORY_CHECK=off (a machine whose swap is meant to take the rest). */
pio_status pio_memory_check(uint64_t bytes, const char *what, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
