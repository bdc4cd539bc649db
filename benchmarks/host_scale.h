/* benchmarks/host_scale.h — the machinery of `pio-bench host`: a scratch
 * folder of N plugin folders made from one real built plugin, a child
 * process run and timed with a controlled environment, and the cleanup. */
#ifndef PIO_BENCH_HOST_SCALE_H
#define PIO_BENCH_HOST_SCALE_H

#include <stddef.h>

#include "pio/status.h"

/*
 * Fills plugins_dir (created) with n plugin folders: the first is a copy of
 * source_dir as it is (so the real plugin can be loaded by its own name),
 * the others "NAME_copy_NNNNN" with the manifest's name rewritten.  Each
 * folder holds plugin_manifest.json and the module: a hard link to the
 * source's module (a copy when linking fails), so 10,000 folders cost
 * little disk.  Folders already there from a smaller n are kept.
 */
pio_status pio_host_scale_make_plugins(const char *source_dir, const char *plugins_dir, size_t n,
                                       pio_error *err);

/* Removes path and everything under it; 0 on success. */
int pio_host_scale_remove_tree(const char *path);

/*
 * The environment children run with: the caller's, minus what would make
 * them see other plugins or caches (PIO_PLUGIN_PATH, PIO_REGISTRY,
 * GST_REGISTRY, GST_PLUGIN_PATH), plus XDG_DATA_HOME and XDG_CACHE_HOME
 * under scratch.  Owned by the caller (pio_host_scale_env_free).
 */
char **pio_host_scale_env(const char *scratch);
void pio_host_scale_env_free(char **env);

/* Returns a new environment: env with name=value set (added or replaced).
 * env itself is not changed; both are freed separately. */
char **pio_host_scale_env_with(char *const *env, const char *name, const char *value);

/*
 * Runs argv (argv[0] a path or a name searched on PATH) with env, stdout to
 * stdout_path (/dev/null when NULL) and stderr to /dev/null, and returns
 * the wall-clock seconds from spawn to exit, or a negative value when it
 * could not be started (errno says why).  *exit_status gets the exit code (128 + signal when
 * killed); *cpu (may be NULL) the child's user + system CPU seconds, which
 * other load on the machine disturbs far less than the wall clock.
 */
double pio_host_scale_time_command(char *const argv[], char *const env[],
                                   const char *stdout_path, int *exit_status, double *cpu);

/* The floor under a warm listing of plugins_dir (made from source_dir),
 * timed once in this process: reading the folder and the three stat()
 * calls a plugin that no listing that is never wrong can skip (folder,
 * manifest, module).  Seconds, or a negative value when it cannot run. */
double pio_host_scale_time_stat_floor(const char *source_dir, const char *plugins_dir);

/* Waits until every file made by make_plugins is older than seconds, so
 * that the registry cache treats none of them as racy (host/registry/cache/cache.h). */
void pio_host_scale_let_files_age(double seconds);

#endif
