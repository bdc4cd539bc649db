/* host/manifest.h — the validated plugin manifest (internal to libpio-host).
 * Field meanings: docs/manifest.md and manifests/plugin_manifest.schema.json. */
#ifndef PIO_HOST_MANIFEST_H
#define PIO_HOST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "pio/cpu.h"
#include "pio/host.h"
#include "pio/status.h"

/* Largest manifest read, and deepest nesting accepted. */
#define PIO_MANIFEST_MAX_BYTES (1u << 20)
#define PIO_MANIFEST_MAX_DEPTH 32

typedef struct pio_manifest_dependency {
  char *name;        /* plugin name or library soname */
  char *kind;        /* "plugin" or "library" */
  char *version;     /* semver requirement such as ">=1.2.0", or NULL */
} pio_manifest_dependency;

typedef struct pio_string_list {
  char **items;  /* NULL-terminated, or NULL when the list is empty */
  size_t count;
} pio_string_list;

typedef struct pio_manifest_compatibility {
  uint16_t abi_min_major, abi_min_minor; /* oldest ABI the plugin runs on */
  uint16_t abi_max_major, abi_max_minor; /* newest ABI it runs on; minor
                                            PIO_MANIFEST_ABI_ANY_MINOR when
                                            max names only a major ("1") */
  pio_string_list os;            /* "linux", ...; empty: any */
  pio_string_list arch;          /* "x86_64", "aarch64", ...; empty: any */
  pio_string_list cpu_features;  /* "avx2", "avx512_bf16", ... */
  double min_memory_gb;          /* GiB (2^30 bytes); 0 when absent */
  pio_cpu_features cpu_feature_mask; /* cpu_features as bits (pio/cpu.h) */
} pio_manifest_compatibility;

/* abi_max_minor when compatibility.abi.max is a bare major. */
#define PIO_MANIFEST_ABI_ANY_MINOR UINT16_MAX

typedef struct pio_manifest pio_manifest;
struct pio_manifest {
  char *path;                 /* the manifest file read */
  char *name;                 /* [a-z][a-z0-9_-]{0,63} */
  char *version;              /* semver */
  char *author;
  char *description;
  char *plugin_type;          /* "model" */
  char *model_architecture;   /* e.g. "LlamaForCausalLM" */
  char *model_family;
  char *model_size;           /* free text, e.g. "8B" */
  char *license;              /* SPDX identifier */
  double required_memory_gb;
  uint64_t num_parameters;
  pio_string_list supported_modalities;
  pio_string_list tags;
  pio_manifest_dependency *dependencies;
  size_t n_dependencies;
  char *entry_module;         /* entry_point.module: a plain file base name */
  char *entry_function;       /* entry_point.factory_function: a C identifier */
  pio_manifest_compatibility compatibility;
  pio_string_list warnings;   /* unknown fields and other non-fatal remarks */
  int packed;                 /* PIO_MANIFEST_*: how it is held, for pio_manifest_free */
};

/* A manifest's memory: pieces (as parsed), one allocation, or pieces of
 * an arena that frees them (host/arena.h). */
enum { PIO_MANIFEST_PIECES = 0, PIO_MANIFEST_PACKED = 1, PIO_MANIFEST_IN_ARENA = 2 };

/* Reads and validates the manifest at path.  Errors carry
 * "path:line:column: field: what was expected, what was found".
 * *out owned by the caller (pio_manifest_free). */
pio_status pio_manifest_load(const char *path, pio_manifest **out, pio_error *err);
void pio_manifest_free(pio_manifest *manifest);

/* The manifest moved into one allocation (host/manifest_pack.c), what a
 * registry keeps for each plugin: from arena when not NULL (then freed
 * with it), else malloc'd; manifest itself is freed.  When memory runs
 * out, manifest is returned as it was, still valid.  Either way the result
 * is given to pio_manifest_free, which frees what needs freeing. */
struct pio_arena;
pio_manifest *pio_manifest_pack(pio_manifest *manifest, struct pio_arena *arena);

/* Same for a manifest already in memory; path is kept and used in messages. */
pio_status pio_manifest_parse_buffer(const char *path, const char *text, size_t len,
                                     pio_manifest **out, pio_error *err);

/*
 * Checks the manifest's dependencies of kind "plugin" with a lookup the
 * caller supplies (the registry): lookup returns the version of the named
 * plugin when it is present and usable, or NULL.  Each missing plugin or
 * version outside the requirement fails with PIO_ERR_NOT_FOUND /
 * PIO_ERR_INCOMPATIBLE naming the dependency, what is needed and what was
 * found.  Dependencies of kind "library" are not checked here (that needs
 * the loader); see docs/manifest.md.
 */
typedef const char *(*pio_manifest_plugin_lookup)(void *context, const char *name);
pio_status pio_manifest_check_plugin_dependencies(const pio_manifest *manifest,
                                                  pio_manifest_plugin_lookup lookup,
                                                  void *context, pio_error *err);

#endif
