/* benchmarks/kv_pattern.c — the offset-dependent pattern of kvio's KV pages:
 * filled and checked a 64-bit word at a time, with the unaligned head and
 * tail done byte by byte. */
#include "kv_pattern.h"

#include <string.h>

/* splitmix64 (Vigna): every word differs, cheap to recompute on verify. */
static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static uint8_t pattern_byte(uint64_t offset, uint64_t seed) {
  return (uint8_t)(mix(seed + offset / 8) >> (8 * (offset % 8)));
}

/* The word's bytes in little-endian order whatever the host's order. */
static void store_le(uint8_t *p, uint64_t w) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(w >> (8 * i));
}

void pio_bench_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed) {
  size_t i = 0;
  for (; i < len && (offset + i) % 8 != 0; i++) buf[i] = pattern_byte(offset + i, seed);
  for (; i + 8 <= len; i += 8) store_le(buf + i, mix(seed + (offset + i) / 8));
  for (; i < len; i++) buf[i] = pattern_byte(offset + i, seed);
}

int64_t pio_bench_pattern_verify(const uint8_t *buf, size_t len, uint64_t offset, uint64_t seed,
                                 uint8_t *expected) {
  size_t i = 0;
  uint8_t word[8];
  for (; i < len && (offset + i) % 8 != 0; i++)
    if (buf[i] != pattern_byte(offset + i, seed)) goto mismatch;
  for (; i + 8 <= len; i += 8) {
    store_le(word, mix(seed + (offset + i) / 8));
    if (memcmp(buf + i, word, 8) != 0) {
      while (buf[i] == word[(offset + i) % 8]) i++; /* the first differing byte */
      goto mismatch;
    }
  }
  for (; i < len; i++)
    if (buf[i] != pattern_byte(offset + i, seed)) goto mismatch;
  return -1;
mismatch:
  if (expected != NULL) *expected = pattern_byte(offset + i, seed);
  return (int64_t)i;
}
