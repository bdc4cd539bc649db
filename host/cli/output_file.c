/* host/cli/output_file.c — see output_file.h. */
#include "output_file.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

int pio_output_file_close(FILE *f, const char *path, int ok) {
  int why = ok && !ferror(f) ? 0 : errno;
  struct stat st;
  int regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
  if (fclose(f) != 0 && why == 0) why = errno;
  if (why == 0) return 0;
  if (regular) remove(path);
  errno = why;
  return -1;
}
