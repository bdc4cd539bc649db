/* host/cli/output_file.h — closing a file that pio-host or pio-bench writes
 * for the user (--dump-logits, --json-out, --plot) so that a failed write
 * leaves nothing behind: a truncated file would pass for a result. */
#ifndef PIO_CLI_OUTPUT_FILE_H
#define PIO_CLI_OUTPUT_FILE_H

#include <stdio.h>

/* 0 when path can be opened for writing (a new file there, or the one
 * there); else -1 with errno saying why (no such folder, a folder, no
 * permission).  Leaves nothing behind: a file it had to make is removed.
 * For refusing a bad output path before the work whose result it holds. */
int pio_output_file_check(const char *path);

/* Closes f, opened for writing path.  When a write failed (ok 0, or f's
 * error flag set; errno saying why) or the close fails, removes path when
 * it is a regular file (never a device such as /dev/full) and returns -1
 * with errno of that failure; returns 0 when all was written. */
int pio_output_file_close(FILE *f, const char *path, int ok);

#endif
