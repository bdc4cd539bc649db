/* benchmarks/io_limits.c — memcpy bandwidth, the limit beside which
 * `pio-bench kvio` and `kvxfer` print the KV pages' moves. */
#include "io_limits.h"

#include <stdlib.h>
#include <string.h>

#include "kvio_file.h"
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
