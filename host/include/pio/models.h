/*
 * pio/models.h — resolving a model name to its configuration and plugin.
 * A model is named by a preset (manifests/models/NAME.json, a Hugging Face
 * config.json with the published hyper-parameters; kvbench's spellings such
 * as "llama3.1-8b" find llama-3.1-8b), by a path to a Hugging Face model
 * folder holding config.json (and *.safetensors), or by the path of that
 * config.json (its folder holds the weights; any other JSON file is a config
 * without weights, like a preset).  The config's "architectures" picks the
 * plugin whose manifest serves it.
 */
#ifndef PIO_MODELS_H
#define PIO_MODELS_H

#include "pio/host.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pio_resolved_model {
  char *name;         /* as given */
  char *config_path;  /* absolute path of the config.json used */
  char *weights_dir;  /* the model folder for a folder, NULL for a preset */
  char *architecture; /* first of config.json's "architectures" */
  const pio_plugin_record *record; /* the serving plugin, owned by the registry */
} pio_resolved_model;

/* Resolves model (a preset name or a folder path) against registry.  The
 * preset folders searched are PIO_MODELS_PATH (colon list), the build
 * tree's manifests/models and the installed share/pio/models.  Errors:
 * unknown name (listing the presets), unreadable config, no plugin for the
 * architecture, plugin not ok (with its reason).  *out filled with strings
 * owned by it (pio_resolved_model_clear). */
PIO_HOST_API pio_status pio_model_resolve(const pio_registry *registry, const char *model,
                                          pio_resolved_model *out, pio_error *err);
PIO_HOST_API void pio_resolved_model_clear(pio_resolved_model *model);

/* Names of every preset found, sorted; *names owned by the caller
 * (pio_model_preset_names_free). */
PIO_HOST_API pio_status pio_model_preset_names(char ***names, size_t *count, pio_error *err);
PIO_HOST_API void pio_model_preset_names_free(char **names, size_t count);

#ifdef __cplusplus
}
#endif
#endif
