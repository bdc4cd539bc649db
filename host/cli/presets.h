/* host/cli/presets.h — the model presets a plugin serves (those whose
 * config.json names the plugin's architecture) and the figures the plugin
 * itself computes for each, for `pio-host info`. */
#ifndef PIO_CLI_PRESETS_H
#define PIO_CLI_PRESETS_H

#include <stddef.h>

#include "load/config_probe.h"
#include "pio/host.h"

typedef struct pio_cli_presets {
  char **names;              /* preset names, sorted */
  char **config_paths;       /* the config.json each resolves to */
  size_t count;
  pio_config_probe *probes;  /* count entries; valid when probed */
  int probed;                /* the plugin was loaded and computed the figures */
} pio_cli_presets;

/* Fills out with every preset whose architecture is record's
 * model_architecture (pio_model_preset_names + pio_model_resolve against
 * registry; presets that do not resolve are not this plugin's and are
 * left out).  Errors only when out of memory.  Owned by the caller
 * (pio_cli_presets_free). */
pio_status pio_cli_presets_find(const pio_registry *registry, const pio_plugin_record *record,
                                pio_cli_presets *out, pio_error *err);
void pio_cli_presets_free(pio_cli_presets *presets);

#endif
