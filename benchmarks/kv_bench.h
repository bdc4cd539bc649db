/* benchmarks/kv_bench.h — `pio-bench kv`: what it is asked (options), the
 * figures it derives from the plugin's KV figures (report), and the two
 * ways it prints them (a table for people, JSON for scripts). */
#ifndef PIO_BENCH_KV_BENCH_H
#define PIO_BENCH_KV_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_model.h"
#include "bench_options.h"
#include "pio/plugin.h"

/* Largest sequence lengths and batch accepted: generous, and with the
 * largest per-token sizes still inside 64-bit byte counts (checked too). */
#define PIO_BENCH_KV_MAX_TOKENS 16777216u
#define PIO_BENCH_KV_MAX_BATCH 1048576u

typedef struct pio_bench_kv_options {
  const char *model;
  pio_dtype kv_dtype;       /* default bf16 */
  pio_dtype weight_dtype;   /* of the weights, for --memory-gb; default bf16 */
  uint32_t tp, pp;          /* default 1, 1 */
  uint32_t page_size;       /* tokens per page; default 16 */
  pio_kv_access access;     /* default block */
  pio_kv_formula formula;   /* default pio */
  uint32_t isl, osl, batch; /* default 4096, 1024, 1 */
  double memory_gb;         /* per rank, 10^9 bytes; < 0: not given */
  int json;
  const char *plugin_paths[PIO_BENCH_MAX_PLUGIN_PATHS];
  size_t n_plugin_paths;
} pio_bench_kv_options;

typedef struct pio_bench_kv_report {
  pio_kv_figures figures;        /* for options.access */
  uint64_t io_block, io_layer;   /* io_bytes_per_page for each access */
  /* One request, whole model and one rank (exact tokens, no paging). */
  uint64_t kv_isl, kv_osl, kv_total;
  uint64_t kv_isl_rank, kv_osl_rank, kv_total_rank;
  /* The batch. */
  uint64_t kv_batch, kv_batch_rank;
  /* Paging: a request takes whole pages on each rank. */
  uint64_t pages_per_request;
  uint64_t page_bytes_rank;      /* one page of one rank, all its layers */
  uint64_t request_paged_rank;   /* pages_per_request x page_bytes_rank */
  /* Memory (when options.memory_gb >= 0): per rank. */
  int has_memory;
  uint64_t n_params;
  uint64_t memory_bytes;
  uint64_t weight_bytes_rank;    /* ceil(n_params x weight bytes / (tp x pp)) */
  uint64_t kv_budget_rank;       /* memory - weights, 0 when the weights do not fit */
  uint64_t tokens_fit;           /* whole pages of tokens in the budget */
  uint64_t requests_fit;         /* requests of isl + osl tokens in the budget */
} pio_bench_kv_report;

/* Asks the plugin and derives every figure.  A product past 64 bits is
 * PIO_ERR_INVALID_ARGUMENT (the request is too large to state). */
pio_status pio_bench_kv_derive(const pio_bench_kv_options *opts, const pio_bench_model *m,
                               pio_bench_kv_report *out, pio_error *err);

void pio_bench_kv_print_table(const pio_bench_kv_options *opts, const pio_bench_model *m,
                              const pio_bench_kv_report *r, FILE *f);
/* Writes the JSON document and a newline to f; -1 when out of memory. */
int pio_bench_kv_print_json(const pio_bench_kv_options *opts, const pio_bench_model *m,
                            const pio_bench_kv_report *r, FILE *f);

/* `pio-bench kv ARGS`: argv[0] is "kv".  Returns the exit status. */
int pio_bench_cmd_kv(int argc, char **argv);

#endif
