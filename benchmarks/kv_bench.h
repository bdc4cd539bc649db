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
  pio_dtype kv_dtype;       /* default: config.json's kv_cache_scheme, else bf16 */
  int kv_dtype_given;       /* --kv-dtype was given */
  pio_kv_scales kv_scales;  /* default: the scheme's, token-head for fp8/int8, else none */
  int kv_scales_given;
  pio_dtype state_dtype;    /* recurrent state (Mamba); default bf16 */
  uint32_t prefill_chunk;   /* tokens a prefill step computes; 0: the prompt; default 2048 */
  pio_dtype weight_dtype;   /* of the weights, for --memory-gb; default: as stored, else bf16 */
  int weight_dtype_given;   /* --weight-dtype was given */
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

/* Where the cache's element type came from. */
typedef enum pio_bench_kv_source {
  PIO_BENCH_KV_FROM_DEFAULT = 0,  /* bf16 */
  PIO_BENCH_KV_FROM_OPTION = 1,   /* --kv-dtype */
  PIO_BENCH_KV_FROM_CONFIG = 2    /* config.json's quantization_config.kv_cache_scheme */
} pio_bench_kv_source;

typedef struct pio_bench_kv_report {
  pio_dtype kv_dtype;            /* what was sized: options or config.json */
  pio_kv_scales kv_scales;
  pio_bench_kv_source kv_source;
  pio_kv_figures figures;        /* for options.access */
  uint64_t io_block, io_layer;   /* io_bytes_per_page for each access */
  /* One request, whole model and one rank (exact tokens, no paging). */
  uint64_t kv_isl, kv_osl, kv_total;
  uint64_t kv_isl_rank, kv_osl_rank, kv_total_rank;
  /* The batch. */
  uint64_t kv_batch, kv_batch_rank;
  /* Each layer class: tokens a layer holds at the request's peak, and the
   * pages it takes (figures.classes[i]). */
  uint64_t class_tokens[PIO_KV_MAX_CLASSES];
  uint64_t class_pages[PIO_KV_MAX_CLASSES];
  /* Paging: a request takes whole pages on each rank. */
  uint64_t pages_per_request;
  uint64_t page_bytes_rank;      /* one page of one rank, all its layers */
  uint64_t request_paged_rank;   /* every layer's pages, on the largest stage */
  /* Memory (when options.memory_gb >= 0): per rank. */
  int has_memory;
  uint64_t n_params;
  const char *stored_weights;    /* how the weights are stored when sized so, else NULL */
  uint64_t memory_bytes;
  uint64_t weight_bytes_rank;    /* ceil(n_params x weight bytes / (tp x pp)) */
  uint64_t kv_budget_rank;       /* memory - weights, 0 when the weights do not fit */
  uint64_t tokens_fit;           /* whole pages of tokens in the budget */
  uint64_t requests_fit;         /* requests of isl + osl tokens in the budget */
} pio_bench_kv_report;

/* Asks the plugin and derives every figure.  A product past 64 bits is
 * PIO_ERR_INVALID_ARGUMENT (the request is too large to state), and so is
 * --memory-gb smaller than the weights of one rank alone. */
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
