/* benchmarks/kvxfer_target.c — the target rank of `pio-bench kvxfer`: it
 * accepts one initiator, checks that both ranks hold the same KV shape,
 * hands out its UCX worker address and pool key, then, while the initiator
 * moves pages one-sided, keeps UCX going and answers: fills its pool before
 * a get pass, verifies every byte after a put pass, sinks the socket limit's
 * bytes, and leaves on BYE. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv_pattern.h"
#include "kvxfer_bench.h"
#include "kvxfer_fault.h"
#include "kvxfer_ucx.h"

typedef struct target {
  pio_kvxfer_channel ch;     /* large: the receive frame is inside */
  pio_kvxfer_ucx ucx;
  const pio_kvxfer_options *o;
  const pio_kvxfer_shape *shape;
  uint8_t frame[PIO_KVXFER_HEADER_BYTES + PIO_KVXFER_MAX_PAYLOAD];
  pio_error verify_failure;  /* the first put pass that landed wrong */
  int verify_failed;
  uint32_t prepares;
} target;

/* HELLO: the initiator's shape must be this rank's. */
static pio_status greet(target *t, pio_error *err) {
  const uint8_t *payload;
  size_t len;
  pio_kvxfer_hello hello;
  pio_status s = pio_kvxfer_recv(&t->ch, PIO_KVXFER_HELLO, NULL, &payload, &len, err);
  if (s != PIO_OK) return s;
  if (pio_kvxfer_get_hello(payload, len, &hello, err) != PIO_OK)
    return pio_error_prefix(err, "from the initiator");
  pio_kvxfer_welcome w;
  memset(&w, 0, sizeof w);
  w.shape = *t->shape;
  char why[PIO_KVXFER_TEXT_MAX];
  int differs = pio_kvxfer_shape_compare(t->shape, &hello.shape, "at the initiator", why,
                                         sizeof why);
  if (!differs) {
    /* The pool: allocated and registered once the peer is known to fit. */
    if ((s = pio_kvxfer_ucx_open(&t->ucx, t->o->transports, t->shape->layout.total_bytes,
                                 err)) != PIO_OK ||
        (s = pio_kvxfer_ucx_pack_rkey(&t->ucx, err)) != PIO_OK ||
        (s = pio_kvxfer_ucx_connect(&t->ucx, &hello.worker_address, NULL, 0, err)) != PIO_OK)
      return s;
    memset(t->ucx.pool, 0, t->ucx.pool_len); /* a put that moves nothing cannot pass */
    w.accepted = 1;
    w.worker_address.data = (const uint8_t *)t->ucx.address;
    w.worker_address.len = (uint32_t)t->ucx.address_len;
    w.rkey.data = t->ucx.rkey_buffer;
    w.rkey.len = (uint32_t)t->ucx.rkey_len;
    w.remote_base = (uint64_t)(uintptr_t)t->ucx.pool;
  } else {
    snprintf(w.reason, sizeof w.reason, "%s", why);
  }
  pio_kvxfer_writer wr;
  pio_kvxfer_frame_begin(&wr, t->frame, sizeof t->frame, PIO_KVXFER_WELCOME);
  pio_kvxfer_put_welcome(&wr, &w);
  size_t n = pio_kvxfer_frame_end(&wr);
  if (n == 0) return pio_error_set(err, PIO_ERR_INTERNAL, "WELCOME does not fit a frame");
  if ((s = pio_kvxfer_send(&t->ch, t->frame, n, err)) != PIO_OK) return s;
  if (differs)
    return pio_error_set(err, PIO_ERR_INVALID, "the ranks' KV shapes differ: %s (this rank: %s, "
                         "the initiator: %s)", why, t->shape->model, hello.shape.model);
  t->ch.idle = pio_kvxfer_ucx_idle;
  t->ch.idle_ctx = &t->ucx;
  t->ch.idle_fd = t->ucx.efd;
  return PIO_OK;
}

/* The test fault target-flip-byte: one bit wrong at page 1, layer 1, byte 7. */
static void maybe_flip(target *t) {
  const pio_bench_kv_layout *l = &t->shape->layout;
  uint64_t at = l->pages > 1 && l->layers > 1 ? l->page_bytes + l->layer_bytes + 7 : 7;
  if (pio_kvxfer_fault_is("target-flip-byte") && at < t->ucx.pool_len) t->ucx.pool[at] ^= 1;
}

static pio_status prepare(target *t, const uint8_t *payload, size_t len, pio_error *err) {
  pio_kvxfer_prepare p;
  if (pio_kvxfer_get_prepare(payload, len, &p, err) != PIO_OK)
    return pio_error_prefix(err, "from the initiator");
  if (p.op == PIO_KVXFER_GET) {
    pio_bench_pattern_fill(t->ucx.pool, t->ucx.pool_len, 0, p.seed);
    maybe_flip(t);
  }
  pio_status s = pio_kvxfer_send_empty(&t->ch, PIO_KVXFER_READY, err);
  if (s == PIO_OK && ++t->prepares == 1) pio_kvxfer_fault_at("target-exit-after-ready");
  return s;
}

static pio_status check(target *t, const uint8_t *payload, size_t len, pio_error *err) {
  uint64_t seed;
  if (pio_kvxfer_get_u64(payload, len, PIO_KVXFER_CHECK, &seed, err) != PIO_OK)
    return pio_error_prefix(err, "from the initiator");
  pio_kvxfer_verdict v;
  memset(&v, 0, sizeof v);
  maybe_flip(t);
  int64_t bad = pio_bench_pattern_verify(t->ucx.pool, t->ucx.pool_len, 0, seed, &v.expected);
  v.ok = bad < 0;
  if (!v.ok) {
    v.bad_offset = (uint64_t)bad;
    v.got = t->ucx.pool[bad];
    if (!t->verify_failed)
      pio_error_set(&t->verify_failure, PIO_ERR_INTERNAL, "verification failed: the byte at "
                    "pool offset %lld arrived as 0x%02x, 0x%02x was put", (long long)bad,
                    (unsigned)v.got, (unsigned)v.expected);
    t->verify_failed = 1;
  }
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, t->frame, sizeof t->frame, PIO_KVXFER_VERDICT);
  pio_kvxfer_put_verdict(&w, &v);
  return pio_kvxfer_send(&t->ch, t->frame, pio_kvxfer_frame_end(&w), err);
}

static pio_status sink(target *t, const uint8_t *payload, size_t len, pio_error *err) {
  uint64_t n;
  if (pio_kvxfer_get_u64(payload, len, PIO_KVXFER_SINK, &n, err) != PIO_OK)
    return pio_error_prefix(err, "from the initiator");
  if (n > t->ucx.pool_len)
    return pio_error_set(err, PIO_ERR_INVALID, "from the initiator: SINK of %llu bytes, more "
                         "than the pool's %llu", (unsigned long long)n,
                         (unsigned long long)t->ucx.pool_len);
  /* Into the pool: it is only the socket limit, and the next pass rewrites it. */
  pio_status s = pio_kvxfer_recv_raw(&t->ch, t->ucx.pool, t->ucx.pool_len < (4u << 20)
                                     ? t->ucx.pool_len : 4u << 20, n, err);
  return s == PIO_OK ? pio_kvxfer_send_empty(&t->ch, PIO_KVXFER_SUNK, err) : s;
}

/* UCX 1.13 aborts (ucs_fatal in ucp_request_try_send) when its software
 * RMA, which carries puts over TCP, acknowledges a put from an initiator
 * that has just died: the completion goes to a failed endpoint (rma_sw.c).
 * That is the initiator's failure, not this rank's: say so and exit 1
 * rather than dump core.  Only write and _exit here: a signal handler. */
static void on_ucx_abort(int sig) {
  (void)sig;
  static const char text[] = "pio-bench kvxfer: the initiator stopped or died mid-transfer; UCX "
                             "aborted acknowledging its last put (its software RMA, used over "
                             "TCP, cannot answer a dead peer)\n";
  ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
  (void)ignored;
  _exit(PIO_BENCH_STATUS_FAILED);
}

/* Answers the initiator until BYE. */
static pio_status serve(target *t, pio_error *err) {
  for (;;) {
    uint32_t type = 0;
    const uint8_t *payload;
    size_t len;
    pio_status s = pio_kvxfer_recv(&t->ch, 0, &type, &payload, &len, err);
    if (s != PIO_OK) return s;
    switch (type) {
      case PIO_KVXFER_PREPARE: s = prepare(t, payload, len, err); break;
      case PIO_KVXFER_CHECK: s = check(t, payload, len, err); break;
      case PIO_KVXFER_SINK: s = sink(t, payload, len, err); break;
      case PIO_KVXFER_BYE: return pio_kvxfer_send_empty(&t->ch, PIO_KVXFER_BYE, err);
      default:
        return pio_error_set(err, PIO_ERR_INVALID, "the initiator sent %s, which a target does "
                             "not take", pio_kvxfer_type_name(type));
    }
    if (s != PIO_OK) return s;
  }
}

pio_status pio_kvxfer_run_target(const pio_kvxfer_options *o, const pio_kvxfer_shape *shape,
                                 int listen_fd, pio_error *err) {
  target *t = calloc(1, sizeof *t);
  if (t == NULL) {
    close(listen_fd);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  t->o = o;
  t->shape = shape;
  t->ucx.efd = -1;
  char peer[PIO_KVXFER_HOST_MAX + 16];
  int fd = -1;
  pio_status s = pio_kvxfer_accept(listen_fd, o->timeout_s, &fd, peer, err);
  close(listen_fd); /* one initiator a run */
  pio_kvxfer_channel_init(&t->ch, fd, o->timeout_s, "the initiator");
  if (s == PIO_OK) s = greet(t, err);
  struct sigaction on_abort, before;
  memset(&on_abort, 0, sizeof on_abort);
  on_abort.sa_handler = on_ucx_abort;
  sigaction(SIGABRT, &on_abort, &before);
  if (s == PIO_OK) s = serve(t, err);
  if (s != PIO_OK) pio_kvxfer_send_error(&t->ch, err->message);
  if (s == PIO_OK && t->verify_failed) {
    *err = t->verify_failure;
    s = err->code;
  }
  pio_kvxfer_channel_close(&t->ch);
  pio_kvxfer_ucx_close(&t->ucx, s == PIO_OK); /* progresses UCX too: the handler stays until done */
  sigaction(SIGABRT, &before, NULL);
  free(t);
  return s;
}
