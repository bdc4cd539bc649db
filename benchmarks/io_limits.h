/* benchmarks/io_limits.h — the limits KV page IO is compared with, measured
 * in the same run: memcpy bandwidth (what moving the pages in memory costs)
 * and the file's own sequential bandwidth with large IOs. */
#ifndef PIO_BENCH_IO_LIMITS_H
#define PIO_BENCH_IO_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "kvio_file.h"
#include "pio/status.h"

/* Large sequential IOs of the file limit: 16 MiB. */
#define PIO_BENCH_SEQ_IO_BYTES (16u << 20)

/* Copies src[0..len) into a scratch buffer of up to 64 MiB, chunk by chunk,
 * reps times (after one untimed pass); *bytes_per_s is the median of bytes
 * copied per second.  PIO_ERR_NO_MEMORY when the scratch cannot be had. */
pio_status pio_bench_memcpy_bandwidth(const uint8_t *src, size_t len, unsigned reps,
                                      double *bytes_per_s, pio_error *err);

typedef struct pio_bench_seq_io {
  uint64_t io_bytes;   /* size of each IO */
  int direct;          /* O_DIRECT was used */
  double write_bytes_per_s; /* median: writes then fsync */
  double read_bytes_per_s;  /* median: reads after the cache was dropped (buffered) */
} pio_bench_seq_io;

/* Writes buf[0..len) to file f from offset 0 in IOs of io_bytes (direct
 * when the alignment allows), fsync, then reads it back the same way into
 * buf, reps times; buf's contents are unchanged.  Medians in *out. */
pio_status pio_bench_file_seq_bandwidth(const pio_bench_kvio_file *f, uint8_t *buf,
                                        uint64_t len, uint64_t io_bytes, unsigned reps,
                                        pio_bench_seq_io *out, pio_error *err);

#endif
