/* benchmarks/kvio_file.c — the KV page file of `pio-bench kvio`: creating
 * it, finding whether and how direct IO works on it, full-length IO loops,
 * dropping its cached pages, and removing it afterwards. */
#include "kvio_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* statfs f_type values (linux/magic.h), named for the report. */
static const struct {
  unsigned long magic;
  const char *name;
  int in_memory;
} fs_names[] = {
    {0xEF53UL, "ext4", 0},       {0x58465342UL, "xfs", 0},   {0x9123683EUL, "btrfs", 0},
    {0x01021994UL, "tmpfs", 1},  {0x858458F6UL, "ramfs", 1}, {0x794C7630UL, "overlayfs", 0},
    {0x2FC12FC1UL, "zfs", 0},    {0x6969UL, "nfs", 0},       {0xFF534D42UL, "cifs", 0},
    {0x65735546UL, "fuse", 0},   {0xF2F52010UL, "f2fs", 0},
};

static void describe_fs(pio_bench_kvio_file *f) {
  struct statfs st;
  snprintf(f->fs_type, sizeof f->fs_type, "unknown");
  if (fstatfs(f->fd_buffered, &st) != 0) return;
  snprintf(f->fs_type, sizeof f->fs_type, "0x%lx", (unsigned long)st.f_type);
  for (size_t i = 0; i < sizeof fs_names / sizeof fs_names[0]; i++)
    if ((unsigned long)st.f_type == fs_names[i].magic) {
      snprintf(f->fs_type, sizeof f->fs_type, "%s", fs_names[i].name);
      f->in_memory = fs_names[i].in_memory;
    }
}

pio_status pio_bench_io_full(int fd, int write, uint8_t *buf, uint64_t len, uint64_t offset,
                             pio_error *err) {
  while (len > 0) {
    ssize_t n = write ? pwrite(fd, buf, len, (off_t)offset) : pread(fd, buf, len, (off_t)offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return pio_error_set(err, PIO_ERR_IO, "%s of %llu bytes at offset %llu: %s",
                           write ? "write" : "read", (unsigned long long)len,
                           (unsigned long long)offset, strerror(errno));
    if (n == 0)
      return pio_error_set(err, PIO_ERR_IO, "read at offset %llu: unexpected end of file",
                           (unsigned long long)offset);
    buf += n;
    len -= (uint64_t)n;
    offset += (uint64_t)n;
  }
  return PIO_OK;
}

/* Finds the smallest alignment direct IO accepts by writing one aligned
 * block at offset 0: 512 (most devices' logical block), then 4096. */
static void probe_direct(pio_bench_kvio_file *f) {
  uint8_t *block = NULL;
  if (posix_memalign((void **)&block, PIO_BENCH_IO_BUFFER_ALIGN, 4096) != 0) return;
  memset(block, 0, 4096);
  static const size_t sizes[] = {512, 4096};
  for (size_t i = 0; i < 2 && f->direct_align == 0; i++) {
    ssize_t n = pwrite(f->fd_direct, block, sizes[i], 0);
    if (n == (ssize_t)sizes[i]) f->direct_align = sizes[i];
  }
  free(block);
  if (f->direct_align == 0) {
    snprintf(f->direct_note, sizeof f->direct_note, "O_DIRECT opened but refused aligned "
             "writes of 512 and 4096 bytes (%s); buffered IO", strerror(errno));
    close(f->fd_direct);
    f->fd_direct = -1;
  }
}

static pio_status open_direct(pio_bench_kvio_file *f, int want_direct) {
  f->fd_direct = -1;
  if (!want_direct) {
    snprintf(f->direct_note, sizeof f->direct_note, "direct IO turned off (--buffered)");
    return PIO_OK;
  }
  f->fd_direct = open(f->path, O_RDWR | O_DIRECT | O_CLOEXEC);
  if (f->fd_direct < 0) {
    snprintf(f->direct_note, sizeof f->direct_note, "%s refuses O_DIRECT (%s); buffered IO",
             f->fs_type, strerror(errno));
    return PIO_OK;
  }
  probe_direct(f);
  return PIO_OK;
}

static pio_status make_dir(const char *dir, pio_bench_kvio_file *f, pio_error *err) {
  if (dir != NULL) {
    f->dir = strdup(dir);
    return f->dir ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  /* /var/tmp rather than /tmp: /tmp is often tmpfs, which is memory. */
  const char *base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0') base = "/var/tmp";
  if (asprintf(&f->dir, "%s/pio-kvio-XXXXXX", base) < 0) {
    f->dir = NULL;
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  if (mkdtemp(f->dir) == NULL)
    return pio_error_set(err, PIO_ERR_IO, "cannot make a folder under %s: %s (choose one "
                         "with --dir)", base, strerror(errno));
  f->own_dir = 1;
  return PIO_OK;
}

pio_status pio_bench_kvio_file_open(const char *dir, uint64_t size, int want_direct,
                                    pio_bench_kvio_file *f, pio_error *err) {
  memset(f, 0, sizeof *f);
  f->fd_buffered = -1;
  f->fd_direct = -1;
  pio_status s = make_dir(dir, f, err);
  if (s == PIO_OK && asprintf(&f->path, "%s/pio-kvio-XXXXXX", f->dir) < 0) {
    f->path = NULL;
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  if (s == PIO_OK && f->path != NULL) {
    /* A new name of our own: a file the user keeps in --dir is never touched. */
    f->fd_buffered = mkostemp(f->path, O_CLOEXEC);
    if (f->fd_buffered < 0) {
      s = pio_error_set(err, PIO_ERR_IO, "cannot create a file in %s: %s", f->dir,
                        strerror(errno));
      free(f->path);
      f->path = NULL;
    }
  }
  if (s == PIO_OK) {
    describe_fs(f);
    /* Blocks allocated up front: the timed writes overwrite, as a KV
     * offload file that lives across requests does. */
    int rc = posix_fallocate(f->fd_buffered, 0, (off_t)size);
    if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL)
      s = pio_error_set(err, PIO_ERR_IO, "cannot allocate %llu bytes for %s: %s",
                        (unsigned long long)size, f->path, strerror(rc));
    else if (rc != 0 && ftruncate(f->fd_buffered, (off_t)size) != 0)
      s = pio_error_set(err, PIO_ERR_IO, "cannot size %s: %s", f->path, strerror(errno));
  }
  if (s == PIO_OK) s = open_direct(f, want_direct);
  if (s != PIO_OK) pio_bench_kvio_file_close(f);
  return s;
}

void pio_bench_kvio_file_close(pio_bench_kvio_file *f) {
  if (f->fd_direct >= 0) close(f->fd_direct);
  if (f->fd_buffered >= 0) close(f->fd_buffered);
  if (f->path != NULL) unlink(f->path);
  if (f->own_dir && f->dir != NULL) rmdir(f->dir);
  free(f->path);
  free(f->dir);
  memset(f, 0, sizeof *f);
  f->fd_buffered = -1;
  f->fd_direct = -1;
}

int pio_bench_kvio_file_direct_ok(const pio_bench_kvio_file *f, uint64_t len, uint64_t stride) {
  return f->fd_direct >= 0 && f->direct_align != 0 && len % f->direct_align == 0 &&
         stride % f->direct_align == 0;
}

pio_status pio_bench_kvio_drop_cache(int fd, pio_error *err) {
  if (fsync(fd) != 0)
    return pio_error_set(err, PIO_ERR_IO, "fsync: %s", strerror(errno));
  int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (rc != 0) return pio_error_set(err, PIO_ERR_IO, "posix_fadvise: %s", strerror(rc));
  return PIO_OK;
}
