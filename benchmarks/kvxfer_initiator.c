/* benchmarks/kvxfer_initiator.c — the initiator rank of `pio-bench
 * kvxfer`: it connects to the target, sends its KV shape and UCX worker
 * address, takes the target's address and pool key (or its refusal), opens
 * a UCX endpoint, measures (kvxfer_measure.c), and says goodbye. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvxfer_initiator.h"

static pio_status hello(pio_kvxfer_initiator *in, pio_error *err) {
  pio_kvxfer_hello h;
  memset(&h, 0, sizeof h);
  h.shape = *in->shape;
  h.worker_address.data = (const uint8_t *)in->ucx.address;
  h.worker_address.len = (uint32_t)in->ucx.address_len;
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, in->frame, sizeof in->frame, PIO_KVXFER_HELLO);
  pio_kvxfer_put_hello(&w, &h);
  size_t n = pio_kvxfer_frame_end(&w);
  if (n == 0) return pio_error_set(err, PIO_ERR_INTERNAL, "HELLO does not fit a frame");
  return pio_kvxfer_send(&in->ch, in->frame, n, err);
}

/* WELCOME: the target's verdict on the shapes, its address and key. */
static pio_status welcome(pio_kvxfer_initiator *in, pio_error *err) {
  const uint8_t *payload;
  size_t len;
  pio_kvxfer_welcome w;
  /* UCX wireup may need this worker's progress from here on. */
  in->ch.idle = pio_kvxfer_ucx_idle;
  in->ch.idle_ctx = &in->ucx;
  in->ch.idle_fd = in->ucx.efd;
  pio_status s = pio_kvxfer_recv(&in->ch, PIO_KVXFER_WELCOME, NULL, &payload, &len, err);
  if (s != PIO_OK) return s;
  if (pio_kvxfer_get_welcome(payload, len, &w, err) != PIO_OK)
    return pio_error_prefix(err, "from the target");
  char why[PIO_KVXFER_TEXT_MAX];
  /* Compared here too, from this side: a target of another build could
   * judge otherwise. */
  int differs = pio_kvxfer_shape_compare(in->shape, &w.shape, "at the target", why, sizeof why);
  if (!differs && !w.accepted) snprintf(why, sizeof why, "the target says: %.400s", w.reason);
  if (differs || !w.accepted)
    return pio_error_set(err, PIO_ERR_INVALID, "the ranks' KV shapes differ: %s (this rank: %s, "
                         "the target: %s)", why, in->shape->model, w.shape.model);
  return pio_kvxfer_ucx_connect(&in->ucx, &w.worker_address, &w.rkey, w.remote_base, err);
}

static pio_status goodbye(pio_kvxfer_initiator *in, pio_error *err) {
  const uint8_t *payload;
  size_t len;
  pio_status s = pio_kvxfer_send_empty(&in->ch, PIO_KVXFER_BYE, err);
  return s == PIO_OK ? pio_kvxfer_recv(&in->ch, PIO_KVXFER_BYE, NULL, &payload, &len, err) : s;
}

pio_status pio_kvxfer_run_initiator(const pio_kvxfer_options *o, const pio_kvxfer_shape *shape,
                                    const char *host, const char *port, pio_kvxfer_result *r,
                                    pio_error *err) {
  memset(r, 0, sizeof *r);
  r->shape = *shape;
  r->kind = "other";
  snprintf(r->target, sizeof r->target, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
  pio_kvxfer_initiator *in = calloc(1, sizeof *in);
  if (in == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  in->o = o;
  in->shape = shape;
  in->ucx.efd = -1;
  pio_bench_progress_init(&in->progress, o->progress);
  int fd = -1;
  pio_status s = pio_kvxfer_connect(host, port, o->timeout_s, &fd, err);
  pio_kvxfer_channel_init(&in->ch, fd, o->timeout_s, "the target");
  if (s == PIO_OK) s = pio_kvxfer_ucx_open(&in->ucx, o->transports, shape->layout.total_bytes, err);
  if (s == PIO_OK) s = hello(in, err);
  if (s == PIO_OK) s = welcome(in, err);
  if (s == PIO_OK) {
    snprintf(r->ucx_note, sizeof r->ucx_note, "%s", in->ucx.note);
    s = pio_kvxfer_measure(in, r, err);
  }
  if (s == PIO_OK) s = goodbye(in, err);
  pio_bench_progress_clear(&in->progress);
  if (s != PIO_OK) pio_kvxfer_send_error(&in->ch, err->message);
  pio_kvxfer_channel_close(&in->ch);
  pio_kvxfer_ucx_close(&in->ucx, s == PIO_OK);
  free(in);
  return s;
}

void pio_kvxfer_result_free(pio_kvxfer_result *r) {
  free(r->ep_info);
  r->ep_info = NULL;
}
