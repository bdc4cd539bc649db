/* host/cli/output_file.c — see output_file.h. */
#include "output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int pio_output_file_check(const char *path) {
  /* O_NONBLOCK: a FIFO without a reader is refused (ENXIO), not waited on */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0666);
  if (fd >= 0) {
    close(fd);
    unlink(path);
    return 0;
  }
  if (errno != EEXIST) return -1;
  fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

int pio_output_file_close(FILE *f, const char *path, int ok) {
  /* a failed write that left errno 0 is still a failure */
  int why = ok && !ferror(f) ? 0 : (errno != 0 ? errno : EIO);
  struct stat st;
  int regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
  if (fclose(f) != 0 && why == 0) why = errno;
  if (why == 0) return 0;
  if (regular) remove(path);
  errno = why;
  return -1;
}
