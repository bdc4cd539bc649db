/* host/cli/config_warning.h — the warning pio-host run and pio-bench print
 * for config.json fields the plugin does not read (pio_config_unread_fields). */
#ifndef PIO_CLI_CONFIG_WARNING_H
#define PIO_CLI_CONFIG_WARNING_H

#include <stddef.h>
#include <stdio.h>

#include "pio/host.h"

/* Prints "PREFIX: warning: CONFIG: plugin NAME does not read field(s) 'a',
 * 'b': their values have no effect" on out when there are such fields.
 * Returns how many there are; a config it cannot read again is not
 * warned about (the plugin read it, so this is only a race). */
size_t pio_warn_unread_config_fields(FILE *out, const char *prefix, const pio_plugin *table,
                                     const char *config_path);

#endif
