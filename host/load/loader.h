/* host/load/loader.h — opening a plugin module through libltdl and checking the
 * handshake (internal to libpio-host; pio_plugin_load is the public door). */
#ifndef PIO_HOST_LOADER_H
#define PIO_HOST_LOADER_H

#include <stddef.h>

#include "load/module_check.h"
#include "manifest/manifest.h"
#include "pio/host.h"

/* Size of pio_plugin at ABI 1.0: the smallest table a plugin may return. */
#define LOADER_PLUGIN_SIZE_1_0 (offsetof(pio_plugin, model) + sizeof(const pio_model_api *))

/* Steps of a load, reported so that a trial load in a child can tell where
 * the child died. */
typedef enum load_phase {
  LOAD_PHASE_OPEN = 0,  /* lt_dlopenadvise: constructors run here */
  LOAD_PHASE_ENTRY = 1, /* the entry function runs */
  LOAD_PHASE_UNLOAD = 2 /* lt_dlclose: destructors run here */
} load_phase;

typedef void (*load_phase_fn)(void *ctx, load_phase phase);

/* Loads the file module_open checked and opened (module->fd, whatever its
 * path points at now), finds manifest->entry_function, calls it and checks
 * the handshake against the manifest.  on_phase (may be NULL) is told
 * before each step.  *out owned by the caller (pio_plugin_unload); it keeps
 * its own duplicate of the descriptor, so module may be closed at once. */
pio_status loader_open(const module_file *module, const pio_manifest *manifest,
                       load_phase_fn on_phase, void *ctx, pio_loaded_plugin **out, pio_error *err);

/* Records the manifest variant plugin was loaded as (pio_loaded_plugin_variant). */
void loader_name_variant(pio_loaded_plugin *plugin, const char *variant);

/* Same as pio_plugin_unload, telling on_phase before lt_dlclose. */
void loader_close(pio_loaded_plugin *plugin, load_phase_fn on_phase, void *ctx);

/* The lock that serialises libltdl (whose error state is global).  Held
 * around fork() so that a child never inherits it locked by another thread. */
void loader_lock(void);
void loader_unlock(void);

#endif
