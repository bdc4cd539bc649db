/* benchmarks/host_scale_run.h — the measurements of `pio-bench host`: for
 * each plugin count, pio-host list cold and warm and a load by name; once,
 * gst-inspect-1.0 cold and warm.  cmd_host.c reads options and reports. */
#ifndef PIO_BENCH_HOST_SCALE_RUN_H
#define PIO_BENCH_HOST_SCALE_RUN_H

#include <stddef.h>

#include "pio/status.h"

typedef struct pio_host_bench_options {
  size_t n_plugins;
  unsigned repeat;
  int sweep;
  const char *source;      /* name of the built plugin copied */
  const char *pio_host;    /* the pio-host program timed */
  const char *gst_inspect; /* NULL: no GStreamer comparison */
  int keep;                /* keep the scratch folder */
  int json;
} pio_host_bench_options;

/* One plugin count.  Times in seconds (medians); NAN when not measured. */
typedef struct pio_host_bench_point {
  size_t n_made;           /* plugin folders made */
  size_t listed;           /* plugins pio-host listed (made + default path) */
  size_t n_ok;             /* made plugins listed ok */
  double cold_no_cache;    /* pio-host list --no-cache */
  double cold_fresh_cache; /* pio-host list with an empty cache (writes it) */
  double warm;             /* pio-host list with the cache written */
  double load;             /* registry open (warm) + find + load, in process */
  /* The floor under a warm listing, in the same run: starting pio-host
   * (--version), and reading the folder with three stat() a plugin. */
  double floor_start, floor_stat;
  double cpu_cold_no_cache, cpu_cold_fresh_cache, cpu_warm; /* child CPU, user + system */
  int agree;               /* --json output equal with and without the cache */
} pio_host_bench_point;

typedef struct pio_host_bench_gst {
  int ran;
  size_t plugins;          /* "Total count: N plugins" */
  double cold, warm;
  double cpu_cold, cpu_warm;
  char why[256];           /* when it did not run */
} pio_host_bench_gst;

/* Measures every count of sizes[0..n_sizes) (ascending) into points, and
 * GStreamer into *gst when o->gst_inspect is set.  Returns 0, or 1 with err
 * filled when a run could not be made or pio-host failed. */
int pio_host_bench_run(const pio_host_bench_options *o, const char *source_dir,
                       const size_t *sizes, size_t n_sizes, pio_host_bench_point *points,
                       pio_host_bench_gst *gst, pio_error *err);

#endif
