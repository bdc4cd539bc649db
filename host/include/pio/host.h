/*
 * pio/host.h — libpio-host: find plugin folders on the plugin path, read and
 * validate their manifests, check them against this machine, load one
 * through libltdl, and resolve a model name to the plugin that serves it.
 *
 * Thread safety: a pio_registry is read-only after pio_registry_open and may
 * be shared by threads; pio_plugin_load/unload may be called from any thread
 * (libltdl calls are serialised inside).  See docs/abi.md.
 */
#ifndef PIO_HOST_H
#define PIO_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "pio/manifest.h"
#include "pio/plugin.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions libpio-host exports: it is built with hidden
 * visibility, so everything else in it stays inside. */
#if defined(__GNUC__)
#define PIO_HOST_API __attribute__((visibility("default")))
#else
#define PIO_HOST_API
#endif

/* Status of one plugin folder as the registry sees it. */
typedef enum pio_plugin_state {
  PIO_PLUGIN_OK = 0,
  PIO_PLUGIN_INVALID = 1,      /* manifest unreadable or a field is wrong */
  PIO_PLUGIN_INCOMPATIBLE = 2, /* valid, but this machine lacks what it needs */
  PIO_PLUGIN_FAILED = 3,       /* a trial load or handshake failed */
  PIO_PLUGIN_CRASHED = 4,      /* a trial load died on a signal */
  PIO_PLUGIN_SHADOWED = 5      /* same name found earlier on the path */
} pio_plugin_state;

/* "ok", "invalid", "incompatible", "failed", "crashed", "shadowed". */
PIO_HOST_API const char *pio_plugin_state_name(pio_plugin_state state);

/* One plugin folder found on the path.  Owned by its registry. */
typedef struct pio_plugin_record {
  const char *name;               /* manifest name, or the folder's name when unreadable */
  const char *version;            /* "" when unknown */
  const char *model_architecture; /* "" when unknown */
  const char *manifest_path;      /* absolute path of plugin_manifest.json */
  const char *dir;                /* absolute path of the plugin folder */
  const char *module_path;        /* resolved module file, NULL when not found */
  pio_plugin_state state;
  const char *reason;             /* why not ok, one line; "" when ok */
  const char *const *warnings;    /* NULL-terminated: unknown fields and the like */
} pio_plugin_record;

typedef struct pio_registry pio_registry;

typedef struct pio_registry_options {
  uint32_t struct_size;
  const char *const *plugin_paths; /* --plugin-path folders, first wins */
  size_t n_plugin_paths;
  int skip_environment;            /* ignore PIO_PLUGIN_PATH */
  int skip_default_paths;          /* ignore build tree, installed and XDG folders */
  const char *cache_dir;           /* registry cache folder; NULL: the default */
  int no_cache;                    /* neither read nor write the cache */
  int check_load;                  /* trial-load every valid plugin in a child */
} pio_registry_options;

/* Fills opts with defaults (every path source, the cache on). */
PIO_HOST_API void pio_registry_options_init(pio_registry_options *opts);

/* Scans the plugin path.  Problems with single plugins are recorded in
 * their records, not returned; only a failure to scan at all (no memory)
 * is an error.  *out owned by the caller (pio_registry_close). */
PIO_HOST_API pio_status pio_registry_open(const pio_registry_options *opts, pio_registry **out,
                                          pio_error *err);
PIO_HOST_API void pio_registry_close(pio_registry *registry);

/* The folders searched, in order (for --help and info). */
PIO_HOST_API size_t pio_registry_path_count(const pio_registry *registry);
PIO_HOST_API const char *pio_registry_path_at(const pio_registry *registry, size_t index);

PIO_HOST_API size_t pio_registry_count(const pio_registry *registry);
PIO_HOST_API const pio_plugin_record *pio_registry_at(const pio_registry *registry, size_t index);
/* First non-shadowed record with this name, NULL when none. */
PIO_HOST_API const pio_plugin_record *pio_registry_find(const pio_registry *registry,
                                                        const char *name);
/* First ok record whose model_architecture equals architecture; failing
 * that, the first ok record whose manifest lists it among its
 * additional_architectures. */
PIO_HOST_API const pio_plugin_record *pio_registry_find_architecture(const pio_registry *registry,
                                                                     const char *architecture);
/* 1 when record's manifest serves architecture (model_architecture or one
 * of additional_architectures), else 0 (also for a record whose manifest
 * is unreadable). */
PIO_HOST_API int pio_plugin_record_serves(const pio_plugin_record *record,
                                          const char *architecture);

/* A registry holding the one plugin folder dir (what `pio-host validate`
 * checks before a plugin ships): the checks of a scan, plus a trial load
 * in a child when check_load and the earlier checks passed.  No path is
 * searched and no cache read or written.  *out owned by the caller
 * (pio_registry_close). */
PIO_HOST_API pio_status pio_registry_open_folder(const char *dir, int check_load,
                                                 pio_registry **out, pio_error *err);

/* Where path folder index came from: "--plugin-path", "PIO_PLUGIN_PATH",
 * "build tree", "installed" or "user"; NULL past the end. */
PIO_HOST_API const char *pio_registry_path_source_at(const pio_registry *registry, size_t index);

/* The record's validated manifest; NULL when it could not be read (the
 * record is then invalid) or, from the registry cache, decoded (out of
 * memory).  Decoded on first use, once, safely from several threads.
 * Owned by the registry: valid until pio_registry_close. */
PIO_HOST_API const pio_manifest *pio_plugin_record_manifest(const pio_plugin_record *record);

/* 1 when record's folder could not be examined for a failure of the
 * system (an I/O error, out of memory or of descriptors: EIO, ENOMEM,
 * EMFILE) rather than of its files: the record is invalid, its name is the
 * folder's, and its reason says what failed.  0 otherwise. */
PIO_HOST_API int pio_plugin_record_unread(const pio_plugin_record *record);

/* What a trial load learnt from a plugin's table (valid when state is ok). */
typedef struct pio_trial_result {
  pio_plugin_state state;
  uint32_t components;  /* PIO_COMPONENT_* bits of the table */
  uint32_t struct_size; /* the table's struct_size as the plugin built it */
  uint16_t abi_major;
  uint16_t abi_minor;
  int has_config, has_kv_cache, has_model; /* component tables present */
  int signal;                              /* the signal that killed the child, 0 when none */
} pio_trial_result;

/* The trial load's findings for record (a registry opened with
 * check_load), NULL when none ran.  Owned by the registry. */
PIO_HOST_API const pio_trial_result *pio_plugin_record_trial(const pio_plugin_record *record);

/* A plugin loaded into this process. */
typedef struct pio_loaded_plugin pio_loaded_plugin;

/* Loads record's module through libltdl (local symbols), calls its entry
 * point and checks the handshake (ABI major, struct_size, name, version,
 * architecture against the manifest).  The record must be ok.  *out owned
 * by the caller (pio_plugin_unload); it keeps no pointer into the registry. */
PIO_HOST_API pio_status pio_plugin_load(const pio_plugin_record *record, pio_loaded_plugin **out,
                                        pio_error *err);
/* One of a plugin's variants (its manifest's builds, pio/manifest.h) as
 * this machine judges them, from the manifest alone: no build is loaded to
 * decide. */
typedef struct pio_variant_verdict {
  const char *name;  /* the variant's name; valid while the registry is open */
  int usable;        /* its needs are met and its module is in the folder */
  int chosen;        /* the one pio_plugin_load loads: the first usable */
  char reason[384];  /* when not usable, every unmet need, joined by "; " */
} pio_variant_verdict;

/* The verdicts on record's variants, verdicts[i] for its manifest's
 * variants[i], *n of them (0 when the manifest lists none: entry_point is
 * then the only build); max is the room in verdicts (16 holds any).  The
 * NVIDIA driver is asked (once a process) only when a variant needs CUDA.
 * PIO_OK also when none is usable (none is chosen then). */
PIO_HOST_API pio_status pio_plugin_variants(const pio_plugin_record *record,
                                            pio_variant_verdict *verdicts, size_t max,
                                            size_t *n, pio_error *err);

/* pio_plugin_load of the variant named variant (NULL: the one
 * pio_plugin_load chooses).  A name the manifest lacks is
 * PIO_ERR_NOT_FOUND listing the names; a variant this machine cannot run
 * is PIO_ERR_INCOMPATIBLE with its reason, never loaded (it could crash the
 * host). */
PIO_HOST_API pio_status pio_plugin_load_variant(const pio_plugin_record *record,
                                                const char *variant, pio_loaded_plugin **out,
                                                pio_error *err);

/* The plugin's table: valid until pio_plugin_unload. */
PIO_HOST_API const pio_plugin *pio_loaded_plugin_table(const pio_loaded_plugin *plugin);

/* The name of the manifest variant plugin was loaded as; NULL when its
 * manifest lists none (entry_point was loaded).  Valid until unload. */
PIO_HOST_API const char *pio_loaded_plugin_variant(const pio_loaded_plugin *plugin);

/* PIO_OK when the plugin, built for table->abi_minor, reads every option
 * set in opts.  A plugin built before a field existed would ignore it
 * silently, so asking it for one is PIO_ERR_UNSUPPORTED naming the plugin,
 * the option and the ABI that brought it (today: weights_load = READ,
 * ABI 1.1). */
PIO_HOST_API pio_status pio_model_options_supported(const pio_plugin *table,
                                                    const pio_model_options *opts, pio_error *err);

/* The command-line words of pio_model_options.weights_load: "map"
 * (PIO_WEIGHTS_MAP) and "read" (PIO_WEIGHTS_READ).  parse returns 0, or -1
 * for any other text (*out unchanged); name returns "map" or "read". */
PIO_HOST_API int pio_weights_load_parse(const char *text, uint32_t *out);
PIO_HOST_API const char *pio_weights_load_name(uint32_t load);
PIO_HOST_API void pio_plugin_unload(pio_loaded_plugin *plugin);

/* Trial load in a child process, as gst-plugin-scanner does: load,
 * handshake, unload.  Returns PIO_PLUGIN_OK, PIO_PLUGIN_FAILED or
 * PIO_PLUGIN_CRASHED with a reason ("crashed: SIGSEGV ...") in err's
 * message. */
PIO_HOST_API pio_plugin_state pio_plugin_trial_load(const pio_plugin_record *record,
                                                    pio_error *err);

/* A plugin's own figures for one model config.json, computed through its
 * tables (config->summarize, kv_cache->figures).  Plain data. */
typedef struct pio_config_probe {
  int32_t status;                      /* pio_status: PIO_OK when every figure below is valid */
  int32_t has_kv;                      /* the plugin has a kv_cache table */
  uint64_t n_params;                   /* config->summarize: all parameters */
  uint64_t n_params_active;            /* ... used for one token (= n_params when dense) */
  uint64_t kv_bytes_per_token;         /* kv_cache->figures for PIO_CONFIG_PROBE_KV_DTYPE, tp
                                  PIO_CONFIG_PROBE_TP, pp 1; 0 without has_kv */
  char message[PIO_ERROR_MESSAGE_MAX]; /* why not, when status is not PIO_OK */
} pio_config_probe;

/* The KV cache a probe's figures are for: one whole model, unsharded. */
#define PIO_CONFIG_PROBE_KV_DTYPE PIO_DTYPE_BF16
#define PIO_CONFIG_PROBE_TP 1u

/* The trial load of pio_plugin_trial_load that, while the plugin is
 * loaded in the child, also computes its figures for each of
 * config_paths[n_configs] into probes[n_configs] (caller-owned; filled
 * when the state is ok; a config the plugin refuses has its own status
 * and message).  *result (may be NULL) gets the table's findings.  err's
 * reason comes without the state word; a plugin crashing while it reads a
 * config is crashed with "SIGSEGV (...) while computing its figures for
 * the model config PATH". */
PIO_HOST_API pio_plugin_state pio_plugin_probe(const pio_plugin_record *record,
                                               const char *const *config_paths, size_t n_configs,
                                               pio_trial_result *result, pio_config_probe *probes,
                                               pio_error *err);

/* The top-level fields of the config.json at config_path that table's
 * config component neither reads nor knowingly ignores
 * (pio_config_api.fields): values that would silently have no effect, for
 * the caller to warn about.  *fields (NULL-terminated, *count of them) is
 * owned by the caller (pio_config_unread_fields_free); none when the
 * plugin does not list its fields.  Errors: the file unreadable or not
 * JSON (a file that is JSON but not an object has no fields). */
PIO_HOST_API pio_status pio_config_unread_fields(const pio_plugin *table, const char *config_path,
                                                 char ***fields, size_t *count, pio_error *err);
PIO_HOST_API void pio_config_unread_fields_free(char **fields, size_t count);

/* "Did you mean": the candidate nearest to word, when near enough to be a
 * likely typo: an optimal-string-alignment distance (an insertion,
 * deletion, change or swap of neighbours counts one) of at most a third of
 * the longer word, and at least 1; or a candidate that word begins, or
 * that begins with word.  NULL when none is, or when word is one of them.
 * Ties go to the earlier candidate.  Returns one of candidates. */
PIO_HOST_API const char *pio_suggest(const char *word, const char *const *candidates, size_t n);

#ifdef __cplusplus
}
#endif
#endif
