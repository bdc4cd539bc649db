/* host/load/trial_load.h — loading a plugin in a child process, as
 * gst-plugin-scanner does, so that a crash in its constructor or entry point
 * is reported instead of taking the host down (internal). */
#ifndef PIO_HOST_TRIAL_LOAD_H
#define PIO_HOST_TRIAL_LOAD_H

#include <stdint.h>

#include "load/config_probe.h"
#include "load/module_check.h"
#include "manifest/manifest.h"
#include "pio/host.h"

/* How long a child may take before it is killed and the load is `failed`. */
#define TRIAL_LOAD_TIMEOUT_MS 30000u

/* Forks; the child loads the module module_open checked (its descriptor),
 * checks the handshake, unloads, and reports through a pipe.  Returns the
 * state (ok, failed or crashed) and fills *result (may be NULL); err holds
 * the reason when not ok, without the state word, e.g.
 * "SIGSEGV (Segmentation fault) in a constructor while loading
 * the module".  A child alive after timeout_ms is killed: failed.  The
 * child's process group is ended after it: a process the module started
 * and left running makes an otherwise ok load failed. */
pio_plugin_state trial_load_module(const module_file *module, const pio_manifest *manifest,
                                   unsigned timeout_ms, pio_trial_result *result, pio_error *err);

/* The same trial load; while the plugin is loaded, the child also runs
 * config_probe_run for each of config_paths[n_configs] and hands the
 * results back into probes[n_configs] (caller-owned; filled only when the
 * state is ok).  A plugin crashing while it reads a config is `crashed`
 * "... while computing its figures for the model config PATH". */
pio_plugin_state trial_load_probe(const module_file *module, const pio_manifest *manifest,
                                  unsigned timeout_ms, const char *const *config_paths,
                                  size_t n_configs, pio_trial_result *result,
                                  pio_config_probe *probes, pio_error *err);

/* A child's report: reads fd until EOF or timeout_ms, keeping the first
 * cap bytes in buf (the rest is drained).  The bytes read, or -1 on
 * timeout.  For every probe run in a child (trial loads, the CUDA
 * driver's). */
long trial_read_pipe(int fd, unsigned timeout_ms, char *buf, size_t cap);

/* "SIGSEGV" into abbrev and "Segmentation fault" in *descr (static text),
 * or "signal N" where the C library cannot name it. */
void trial_signal_name(int sig, char *abbrev, size_t abbrev_cap, const char **descr);

#endif
