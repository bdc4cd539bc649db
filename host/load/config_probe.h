/* host/load/config_probe.h — what a loaded plugin computes for one model
 * config.json through its own tables: parameter counts (config->summarize)
 * and KV bytes per token (kv_cache->figures), for `pio-host info` (internal
 * to libpio-host).  Plain data only, so that a child process can hand it
 * back through a pipe. */
#ifndef PIO_HOST_CONFIG_PROBE_H
#define PIO_HOST_CONFIG_PROBE_H

#include <stdint.h>

#include "pio/host.h"

/* Parses config_path with table's config component, summarizes it and,
 * when the plugin has a kv_cache component, asks it for the KV figures
 * (PIO_CONFIG_PROBE_KV_DTYPE, tp PIO_CONFIG_PROBE_TP, pp 1, page 1 token).
 * Never fails: a plugin without a config component, or one that refuses
 * the file, is recorded in out->status and out->message. */
void config_probe_run(const pio_plugin *table, const char *config_path, pio_config_probe *out);

#endif
