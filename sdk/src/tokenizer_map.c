/* sdk/src/tokenizer_map.c — the string → id map behind the vocabulary and
 * the word cache: open addressing over one key pool, FNV-1a-style hashing
 * eight bytes at a time. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

uint32_t tok_hash(const char *key, size_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, key + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  memcpy(&tail, key + i, len - i);
  h ^= tail;
  /* murmur3's finaliser: every input bit reaches the low bits the table indexes by */
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  uint32_t r = (uint32_t)h;
  return r ? r : 1;
}

static tok_map_slot *find(const tok_map *map, const char *key, size_t len, uint32_t hash) {
  size_t mask = map->capacity - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    tok_map_slot *s = &map->slots[i];
    if (s->hash == 0) return s;
    if (s->hash == hash && s->key_len == len && memcmp(map->pool + s->key_off, key, len) == 0)
      return s;
  }
}

static int grow(tok_map *map) {
  size_t capacity = map->capacity ? map->capacity * 2 : 1024;
  tok_map_slot *slots = calloc(capacity, sizeof *slots);
  if (slots == NULL) return -1;
  tok_map old = *map;
  map->slots = slots;
  map->capacity = capacity;
  for (size_t i = 0; i < old.capacity; i++) {
    if (old.slots[i].hash == 0) continue;
    size_t mask = capacity - 1;
    size_t j = old.slots[i].hash & mask;
    while (slots[j].hash != 0) j = (j + 1) & mask;
    slots[j] = old.slots[i];
  }
  free(old.slots);
  return 0;
}

int tok_map_put(tok_map *map, const char *key, size_t len, int32_t value) {
  if (len > UINT32_MAX) return -1;
  if ((map->count + 1) * 2 > map->capacity && grow(map) != 0) return -1; /* at most half full */
  uint32_t hash = tok_hash(key, len);
  tok_map_slot *s = find(map, key, len, hash);
  if (s->hash != 0) {
    s->value = value;
    return 0;
  }
  /* the pool exists once any key is in, even an empty one: offsets into a
   * NULL pool would be undefined */
  if (map->pool == NULL || map->pool_len + len > map->pool_cap) {
    size_t cap = map->pool_cap ? map->pool_cap : 4096;
    while (cap < map->pool_len + len) cap *= 2;
    char *pool = realloc(map->pool, cap);
    if (pool == NULL) return -1;
    map->pool = pool;
    map->pool_cap = cap;
  }
  memcpy(map->pool + map->pool_len, key, len);
  s->hash = hash;
  s->key_len = (uint32_t)len;
  s->key_off = map->pool_len;
  s->value = value;
  map->pool_len += len;
  map->count++;
  return 0;
}

int32_t tok_map_get(const tok_map *map, const char *key, size_t len) {
  if (map->capacity == 0) return -1;
  const tok_map_slot *s = find(map, key, len, tok_hash(key, len));
  return s->hash ? s->value : -1;
}

void tok_map_free(tok_map *map) {
  free(map->slots);
  free(map->pool);
  memset(map, 0, sizeof *map);
}
