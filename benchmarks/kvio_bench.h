/* benchmarks/kvio_bench.h — `pio-bench kvio`: the KV pages of one request on
 * one rank, in the model's layout as its plugin sizes it, written to a file
 * and read back in IOs of the page size, verified, and timed beside the
 * limits measured in the same run. */
#ifndef PIO_BENCH_KVIO_BENCH_H
#define PIO_BENCH_KVIO_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_model.h"
#include "bench_options.h"
#include "io_limits.h"
#include "kvio_file.h"
#include "progress.h"

#define PIO_BENCH_KVIO_MAX_REPS 100u

typedef struct pio_bench_kvio_options {
  const char *model;
  pio_dtype kv_dtype;      /* bf16 */
  uint32_t tp, pp;         /* 1, 1 */
  uint32_t page_size;      /* 16 */
  uint32_t isl;            /* tokens of the request: 4096 */
  int access_block;        /* measure access block (default both) */
  int access_layer;
  const char *dir;         /* NULL: a temporary folder */
  uint32_t reps;           /* 5 */
  int buffered;            /* never O_DIRECT */
  int json;
  int progress;            /* status line on a terminal */
  const char *plugin_paths[PIO_BENCH_MAX_PLUGIN_PATHS];
  size_t n_plugin_paths;
} pio_bench_kvio_options;

/* The layout of one rank's pages, memory and file alike:
 * page[pages][layers][page_size tokens][layer_bytes / page_size]. */
typedef struct pio_bench_kvio_layout {
  uint64_t pages;
  uint32_t layers;         /* layers_per_rank */
  uint64_t layer_bytes;    /* one page of one layer: the access-layer IO */
  uint64_t page_bytes;     /* one page of every layer: the access-block IO */
  uint64_t total_bytes;    /* pages x page_bytes */
} pio_bench_kvio_layout;

typedef struct pio_bench_kvio_pass {
  int measured;
  pio_kv_access access;
  uint64_t io_bytes;       /* as the plugin gives io_bytes_per_page */
  uint64_t n_ios;
  int direct;              /* O_DIRECT used for this access */
  double write_s, read_s;  /* medians over reps */
  double write_bytes_per_s, read_bytes_per_s;
  double write_iops, read_iops;
  int verified;            /* every byte read back matched, every rep */
} pio_bench_kvio_pass;

typedef struct pio_bench_kvio_result {
  pio_kv_figures figures;  /* block access */
  pio_bench_kvio_layout layout;
  pio_bench_kvio_pass block, layer;
  double memcpy_bytes_per_s;
  pio_bench_seq_io seq;
  uint32_t reps;
} pio_bench_kvio_result;

/* The layout for the request's isl tokens from the plugin's figures. */
pio_status pio_bench_kvio_layout_from(const pio_kv_figures *block, const pio_kv_figures *layer,
                                      uint32_t isl, uint32_t page_size,
                                      pio_bench_kvio_layout *out, pio_error *err);

/* Runs the timed passes of one access pattern over file f with the pages
 * in buf (filled with the pattern of seed); buf holds the pattern again on
 * return.  A byte read back wrong is PIO_ERR_INTERNAL naming its offset. */
pio_status pio_bench_kvio_measure(const pio_bench_kvio_file *f, const pio_bench_kvio_layout *l,
                                  pio_kv_access access, uint8_t *buf, uint64_t seed,
                                  uint32_t reps, pio_bench_progress *progress,
                                  pio_bench_kvio_pass *out, pio_error *err);

void pio_bench_kvio_print_table(const pio_bench_kvio_options *o, const pio_bench_model *m,
                                const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                                FILE *out);
int pio_bench_kvio_print_json(const pio_bench_kvio_options *o, const pio_bench_model *m,
                              const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                              FILE *out);

/* `pio-bench kvio ARGS`: argv[0] is "kvio".  Returns the exit status. */
int pio_bench_cmd_kvio(int argc, char **argv);

#endif
