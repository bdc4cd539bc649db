/* host/registry_internal.h — registry entry points for the pio-host command
 * and tests (internal to libpio-host). */
#ifndef PIO_HOST_REGISTRY_INTERNAL_H
#define PIO_HOST_REGISTRY_INTERNAL_H

#include "pio/host.h"
#include "trial_load.h"

/* A registry holding the one plugin folder dir (for `pio-host validate`):
 * the same checks as a scan, plus a trial load in a child when check_load
 * and the earlier checks passed.  *out owned by the caller
 * (pio_registry_close). */
pio_status pio_registry_open_folder(const char *dir, int check_load, pio_registry **out,
                                    pio_error *err);

/* Why an ok record from the cache has no manifest to give. */
#define PIO_REGISTRY_UNDECODABLE_MANIFEST                                          \
  "its manifest could not be decoded from the registry cache (out of memory, or a " \
  "damaged cache file)"

/* The record's validated manifest, NULL when it could not be read (or,
 * from the registry cache, decoded: out of memory).  Decoded from the
 * cache on first use, once, safely from several threads.  Owned by the
 * registry. */
const pio_manifest *pio_registry_manifest(const pio_plugin_record *record);

/* The trial load's findings for record, NULL when none ran.  Owned by the
 * registry. */
const pio_trial_result *pio_registry_trial_result(const pio_plugin_record *record);

/* Where path entry index came from ("--plugin-path", "build tree", ...). */
const char *pio_registry_path_source_at(const pio_registry *registry, size_t index);

#endif
