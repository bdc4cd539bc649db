/* benchmarks/kv_layout.c — the KV page layout of pio-bench kvio and kvxfer
 * from a plugin's figures, and where each IO of an access pattern lies. */
#include "kv_layout.h"

#include <string.h>
#include <unistd.h>

#include "pio/kv.h"

pio_status pio_bench_kv_layout_from(const pio_kv_figures *block, const pio_kv_figures *layer,
                                    uint32_t isl, uint32_t page_size, pio_bench_kv_layout *out,
                                    pio_error *err) {
  memset(out, 0, sizeof *out);
  if (isl == 0 || page_size == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "a KV request needs at least one token "
                         "and a page of at least one token");
  out->pages = isl / page_size + (isl % page_size != 0);
  out->layers = block->layers_per_rank;
  out->layer_bytes = layer->io_bytes_per_page;
  out->page_bytes = block->io_bytes_per_page;
  uint64_t check = 0;
  /* pio's figures describe one layout: a block IO is the layer IOs of a
   * stage side by side.  A plugin that says otherwise cannot be laid out. */
  if (out->layers == 0 || out->layer_bytes == 0 ||
      pio_kv_mul_u64(out->layer_bytes, out->layers, &check) != 0 || check != out->page_bytes)
    return pio_error_set(err, PIO_ERR_INVALID, "the plugin's KV figures do not describe one "
                         "layout: block IO %llu B is not %u layers x layer IO %llu B",
                         (unsigned long long)out->page_bytes, out->layers,
                         (unsigned long long)out->layer_bytes);
  if (pio_kv_mul_u64(out->pages, out->page_bytes, &out->total_bytes) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "the request's KV exceeds 64 bits");
  return PIO_OK;
}

uint64_t pio_bench_kv_layout_n_ios(const pio_bench_kv_layout *l, pio_kv_access access) {
  return access == PIO_KV_ACCESS_BLOCK ? l->pages : l->pages * l->layers;
}

uint64_t pio_bench_kv_layout_io_bytes(const pio_bench_kv_layout *l, pio_kv_access access) {
  return access == PIO_KV_ACCESS_BLOCK ? l->page_bytes : l->layer_bytes;
}

void pio_bench_kv_layout_io(const pio_bench_kv_layout *l, pio_kv_access access, uint64_t i,
                            uint64_t *offset, uint64_t *len) {
  if (access == PIO_KV_ACCESS_BLOCK) {
    *offset = i * l->page_bytes;
    *len = l->page_bytes;
  } else {
    uint64_t layer = i / l->pages, page = i % l->pages;
    *offset = page * l->page_bytes + layer * l->layer_bytes;
    *len = l->layer_bytes;
  }
}

pio_status pio_bench_kv_layout_check_memory(const pio_bench_kv_layout *l, unsigned copies,
                                            pio_error *err) {
  long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return PIO_OK;
  uint64_t avail = (uint64_t)pages * (uint64_t)page, held = 0;
  if (pio_kv_mul_u64(l->total_bytes, copies, &held) == 0 && held <= avail) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "the request's KV pages take %llu bytes, "
                       "held %u times here, more than the %llu bytes of free memory; lower "
                       "--isl or raise --tp/--pp", (unsigned long long)l->total_bytes, copies,
                       (unsigned long long)avail);
}
