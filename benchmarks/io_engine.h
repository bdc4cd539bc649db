/* benchmarks/io_engine.h — how pio-bench kvio moves bytes between its
 * buffer and the file: io_uring with queue_depth IOs in flight and the
 * buffer registered with the kernel (fixed buffers) where it allows, or
 * plain pread/pwrite one IO at a time (psync) where io_uring is not to be
 * had or was not asked for.  Each IO names where its bytes are in the
 * buffer and where in the file; the two need not agree. */
#ifndef PIO_BENCH_IO_ENGINE_H
#define PIO_BENCH_IO_ENGINE_H

#include <liburing.h>
#include <stdint.h>

#include "pio/status.h"

#define PIO_BENCH_IO_MAX_QUEUE_DEPTH 4096u

typedef enum pio_bench_io_kind {
  PIO_BENCH_IO_URING = 0,
  PIO_BENCH_IO_PSYNC = 1
} pio_bench_io_kind;

typedef struct pio_bench_io_engine {
  pio_bench_io_kind kind;   /* what is used (io_uring may fall back to psync) */
  uint32_t queue_depth;     /* IOs in flight; 1 for psync */
  struct io_uring ring;     /* when kind is PIO_BENCH_IO_URING */
  uint8_t *base;
  uint64_t len;
  uint64_t chunk;           /* fixed buffer i is base[i x chunk, (i + 1) x chunk) */
  unsigned n_fixed;         /* fixed buffers registered; 0: none */
  char note[256];           /* why io_uring or fixed buffers are not used, or "" */
} pio_bench_io_engine;

/* The IOs of one pass: IO i moves base[mem, mem + len) to or from the file's
 * [file, file + len). */
typedef void (*pio_bench_io_at_fn)(const void *ctx, uint64_t i, uint64_t *mem, uint64_t *file,
                                   uint64_t *len);
/* Called now and then with the IOs completed so far. */
typedef void (*pio_bench_io_tick_fn)(void *ctx, uint64_t done);

typedef struct pio_bench_io_list {
  uint64_t n;
  pio_bench_io_at_fn at;
  const void *at_ctx;
  pio_bench_io_tick_fn tick; /* may be NULL */
  void *tick_ctx;
} pio_bench_io_list;

/*
 * Sets up an engine of kind want over base[0..len).  For io_uring, the
 * buffer is registered in pieces of the largest multiple of align_unit up to
 * 1 GiB (the kernel's limit per buffer), so that no IO whose buffer range
 * lies within a multiple of align_unit straddles two; an IO that still does
 * goes unregistered.  When
 * io_uring cannot be set up (kernel, seccomp, sysctl) the engine is psync
 * and note says why; when registration fails (RLIMIT_MEMLOCK) IOs go
 * unregistered and note says why.  Release with pio_bench_io_engine_close.
 */
pio_status pio_bench_io_engine_open(pio_bench_io_kind want, uint32_t queue_depth, uint8_t *base,
                                    uint64_t len, uint64_t align_unit, pio_bench_io_engine *e,
                                    pio_error *err);
void pio_bench_io_engine_close(pio_bench_io_engine *e);

/* Writes (write != 0) or reads every IO of list on fd, whole (short
 * transfers continued), queue_depth at a time.  On an error the IOs in
 * flight are waited for before it returns, naming the IO's offset. */
pio_status pio_bench_io_engine_run(pio_bench_io_engine *e, int fd, int write,
                                   const pio_bench_io_list *list, pio_error *err);

/* "io_uring" or "psync". */
const char *pio_bench_io_kind_name(pio_bench_io_kind kind);

#endif
