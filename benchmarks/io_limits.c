/* benchmarks/io_limits.c — memcpy and sequential file bandwidth, the
 * limits beside which `pio-bench kvio` prints its KV page IO figures. */
#include "io_limits.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

#define MEMCPY_SCRATCH_MAX (64u << 20)
#define MAX_REPS 1000u

pio_status pio_bench_memcpy_bandwidth(const uint8_t *src, size_t len, unsigned reps,
                                      double *bytes_per_s, pio_error *err) {
  if (len == 0 || reps == 0 || reps > MAX_REPS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "memcpy limit: %zu bytes, %u reps",
                         len, reps);
  size_t chunk = len < MEMCPY_SCRATCH_MAX ? len : MEMCPY_SCRATCH_MAX;
  uint8_t *dst = NULL;
  if (posix_memalign((void **)&dst, PIO_BENCH_IO_BUFFER_ALIGN, chunk) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "memcpy limit: no memory for %zu bytes",
                         chunk);
  double times[MAX_REPS];
  for (unsigned r = 0; r <= reps; r++) { /* pass 0 warms the scratch's pages */
    double t0 = pio_bench_now();
    for (size_t off = 0; off < len; off += chunk)
      memcpy(dst, src + off, len - off < chunk ? len - off : chunk);
    double t = pio_bench_now() - t0;
    if (r > 0) times[r - 1] = t;
  }
  /* The copy must happen: the last chunk's first byte is what src holds. */
  size_t last = (len - 1) / chunk * chunk;
  int copied = dst[0] == src[last];
  free(dst);
  if (!copied) return pio_error_set(err, PIO_ERR_INTERNAL, "memcpy limit: copy not seen");
  *bytes_per_s = (double)len / pio_bench_median(times, reps);
  return PIO_OK;
}

/* One sequential pass over the file; seconds in *t. */
static pio_status seq_pass(int fd, int write, uint8_t *buf, uint64_t len, uint64_t io,
                           double *t, pio_error *err) {
  double t0 = pio_bench_now();
  for (uint64_t off = 0; off < len; off += io) {
    uint64_t n = len - off < io ? len - off : io;
    pio_status s = pio_bench_io_full(fd, write, buf + off, n, off, err);
    if (s != PIO_OK) return s;
  }
  if (write && fsync(fd) != 0)
    return pio_error_set(err, PIO_ERR_IO, "fsync of the sequential pass failed");
  *t = pio_bench_now() - t0;
  return PIO_OK;
}

pio_status pio_bench_file_seq_bandwidth(const pio_bench_kvio_file *f, uint8_t *buf,
                                        uint64_t len, uint64_t io_bytes, unsigned reps,
                                        pio_bench_seq_io *out, pio_error *err) {
  if (len == 0 || io_bytes == 0 || reps == 0 || reps > MAX_REPS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "sequential limit: %llu bytes in IOs "
                         "of %llu, %u reps", (unsigned long long)len,
                         (unsigned long long)io_bytes, reps);
  memset(out, 0, sizeof *out);
  out->io_bytes = io_bytes < len ? io_bytes : len;
  /* The tail IO is shorter; direct IO needs it aligned too. */
  out->direct = pio_bench_kvio_file_direct_ok(f, len % out->io_bytes, out->io_bytes) &&
                pio_bench_kvio_file_direct_ok(f, out->io_bytes, out->io_bytes);
  int fd = out->direct ? f->fd_direct : f->fd_buffered;
  double w[MAX_REPS], r[MAX_REPS];
  for (unsigned i = 0; i < reps; i++) {
    pio_status s = seq_pass(fd, 1, buf, len, out->io_bytes, &w[i], err);
    if (s == PIO_OK && !out->direct) s = pio_bench_kvio_drop_cache(fd, err);
    if (s == PIO_OK) s = seq_pass(fd, 0, buf, len, out->io_bytes, &r[i], err);
    if (s != PIO_OK) return pio_error_prefix(err, "sequential limit");
  }
  out->write_bytes_per_s = (double)len / pio_bench_median(w, reps);
  out->read_bytes_per_s = (double)len / pio_bench_median(r, reps);
  return PIO_OK;
}
