/* host/cli/describe.h — the full description of one plugin, shared by
 * `info` and `validate` (like gst-inspect-1.0 NAME). */
#ifndef PIO_CLI_DESCRIBE_H
#define PIO_CLI_DESCRIBE_H

#include <stdio.h>

#include "load/trial_load.h"
#include "pio/host.h"
#include "presets.h"

/* Prints record's manifest fields, files, compatibility, dependencies,
 * components, presets and warnings.  state/reason are the verdict to show
 * (the record's, or a trial load's); trial (may be NULL) tells which
 * components the loaded table has; presets (may be NULL: no Presets
 * section) the presets the plugin serves and its figures for them. */
void pio_cli_describe(FILE *out, const pio_plugin_record *record, pio_plugin_state state,
                      const char *reason, const pio_trial_result *trial,
                      const pio_cli_presets *presets);

#endif
