/* host/load/config_probe.c — a plugin's own figures for one config.json: parse
 * with its config component, summarize, and size the KV cache with its
 * kv_cache component.  Each component table is read only as far as its
 * struct_size covers (pio/plugin.h). */
#include "load/config_probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void refuse(pio_config_probe *out, pio_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void refuse(pio_config_probe *out, pio_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out->message, sizeof out->message, fmt, ap);
  va_end(ap);
  out->status = code;
}

static void keep_error(pio_config_probe *out, const pio_error *err, pio_status code) {
  out->status = code;
  memcpy(out->message, err->message, sizeof out->message);
  out->message[sizeof out->message - 1] = '\0';
}

/* The config component, when it has what the probe calls; else NULL. */
static const pio_config_api *config_api(const pio_plugin *table) {
  const pio_config_api *api = table->config;
  if (api == NULL || !PIO_TABLE_HAS(api, pio_config_api, summarize)) return NULL;
  if (api->parse_file == NULL || api->free == NULL || api->summarize == NULL) return NULL;
  return api;
}

static const pio_kv_cache_api *kv_api(const pio_plugin *table) {
  const pio_kv_cache_api *api = table->kv_cache;
  if (api == NULL || !PIO_TABLE_HAS(api, pio_kv_cache_api, figures) || api->figures == NULL)
    return NULL;
  return api;
}

static void probe_kv(const pio_kv_cache_api *kv, const pio_model_config *config,
                     pio_config_probe *out) {
  pio_kv_query q;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  q.kv_dtype = PIO_CONFIG_PROBE_KV_DTYPE;
  q.tp = PIO_CONFIG_PROBE_TP;
  q.pp = 1;
  q.page_size = 1;
  q.access = PIO_KV_ACCESS_BLOCK;
  q.formula = PIO_KV_FORMULA_PIO;
  pio_kv_figures f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  pio_error err;
  pio_error_clear(&err);
  pio_status s = kv->figures(config, &q, &f, &err);
  if (s != PIO_OK) {
    keep_error(out, &err, s);
    return;
  }
  out->kv_bytes_per_token = f.bytes_per_token;
}

void config_probe_run(const pio_plugin *table, const char *config_path, pio_config_probe *out) {
  memset(out, 0, sizeof *out);
  const pio_config_api *api = config_api(table);
  if (api == NULL) {
    refuse(out, PIO_ERR_UNSUPPORTED, "the plugin has no config component to read %s", config_path);
    return;
  }
  pio_model_config *config = NULL;
  pio_error err;
  pio_error_clear(&err);
  pio_status s = api->parse_file(config_path, &config, &err);
  if (s != PIO_OK || config == NULL) {
    if (s == PIO_OK)
      pio_error_set(&err, PIO_ERR_INTERNAL, "%s: parse_file returned no config", config_path);
    keep_error(out, &err, err.code);
    return;
  }
  pio_model_summary summary;
  memset(&summary, 0, sizeof summary);
  summary.struct_size = sizeof summary;
  s = api->summarize(config, &summary, &err);
  if (s != PIO_OK) {
    keep_error(out, &err, s);
  } else {
    out->n_params = summary.n_params;
    out->n_params_active =
        summary.n_params_active != 0 ? summary.n_params_active : summary.n_params;
    const pio_kv_cache_api *kv = kv_api(table);
    out->has_kv = kv != NULL;
    if (kv != NULL) probe_kv(kv, config, out);
  }
  api->free(config);
}
