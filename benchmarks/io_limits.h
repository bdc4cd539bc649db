/* benchmarks/io_limits.h — the limits KV page IO is compared with, measured
 * in the same run: memcpy bandwidth (what moving the pages in memory costs);
 * the file's own sequential bandwidth is a pass of kvio's reps (kvio_run.c)
 * with IOs of PIO_BENCH_SEQ_IO_BYTES. */
#ifndef PIO_BENCH_IO_LIMITS_H
#define PIO_BENCH_IO_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

/* Large sequential IOs of the file limit: 16 MiB. */
#define PIO_BENCH_SEQ_IO_BYTES (16u << 20)

/* Copies src[0..len) into a scratch buffer of up to 64 MiB, chunk by chunk,
 * reps times (after one untimed pass); *bytes_per_s is the median of bytes
 * copied per second.  PIO_ERR_NO_MEMORY when the scratch cannot be had. */
pio_status pio_bench_memcpy_bandwidth(const uint8_t *src, size_t len, unsigned reps,
                                      double *bytes_per_s, pio_error *err);

#endif
