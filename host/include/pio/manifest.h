/*
 * pio/manifest.h — a plugin's validated manifest as libpio-host hands it
 * out (pio_plugin_record_manifest in pio/host.h): read-only, owned by the
 * registry the record belongs to.  Field meanings: docs/manifest.md and
 * manifests/plugin_manifest.schema.json.
 *
 * The structs grow only by appending fields at the end; a program never
 * allocates them, it reads the ones the library gives.
 */
#ifndef PIO_MANIFEST_H
#define PIO_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "pio/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A list of texts: items is NULL-terminated, or NULL when the list is empty. */
typedef struct pio_string_list {
  char **items;
  size_t count;
} pio_string_list;

typedef struct pio_manifest_dependency {
  char *name;    /* plugin name or library soname */
  char *kind;    /* "plugin" or "library" */
  char *version; /* semver requirement such as ">=1.2.0", or NULL */
} pio_manifest_dependency;

/* One build of the plugin among several in its folder (the manifest's
 * variants, in order of preference): its module and entry function, and
 * what the machine needs for it.  The host picks the first whose needs this
 * machine meets, from the manifest alone (docs/manifest.md). */
typedef struct pio_manifest_variant {
  char *name;                      /* [a-z][a-z0-9_-]{0,31}, unique in the manifest */
  char *module;                    /* a plain base name in the plugin folder */
  char *function;                  /* factory function, a C identifier */
  pio_string_list cpu_features;    /* needs.cpu_features, canonical names */
  pio_cpu_features cpu_feature_mask; /* the same as bits */
  uint64_t needs_cuda;             /* 1: needs.cuda is given (a CUDA device and driver) */
  uint64_t cuda_min_capability;    /* needs.cuda.compute_capability as 10 x major + minor (90) */
  uint64_t cuda_min_driver;        /* needs.cuda.driver as CUDA encodes it (12.4: 12040); 0 any */
  double cuda_min_memory_gb;       /* needs.cuda.memory_gb, GiB of device memory; 0 any */
} pio_manifest_variant;

/* abi_max_minor when compatibility.abi.max is a bare major ("1"). */
#define PIO_MANIFEST_ABI_ANY_MINOR UINT16_MAX

typedef struct pio_manifest_compatibility {
  uint16_t abi_min_major, abi_min_minor; /* oldest ABI the plugin runs on */
  uint16_t abi_max_major, abi_max_minor; /* newest; minor PIO_MANIFEST_ABI_ANY_MINOR
                                            when max names only a major */
  pio_string_list os;                    /* "linux", ...; empty: any */
  pio_string_list arch;                  /* "x86_64", "aarch64", ...; empty: any */
  pio_string_list cpu_features;          /* canonical names: "avx2", "avx512_bf16", ... */
  double min_memory_gb;                  /* GiB (2^30 bytes); 0 when absent */
  pio_cpu_features cpu_feature_mask;     /* cpu_features as bits (pio/cpu.h) */
} pio_manifest_compatibility;

/* Texts are NULL when the manifest leaves an optional field out; numbers
 * are 0 then. */
typedef struct pio_manifest {
  char *path;    /* the manifest file read */
  char *name;    /* [a-z][a-z0-9_-]{0,63} */
  char *version; /* semver */
  char *author;
  char *description;
  char *plugin_type;        /* "model" */
  char *model_architecture; /* e.g. "LlamaForCausalLM" */
  pio_string_list additional_architectures; /* others served, e.g. "Qwen2ForCausalLM" */
  char *model_family;
  char *model_size; /* free text, e.g. "8B" */
  char *license;    /* SPDX identifier */
  double required_memory_gb;
  uint64_t num_parameters;
  pio_string_list supported_modalities;
  pio_string_list tags;
  pio_manifest_dependency *dependencies; /* n_dependencies of them */
  size_t n_dependencies;
  char *entry_module;   /* entry_point.module: a plain file base name */
  char *entry_function; /* entry_point.factory_function: a C identifier */
  pio_manifest_compatibility compatibility;
  pio_string_list warnings; /* unknown fields and other non-fatal remarks */
  pio_manifest_variant *variants; /* n_variants builds in order of preference; NULL when the
                                     manifest has none (entry_point is then the only one) */
  size_t n_variants;
} pio_manifest;

#ifdef __cplusplus
}
#endif
#endif
