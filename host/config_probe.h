/* host/config_probe.h — what a loaded plugin computes for one model
 * config.json through its own tables: parameter counts (config->summarize)
 * and KV bytes per token (kv_cache->figures), for `pio-host info` (internal
 * to libpio-host).  Plain data only, so that a child process can hand it
 * back through a pipe. */
#ifndef PIO_HOST_CONFIG_PROBE_H
#define PIO_HOST_CONFIG_PROBE_H

#include <stdint.h>

#include "pio/plugin.h"

/* The KV cache the figures are for: one whole model, unsharded. */
#define PIO_CONFIG_PROBE_KV_DTYPE PIO_DTYPE_BF16
#define PIO_CONFIG_PROBE_TP 1u

typedef struct pio_config_probe {
  int32_t status;              /* pio_status: PIO_OK when every figure below is valid */
  int32_t has_kv;              /* the plugin has a kv_cache table */
  uint64_t n_params;           /* config->summarize: all parameters */
  uint64_t n_params_active;    /* ... used for one token (= n_params when dense) */
  uint64_t kv_bytes_per_token; /* kv_cache->figures: bf16, tp 1, pp 1; 0 without has_kv */
  char message[PIO_ERROR_MESSAGE_MAX]; /* why not, when status is not PIO_OK */
} pio_config_probe;

/* Parses config_path with table's config component, summarizes it and,
 * when the plugin has a kv_cache component, asks it for the KV figures
 * (PIO_CONFIG_PROBE_KV_DTYPE, tp PIO_CONFIG_PROBE_TP, pp 1, page 1 token).
 * Never fails: a plugin without a config component, or one that refuses
 * the file, is recorded in out->status and out->message. */
void pio_config_probe_run(const pio_plugin *table, const char *config_path,
                          pio_config_probe *out);

#endif
