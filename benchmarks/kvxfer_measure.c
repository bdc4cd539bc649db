/* benchmarks/kvxfer_measure.c — the initiator's timed passes: every IO of
 * the request put to (or got from) the target in batches, each batch
 * flushed and timed, every byte verified where it landed; beside them, in
 * the same reps, the raw UCX limit (the same IOs all in flight, one flush,
 * no verification), memcpy of the pages, and for TCP a plain socket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_limits.h"
#include "kv_pattern.h"
#include "kvxfer_fault.h"
#include "kvxfer_initiator.h"
#include "stats.h"

/* The socket limit moves at most this much a rep. */
#define SOCKET_LIMIT_BYTES (256ull << 20)

static const char *const access_names[2] = {"block", "layer"};
static const char *const op_names[2] = {"put", "get"};

/* Latencies of one pass's batches across reps, and its times per rep. */
typedef struct samples {
  double *batch_s;
  size_t n_batch;
  double verified_s[PIO_KVXFER_MAX_REPS], raw_s[PIO_KVXFER_MAX_REPS];
} samples;

typedef struct ticker {
  pio_kvxfer_initiator *in;
  double start, last;
  uint32_t rep;
  const char *what;
} ticker;

static void tick(ticker *t, uint64_t done, uint64_t total) {
  if (!t->in->progress.enabled) return;
  double now = pio_bench_now();
  if (now - t->start < 1.0 || now - t->last < 0.1) return;
  t->last = now;
  pio_bench_progress_update(&t->in->progress, "kvxfer: rep %u/%u, %s %3.0f%%", t->rep,
                            t->in->o->reps, t->what, 100.0 * (double)done / (double)total);
}

/* Moves every IO of access by op, batch at a time, each batch flushed; its
 * latency into s (when not NULL).  *seconds: the whole pass. */
static pio_status move(pio_kvxfer_initiator *in, pio_kv_access access, pio_kvxfer_op op,
                       uint64_t batch, samples *s, ticker *t, int first, double *seconds,
                       pio_error *err) {
  const pio_bench_kv_layout *l = &in->shape->layout;
  uint64_t n = pio_bench_kv_layout_n_ios(l, access);
  double t0 = pio_bench_now();
  for (uint64_t i = 0; i < n;) {
    double b0 = pio_bench_now();
    for (uint64_t end = i + batch < n ? i + batch : n; i < end; i++) {
      uint64_t offset = 0, len = 0;
      pio_bench_kv_layout_io(l, access, i, &offset, &len);
      pio_status st = pio_kvxfer_ucx_post(&in->ucx, op, offset, len, err);
      if (st != PIO_OK) return st;
      if (first && i == n / 2) pio_kvxfer_fault_at("initiator-exit-mid-pass");
    }
    pio_status st = pio_kvxfer_ucx_flush(&in->ucx, &in->ch, in->o->timeout_s, err);
    if (st != PIO_OK) return st;
    if (s != NULL) s->batch_s[s->n_batch++] = pio_bench_now() - b0;
    if (t != NULL) tick(t, i, n);
  }
  *seconds = pio_bench_now() - t0;
  return PIO_OK;
}

static pio_status exchange(pio_kvxfer_initiator *in, uint32_t type, const void *msg,
                           uint32_t reply, const uint8_t **payload, size_t *len, pio_error *err) {
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, in->frame, sizeof in->frame, type);
  if (type == PIO_KVXFER_PREPARE) pio_kvxfer_put_prepare(&w, msg);
  else pio_kvxfer_put_u64(&w, *(const uint64_t *)msg);
  pio_status s = pio_kvxfer_send(&in->ch, in->frame, pio_kvxfer_frame_end(&w), err);
  return s == PIO_OK ? pio_kvxfer_recv(&in->ch, reply, NULL, payload, len, err) : s;
}

/* Where a pool offset lies, for a person: "page 3, layer 7, byte 12". */
static void place_of(const pio_bench_kv_layout *l, uint64_t offset, char *out, size_t size) {
  snprintf(out, size, "page %llu, layer %llu, byte %llu",
           (unsigned long long)(offset / l->page_bytes),
           (unsigned long long)(offset % l->page_bytes / l->layer_bytes),
           (unsigned long long)(offset % l->layer_bytes));
}

static pio_status wrong_byte(const pio_bench_kv_layout *l, const char *where, uint64_t offset,
                             uint8_t got, uint8_t expected, pio_error *err) {
  char place[96];
  place_of(l, offset, place, sizeof place);
  return pio_error_set(err, PIO_ERR_INTERNAL, "verification failed %s: pool offset %llu (%s) "
                       "holds 0x%02x, 0x%02x was sent", where, (unsigned long long)offset, place,
                       (unsigned)got, (unsigned)expected);
}

/* A verified pass: the pattern of a new seed where the bytes start, moved,
 * then checked where they land. */
static pio_status verified_pass(pio_kvxfer_initiator *in, pio_kv_access access, pio_kvxfer_op op,
                                samples *s, ticker *t, int first, double *seconds,
                                pio_error *err) {
  const pio_bench_kv_layout *l = &in->shape->layout;
  pio_kvxfer_prepare p = {op, ++in->seed * 0x9e3779b97f4a7c15ull};
  if (op == PIO_KVXFER_PUT) pio_bench_pattern_fill(in->ucx.pool, l->total_bytes, 0, p.seed);
  else memset(in->ucx.pool, 0, l->total_bytes); /* a get that moves nothing cannot pass */
  const uint8_t *payload;
  size_t len;
  pio_status st = exchange(in, PIO_KVXFER_PREPARE, &p, PIO_KVXFER_READY, &payload, &len, err);
  if (st == PIO_OK) st = move(in, access, op, in->o->batch, s, t, first, seconds, err);
  if (st != PIO_OK) return st;
  if (op == PIO_KVXFER_GET) {
    uint8_t expected = 0;
    int64_t bad = pio_bench_pattern_verify(in->ucx.pool, l->total_bytes, 0, p.seed, &expected);
    return bad < 0 ? PIO_OK : wrong_byte(l, "here after the gets", (uint64_t)bad,
                                         in->ucx.pool[bad], expected, err);
  }
  pio_kvxfer_verdict v;
  st = exchange(in, PIO_KVXFER_CHECK, &p.seed, PIO_KVXFER_VERDICT, &payload, &len, err);
  if (st == PIO_OK) st = pio_kvxfer_get_verdict(payload, len, &v, err);
  if (st != PIO_OK) return st;
  return v.ok ? PIO_OK : wrong_byte(l, "at the target after the puts", v.bad_offset, v.got,
                                    v.expected, err);
}

/* One rep of one access and op: verified and raw, in an order that turns. */
static pio_status one_rep(pio_kvxfer_initiator *in, pio_kv_access access, pio_kvxfer_op op,
                          uint32_t rep, samples *s, int first, pio_error *err) {
  char what[32];
  snprintf(what, sizeof what, "%s %s", access_names[access == PIO_KV_ACCESS_LAYER],
           op_names[op]);
  ticker t = {in, pio_bench_now(), 0.0, rep + 1, what};
  uint64_t all = pio_bench_kv_layout_n_ios(&in->shape->layout, access);
  pio_status st = PIO_OK;
  for (int k = 0; k < 2 && st == PIO_OK; k++) {
    if ((k == 0) == (rep % 2 == 0))
      st = verified_pass(in, access, op, s, &t, first, &s->verified_s[rep], err);
    else
      st = move(in, access, op, all, NULL, NULL, 0, &s->raw_s[rep], err);
  }
  return st;
}

static void summarize(pio_kvxfer_pass *p, samples *s, const pio_bench_kv_layout *l,
                      pio_kv_access access, pio_kvxfer_op op, uint32_t batch, uint32_t reps) {
  double ratio[PIO_KVXFER_MAX_REPS], limit[PIO_KVXFER_MAX_REPS];
  for (uint32_t i = 0; i < reps; i++) {
    limit[i] = s->raw_s[i] < s->verified_s[i] ? s->raw_s[i] : s->verified_s[i];
    ratio[i] = limit[i] / s->verified_s[i];
  }
  double bytes = (double)l->total_bytes;
  p->measured = p->verified = 1;
  p->access = access;
  p->op = op;
  p->io_bytes = pio_bench_kv_layout_io_bytes(l, access);
  p->n_ios = pio_bench_kv_layout_n_ios(l, access);
  p->batch = batch;
  p->seconds = pio_bench_median(s->verified_s, reps);
  p->bytes_per_s = bytes / p->seconds;
  p->ios_per_s = (double)p->n_ios / p->seconds;
  p->raw_bytes_per_s = bytes / pio_bench_median(limit, reps);
  p->of_raw = pio_bench_median(ratio, reps);
  p->p50_s = pio_bench_percentile(s->batch_s, s->n_batch, 50.0);
  p->p99_s = pio_bench_percentile(s->batch_s, s->n_batch, 99.0);
}

/* A plain TCP stream over the control connection: what the path between
 * the ranks carries without UCX, in bytes a second. */
static pio_status socket_rep(pio_kvxfer_initiator *in, double *bytes_per_s, pio_error *err) {
  uint64_t n = in->shape->layout.total_bytes < SOCKET_LIMIT_BYTES ? in->shape->layout.total_bytes
                                                                  : SOCKET_LIMIT_BYTES;
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, in->frame, sizeof in->frame, PIO_KVXFER_SINK);
  pio_kvxfer_put_u64(&w, n);
  double t0 = pio_bench_now();
  pio_status s = pio_kvxfer_send(&in->ch, in->frame, pio_kvxfer_frame_end(&w), err);
  if (s == PIO_OK)
    s = pio_kvxfer_send_raw(&in->ch, in->ucx.pool, n < (4u << 20) ? (size_t)n : 4u << 20, n, err);
  const uint8_t *payload;
  size_t len;
  if (s == PIO_OK) s = pio_kvxfer_recv(&in->ch, PIO_KVXFER_SUNK, NULL, &payload, &len, err);
  *bytes_per_s = (double)n / (pio_bench_now() - t0);
  return s;
}

/* Untimed: one IO each way completes UCX's wireup, then the endpoint's
 * transports can be read. */
static pio_status warm_up(pio_kvxfer_initiator *in, pio_kvxfer_result *r, pio_error *err) {
  const pio_bench_kv_layout *l = &in->shape->layout;
  pio_status s = pio_kvxfer_ucx_post(&in->ucx, PIO_KVXFER_PUT, 0, l->layer_bytes, err);
  if (s == PIO_OK) s = pio_kvxfer_ucx_post(&in->ucx, PIO_KVXFER_GET, 0, l->layer_bytes, err);
  if (s == PIO_OK) s = pio_kvxfer_ucx_flush(&in->ucx, &in->ch, in->o->timeout_s, err);
  if (s != PIO_OK) return s;
  r->ep_info = pio_kvxfer_ucx_ep_info(&in->ucx);
  pio_kvxfer_ucx_summarize(r->ep_info, r->transports, sizeof r->transports, &r->kind);
  pio_kvxfer_ucx_protocols(r->ep_info, r->protocols, sizeof r->protocols);
  return PIO_OK;
}

pio_status pio_kvxfer_measure(pio_kvxfer_initiator *in, pio_kvxfer_result *r, pio_error *err) {
  const pio_kvxfer_options *o = in->o;
  const pio_bench_kv_layout *l = &in->shape->layout;
  pio_status s = warm_up(in, r, err);
  if (s == PIO_OK)
    s = pio_bench_memcpy_bandwidth(in->ucx.pool, l->total_bytes, o->reps,
                                   &r->memcpy_bytes_per_s, err);
  int tcp = strcmp(r->kind, "tcp") == 0;
  double socket[PIO_KVXFER_MAX_REPS];
  samples all[2][2];
  memset(all, 0, sizeof all);
  int ok_access[2] = {o->access_block, o->access_layer}, ok_op[2] = {o->op_put, o->op_get};
  for (int a = 0; a < 2 && s == PIO_OK; a++) {
    uint64_t batches = (pio_bench_kv_layout_n_ios(l, a ? PIO_KV_ACCESS_LAYER
                                                       : PIO_KV_ACCESS_BLOCK) + o->batch - 1) /
                       o->batch;
    for (int op = 0; op < 2 && s == PIO_OK; op++)
      if (ok_access[a] && ok_op[op] &&
          (all[a][op].batch_s = calloc(batches * o->reps, sizeof(double))) == NULL)
        s = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  int first = 1;
  for (uint32_t rep = 0; rep < o->reps && s == PIO_OK; rep++) {
    if (tcp) s = socket_rep(in, &socket[rep], err);
    for (int a = 0; a < 2 && s == PIO_OK; a++)
      for (int op = 0; op < 2 && s == PIO_OK; op++) {
        if (!ok_access[a] || !ok_op[op]) continue;
        s = one_rep(in, a ? PIO_KV_ACCESS_LAYER : PIO_KV_ACCESS_BLOCK, (pio_kvxfer_op)op, rep,
                    &all[a][op], first, err);
        first = 0;
      }
  }
  pio_bench_progress_clear(&in->progress);
  for (int a = 0; a < 2; a++)
    for (int op = 0; op < 2; op++) {
      if (s == PIO_OK && all[a][op].batch_s != NULL)
        summarize(&r->pass[a][op], &all[a][op], l, a ? PIO_KV_ACCESS_LAYER : PIO_KV_ACCESS_BLOCK,
                  (pio_kvxfer_op)op, o->batch, o->reps);
      free(all[a][op].batch_s);
    }
  if (s != PIO_OK) return s;
  r->reps = o->reps;
  if (tcp) r->socket_bytes_per_s = pio_bench_median(socket, o->reps);
  pio_kvxfer_advise(r);
  return PIO_OK;
}
