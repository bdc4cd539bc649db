/* host/cli/presets.c — finding the presets a plugin serves.  A preset
 * serves the plugin when its config.json's architecture is the plugin's,
 * as pio_model_resolve reads it, so `info` and `pio-bench --model NAME`
 * agree on which presets a plugin takes. */
#include "presets.h"

#include <stdlib.h>
#include <string.h>

#include "pio/models.h"

void pio_cli_presets_free(pio_cli_presets *p) {
  for (size_t i = 0; i < p->count; i++) {
    free(p->names[i]);
    free(p->config_paths[i]);
  }
  free(p->names);
  free(p->config_paths);
  free(p->probes);
  memset(p, 0, sizeof *p);
}

/* Appends name and config_path (both copied). */
static pio_status append(pio_cli_presets *p, const char *name, const char *config_path,
                         pio_error *err) {
  char **names = realloc(p->names, (p->count + 1) * sizeof *names);
  if (names != NULL) p->names = names;
  char **paths = realloc(p->config_paths, (p->count + 1) * sizeof *paths);
  if (paths != NULL) p->config_paths = paths;
  char *n = names != NULL && paths != NULL ? strdup(name) : NULL;
  char *c = n != NULL ? strdup(config_path) : NULL;
  if (c == NULL) {
    free(n);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "presets: out of memory");
  }
  p->names[p->count] = n;
  p->config_paths[p->count] = c;
  p->count++;
  return PIO_OK;
}

pio_status pio_cli_presets_find(const pio_registry *registry, const pio_plugin_record *record,
                                pio_cli_presets *out, pio_error *err) {
  memset(out, 0, sizeof *out);
  char **names = NULL;
  size_t n_names = 0;
  pio_status s = pio_model_preset_names(&names, &n_names, err);
  if (s != PIO_OK) return s;
  for (size_t i = 0; i < n_names && s == PIO_OK; i++) {
    pio_resolved_model model;
    pio_error ignored;
    pio_error_clear(&ignored);
    if (pio_model_resolve(registry, names[i], &model, &ignored) != PIO_OK) {
      if (ignored.code == PIO_ERR_NO_MEMORY)
        s = pio_error_set(err, PIO_ERR_NO_MEMORY, "presets: out of memory");
      continue; /* an architecture no ok plugin serves, or a broken preset */
    }
    if (pio_plugin_record_serves(record, model.architecture))
      s = append(out, names[i], model.config_path, err);
    pio_resolved_model_clear(&model);
  }
  pio_model_preset_names_free(names, n_names);
  if (s == PIO_OK && out->count > 0 && (out->probes = calloc(out->count, sizeof *out->probes)) == NULL)
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "presets: out of memory");
  if (s != PIO_OK) pio_cli_presets_free(out);
  return s;
}
