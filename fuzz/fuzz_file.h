/* fuzz/fuzz_file.h — what the fuzzers of file readers share: the input
 * written to one scratch file per process (the parsers under test read
 * files, as they do in use), and the check of an error record. */
#ifndef PIO_FUZZ_FILE_H
#define PIO_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pio/status.h"

static inline void fuzz_require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzzer: broken promise: %s\n", what);
    abort();
  }
}

/* Writes data to the process's scratch file and returns a path that opens
 * it.  The file lives in memory (memfd, a regular file to fstat and mmap),
 * so that disk writes do not slow the fuzzer ten-fold. */
static inline const char *fuzz_write_file(const uint8_t *data, size_t size) {
  static char path[64];
  static int fd = -1;
  if (fd < 0) {
    fd = memfd_create("pio-fuzz-input", MFD_CLOEXEC);
    fuzz_require(fd >= 0, "memfd_create");
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  fuzz_require(ftruncate(fd, 0) == 0, "scratch file truncated");
  fuzz_require(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size, "scratch file written");
  return path;
}

static inline void fuzz_check_error(pio_status status, const pio_error *err) {
  fuzz_require(err->code == status, "error code equals the returned status");
  fuzz_require(memchr(err->message, '\0', sizeof err->message) != NULL, "message is terminated");
  fuzz_require(err->message[0] != '\0', "message is not empty");
}

#endif
