/* benchmarks/kvio_file.h — the file `pio-bench kvio` writes KV pages to:
 * opened with O_DIRECT where the file system takes it (the alignment found
 * by trying), a buffered descriptor beside it for IO sizes direct IO cannot
 * take, the page cache dropped between write and read, whole-buffer IO
 * loops, and what kind of storage the file is on. */
#ifndef PIO_BENCH_KVIO_FILE_H
#define PIO_BENCH_KVIO_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

/* Buffers passed to direct IO are aligned to this (posix_memalign). */
#define PIO_BENCH_IO_BUFFER_ALIGN 4096u

typedef struct pio_bench_kvio_file {
  char *dir;           /* folder holding the file */
  int own_dir;         /* dir was made by us (mkdtemp) and is removed on close */
  char *path;          /* the file */
  int fd_buffered;     /* always open */
  int fd_direct;       /* O_DIRECT, or -1 when the file system refuses it */
  size_t direct_align; /* offsets and sizes of direct IO are multiples of this */
  char direct_note[256]; /* why direct IO is not used, when it is not */
  char fs_type[32];    /* "ext4", "xfs", "tmpfs", ... or "0x<magic>" */
  int in_memory;       /* tmpfs or ramfs: the file is memory, not a device */
} pio_bench_kvio_file;

/*
 * Creates a new file dir/pio-kvio-XXXXXX (dir NULL: a new mkdtemp folder
 * under $TMPDIR or /var/tmp, removed on close), allocates size bytes for it, and opens it
 * buffered and, unless want_direct is 0, with O_DIRECT.  When O_DIRECT fails
 * (EINVAL: the file system has none) direct_note says so and fd_direct is -1.
 * *out owned by the caller (pio_bench_kvio_file_close).
 */
pio_status pio_bench_kvio_file_open(const char *dir, uint64_t size, int want_direct,
                                    pio_bench_kvio_file *out, pio_error *err);
/* Closes, removes the file, and the folder when it made it. */
void pio_bench_kvio_file_close(pio_bench_kvio_file *f);

/* Whether an IO of len bytes at offsets that are multiples of stride can
 * go through fd_direct. */
int pio_bench_kvio_file_direct_ok(const pio_bench_kvio_file *f, uint64_t len, uint64_t stride);

/* Writes (write != 0) or reads buf[0..len) at offset on fd, the whole of it
 * (short transfers continued, EINTR retried). */
pio_status pio_bench_io_full(int fd, int write, uint8_t *buf, uint64_t len, uint64_t offset,
                             pio_error *err);

/* Makes the next buffered reads of fd come from the device: fsync, then
 * posix_fadvise(POSIX_FADV_DONTNEED) over the file. */
pio_status pio_bench_kvio_drop_cache(int fd, pio_error *err);

#endif
