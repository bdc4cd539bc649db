/* benchmarks/units.h — sizes and rates as people read them: binary prefixes
 * for bytes (KiB, MiB, GiB) with the exact count beside, decimal for rates
 * (GB/s), as storage vendors quote them. */
#ifndef PIO_BENCH_UNITS_H
#define PIO_BENCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "576 B", "128.00 KiB", "1.50 GiB", ... into out (size bytes); returns out. */
char *pio_bench_format_bytes(uint64_t bytes, char *out, size_t size);

/* The same followed by the exact count when a prefix was used:
 * "128.00 KiB (131072 B)"; returns out. */
char *pio_bench_format_bytes_exact(uint64_t bytes, char *out, size_t size);

/* Bytes per second as "12.34 GB/s" (10^9), or "-" when not finite. */
char *pio_bench_format_rate(double bytes_per_s, char *out, size_t size);

/* A count with thousands separators: "1,234,567". */
char *pio_bench_format_count(uint64_t n, char *out, size_t size);

#endif
