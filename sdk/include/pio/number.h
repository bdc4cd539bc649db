/* pio/number.h — numbers as people type them on command lines and in
 * environment variables. */
#ifndef PIO_NUMBER_H
#define PIO_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A plain decimal in [min, max] into *out: digits only (no sign, space,
 * suffix or empty text), no overflow.  Returns 0, or -1 with *out
 * untouched. */
int pio_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* pio_parse_u64, and when it refuses, why: "expected a whole number from
 * MIN to MAX, found 'TEXT'" in why (why_size bytes at most, terminated),
 * the words every tool prints after its own "TOOL: OPTION: ". */
int pio_parse_u64_explained(const char *text, uint64_t min, uint64_t max, uint64_t *out,
                            char *why, size_t why_size);

/* A decimal number in [min, max] into *out: digits with a point and an
 * exponent as strtod reads them, a leading '-' the only sign; no space,
 * hex, inf, nan or empty text, and nothing after it.  Returns 0, or -1
 * with *out untouched. */
int pio_parse_double(const char *text, double min, double max, double *out);

#ifdef __cplusplus
}
#endif

#endif
