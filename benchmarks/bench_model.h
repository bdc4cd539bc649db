/* benchmarks/bench_model.h — a model opened by name for a benchmark, the
 * way every pio-bench scenario opens one: the registry scans the plugin
 * path, libpio-host resolves the name (preset or Hugging Face folder) to a
 * config.json and its plugin, the plugin is loaded through libltdl and parses
 * the config.  The benchmark then only talks to the plugin's tables: no
 * model knowledge lives in pio-bench. */
#ifndef PIO_BENCH_MODEL_H
#define PIO_BENCH_MODEL_H

#include <stddef.h>

#include "pio/host.h"
#include "pio/models.h"
#include "pio/plugin.h"

typedef struct pio_bench_model {
  pio_registry *registry;
  pio_resolved_model resolved;   /* name, config path, architecture, record */
  pio_loaded_plugin *plugin;
  const pio_plugin *table;       /* the plugin's table; valid while open */
  pio_model_config *config;      /* parsed by the plugin */
  pio_model_summary summary;     /* strings owned by config */
  char plugin_name[128];
  char plugin_version[64];
  char variant[40];              /* the manifest variant loaded; "" when it lists none */
} pio_bench_model;

/*
 * Opens model (a preset name or a folder) with the plugin folders
 * plugin_paths[0..n) searched first.  On failure *exit_status says whose
 * fault it was: PIO_BENCH_STATUS_USAGE for a name that resolves to nothing,
 * PIO_BENCH_STATUS_FAILED for a file or plugin that fails.  out is cleared
 * on failure; on success release it with pio_bench_model_close.
 */
pio_status pio_bench_model_open(const char *model, const char *const *plugin_paths,
                                size_t n_plugin_paths, pio_bench_model *out, int *exit_status,
                                pio_error *err);
/* The same, loading the plugin's manifest variant named variant (NULL:
 * the first this machine runs; pio_plugin_load_variant).  A variant the
 * manifest lacks is PIO_BENCH_STATUS_USAGE; one this machine cannot run,
 * PIO_BENCH_STATUS_FAILED. */
pio_status pio_bench_model_open_variant(const char *model, const char *const *plugin_paths,
                                        size_t n_plugin_paths, const char *variant,
                                        pio_bench_model *out, int *exit_status, pio_error *err);
void pio_bench_model_close(pio_bench_model *m);

/* The plugin's KV figures for query (the plugin must have a kv_cache
 * component).  Errors come from the plugin, prefixed with its name. */
pio_status pio_bench_model_kv_figures(const pio_bench_model *m, const pio_kv_query *query,
                                      pio_kv_figures *out, pio_error *err);

/* A query with struct_size set and everything else from the arguments. */
pio_kv_query pio_bench_kv_query(pio_dtype kv_dtype, uint32_t tp, uint32_t pp,
                                uint32_t page_size, pio_kv_access access,
                                pio_kv_formula formula);

#endif
