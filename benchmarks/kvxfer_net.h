/* benchmarks/kvxfer_net.h — the small TCP connection kvxfer's two ranks
 * talk over (kvxfer_wire.h's frames): listening, accepting and connecting
 * with a deadline, sending and receiving frames with a deadline while UCX is
 * kept going, and telling a peer that went away from one that is slow. */
#ifndef PIO_BENCH_KVXFER_NET_H
#define PIO_BENCH_KVXFER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "kvxfer_wire.h"
#include "pio/status.h"

#define PIO_KVXFER_HOST_MAX 256u

/* Splits "[ADDR:]PORT" (listen; ADDR empty: every address) or "HOST:PORT"
 * (connect; need_host) into host and port; "[v6]:PORT" for IPv6 literals.
 * PIO_ERR_INVALID_ARGUMENT naming what is wrong. */
pio_status pio_kvxfer_parse_address(const char *text, int need_host, char host[PIO_KVXFER_HOST_MAX],
                                    char port[8], pio_error *err);

/* Binds and listens on host:port (host "" for every address; port "0" for
 * one the kernel picks); *bound receives "ADDR:PORT" as bound. */
pio_status pio_kvxfer_listen(const char *host, const char *port, int *fd,
                             char bound[PIO_KVXFER_HOST_MAX + 16], pio_error *err);
/* Waits until timeout_s for one connection on listen_fd. */
pio_status pio_kvxfer_accept(int listen_fd, double timeout_s, int *fd,
                             char peer[PIO_KVXFER_HOST_MAX + 16], pio_error *err);
/* Connects to host:port within timeout_s; a refusal is not retried. */
pio_status pio_kvxfer_connect(const char *host, const char *port, double timeout_s, int *fd,
                              pio_error *err);

/* While a rank waits on its peer, UCX must go on (wireup, TCP puts):
 * returns 1 when it did work (call again at once), 0 when it may sleep on
 * its event fd until something happens, -1 when it failed (err filled). */
typedef int (*pio_kvxfer_idle_fn)(void *ctx, pio_error *err);

typedef struct pio_kvxfer_channel {
  int fd;
  double timeout_s;            /* the longest a wait may take */
  const char *peer;            /* "the target", "the initiator": for messages */
  pio_kvxfer_idle_fn idle;     /* may be NULL */
  void *idle_ctx;
  int idle_fd;                 /* UCX's event fd, or -1: poll it with fd */
  double last_send;            /* when a frame last went out (pio_bench_now) */
  uint8_t frame[PIO_KVXFER_HEADER_BYTES + PIO_KVXFER_MAX_PAYLOAD]; /* the last received */
} pio_kvxfer_channel;

/* fd owned by the channel from now on (closed by pio_kvxfer_channel_close). */
void pio_kvxfer_channel_init(pio_kvxfer_channel *c, int fd, double timeout_s, const char *peer);
void pio_kvxfer_channel_close(pio_kvxfer_channel *c);

/* Sends a whole frame (pio_kvxfer_frame_end's length) within the timeout. */
pio_status pio_kvxfer_send(pio_kvxfer_channel *c, const uint8_t *frame, size_t len,
                           pio_error *err);
/* Sends a frame of type with no payload. */
pio_status pio_kvxfer_send_empty(pio_kvxfer_channel *c, uint32_t type, pio_error *err);
/* Sends ERROR with text, best effort (the channel may be broken already). */
void pio_kvxfer_send_error(pio_kvxfer_channel *c, const char *text);

/*
 * Receives one frame within the timeout, keeping UCX going.  An ERROR frame
 * becomes PIO_ERR_IO "PEER failed: TEXT"; a frame of another type than
 * expect PIO_ERR_INVALID; the connection closing PIO_ERR_IO "PEER closed
 * the connection ..."; the timeout PIO_ERR_IO "no answer from PEER within
 * N s (waiting for TYPE)".  ALIVE frames are taken and the wait starts
 * again.  *payload points into c->frame until the next receive.
 * expect 0 takes any type; *type receives it.
 */
pio_status pio_kvxfer_recv(pio_kvxfer_channel *c, uint32_t expect, uint32_t *type,
                           const uint8_t **payload, size_t *len, pio_error *err);

/* Raw bytes for the socket limit (SINK): sends or receives n bytes of buf
 * (cycled when n > size) within the timeout. */
pio_status pio_kvxfer_send_raw(pio_kvxfer_channel *c, const uint8_t *buf, size_t size,
                               uint64_t n, pio_error *err);
pio_status pio_kvxfer_recv_raw(pio_kvxfer_channel *c, uint8_t *buf, size_t size, uint64_t n,
                               pio_error *err);

/* Sends ALIVE when nothing went out for a quarter of the timeout, so that
 * a peer waiting through a long pass knows this rank is at work. */
pio_status pio_kvxfer_keep_alive(pio_kvxfer_channel *c, pio_error *err);

/* Without waiting: 1 when the peer has closed the connection or sent
 * something unasked (an ERROR: then err holds its text), else 0. */
int pio_kvxfer_peer_gone(pio_kvxfer_channel *c, pio_error *err);

#endif
