/* host/registry/arena.c — see arena.h. */
#include "registry/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The first chunk; each next one twice the last, up to the largest. */
#define ARENA_FIRST_CHUNK ((size_t)64 << 10)
#define ARENA_LARGEST_CHUNK ((size_t)4 << 20)

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used; /* bytes mapped, bytes handed out (this header included) */
} arena_chunk;

struct arena {
  arena_chunk *chunks; /* newest first */
  size_t next_size;
};

struct arena *arena_new(void) {
  struct arena *arena = calloc(1, sizeof *arena);
  if (arena != NULL) arena->next_size = ARENA_FIRST_CHUNK;
  return arena;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* A new chunk with room for at least need bytes after its header. */
static arena_chunk *add_chunk(struct arena *arena, size_t need) {
  size_t header = round_up(sizeof(arena_chunk), alignof(max_align_t));
  if (need > SIZE_MAX / 2 - header) return NULL;
  size_t size = arena->next_size;
  while (size < header + need) size *= 2;
  void *map =
      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (map == MAP_FAILED) return NULL;
  arena_chunk *chunk = map;
  chunk->next = arena->chunks;
  chunk->size = size;
  chunk->used = header;
  arena->chunks = chunk;
  if (arena->next_size < ARENA_LARGEST_CHUNK) arena->next_size *= 2;
  return chunk;
}

void *arena_alloc(struct arena *arena, size_t size) {
  if (arena == NULL || size > SIZE_MAX / 4) return NULL;
  size = round_up(size != 0 ? size : 1, alignof(max_align_t));
  arena_chunk *chunk = arena->chunks;
  if (chunk == NULL || chunk->size - chunk->used < size) chunk = add_chunk(arena, size);
  if (chunk == NULL) return NULL;
  char *piece = (char *)chunk + chunk->used;
  chunk->used += size; /* fresh anonymous pages are zero */
  return piece;
}

void arena_free(struct arena *arena) {
  if (arena == NULL) return;
  for (arena_chunk *chunk = arena->chunks, *next; chunk != NULL; chunk = next) {
    next = chunk->next;
    munmap(chunk, chunk->size);
  }
  free(arena);
}
