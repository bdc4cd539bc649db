/* host/manifest/manifest.h — reading and validating plugin_manifest.json
 * (the struct is public: pio/manifest.h), and the one list of its fields
 * that everything copying a manifest walks.  Internal to libpio-host. */
#ifndef PIO_HOST_MANIFEST_MANIFEST_H
#define PIO_HOST_MANIFEST_MANIFEST_H

#include <stddef.h>

#include "pio/manifest.h"
#include "pio/status.h"

struct arena;

/* Largest manifest read, and deepest nesting accepted. */
#define MANIFEST_MAX_BYTES (1u << 20)
#define MANIFEST_MAX_DEPTH 32

/*
 * Every field of pio_manifest but its path, in the order the registry
 * cache stores them (host/registry/cache/cache_format.c): freeing,
 * packing, encoding and decoding a manifest walk this list, so a new field
 * is added here once (and to the struct in pio/manifest.h; the cache format's
 * version is bumped).  Each kind is a macro the walker supplies:
 *   TEXT(field, required)  a char *; required: a decoded manifest without
 *                          it is malformed
 *   F64(field), U64(field) numbers
 *   LIST(field)            a pio_string_list
 *   DEPS(field, count)     the array of pio_manifest_dependency
 *   ABI(major, minor)      two uint16_t, stored as one u32
 *   VARIANTS(field, count) the array of pio_manifest_variant
 * Fields are member paths of pio_manifest (compatibility.os).
 */
#define MANIFEST_FIELDS(TEXT, F64, U64, LIST, DEPS, ABI, VARIANTS)                                 \
  TEXT(name, 1)                                                                                    \
  TEXT(version, 1) TEXT(author, 0) TEXT(description, 0) TEXT(plugin_type, 0)                       \
      TEXT(model_architecture, 0) LIST(additional_architectures) TEXT(model_family, 0) TEXT(model_size, 0) TEXT(license, 0) TEXT( \
          entry_module, 1) TEXT(entry_function, 1) F64(required_memory_gb) U64(num_parameters)     \
          LIST(supported_modalities) LIST(tags) DEPS(dependencies, n_dependencies)                 \
              ABI(compatibility.abi_min_major, compatibility.abi_min_minor)                        \
                  ABI(compatibility.abi_max_major, compatibility.abi_max_minor)                    \
                      LIST(compatibility.os) LIST(compatibility.arch)                              \
                          LIST(compatibility.cpu_features) F64(compatibility.min_memory_gb)        \
                              U64(compatibility.cpu_feature_mask) LIST(warnings)           \
                                  VARIANTS(variants, n_variants)

/* The texts of one dependency, the same way: TEXT(field, required). */
#define MANIFEST_DEPENDENCY_FIELDS(TEXT) TEXT(name, 1) TEXT(kind, 1) TEXT(version, 0)

/* The fields of one variant, the same way. */
#define MANIFEST_VARIANT_FIELDS(TEXT, F64, U64, LIST)                                     \
  TEXT(name, 1) TEXT(module, 1) TEXT(function, 1) LIST(cpu_features) U64(cpu_feature_mask) \
      U64(needs_cuda) U64(cuda_min_capability) U64(cuda_min_driver) F64(cuda_min_memory_gb)

/* A walker's kind that does nothing. */
#define MANIFEST_SKIP(...)

/*
 * Reads and validates the manifest at path.  Errors carry
 * "path:line:column: field: what was expected, what was found".
 *
 * A manifest is always one block: the struct and everything it points to
 * (host/manifest/manifest_pack.c).  *out comes from arena when one is
 * given (freed with it; never pass it to manifest_free), else from malloc
 * (owned by the caller: manifest_free).
 */
pio_status manifest_load(const char *path, struct arena *arena, pio_manifest **out, pio_error *err);

/* Same for a manifest already in memory; path is kept and used in messages. */
pio_status manifest_parse_buffer(const char *path, const char *text, size_t len,
                                 struct arena *arena, pio_manifest **out, pio_error *err);

/* Frees a manifest malloc'd by the functions above (or by the registry
 * cache's decoder).  NULL is ignored. */
void manifest_free(pio_manifest *manifest);

/* manifest (and everything it points to, in whatever pieces) copied into
 * one block: from arena when not NULL, else malloc'd.  NULL when out of
 * memory. */
pio_manifest *manifest_pack(const pio_manifest *manifest, struct arena *arena);

/*
 * Checks the manifest's dependencies of kind "plugin" with a lookup the
 * caller supplies (the registry): lookup returns the version of the named
 * plugin when it is present and usable, or NULL.  Each missing plugin or
 * version outside the requirement fails with PIO_ERR_NOT_FOUND /
 * PIO_ERR_INCOMPATIBLE naming the dependency, what is needed and what was
 * found.  Dependencies of kind "library" are not checked here (that needs
 * the loader); see docs/manifest.md.
 */
typedef const char *(*manifest_plugin_lookup)(void *context, const char *name);
pio_status manifest_check_plugin_dependencies(const pio_manifest *manifest,
                                              manifest_plugin_lookup lookup, void *context,
                                              pio_error *err);

#endif
