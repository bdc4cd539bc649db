/* host/cli/suggest.h — "did you mean" for the options of pio-host and
 * pio-bench (the nearest word itself: pio_suggest in pio/host.h). */
#ifndef PIO_CLI_SUGGEST_H
#define PIO_CLI_SUGGEST_H

#include <getopt.h>
#include <stddef.h>

#include "pio/host.h"

/* The long option of options (a getopt_long table, NULL-terminated)
 * nearest to given ("--jsn", "--jsn=x"), as "--json"; NULL when none. */
const char *pio_suggest_option(const char *given, const struct option *options, char *buf,
                               size_t size);

#endif
