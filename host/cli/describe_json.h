/* host/cli/describe_json.h — plugins as JSON for scripts: the fields
 * `list --json` prints for every plugin, and the full description
 * `info --json` prints for one (the same keys, then everything else). */
#ifndef PIO_CLI_DESCRIBE_JSON_H
#define PIO_CLI_DESCRIBE_JSON_H

#include <json-c/json.h>
#include <stdio.h>

#include "load/trial_load.h"
#include "pio/host.h"
#include "pio/json.h"
#include "presets.h"

/* name, version, model_architecture, path, status, reason, dir, module,
 * warnings, and components when trial is ok.  state/reason are the verdict
 * to show.  Returns a new object (json_object_put), NULL when out of
 * memory. */
json_object *pio_cli_record_json(const pio_plugin_record *record, pio_plugin_state state,
                                 const char *reason, const pio_trial_result *trial);

/* pio_cli_record_json plus the manifest's fields, entry point,
 * compatibility, dependencies, the loaded table ("table": null when not
 * loaded) and, when presets is not NULL, "presets": [{name, config,
 * n_params, n_params_active, kv_dtype, tp, kv_bytes_per_token, error}]
 * (null when the plugin was not loaded). */
json_object *pio_cli_describe_json(const pio_plugin_record *record, pio_plugin_state state,
                                   const char *reason, const pio_trial_result *trial,
                                   const pio_cli_presets *presets);


#endif
