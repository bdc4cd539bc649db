/* benchmarks/kvio_run.c — the timed part of `pio-bench kvio`: one rank's KV
 * pages written to the file through the IO engine (sequentially in large
 * IOs for the file's limit, and in block and layer IOs of the plugin's page
 * IO size), fsync'd, read back past the page cache, and every byte checked. */
#include <string.h>
#include <unistd.h>

#include "kv_pattern.h"
#include "kvio_bench.h"
#include "stats.h"

/* What one rep measures, and in what order the reps take them. */
enum { SEQ, BLOCK, LAYER, N_PATTERNS };
static const char *const pattern_names[N_PATTERNS] = {"sequential", "block", "layer"};

typedef struct pattern {
  int which;                 /* SEQ, BLOCK or LAYER */
  const pio_bench_kv_layout *l;
  uint64_t io_bytes, n_ios;
  int fd, direct;
  double w[PIO_BENCH_KVIO_MAX_REPS], r[PIO_BENCH_KVIO_MAX_REPS]; /* seconds */
} pattern;

/* IO i: its pages in memory as the plugin lays them out; in the file, the
 * IO's own slot in the order the pass issues them (i x IO size), as a KV
 * offload writes what a forward pass produces and as nixlbench lays out its
 * file.  For sequential and block IOs the two are the same. */
static void pattern_io(const void *ctx, uint64_t i, uint64_t *mem, uint64_t *file,
                       uint64_t *len) {
  const pattern *p = ctx;
  if (p->which == SEQ) {
    *mem = i * p->io_bytes;
    *len = p->l->total_bytes - *mem < p->io_bytes ? p->l->total_bytes - *mem : p->io_bytes;
  } else {
    pio_bench_kv_layout_io(p->l, p->which == BLOCK ? PIO_KV_ACCESS_BLOCK : PIO_KV_ACCESS_LAYER,
                           i, mem, len);
  }
  *file = i * p->io_bytes;
}

static void pattern_init(pattern *p, int which, const pio_bench_kv_layout *l,
                         const pio_bench_kvio_file *f) {
  memset(p, 0, sizeof *p);
  p->which = which;
  p->l = l;
  if (which == SEQ) {
    p->io_bytes = l->total_bytes < PIO_BENCH_SEQ_IO_BYTES ? l->total_bytes : PIO_BENCH_SEQ_IO_BYTES;
    p->n_ios = (l->total_bytes + p->io_bytes - 1) / p->io_bytes;
    /* The tail IO is shorter; direct IO needs it aligned too. */
    p->direct = pio_bench_kvio_file_direct_ok(f, p->io_bytes, p->io_bytes) &&
                pio_bench_kvio_file_direct_ok(f, l->total_bytes % p->io_bytes, p->io_bytes);
  } else {
    pio_kv_access a = which == BLOCK ? PIO_KV_ACCESS_BLOCK : PIO_KV_ACCESS_LAYER;
    p->io_bytes = pio_bench_kv_layout_io_bytes(l, a);
    p->n_ios = pio_bench_kv_layout_n_ios(l, a);
    p->direct = pio_bench_kvio_file_direct_ok(f, p->io_bytes, p->io_bytes);
  }
  p->fd = p->direct ? f->fd_direct : f->fd_buffered;
}

/* Shows progress once a measurement has run for a second. */
typedef struct ticker {
  pio_bench_progress *progress;
  double start, last;
  const char *pattern, *phase;
  uint64_t total;
  uint32_t rep, reps;
} ticker;

static void tick(void *ctx, uint64_t done) {
  ticker *t = ctx;
  if (t->progress == NULL || !t->progress->enabled) return;
  double now = pio_bench_now();
  if (now - t->start < 1.0 || now - t->last < 0.1) return;
  t->last = now;
  pio_bench_progress_update(t->progress, "kvio: rep %u/%u, %s %s %3.0f%%", t->rep, t->reps,
                            t->pattern, t->phase, 100.0 * (double)done / (double)t->total);
}

/* One pass of p's IOs, timed; writes end with fsync inside the time. */
static pio_status timed_pass(pio_bench_io_engine *e, const pattern *p, int write, ticker *t,
                             double *seconds, pio_error *err) {
  t->phase = write ? "write" : "read";
  t->total = p->n_ios;
  pio_bench_io_list list = {p->n_ios, pattern_io, p, tick, t};
  double t0 = pio_bench_now();
  pio_status s = pio_bench_io_engine_run(e, p->fd, write, &list, err);
  if (s == PIO_OK && write && fsync(p->fd) != 0)
    s = pio_error_set(err, PIO_ERR_IO, "fsync after the writes failed");
  *seconds = pio_bench_now() - t0;
  return s == PIO_OK ? PIO_OK : pio_error_prefix(err, "%s IOs", pattern_names[p->which]);
}

static pio_status verify(const uint8_t *buf, uint64_t len, uint64_t seed, pio_error *err) {
  uint8_t expected = 0;
  int64_t bad = pio_bench_pattern_verify(buf, len, 0, seed, &expected);
  if (bad < 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INTERNAL, "verification failed: byte at file offset %lld "
                       "read back as 0x%02x, 0x%02x was written", (long long)bad,
                       (unsigned)buf[bad], (unsigned)expected);
}

/* Write, make the reads come from the device, zero, read, verify. */
static pio_status one_rep(pio_bench_io_engine *e, pattern *p, uint32_t rep, uint64_t seed,
                          ticker *t, pio_error *err) {
  t->pattern = pattern_names[p->which];
  pio_status s = timed_pass(e, p, 1, t, &p->w[rep], err);
  /* Buffered reads must come from the device, not the page cache. */
  if (s == PIO_OK && !p->direct) s = pio_bench_kvio_drop_cache(p->fd, err);
  if (s != PIO_OK) return s;
  memset(e->base, 0, p->l->total_bytes); /* a read that moves nothing cannot pass */
  if ((s = timed_pass(e, p, 0, t, &p->r[rep], err)) != PIO_OK) return s;
  return verify(e->base, p->l->total_bytes, seed, err);
}

/* Medians of p's reps into out; each rep's limit is the faster of p's pass
 * and the rep's sequential pass seq (both write and read the whole file
 * front to back), so the ratio is the median over reps of p over seq, and
 * 100% where p was the faster: the 16 MiB pass was not the bound then. */
static void summarize(const pattern *p, const pattern *seq, uint32_t reps,
                      pio_bench_kvio_pass *out) {
  double w[PIO_BENCH_KVIO_MAX_REPS], r[PIO_BENCH_KVIO_MAX_REPS];
  double wl[PIO_BENCH_KVIO_MAX_REPS], rl[PIO_BENCH_KVIO_MAX_REPS];
  double wr[PIO_BENCH_KVIO_MAX_REPS], rr[PIO_BENCH_KVIO_MAX_REPS];
  memset(out, 0, sizeof *out);
  for (uint32_t i = 0; i < reps; i++) {
    w[i] = out->write_each_s[i] = p->w[i];
    r[i] = out->read_each_s[i] = p->r[i];
    wl[i] = seq->w[i] < p->w[i] ? seq->w[i] : p->w[i];
    rl[i] = seq->r[i] < p->r[i] ? seq->r[i] : p->r[i];
    wr[i] = wl[i] / p->w[i]; /* the same bytes: a ratio of rates */
    rr[i] = rl[i] / p->r[i];
  }
  double bytes = (double)p->l->total_bytes;
  out->measured = out->verified = 1;
  out->io_bytes = p->io_bytes;
  out->n_ios = p->n_ios;
  out->direct = p->direct;
  out->write_s = pio_bench_median(w, reps);
  out->read_s = pio_bench_median(r, reps);
  out->write_bytes_per_s = bytes / out->write_s;
  out->read_bytes_per_s = bytes / out->read_s;
  out->write_iops = (double)p->n_ios / out->write_s;
  out->read_iops = (double)p->n_ios / out->read_s;
  out->write_limit_bytes_per_s = bytes / pio_bench_median(wl, reps);
  out->read_limit_bytes_per_s = bytes / pio_bench_median(rl, reps);
  out->write_of_limit = pio_bench_median(wr, reps);
  out->read_of_limit = pio_bench_median(rr, reps);
}

pio_status pio_bench_kvio_measure(const pio_bench_kvio_file *f, pio_bench_io_engine *e,
                                  const pio_bench_kv_layout *l, int block, int layer,
                                  uint64_t seed, uint32_t reps, pio_bench_progress *progress,
                                  pio_bench_kvio_result *r, pio_error *err) {
  if (reps == 0 || reps > PIO_BENCH_KVIO_MAX_REPS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "kvio: %u reps", reps);
  pattern patterns[N_PATTERNS];
  int n = 0;
  pattern_init(&patterns[n++], SEQ, l, f);
  if (block) pattern_init(&patterns[n++], BLOCK, l, f);
  if (layer) pattern_init(&patterns[n++], LAYER, l, f);
  ticker t = {progress, pio_bench_now(), 0.0, "", "", 1, 0, reps};
  /* Untimed: the first write into fallocate'd blocks converts extents,
   * which no timed pass should pay for. */
  double warm = 0.0;
  pio_status s = timed_pass(e, &patterns[0], 1, &t, &warm, err);
  for (uint32_t rep = 0; rep < reps && s == PIO_OK; rep++) {
    t.rep = rep + 1;
    for (int j = 0; j < n && s == PIO_OK; j++)
      s = one_rep(e, &patterns[(rep + (uint32_t)j) % (uint32_t)n], rep, seed, &t, err);
  }
  if (progress != NULL) pio_bench_progress_clear(progress);
  if (s != PIO_OK) return s;
  r->reps = reps;
  for (int j = 0; j < n; j++) {
    pio_bench_kvio_pass *out = patterns[j].which == SEQ     ? &r->seq
                               : patterns[j].which == BLOCK ? &r->block
                                                            : &r->layer;
    summarize(&patterns[j], &patterns[0], reps, out);
  }
  return PIO_OK;
}
