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

/* Prints "PREFIX: unknown option 'GIVEN'" and, when one is near, "; did you
 * mean '--OPTION'?" on stderr.  given is argv's word getopt refused. */
void pio_suggest_unknown_option(const char *prefix, const char *given,
                                const struct option *options);

#endif
