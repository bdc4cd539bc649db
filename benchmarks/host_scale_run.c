/* benchmarks/host_scale_run.c — the measurements of `pio-bench host` (see
 * host_scale_run.h): runs pio-host and gst-inspect-1.0 as whole processes
 * with a controlled environment, and loads one plugin in this process. */
#include "host_scale_run.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_scale.h"
#include "pio/host.h"
#include "stats.h"

/* Longer than the registry cache's racy margin (one second). */
#define FILE_AGE_SECONDS 1.2

typedef struct bench_run {
  const pio_host_bench_options *o;
  const char *source_dir; /* the built plugin copied */
  char scratch[256];
  char plugins_dir[300], cache_dir[300], gst_dir[300];
  char **env;
  double *times; /* repeat slots: wall clock */
  double *cpu;   /* repeat slots: the child's CPU time */
} bench_run;

/* Runs pio-host list; exit 0 (all ok) and 1 (some plugin not ok) are both
 * a listing that worked.  Returns the seconds, or -1 with err filled. */
static double run_list(bench_run *b, const char *cache_arg, int json, const char *out,
                       double *cpu, pio_error *err) {
  char *argv[8];
  size_t k = 0;
  argv[k++] = (char *)b->o->pio_host;
  argv[k++] = "list";
  if (json) argv[k++] = "--json";
  argv[k++] = "--plugin-path";
  argv[k++] = b->plugins_dir;
  if (cache_arg == NULL) {
    argv[k++] = "--no-cache";
  } else {
    argv[k++] = "--cache";
    argv[k++] = (char *)cache_arg;
  }
  argv[k] = NULL;
  int status = 0;
  double t = pio_host_scale_time_command(argv, b->env, out, &status, cpu);
  if (t < 0) {
    pio_error_set(err, PIO_ERR_LOAD, "%s list --plugin-path %s: cannot run: %s", b->o->pio_host,
                  b->plugins_dir, strerror(errno));
    return -1;
  }
  if (status > 1) {
    pio_error_set(err, PIO_ERR_LOAD, "%s list --plugin-path %s: exit status %d", b->o->pio_host,
                  b->plugins_dir, status);
    return -1;
  }
  return t;
}

static double median_of(bench_run *b) { return pio_bench_median(b->times, b->o->repeat); }
static double median_cpu(bench_run *b) { return pio_bench_median(b->cpu, b->o->repeat); }

/* Fills *wall and *cpu with the medians of repeat runs of pio-host list;
 * fresh: remove the cache before each run.  First the writes of the runs
 * before (each cold+write run fsyncs a new cache file and removes the last)
 * are flushed, so that their writeback is not timed as part of these. */
static int time_lists(bench_run *b, const char *cache_arg, int fresh, double *wall, double *cpu,
                      pio_error *err) {
  sync();
  for (unsigned r = 0; r < b->o->repeat; r++) {
    if (fresh) pio_host_scale_remove_tree(b->cache_dir);
    if ((b->times[r] = run_list(b, cache_arg, 0, NULL, &b->cpu[r], err)) < 0) return -1;
  }
  *wall = median_of(b);
  *cpu = median_cpu(b);
  return 0;
}

/* Reads the whole file at path (NUL-terminated); NULL when unreadable. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  char buf[65536];
  size_t got;
  while (mem != NULL && (got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, mem);
  fclose(f);
  if (mem != NULL) fclose(mem);
  return text;
}

/* The listing with and without the cache must be the same bytes; counts
 * what was listed and which made plugins are ok. */
static int check_listing(bench_run *b, pio_host_bench_point *p, pio_error *err) {
  char a[400], c[400];
  snprintf(a, sizeof a, "%s/list-no-cache.json", b->scratch);
  snprintf(c, sizeof c, "%s/list-cache.json", b->scratch);
  if (run_list(b, NULL, 1, a, NULL, err) < 0 || run_list(b, b->cache_dir, 1, c, NULL, err) < 0)
    return -1;
  char *uncached = slurp(a), *cached = slurp(c);
  p->agree = uncached != NULL && cached != NULL && strcmp(uncached, cached) == 0;
  json_object *doc = cached != NULL ? json_tokener_parse(cached) : NULL;
  free(uncached);
  free(cached);
  /* The document's "plugins"; a pio-host older than the documents printed
   * the bare array, and --pio-host may time one. */
  json_object *list = doc;
  if (json_object_is_type(doc, json_type_object)) json_object_object_get_ex(doc, "plugins", &list);
  if (!json_object_is_type(list, json_type_array)) {
    json_object_put(doc);
    pio_error_set(err, PIO_ERR_PARSE, "%s: pio-host list --json holds no plugins array", c);
    return -1;
  }
  p->listed = json_object_array_length(list);
  size_t prefix = strlen(b->plugins_dir);
  for (size_t i = 0; i < p->listed; i++) {
    json_object *item = json_object_array_get_idx(list, i), *path, *status;
    if (json_object_object_get_ex(item, "path", &path) &&
        json_object_object_get_ex(item, "status", &status) &&
        strncmp(json_object_get_string(path), b->plugins_dir, prefix) == 0 &&
        strcmp(json_object_get_string(status), "ok") == 0)
      p->n_ok++;
  }
  json_object_put(doc);
  return 0;
}

/* Registry open with the warm cache, find, load: what a program that
 * loads one plugin by name pays. */
static int time_load(bench_run *b, pio_host_bench_point *p, pio_error *err) {
  const char *paths[] = {b->plugins_dir};
  for (unsigned r = 0; r < b->o->repeat; r++) {
    pio_registry_options opts;
    pio_registry_options_init(&opts);
    opts.plugin_paths = paths;
    opts.n_plugin_paths = 1;
    opts.skip_environment = 1;
    opts.skip_default_paths = 1;
    opts.cache_dir = b->cache_dir;
    pio_registry *registry = NULL;
    pio_loaded_plugin *plugin = NULL;
    double start = pio_bench_now();
    pio_status s = pio_registry_open(&opts, &registry, err);
    const pio_plugin_record *rec = s == PIO_OK ? pio_registry_find(registry, b->o->source) : NULL;
    if (s == PIO_OK && rec == NULL)
      s = pio_error_set(err, PIO_ERR_NOT_FOUND, "%s: not found among the copies", b->o->source);
    if (s == PIO_OK) s = pio_plugin_load(rec, &plugin, err);
    b->times[r] = pio_bench_now() - start;
    pio_plugin_unload(plugin);
    pio_registry_close(registry);
    if (s != PIO_OK) return -1;
  }
  p->load = median_of(b);
  return 0;
}

/* The limits under a warm listing (host_scale_run.h), medians of repeat;
 * measured right after the warm runs, the folders as warm as for them. */
static int time_floor(bench_run *b, pio_host_bench_point *p, pio_error *err) {
  char *argv[] = {(char *)b->o->pio_host, "--version", NULL};
  for (unsigned r = 0; r < b->o->repeat; r++) {
    int status = 0;
    b->times[r] = pio_host_scale_time_command(argv, b->env, NULL, &status, NULL);
    if (b->times[r] < 0 || status != 0) {
      pio_error_set(err, PIO_ERR_LOAD, "%s --version: %s", b->o->pio_host,
                    b->times[r] < 0 ? "cannot run" : "failed");
      return -1;
    }
  }
  p->floor_start = median_of(b);
  for (unsigned r = 0; r < b->o->repeat; r++) {
    if ((b->times[r] = pio_host_scale_time_stat_floor(b->source_dir, b->plugins_dir)) < 0) {
      pio_error_set(err, PIO_ERR_IO, "%s: cannot read", b->plugins_dir);
      return -1;
    }
  }
  p->floor_stat = median_of(b);
  return 0;
}

static int measure_point(bench_run *b, size_t n, pio_host_bench_point *p, pio_error *err) {
  memset(p, 0, sizeof *p);
  p->n_made = n;
  if (time_lists(b, NULL, 0, &p->cold_no_cache, &p->cpu_cold_no_cache, err) != 0 ||
      time_lists(b, b->cache_dir, 1, &p->cold_fresh_cache, &p->cpu_cold_fresh_cache, err) != 0 ||
      time_lists(b, b->cache_dir, 0, &p->warm, &p->cpu_warm, err) != 0 ||
      time_floor(b, p, err) != 0)
    return -1;
  if (check_listing(b, p, err) != 0) return -1;
  return time_load(b, p, err);
}

/* ------------------------------------------------------------------ */
/* GStreamer.                                                          */

static double run_gst(bench_run *b, const char *registry_file, const char *out, int *status,
                      double *cpu) {
  char **env = pio_host_scale_env_with(b->env, "GST_REGISTRY", registry_file);
  if (env == NULL) return -1;
  char *argv[] = {(char *)b->o->gst_inspect, NULL};
  double t = pio_host_scale_time_command(argv, env, out, status, cpu);
  pio_host_scale_env_free(env);
  return t;
}

static size_t gst_plugin_count(const char *listing) {
  char *text = slurp(listing);
  const char *at = text != NULL ? strstr(text, "Total count: ") : NULL;
  size_t n = at != NULL ? (size_t)strtoull(at + 13, NULL, 10) : 0;
  free(text);
  return n;
}

static void measure_gst(bench_run *b, pio_host_bench_gst *g) {
  char file[400], listing[400];
  int status = 0;
  mkdir(b->gst_dir, 0700);
  sync(); /* as for pio-host (time_lists) */
  for (unsigned r = 0; r < b->o->repeat; r++) {
    snprintf(file, sizeof file, "%s/cold-%u.bin", b->gst_dir, r);
    b->times[r] = run_gst(b, file, NULL, &status, &b->cpu[r]);
    if (b->times[r] < 0 || status != 0) {
      snprintf(g->why, sizeof g->why, "'%s' %s (Debian: apt-get install gstreamer1.0-tools "
               "gstreamer1.0-plugins-base gstreamer1.0-plugins-good)", b->o->gst_inspect,
               b->times[r] < 0 ? "cannot be run" : "failed");
      return;
    }
  }
  g->cold = median_of(b);
  g->cpu_cold = median_cpu(b);
  snprintf(file, sizeof file, "%s/warm.bin", b->gst_dir);
  snprintf(listing, sizeof listing, "%s/gst-inspect.txt", b->gst_dir);
  run_gst(b, file, listing, &status, NULL);
  sync();
  for (unsigned r = 0; r < b->o->repeat; r++)
    b->times[r] = run_gst(b, file, NULL, &status, &b->cpu[r]);
  g->warm = median_of(b);
  g->cpu_warm = median_cpu(b);
  g->plugins = gst_plugin_count(listing);
  g->ran = g->plugins > 0;
  if (!g->ran) snprintf(g->why, sizeof g->why, "no 'Total count' line in its output");
}

/* ------------------------------------------------------------------ */

static int bench_open(bench_run *b, const pio_host_bench_options *o, pio_error *err) {
  memset(b, 0, sizeof *b);
  b->o = o;
  const char *tmp = getenv("TMPDIR");
  snprintf(b->scratch, sizeof b->scratch, "%s/pio-bench-host-XXXXXX",
           tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
  if (mkdtemp(b->scratch) == NULL) {
    pio_error_set(err, PIO_ERR_IO, "%s: cannot create the scratch folder", b->scratch);
    return -1;
  }
  snprintf(b->plugins_dir, sizeof b->plugins_dir, "%s/plugins", b->scratch);
  snprintf(b->cache_dir, sizeof b->cache_dir, "%s/registry-cache", b->scratch);
  snprintf(b->gst_dir, sizeof b->gst_dir, "%s/gst", b->scratch);
  b->env = pio_host_scale_env(b->scratch);
  b->times = calloc(o->repeat, sizeof *b->times);
  b->cpu = calloc(o->repeat, sizeof *b->cpu);
  if (b->env == NULL || b->times == NULL || b->cpu == NULL) {
    pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
    return -1;
  }
  return 0;
}

static void bench_close(bench_run *b) {
  if (b->o->keep) fprintf(stderr, "pio-bench host: scratch folder kept: %s\n", b->scratch);
  else if (b->scratch[0] != '\0') pio_host_scale_remove_tree(b->scratch);
  pio_host_scale_env_free(b->env);
  free(b->times);
  free(b->cpu);
}

int pio_host_bench_run(const pio_host_bench_options *o, const char *source_dir,
                       const size_t *sizes, size_t n_sizes, pio_host_bench_point *points,
                       pio_host_bench_gst *gst, pio_error *err) {
  bench_run b;
  int rc = bench_open(&b, o, err);
  b.source_dir = source_dir;
  for (size_t i = 0; rc == 0 && i < n_sizes; i++) {
    if (pio_host_scale_make_plugins(source_dir, b.plugins_dir, sizes[i], err) != PIO_OK) {
      rc = -1;
      break;
    }
    pio_host_scale_let_files_age(FILE_AGE_SECONDS);
    rc = measure_point(&b, sizes[i], &points[i], err);
  }
  if (rc == 0 && o->gst_inspect != NULL) measure_gst(&b, gst);
  else if (rc == 0) snprintf(gst->why, sizeof gst->why, "skipped (--no-gst)");
  bench_close(&b);
  return rc == 0 ? 0 : 1;
}
