/* benchmarks/kv_layout.h — one rank's KV pages of one request as pio-bench
 * lays them out in memory, in a file and in a remote pool alike, and the
 * IOs that move them: a block IO is one page of every layer, a layer IO one
 * page of one layer.  kvio and kvxfer share it, so both move the same bytes. */
#ifndef PIO_BENCH_KV_LAYOUT_H
#define PIO_BENCH_KV_LAYOUT_H

#include <stdint.h>

#include "pio/plugin.h"
#include "pio/status.h"

/* page[pages][layers][page_size tokens][layer_bytes / page_size]. */
typedef struct pio_bench_kv_layout {
  uint64_t pages;
  uint32_t layers;         /* layers_per_rank */
  uint64_t layer_bytes;    /* one page of one layer: the access-layer IO */
  uint64_t page_bytes;     /* one page of every layer: the access-block IO */
  uint64_t total_bytes;    /* pages x page_bytes */
} pio_bench_kv_layout;

/* The layout for the request's isl tokens from the plugin's figures for
 * access block and layer.  Figures that do not describe one layout are
 * PIO_ERR_INVALID; a request past 64 bits PIO_ERR_INVALID_ARGUMENT. */
pio_status pio_bench_kv_layout_from(const pio_kv_figures *block, const pio_kv_figures *layer,
                                    uint32_t isl, uint32_t page_size, pio_bench_kv_layout *out,
                                    pio_error *err);

/* How many IOs one pass of access takes, and the size of each. */
uint64_t pio_bench_kv_layout_n_ios(const pio_bench_kv_layout *l, pio_kv_access access);
uint64_t pio_bench_kv_layout_io_bytes(const pio_bench_kv_layout *l, pio_kv_access access);

/* IO i of access: block i is page i; layer i is page i % pages of layer
 * i / pages, so IOs go layer by layer as a forward pass produces them.
 * The offset is the same in the buffer, the file and the remote pool. */
void pio_bench_kv_layout_io(const pio_bench_kv_layout *l, pio_kv_access access, uint64_t i,
                            uint64_t *offset, uint64_t *len);

/* Refuses (PIO_ERR_INVALID_ARGUMENT, naming --isl and --tp/--pp) a run that
 * would hold more than the free memory: copies x bytes of pages (buffers,
 * pools, page cache), rather than measure swapping. */
pio_status pio_bench_kv_layout_check_memory(const pio_bench_kv_layout *l, unsigned copies,
                                            pio_error *err);

#endif
