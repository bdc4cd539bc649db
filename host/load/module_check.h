/* host/load/module_check.h — finding a plugin's module file and refusing one that
 * could run code the folder's owner did not put there (internal). */
#ifndef PIO_HOST_MODULE_CHECK_H
#define PIO_HOST_MODULE_CHECK_H

#include "pio/status.h"

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
 * On success *out_path is the resolved absolute path of the shared object
 * to open (owned by the caller, free()).  Errors: PIO_ERR_NOT_FOUND when no
 * candidate exists, PIO_ERR_INVALID for every refusal, with the reason.
 */
pio_status module_resolve(const char *dir, const char *module, char **out_path, pio_error *err);

/* The plain-name rule alone: PIO_OK or PIO_ERR_INVALID with the reason. */
pio_status module_check_name(const char *module, pio_error *err);

#endif
