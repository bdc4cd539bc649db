/* host/registry/arena.h — memory that lives as long as a registry: many small
 * pieces handed out from a few large chunks, all freed at once.
 *
 * Why: a listing keeps a manifest for each of thousands of plugins, and on
 * a virtual machine the first touch of a fresh heap page (a page fault)
 * costs about 10 µs, more than the stat() calls the listing needs.  Chunks
 * are mapped with their pages already present (MAP_POPULATE, one call for
 * all of them), so the pieces cost no page faults.  Internal to
 * libpio-host; not thread-safe (one registry, one thread). */
#ifndef PIO_HOST_ARENA_H
#define PIO_HOST_ARENA_H

#include <stddef.h>

/* An empty arena, or NULL when out of memory. */
struct arena *arena_new(void);

/* size bytes aligned for any type, zeroed; NULL when out of memory or
 * when arena is NULL.  Valid until arena_free. */
void *arena_alloc(struct arena *arena, size_t size);

/* Frees every piece and the arena; NULL is ignored. */
void arena_free(struct arena *arena);

#endif
