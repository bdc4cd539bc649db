/* host/manifest/variants.h — reading a manifest's variants (several builds
 * of one plugin in its folder) and freeing them.  Internal to
 * host/manifest. */
#ifndef PIO_HOST_MANIFEST_VARIANTS_H
#define PIO_HOST_MANIFEST_VARIANTS_H

#include "manifest/manifest_fields.h"

/* Most variants a manifest may list. */
#define MANIFEST_MAX_VARIANTS 16

/* Reads root's "variants" (absent: none) into m, whose entry_point is read
 * already: each variant's name (unique), module (a plain name: never
 * outside the folder), factory_function and needs (cpu_features and cuda;
 * any other need is an error, not a warning: a need the host does not
 * know cannot be checked, and a variant it cannot check must not load).
 * The entry point must be one of the variants (the build older hosts
 * load).  Errors as every field's: "path:line:column: variants[i].x: ...". */
pio_status manifest_read_variants(const mf_reader *r, const json_object *root, pio_manifest *m);

/* Frees what manifest_read_variants allocated in m. */
void manifest_free_variants(pio_manifest *m);

#endif
