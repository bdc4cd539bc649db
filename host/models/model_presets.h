/* host/models/model_presets.h — the folders holding model presets
 * (manifests/models/NAME.json) and finding a preset in them (internal to
 * libpio-host; pio/models.h is the public face). */
#ifndef PIO_HOST_MODEL_PRESETS_H
#define PIO_HOST_MODEL_PRESETS_H

#include <stddef.h>

#include "pio/status.h"

/* Preset folders in search order, first wins: every item of PIO_MODELS_PATH
 * (colon list, empty items skipped), the source tree's manifests/models
 * when the running binary lives in the build tree, the installed
 * share/pio/models.  Folders that do not exist are kept (messages name
 * them).  Owned by the caller (preset_dirs_free). */
typedef struct preset_dirs {
  char **dirs;
  size_t count;
} preset_dirs;

pio_status preset_dirs_get(preset_dirs *out, pio_error *err);
void preset_dirs_free(preset_dirs *dirs);

/* True when name can name a preset: [A-Za-z0-9._-], 1..128 characters,
 * not starting with '.'. */
int preset_name_valid(const char *name);

/* Path of the first dirs[i]/NAME.json that is a regular file; else of the
 * one preset spelt as NAME but for case, '-' and '_' (kvbench's
 * "llama3.1-8b" for llama-3.1-8b); NULL with errno ENOENT when none is.
 * Owned by the caller (free). */
char *preset_find(const preset_dirs *dirs, const char *name);

/* Whether a and b are the same but for case, '-' and '_'. */
int preset_same_spelling(const char *a, const char *b);

/* Writes "a, b, c" (the preset names, sorted) into out, cut with "..." to
 * fit size; "none" when there are none. */
void preset_list_text(const preset_dirs *dirs, char *out, size_t size);

/* Sorted, de-duplicated names of every preset in dirs.  *names owned by
 * the caller (pio_model_preset_names_free). */
pio_status preset_names_in(const preset_dirs *dirs, char ***names, size_t *count, pio_error *err);

#endif
