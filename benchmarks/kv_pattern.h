/* benchmarks/kv_pattern.h — the bytes `pio-bench kvio` writes into KV pages
 * and checks after reading them back: a pattern that depends on each byte's
 * file offset, so a page written to or read from the wrong place, a short
 * read or a flipped bit is caught, not only a missing write. */
#ifndef PIO_BENCH_KV_PATTERN_H
#define PIO_BENCH_KV_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf[0..len) with the bytes that belong at file offsets
 * [offset, offset + len): byte o is byte (o % 8) of splitmix64(seed + o / 8),
 * little-endian.  Any offset and length. */
void pio_bench_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed);

/* Checks buf against the pattern of [offset, offset + len).  Returns -1 when
 * every byte matches, else the index in buf of the first byte that does not
 * (*expected receives the byte that belonged there, when not NULL). */
int64_t pio_bench_pattern_verify(const uint8_t *buf, size_t len, uint64_t offset, uint64_t seed,
                                 uint8_t *expected);

#endif
