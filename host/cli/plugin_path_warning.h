/* host/cli/plugin_path_warning.h — the warning pio-host and pio-bench print
 * for a --plugin-path folder that is not there. */
#ifndef PIO_CLI_PLUGIN_PATH_WARNING_H
#define PIO_CLI_PLUGIN_PATH_WARNING_H

#include <stdio.h>

/* Prints "PREFIX: warning: --plugin-path DIR: WHY" on out (DIR escaped;
 * WHY stat's error, or "not a folder") when dir is not a folder, and
 * returns 1; else prints nothing and returns 0.  The folder stays on the
 * path (it may appear later), but one named on the command line that is
 * not there is most likely a typo. */
int pio_warn_plugin_path(FILE *out, const char *prefix, const char *dir);

#endif
