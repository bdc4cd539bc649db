/* benchmarks/kvio_run.c — the timed part of `pio-bench kvio`: one rank's KV
 * pages written to the file in IOs of the plugin's page IO size, fsync'd,
 * read back past the page cache, and every byte checked. */
#include <string.h>
#include <unistd.h>

#include "kv_pattern.h"
#include "kvio_bench.h"
#include "pio/kv.h"
#include "stats.h"

pio_status pio_bench_kvio_layout_from(const pio_kv_figures *block, const pio_kv_figures *layer,
                                      uint32_t isl, uint32_t page_size,
                                      pio_bench_kvio_layout *out, pio_error *err) {
  memset(out, 0, sizeof *out);
  if (isl == 0 || page_size == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvio needs at least one token and a "
                         "page of at least one token");
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

/* IO i of access: block i is page i; layer i is page i % pages of layer
 * i / pages, so IOs go layer by layer as a forward pass produces them. */
static void io_at(const pio_bench_kvio_layout *l, pio_kv_access access, uint64_t i,
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

/* Shows progress once a measurement has run for a second. */
typedef struct ticker {
  pio_bench_progress *progress;
  double start, last;
  const char *access;
  uint32_t rep, reps;
} ticker;

static void tick(ticker *t, const char *phase, uint64_t done, uint64_t total) {
  if (t->progress == NULL || !t->progress->enabled) return;
  double now = pio_bench_now();
  if (now - t->start < 1.0 || now - t->last < 0.1) return;
  t->last = now;
  pio_bench_progress_update(t->progress, "kvio: access %s, rep %u/%u, %s %3.0f%%", t->access,
                            t->rep, t->reps, phase, 100.0 * (double)done / (double)total);
}

/* One pass over every IO, timed; writes end with fsync inside the time. */
static pio_status pass(int fd, int write, const pio_bench_kvio_layout *l, pio_kv_access access,
                       uint64_t n_ios, uint8_t *buf, ticker *t, double *seconds,
                       pio_error *err) {
  double t0 = pio_bench_now();
  for (uint64_t i = 0; i < n_ios; i++) {
    uint64_t offset = 0, len = 0;
    io_at(l, access, i, &offset, &len);
    pio_status s = pio_bench_io_full(fd, write, buf + offset, len, offset, err);
    if (s != PIO_OK) return s;
    if ((i & 63) == 0) tick(t, write ? "write" : "read", i, n_ios);
  }
  if (write && fsync(fd) != 0)
    return pio_error_set(err, PIO_ERR_IO, "fsync after the writes failed");
  *seconds = pio_bench_now() - t0;
  return PIO_OK;
}

static pio_status verify(const uint8_t *buf, uint64_t len, uint64_t seed, pio_error *err) {
  uint8_t expected = 0;
  int64_t bad = pio_bench_pattern_verify(buf, len, 0, seed, &expected);
  if (bad < 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INTERNAL, "verification failed: byte at file offset %lld "
                       "read back as 0x%02x, 0x%02x was written", (long long)bad,
                       (unsigned)buf[bad], (unsigned)expected);
}

pio_status pio_bench_kvio_measure(const pio_bench_kvio_file *f, const pio_bench_kvio_layout *l,
                                  pio_kv_access access, uint8_t *buf, uint64_t seed,
                                  uint32_t reps, pio_bench_progress *progress,
                                  pio_bench_kvio_pass *out, pio_error *err) {
  memset(out, 0, sizeof *out);
  if (reps == 0 || reps > PIO_BENCH_KVIO_MAX_REPS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvio: %u reps", reps);
  out->access = access;
  out->io_bytes = access == PIO_KV_ACCESS_BLOCK ? l->page_bytes : l->layer_bytes;
  out->n_ios = access == PIO_KV_ACCESS_BLOCK ? l->pages : l->pages * l->layers;
  out->direct = pio_bench_kvio_file_direct_ok(f, out->io_bytes, out->io_bytes);
  int fd = out->direct ? f->fd_direct : f->fd_buffered;
  double w[PIO_BENCH_KVIO_MAX_REPS], r[PIO_BENCH_KVIO_MAX_REPS];
  ticker t = {progress, pio_bench_now(), 0.0,
              access == PIO_KV_ACCESS_BLOCK ? "block" : "layer", 0, reps};
  for (uint32_t rep = 0; rep < reps; rep++) {
    t.rep = rep + 1;
    pio_status s = pass(fd, 1, l, access, out->n_ios, buf, &t, &w[rep], err);
    /* Buffered reads must come from the device, not the page cache. */
    if (s == PIO_OK && !out->direct) s = pio_bench_kvio_drop_cache(fd, err);
    if (s != PIO_OK) return s;
    memset(buf, 0, l->total_bytes); /* a read that moves nothing cannot pass */
    if ((s = pass(fd, 0, l, access, out->n_ios, buf, &t, &r[rep], err)) != PIO_OK ||
        (s = verify(buf, l->total_bytes, seed, err)) != PIO_OK)
      return s;
  }
  if (progress != NULL) pio_bench_progress_clear(progress);
  out->write_s = pio_bench_median(w, reps);
  out->read_s = pio_bench_median(r, reps);
  out->write_bytes_per_s = (double)l->total_bytes / out->write_s;
  out->read_bytes_per_s = (double)l->total_bytes / out->read_s;
  out->write_iops = (double)out->n_ios / out->write_s;
  out->read_iops = (double)out->n_ios / out->read_s;
  out->verified = 1;
  out->measured = 1;
  return PIO_OK;
}
