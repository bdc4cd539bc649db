/* benchmarks/bench_model.c — opening a model by name through libpio-host
 * and asking its plugin, for every pio-bench scenario. */
#include "bench_model.h"

#include <stdio.h>
#include <string.h>

#include "bench_options.h"
#include "config_warning.h"

/* The plugin's table has the component and covers its function. */
static int has_config(const pio_plugin *t) {
  return (t->components & PIO_COMPONENT_CONFIG) && t->config != NULL &&
         PIO_TABLE_HAS(t->config, pio_config_api, summarize) && t->config->parse_file != NULL &&
         t->config->free != NULL && t->config->summarize != NULL;
}

static int has_kv_cache(const pio_plugin *t) {
  return (t->components & PIO_COMPONENT_KV_CACHE) && t->kv_cache != NULL &&
         PIO_TABLE_HAS(t->kv_cache, pio_kv_cache_api, figures) && t->kv_cache->figures != NULL;
}

static int has_variant(const pio_plugin_record *record, const char *name) {
  const pio_manifest *m = pio_plugin_record_manifest(record);
  for (size_t i = 0; m != NULL && i < m->n_variants; i++)
    if (strcmp(m->variants[i].name, name) == 0) return 1;
  return 0;
}

static pio_status open_registry(const char *const *paths, size_t n, pio_registry **out,
                                pio_error *err) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = paths;
  opts.n_plugin_paths = n;
  return pio_registry_open(&opts, out, err);
}

pio_status pio_bench_model_open(const char *model, const char *const *plugin_paths,
                                size_t n_plugin_paths, pio_bench_model *m, int *exit_status,
                                pio_error *err) {
  return pio_bench_model_open_variant(model, plugin_paths, n_plugin_paths, NULL, m, exit_status,
                                      err);
}

pio_status pio_bench_model_open_variant(const char *model, const char *const *plugin_paths,
                                        size_t n_plugin_paths, const char *variant,
                                        pio_bench_model *m, int *exit_status, pio_error *err) {
  memset(m, 0, sizeof *m);
  *exit_status = PIO_BENCH_STATUS_FAILED;
  pio_status s = open_registry(plugin_paths, n_plugin_paths, &m->registry, err);
  if (s != PIO_OK) return s;
  s = pio_model_resolve(m->registry, model, &m->resolved, err);
  if (s != PIO_OK) {
    /* A name that resolves to nothing, or to an architecture no plugin
     * serves, is the request's fault; a broken file or plugin is not. */
    if (s == PIO_ERR_NOT_FOUND || s == PIO_ERR_INVALID_ARGUMENT)
      *exit_status = PIO_BENCH_STATUS_USAGE;
    pio_bench_model_close(m);
    return s;
  }
  const pio_plugin_record *record = m->resolved.record;
  snprintf(m->plugin_name, sizeof m->plugin_name, "%s", record->name);
  snprintf(m->plugin_version, sizeof m->plugin_version, "%s", record->version);
  s = pio_plugin_load_variant(record, variant, &m->plugin, err);
  if (s != PIO_OK && variant != NULL && !has_variant(record, variant))
    *exit_status = PIO_BENCH_STATUS_USAGE; /* a name the manifest lacks: the request's fault */
  if (s == PIO_OK) {
    const char *loaded = pio_loaded_plugin_variant(m->plugin);
    snprintf(m->variant, sizeof m->variant, "%s", loaded != NULL ? loaded : "");
    m->table = pio_loaded_plugin_table(m->plugin);
    if (!has_config(m->table))
      s = pio_error_set(err, PIO_ERR_UNSUPPORTED, "plugin '%s' has no config component: it "
                        "cannot read %s", m->plugin_name, m->resolved.config_path);
  }
  if (s == PIO_OK) s = m->table->config->parse_file(m->resolved.config_path, &m->config, err);
  if (s == PIO_OK) {
    m->summary.struct_size = sizeof m->summary;
    s = m->table->config->summarize(m->config, &m->summary, err);
  }
  if (s != PIO_OK) {
    pio_error_prefix(err, "model '%s' (plugin %s)", model, m->plugin_name);
    pio_bench_model_close(m);
    return s;
  }
  pio_warn_unread_config_fields(stderr, "pio-bench", m->table, m->resolved.config_path);
  *exit_status = PIO_BENCH_STATUS_OK;
  return PIO_OK;
}

void pio_bench_model_close(pio_bench_model *m) {
  if (m == NULL) return;
  if (m->config != NULL && m->table != NULL) m->table->config->free(m->config);
  if (m->plugin != NULL) pio_plugin_unload(m->plugin);
  pio_resolved_model_clear(&m->resolved);
  if (m->registry != NULL) pio_registry_close(m->registry);
  memset(m, 0, sizeof *m);
}

pio_status pio_bench_model_kv_figures(const pio_bench_model *m, const pio_kv_query *query,
                                      pio_kv_figures *out, pio_error *err) {
  if (!has_kv_cache(m->table))
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "plugin '%s' has no kv_cache component: "
                         "it cannot size a KV cache", m->plugin_name);
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  pio_status s = m->table->kv_cache->figures(m->config, query, out, err);
  if (s != PIO_OK) pio_error_prefix(err, "plugin %s", m->plugin_name);
  return s;
}

pio_kv_query pio_bench_kv_query(pio_dtype kv_dtype, uint32_t tp, uint32_t pp,
                                uint32_t page_size, pio_kv_access access,
                                pio_kv_formula formula) {
  pio_kv_query q;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  q.kv_dtype = kv_dtype;
  q.tp = tp;
  q.pp = pp;
  q.page_size = page_size;
  q.access = access;
  q.formula = formula;
  return q;
}
