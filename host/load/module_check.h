/* host/load/module_check.h — finding a plugin's module file and refusing one that
 * could run code the folder's owner did not put there (internal). */
#ifndef PIO_HOST_MODULE_CHECK_H
#define PIO_HOST_MODULE_CHECK_H

#include <sys/stat.h>

#include "pio/status.h"

/* A module file as it was checked.  Owned by whoever filled it
 * (module_file_close). */
typedef struct module_file {
  char *path;    /* the resolved absolute path of the shared object */
  char *archive; /* the libtool archive (.la) that named it, resolved; NULL when none */
  int fd;        /* the shared object, open read-only (module_open); -1 otherwise */
  struct stat st; /* what the checks looked at: fstat of fd, or stat of path */
} module_file;

/*
 * Finds the module entry_point.module names inside the plugin folder dir,
 * the way libltdl's extension search would (`<module>.so`, then
 * `<module>.la`, whose dlname must name a module in the same folder), and
 * checks it:
 *  - module is a plain file name: no '/', no "..";
 *  - the file resolves (symlinks followed) inside the folder;
 *  - it is a regular file;
 *  - neither the file nor the folder is writable by others (sticky or
 *    not), nor writable by a group other than the effective user's own
 *    group (getegid()) or root's (gid 0);
 *  - both are owned by root or by the effective user.
 * On success *out holds the paths (fd -1).  Errors: PIO_ERR_NOT_FOUND when
 * no candidate exists, PIO_ERR_INVALID for every refusal, with the reason.
 */
pio_status module_resolve(const char *dir, const char *module, module_file *out, pio_error *err);

/* The same checks, made on the file itself: the shared object is opened
 * (no symbolic link followed past the resolved path) and the checks look
 * at fstat of that descriptor, which is what the loader then loads, so a
 * file swapped in at the path after the checks is never the one run. */
pio_status module_open(const char *dir, const char *module, module_file *out, pio_error *err);

/* Frees the paths and closes the descriptor; m is then empty (fd -1). */
void module_file_close(module_file *m);

/* The plain-name rule alone: PIO_OK or PIO_ERR_INVALID with the reason. */
pio_status module_check_name(const char *module, pio_error *err);

#endif
