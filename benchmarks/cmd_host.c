/* benchmarks/cmd_host.c — `pio-bench host`: how the plugin host scales.
 * N plugin folders (copies of a real built plugin) are listed by pio-host
 * cold and warm, one plugin is loaded by name among them, and
 * gst-inspect-1.0 lists the GStreamer plugins installed on this machine
 * cold and warm, for the cost per plugin side by side.  Every time is the
 * median wall clock of --repeat runs of a whole process (or, for the load,
 * of registry open + find + load in this process). */
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "about.h"
#include "host_scale.h"
#include "host_scale_run.h"
#include "pio/host.h"
#include "pio/json.h"
#include "pio/number.h"
#include "scenarios.h"

static const char host_usage[] =
    "usage: pio-bench host [--plugins N] [--repeat R] [--sweep] [--json] [options]\n"
    "\n"
    "How pio's plugin host scales.  Makes N plugin folders in a scratch folder\n"
    "(copies of a real built plugin, renamed; the module hard-linked), then\n"
    "times, as medians of R runs of a whole process:\n"
    "  - pio-host list, cold: --no-cache, and with an empty registry cache\n"
    "    (the run that writes it);\n"
    "  - pio-host list, warm: the registry cache written;\n"
    "  - loading the real plugin by name among the N (registry open with the\n"
    "    warm cache, find, load through libltdl), in this process;\n"
    "  - gst-inspect-1.0 listing the installed GStreamer plugins, cold (a new\n"
    "    GST_REGISTRY file) and warm (that file written).\n"
    "Cold means without a registry cache; files stay in the page cache.\n"
    "\n"
    "  --plugins N        plugin folders to make (1000)\n"
    "  --repeat R         runs per figure, median reported (5)\n"
    "  --sweep            list 10, 100, 1,000 and 10,000 plugins and show how the\n"
    "                     cost grows (ignores --plugins)\n"
    "  --source NAME      the built plugin to copy (llama3_1)\n"
    "  --pio-host PATH    the pio-host to time (the one beside this pio-bench)\n"
    "  --gst-inspect PATH gst-inspect-1.0 to compare with (found on PATH);\n"
    "                     --no-gst skips the comparison\n"
    "  --keep             keep the scratch folder (its path is printed)\n"
    "  --json             print JSON instead of the tables\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit status: 0 ok, 1 a run failed or pio-host listed a copy as not ok or\n"
    "the cached and uncached listings differ, 2 bad usage.\n"
    "docs/host-scale.md explains the figures.\n";

enum { OPT_PLUGINS = 256, OPT_REPEAT, OPT_SWEEP, OPT_SOURCE, OPT_PIO_HOST, OPT_GST, OPT_NO_GST,
       OPT_KEEP, OPT_JSON };

static const struct option host_long_options[] = {
    {"plugins", required_argument, NULL, OPT_PLUGINS},
    {"repeat", required_argument, NULL, OPT_REPEAT},
    {"sweep", no_argument, NULL, OPT_SWEEP},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"pio-host", required_argument, NULL, OPT_PIO_HOST},
    {"gst-inspect", required_argument, NULL, OPT_GST},
    {"no-gst", no_argument, NULL, OPT_NO_GST},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* A positive count no larger than max, or 0 when text is not one. */
static size_t parse_count(const char *text, size_t max) {
  uint64_t v = 0;
  return pio_parse_u64(text, 1, max, &v) == 0 ? (size_t)v : 0;
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "pio-bench host: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'pio-bench host --help'.\n");
  return 2;
}

static int parse_options(int argc, char **argv, pio_host_bench_options *o, int *done) {
  *done = 0;
  optind = 1;
  int opt;
  while ((opt = getopt_long(argc, argv, "h", host_long_options, NULL)) != -1) {
    switch (opt) {
      case OPT_PLUGINS:
        if ((o->n_plugins = parse_count(optarg, 100000)) == 0)
          return usage_error("--plugins: expected a count from 1 to 100000, found '%s'", optarg);
        break;
      case OPT_REPEAT:
        if ((o->repeat = (unsigned)parse_count(optarg, 1000)) == 0)
          return usage_error("--repeat: expected a count from 1 to 1000, found '%s'", optarg);
        break;
      case OPT_SWEEP: o->sweep = 1; break;
      case OPT_SOURCE: o->source = optarg; break;
      case OPT_PIO_HOST: o->pio_host = optarg; break;
      case OPT_GST: o->gst_inspect = optarg; break;
      case OPT_NO_GST: o->gst_inspect = NULL; break;
      case OPT_KEEP: o->keep = 1; break;
      case OPT_JSON: o->json = 1; break;
      case 'h':
        fputs(host_usage, stdout);
        *done = 1;
        return 0;
      default: return usage_error("%s", "unknown option");
    }
  }
  if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
  return 0;
}

/* The pio-host beside this program: the build tree's host/pio-host for an
 * uninstalled pio-bench, else the same folder (installed bindir). */
static char *default_pio_host(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return strdup("pio-host");
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash != NULL) *slash = '\0';
  char *path = NULL;
  if (asprintf(&path, "%s/../host/pio-host", self) >= 0 && access(path, X_OK) == 0) return path;
  free(path);
  if (asprintf(&path, "%s/pio-host", self) >= 0 && access(path, X_OK) == 0) return path;
  free(path);
  return strdup("pio-host");
}

/* The folder of the built plugin to copy, found on the usual plugin path. */
static char *source_dir(const char *name, pio_error *err) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.no_cache = 1;
  pio_registry *registry = NULL;
  if (pio_registry_open(&opts, &registry, err) != PIO_OK) return NULL;
  const pio_plugin_record *rec = pio_registry_find(registry, name);
  char *dir = NULL;
  if (rec == NULL)
    pio_error_set(err, PIO_ERR_NOT_FOUND, "plugin '%s' to copy: not found on the plugin path",
                  name);
  else if (rec->state != PIO_PLUGIN_OK)
    pio_error_set(err, PIO_ERR_INVALID, "plugin '%s' to copy is %s: %s", name,
                  pio_plugin_state_name(rec->state), rec->reason);
  else if ((dir = strdup(rec->dir)) == NULL)
    pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  pio_registry_close(registry);
  return dir;
}

/* ------------------------------------------------------------------ */
/* Report.                                                             */

static void print_ms(double seconds) {
  if (isnan(seconds)) printf("  %10s", "-");
  else printf("  %7.2f ms", seconds * 1e3);
}

static void print_us(double seconds, size_t n) {
  if (isnan(seconds) || n == 0) printf("  %12s", "-");
  else printf("  %9.1f us", seconds * 1e6 / (double)n);
}

/* One lister's row: wall clock, then the child's CPU time below it. */
static void print_row(const char *name, size_t n, double cold, double cold_write, double warm,
                      const char *kind) {
  printf("%-16s %-4s %7zu", name, kind, n);
  print_ms(cold);
  print_ms(cold_write);
  print_ms(warm);
  print_us(cold, n);
  print_us(warm, n);
  printf("\n");
}

static void print_table(const pio_host_bench_options *o, const pio_host_bench_point *p,
                        const pio_host_bench_gst *g) {
  printf("Plugin host at scale: %zu plugin folders made (+%zu found on the default path), "
         "median of %u runs\n\n",
         p->n_made, p->listed - p->n_made, o->repeat);
  printf("%-16s %-4s %7s  %10s  %10s  %10s  %12s  %12s\n", "lister", "", "plugins", "cold",
         "cold+write", "warm", "cold/plugin", "warm/plugin");
  print_row("pio-host list", p->listed, p->cold_no_cache, p->cold_fresh_cache, p->warm, "wall");
  print_row("", p->listed, p->cpu_cold_no_cache, p->cpu_cold_fresh_cache, p->cpu_warm, "cpu");
  if (g->ran) {
    print_row("gst-inspect-1.0", g->plugins, g->cold, NAN, g->warm, "wall");
    print_row("", g->plugins, g->cpu_cold, NAN, g->cpu_warm, "cpu");
  } else {
    printf("gst-inspect-1.0: %s\n", g->why);
  }
  printf("(wall: elapsed time of the whole process; cpu: its user + system time, which\n"
         " other load on the machine disturbs far less; gst-inspect's cold run includes\n"
         " its plugin scanner processes)\n");
  printf("limits in this run, under a warm listing: starting pio-host (--version) %.2f ms;\n"
         " reading the folder and three stat() a plugin (folder, manifest, module), in\n"
         " process, %.2f ms; together %.2f ms\n",
         p->floor_start * 1e3, p->floor_stat * 1e3, (p->floor_start + p->floor_stat) * 1e3);
  printf("\nload '%s' by name among %zu (registry open, warm cache + find + load): %.2f ms\n",
         o->source, p->n_made, p->load * 1e3);
  printf("pio-host list with and without the cache agree: %s; %zu of %zu made plugins ok\n",
         p->agree ? "yes" : "NO", p->n_ok, p->n_made);
}

/* Slope on log-log axes between two rows: 1 is linear. */
static double growth(double t1, double t0, size_t n1, size_t n0) {
  return log(t1 / t0) / log((double)n1 / (double)n0);
}

static void print_sweep(const pio_host_bench_point *points, size_t n) {
  printf("\nHow listing grows (pio-host list, medians; wall and cpu as above):\n");
  printf("%8s  %10s  %10s  %10s  %10s  %12s  %12s  %14s\n", "plugins", "cold wall", "warm wall",
         "cold cpu", "warm cpu", "cold/plugin", "warm/plugin", "growth cold/warm");
  for (size_t i = 0; i < n; i++) {
    const pio_host_bench_point *p = &points[i];
    printf("%8zu", p->listed);
    print_ms(p->cold_no_cache);
    print_ms(p->warm);
    print_ms(p->cpu_cold_no_cache);
    print_ms(p->cpu_warm);
    print_us(p->cpu_cold_no_cache, p->listed);
    print_us(p->cpu_warm, p->listed);
    if (i == 0) {
      printf("  %14s\n", "-");
      continue;
    }
    const pio_host_bench_point *q = &points[i - 1];
    printf("  %6.2f / %5.2f\n", growth(p->cpu_cold_no_cache, q->cpu_cold_no_cache, p->listed, q->listed),
           growth(p->cpu_warm, q->cpu_warm, p->listed, q->listed));
  }
  printf("(per plugin and growth from cpu time.  growth: the exponent k of time ~ plugins^k\n"
         " between two rows; 1 is linear, below 1 while a process's fixed start-up cost\n"
         " still counts)\n");
}

static json_object *ms_or_null(pio_json_build *b, double seconds) {
  return isnan(seconds) ? NULL : pio_json_made(b, json_object_new_double(seconds * 1e3));
}

static json_object *point_json(pio_json_build *b, const pio_host_bench_point *p) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "plugins_made", pio_json_made(b, json_object_new_uint64(p->n_made)));
  pio_json_set(b, o, "plugins_listed", pio_json_made(b, json_object_new_uint64(p->listed)));
  pio_json_set(b, o, "plugins_ok", pio_json_made(b, json_object_new_uint64(p->n_ok)));
  pio_json_set(b, o, "cold_no_cache_ms", ms_or_null(b, p->cold_no_cache));
  pio_json_set(b, o, "cold_fresh_cache_ms", ms_or_null(b, p->cold_fresh_cache));
  pio_json_set(b, o, "warm_ms", ms_or_null(b, p->warm));
  pio_json_set(b, o, "cpu_cold_no_cache_ms", ms_or_null(b, p->cpu_cold_no_cache));
  pio_json_set(b, o, "cpu_cold_fresh_cache_ms", ms_or_null(b, p->cpu_cold_fresh_cache));
  pio_json_set(b, o, "cpu_warm_ms", ms_or_null(b, p->cpu_warm));
  pio_json_set(b, o, "load_ms", ms_or_null(b, p->load));
  pio_json_set(b, o, "floor_start_ms", ms_or_null(b, p->floor_start));
  pio_json_set(b, o, "floor_stat_ms", ms_or_null(b, p->floor_stat));
  pio_json_set(b, o, "cache_agrees", pio_json_made(b, json_object_new_boolean(p->agree)));
  return o;
}

/* 0, or -1 (said on stderr) when out of memory. */
static int print_json(const pio_host_bench_options *o, const pio_host_bench_point *points,
                      size_t n_points, const pio_host_bench_gst *g) {
  pio_json_build build = {0}, *b = &build;
  json_object *root = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench host"));
  pio_json_set(b, root, "scenario", pio_json_made(b, json_object_new_string("host")));
  pio_json_set(b, root, "repeat", pio_json_made(b, json_object_new_uint64(o->repeat)));
  pio_json_set(b, root, "source_plugin", pio_json_made(b, json_object_new_string(o->source)));
  json_object *pio = pio_json_made(b, json_object_new_array());
  for (size_t i = 0; i < n_points; i++) pio_json_push(b, pio, point_json(b, &points[i]));
  pio_json_set(b, root, "pio", pio);
  json_object *gst = pio_json_made(b, json_object_new_object());
  pio_json_set(b, gst, "ran", pio_json_made(b, json_object_new_boolean(g->ran)));
  if (g->ran) {
    pio_json_set(b, gst, "plugins", pio_json_made(b, json_object_new_uint64(g->plugins)));
    pio_json_set(b, gst, "cold_ms", ms_or_null(b, g->cold));
    pio_json_set(b, gst, "warm_ms", ms_or_null(b, g->warm));
    pio_json_set(b, gst, "cpu_cold_ms", ms_or_null(b, g->cpu_cold));
    pio_json_set(b, gst, "cpu_warm_ms", ms_or_null(b, g->cpu_warm));
  } else {
    pio_json_set(b, gst, "why", pio_json_made(b, json_object_new_string(g->why)));
  }
  pio_json_set(b, root, "gstreamer", gst);
  root = pio_json_done(b, root);
  const char *text =
      root != NULL ? json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY) : NULL;
  if (text != NULL)
    puts(text);
  else
    fputs("pio-bench host: out of memory\n", stderr);
  json_object_put(root);
  return text != NULL ? 0 : -1;
}

/* ------------------------------------------------------------------ */

int pio_bench_cmd_host(int argc, char **argv) {
  pio_host_bench_options o = {.n_plugins = 1000, .repeat = 5, .source = "llama3_1",
                              .gst_inspect = "gst-inspect-1.0"};
  int done = 0;
  int rc = parse_options(argc, argv, &o, &done);
  if (rc != 0 || done) return rc;
  char *own_pio_host = o.pio_host == NULL ? default_pio_host() : NULL;
  if (own_pio_host != NULL) o.pio_host = own_pio_host;
  pio_error err;
  pio_error_clear(&err);
  char *source = source_dir(o.source, &err);
  if (source == NULL) {
    fprintf(stderr, "pio-bench host: %s\n", err.message);
    free(own_pio_host);
    return 1;
  }
  static const size_t sweep_sizes[] = {10, 100, 1000, 10000};
  size_t sizes[4] = {o.n_plugins}, n_sizes = 1;
  if (o.sweep) {
    memcpy(sizes, sweep_sizes, sizeof sizes);
    n_sizes = 4;
  }
  pio_host_bench_point points[4];
  pio_host_bench_gst gst = {0};
  rc = pio_host_bench_run(&o, source, sizes, n_sizes, points, &gst, &err);
  if (rc == 0) {
    if (o.json) {
      if (print_json(&o, points, n_sizes, &gst) != 0) rc = 1;
    } else {
      print_table(&o, &points[n_sizes > 2 ? 2 : n_sizes - 1], &gst);
      if (o.sweep) print_sweep(points, n_sizes);
    }
    for (size_t i = 0; i < n_sizes; i++)
      if (!points[i].agree || points[i].n_ok < points[i].n_made) rc = 1;
  } else {
    fprintf(stderr, "pio-bench host: %s\n", err.message);
  }
  free(source);
  free(own_pio_host);
  return rc;
}
