/* benchmarks/kv_request.h — what every KV page scenario of pio-bench (kvio,
 * kvxfer) is asked: the model, its KV dtype, the rank (tp, pp), paging, the
 * request's tokens and where plugins are; their options, parsed once; and
 * the getopt loop the scenarios share. */
#ifndef PIO_BENCH_KV_REQUEST_H
#define PIO_BENCH_KV_REQUEST_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <stdio.h>

#include "bench_model.h"
#include "bench_options.h"
#include "kv_layout.h"
#include "pio/dtype.h"
#include "pio/json.h"

typedef struct pio_bench_kv_request {
  const char *model;
  pio_dtype kv_dtype;      /* bf16 */
  uint32_t tp, pp;         /* 1, 1 */
  uint32_t page_size;      /* tokens per page: 16 */
  uint32_t isl;            /* tokens of the request: 4096 */
  const char *plugin_paths[PIO_BENCH_MAX_PLUGIN_PATHS];
  size_t n_plugin_paths;
} pio_bench_kv_request;

/* getopt ids of the request's options; a scenario's own start at
 * PIO_BENCH_KV_OPT_END. */
enum {
  PIO_BENCH_KV_OPT_MODEL = 256, PIO_BENCH_KV_OPT_KV_DTYPE, PIO_BENCH_KV_OPT_TP,
  PIO_BENCH_KV_OPT_PP, PIO_BENCH_KV_OPT_PAGE_SIZE, PIO_BENCH_KV_OPT_ISL,
  PIO_BENCH_KV_OPT_PLUGIN_PATH, PIO_BENCH_KV_OPT_END
};

/* The request's entries of a scenario's struct option table. */
#define PIO_BENCH_KV_REQUEST_OPTIONS                                  \
  {"model", required_argument, NULL, PIO_BENCH_KV_OPT_MODEL},         \
  {"kv-dtype", required_argument, NULL, PIO_BENCH_KV_OPT_KV_DTYPE},   \
  {"tp", required_argument, NULL, PIO_BENCH_KV_OPT_TP},               \
  {"pp", required_argument, NULL, PIO_BENCH_KV_OPT_PP},               \
  {"page-size", required_argument, NULL, PIO_BENCH_KV_OPT_PAGE_SIZE}, \
  {"isl", required_argument, NULL, PIO_BENCH_KV_OPT_ISL},             \
  {"plugin-path", required_argument, NULL, PIO_BENCH_KV_OPT_PLUGIN_PATH}, \
  {"page_size", required_argument, NULL, PIO_BENCH_KV_OPT_PAGE_SIZE} /* kvbench's spelling */

void pio_bench_kv_request_init(pio_bench_kv_request *r);

/* Takes option id's value when it is one of the request's: 1 taken, -1 a
 * bad value (reported), 0 not one of them. */
int pio_bench_kv_request_take(pio_bench_kv_request *r, const char *scenario, int id,
                              const char *value);

/* Opens the request's model for scenario; a failure is reported
 * (pio_bench_report_error: on stderr, or as the JSON error document) and
 * its exit status returned (PIO_BENCH_STATUS_OK: *m is open). */
int pio_bench_kv_request_open(const pio_bench_kv_request *r, const char *scenario, int json,
                              pio_bench_model *m);

/* The plugin's figures for block access into *block and the layout of the
 * request's pages.  Errors are the request's (status 2): sharding the
 * plugin refuses, a request too large to state. */
pio_status pio_bench_kv_request_layout(const pio_bench_kv_request *r, const pio_bench_model *m,
                                       pio_kv_figures *block, pio_bench_kv_layout *out,
                                       pio_error *err);

/* The "pages" and "dtype" lines of a report, their labels padded to width;
 * layout_name is the plugin's (may be NULL). */
void pio_bench_kv_request_print(FILE *out, int width, const pio_bench_kv_request *r,
                                const pio_bench_kv_layout *l, const char *layout_name);
/* The same as JSON members of j: kv_dtype, tp, pp, page_size, isl, pages,
 * layers_per_rank, total_bytes. */
void pio_bench_kv_request_json(pio_json_build *b, json_object *j, const pio_bench_kv_request *r,
                               const pio_bench_kv_layout *l);

/* "a", "b" or "both" into *fa and *fb; -1 (reported) for anything else. */
int pio_bench_parse_pair(const char *scenario, const char *option, const char *value,
                         const char *a, const char *b, int *fa, int *fb);

/* Runs getopt_long over argv with options: -h is help; every other option
 * goes to take (0 taken, -1 a bad value it reported); a missing value, an
 * unknown option or a stray argument is reported.  Returns 0, 1 for help,
 * -1 for a usage error. */
typedef int (*pio_bench_take_fn)(void *ctx, int id, const char *value);
int pio_bench_parse_args(const char *scenario, int argc, char **argv,
                         const struct option *options, pio_bench_take_fn take, void *ctx);

#endif
