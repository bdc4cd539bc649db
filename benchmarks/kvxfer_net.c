/* benchmarks/kvxfer_net.c — kvxfer's control connection: addresses, listen,
 * accept and connect with deadlines, whole-frame send and receive that keep
 * UCX progressing while they wait, and a look for a peer that went away. */
#include "kvxfer_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pio/number.h"
#include "stats.h"

pio_status pio_kvxfer_parse_address(const char *text, int need_host, char host[PIO_KVXFER_HOST_MAX],
                                    char port[8], pio_error *err) {
  host[0] = port[0] = '\0';
  const char *colon = strrchr(text, ':'), *p = colon ? colon + 1 : text;
  size_t host_len = colon ? (size_t)(colon - text) : 0;
  const char *h = text;
  if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') { /* [v6]:port */
    h = text + 1;
    host_len -= 2;
  }
  if (need_host && colon == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "'%s': expected HOST:PORT", text);
  uint64_t n = 0;
  if (pio_parse_u64(p, need_host ? 1 : 0, 65535, &n) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "'%s': the port must be a number from "
                         "%d to 65535", text, need_host ? 1 : 0);
  if (need_host && host_len == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "'%s': expected HOST:PORT", text);
  if (host_len >= PIO_KVXFER_HOST_MAX)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "'%s': the host name is too long", text);
  memcpy(host, h, host_len);
  host[host_len] = '\0';
  snprintf(port, 8, "%u", (unsigned)n);
  return PIO_OK;
}

static void name_of(const struct sockaddr *sa, socklen_t len, char *out, size_t size) {
  char h[NI_MAXHOST], s[NI_MAXSERV];
  if (getnameinfo(sa, len, h, sizeof h, s, sizeof s, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    snprintf(out, size, "?");
    return;
  }
  snprintf(out, size, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
}

static pio_status resolve(const char *host, const char *port, int passive, struct addrinfo **out,
                          pio_error *err) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, out);
  if (rc != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "cannot resolve '%s': %s",
                         host[0] ? host : "(any)", gai_strerror(rc));
  return PIO_OK;
}

pio_status pio_kvxfer_listen(const char *host, const char *port, int *fd,
                             char bound[PIO_KVXFER_HOST_MAX + 16], pio_error *err) {
  struct addrinfo *ai = NULL;
  pio_status s = resolve(host, port, 1, &ai, err);
  if (s != PIO_OK) return s;
  int e = 0;
  *fd = -1;
  for (struct addrinfo *a = ai; a != NULL && *fd < 0; a = a->ai_next) {
    int f = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    int one = 1;
    /* SO_REUSEADDR: a port left in TIME_WAIT by the last run is free; one
     * another process listens on is still refused. */
    if (f >= 0 && setsockopt(f, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        bind(f, a->ai_addr, a->ai_addrlen) == 0 && listen(f, 4) == 0) {
      *fd = f;
      break;
    }
    e = errno;
    if (f >= 0) close(f);
  }
  freeaddrinfo(ai);
  if (*fd < 0)
    return pio_error_set(err, PIO_ERR_IO, "cannot listen on %s:%s: %s%s", host[0] ? host : "*",
                         port, strerror(e), e == EADDRINUSE ? " (another process holds the port; "
                         "choose another with --listen)" : "");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(*fd, (struct sockaddr *)&ss, &len);
  name_of((struct sockaddr *)&ss, len, bound, PIO_KVXFER_HOST_MAX + 16);
  return PIO_OK;
}

/* Milliseconds to a deadline, at least 0, at most 100 (so waits re-check). */
static int poll_ms(double deadline) {
  double left = deadline - pio_bench_now();
  if (left <= 0) return 0;
  return left > 0.1 ? 100 : (int)(left * 1000.0) + 1;
}

static void tune(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* small frames, now */
}

pio_status pio_kvxfer_accept(int listen_fd, double timeout_s, int *fd,
                             char peer[PIO_KVXFER_HOST_MAX + 16], pio_error *err) {
  double deadline = pio_bench_now() + timeout_s;
  for (;;) {
    struct pollfd p = {listen_fd, POLLIN, 0};
    int n = poll(&p, 1, poll_ms(deadline));
    if (n < 0 && errno != EINTR)
      return pio_error_set(err, PIO_ERR_IO, "waiting for a connection: %s", strerror(errno));
    if (n > 0) break;
    if (pio_bench_now() >= deadline)
      return pio_error_set(err, PIO_ERR_IO, "no initiator connected within %g s (raise "
                           "--timeout, or start `pio-bench kvxfer --connect` sooner)", timeout_s);
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  *fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
  if (*fd < 0) return pio_error_set(err, PIO_ERR_IO, "accept: %s", strerror(errno));
  name_of((struct sockaddr *)&ss, len, peer, PIO_KVXFER_HOST_MAX + 16);
  tune(*fd);
  return PIO_OK;
}

/* One non-blocking connect to a, finished within the deadline. */
static int connect_one(const struct addrinfo *a, double deadline, int *e) {
  int f = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (f < 0) {
    *e = errno;
    return -1;
  }
  if (connect(f, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
    *e = errno;
    close(f);
    return -1;
  }
  for (;;) {
    struct pollfd p = {f, POLLOUT, 0};
    int n = poll(&p, 1, poll_ms(deadline));
    if (n > 0) break;
    if ((n < 0 && errno != EINTR) || pio_bench_now() >= deadline) {
      *e = n < 0 ? errno : ETIMEDOUT;
      close(f);
      return -1;
    }
  }
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(f, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
    *e = soerr ? soerr : errno;
    close(f);
    return -1;
  }
  fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK);
  return f;
}

pio_status pio_kvxfer_connect(const char *host, const char *port, double timeout_s, int *fd,
                              pio_error *err) {
  struct addrinfo *ai = NULL;
  pio_status s = resolve(host, port, 0, &ai, err);
  if (s != PIO_OK) return s;
  double deadline = pio_bench_now() + timeout_s;
  int e = 0;
  *fd = -1;
  for (struct addrinfo *a = ai; a != NULL && *fd < 0; a = a->ai_next)
    *fd = connect_one(a, deadline, &e);
  freeaddrinfo(ai);
  if (*fd < 0)
    return pio_error_set(err, PIO_ERR_IO, "cannot connect to %s:%s: %s%s", host, port,
                         e == ETIMEDOUT ? "no answer" : strerror(e),
                         e == ECONNREFUSED ? " (is `pio-bench kvxfer --listen PORT` running "
                         "there?)" : e == ETIMEDOUT ? " within the timeout" : "");
  tune(*fd);
  return PIO_OK;
}

void pio_kvxfer_channel_init(pio_kvxfer_channel *c, int fd, double timeout_s, const char *peer) {
  c->fd = fd;
  c->timeout_s = timeout_s;
  c->peer = peer;
  c->idle = NULL;
  c->idle_ctx = NULL;
  c->idle_fd = -1;
  c->last_send = pio_bench_now();
}

void pio_kvxfer_channel_close(pio_kvxfer_channel *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

static pio_status gone(pio_kvxfer_channel *c, const char *what, pio_error *err) {
  return pio_error_set(err, PIO_ERR_IO, "%s closed the connection (it stopped or died) while "
                       "%s", c->peer, what);
}

/* Sends all of buf within deadline. */
static pio_status send_all(pio_kvxfer_channel *c, const uint8_t *buf, size_t n, double deadline,
                           const char *what, pio_error *err) {
  while (n > 0) {
    struct pollfd p = {c->fd, POLLOUT, 0};
    int r = poll(&p, 1, poll_ms(deadline));
    if (r == 0 && pio_bench_now() >= deadline)
      return pio_error_set(err, PIO_ERR_IO, "%s took no data for %g s (sending %s)", c->peer,
                           c->timeout_s, what);
    if (r <= 0) continue;
    ssize_t k = send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k < 0 && (errno == EPIPE || errno == ECONNRESET)) return gone(c, "sending", err);
    if (k < 0)
      return pio_error_set(err, PIO_ERR_IO, "sending %s to %s: %s", what, c->peer,
                           strerror(errno));
    buf += k;
    n -= (size_t)k;
    c->last_send = pio_bench_now();
  }
  return PIO_OK;
}

pio_status pio_kvxfer_send(pio_kvxfer_channel *c, const uint8_t *frame, size_t len,
                           pio_error *err) {
  uint32_t type = len >= 8 ? (uint32_t)frame[6] | (uint32_t)frame[7] << 8 : 0;
  if (len < PIO_KVXFER_HEADER_BYTES)
    return pio_error_set(err, PIO_ERR_INTERNAL, "a control message did not fit its buffer");
  return send_all(c, frame, len, pio_bench_now() + c->timeout_s, pio_kvxfer_type_name(type),
                  err);
}

pio_status pio_kvxfer_send_empty(pio_kvxfer_channel *c, uint32_t type, pio_error *err) {
  uint8_t frame[PIO_KVXFER_HEADER_BYTES];
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, frame, sizeof frame, type);
  return pio_kvxfer_send(c, frame, pio_kvxfer_frame_end(&w), err);
}

void pio_kvxfer_send_error(pio_kvxfer_channel *c, const char *text) {
  if (c->fd < 0) return;
  uint8_t frame[PIO_KVXFER_HEADER_BYTES + PIO_KVXFER_TEXT_MAX + 2];
  pio_kvxfer_writer w;
  pio_kvxfer_frame_begin(&w, frame, sizeof frame, PIO_KVXFER_ERROR);
  pio_kvxfer_put_text(&w, text);
  size_t n = pio_kvxfer_frame_end(&w);
  pio_error ignored = {0};
  double saved = c->timeout_s;
  c->timeout_s = saved < 1.0 ? saved : 1.0; /* the peer may be the reason we fail */
  if (n > 0) (void)pio_kvxfer_send(c, frame, n, &ignored);
  c->timeout_s = saved;
}

/* Waits until fd is readable, running the idle hook; 1 readable, 0 timed
 * out, -1 failed (err filled). */
static int wait_readable(pio_kvxfer_channel *c, double deadline, pio_error *err) {
  for (;;) {
    int busy = 0;
    if (c->idle != NULL) {
      busy = c->idle(c->idle_ctx, err);
      if (busy < 0) return -1;
    }
    struct pollfd p[2] = {{c->fd, POLLIN, 0}, {c->idle_fd, POLLIN, 0}};
    int n = poll(p, c->idle_fd >= 0 && !busy ? 2 : 1, busy ? 0 : poll_ms(deadline));
    if (n < 0 && errno != EINTR) {
      pio_error_set(err, PIO_ERR_IO, "poll: %s", strerror(errno));
      return -1;
    }
    if (n > 0 && p[0].revents != 0) return 1;
    if (pio_bench_now() >= deadline) return 0;
  }
}

/* Reads exactly n bytes into buf within deadline; what names them. */
static pio_status recv_all(pio_kvxfer_channel *c, uint8_t *buf, size_t n, double deadline,
                           const char *what, pio_error *err) {
  while (n > 0) {
    int w = wait_readable(c, deadline, err);
    if (w < 0) return err->code;
    if (w == 0)
      return pio_error_set(err, PIO_ERR_IO, "no answer from %s within %g s (waiting for %s)",
                           c->peer, c->timeout_s, what);
    ssize_t k = recv(c->fd, buf, n, MSG_DONTWAIT);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (k == 0 || (k < 0 && errno == ECONNRESET)) {
      char doing[64];
      snprintf(doing, sizeof doing, "this rank waited for %s", what);
      return gone(c, doing, err);
    }
    if (k < 0)
      return pio_error_set(err, PIO_ERR_IO, "receiving from %s: %s", c->peer, strerror(errno));
    buf += k;
    n -= (size_t)k;
  }
  return PIO_OK;
}

pio_status pio_kvxfer_keep_alive(pio_kvxfer_channel *c, pio_error *err) {
  if (pio_bench_now() - c->last_send < c->timeout_s / 4) return PIO_OK;
  return pio_kvxfer_send_empty(c, PIO_KVXFER_ALIVE, err);
}

pio_status pio_kvxfer_recv(pio_kvxfer_channel *c, uint32_t expect, uint32_t *type,
                           const uint8_t **payload, size_t *len, pio_error *err) {
  const char *what = expect ? pio_kvxfer_type_name(expect) : "a message";
  uint32_t t = 0, n = 0;
  do { /* each ALIVE starts the wait again */
    double deadline = pio_bench_now() + c->timeout_s;
    pio_status s = recv_all(c, c->frame, PIO_KVXFER_HEADER_BYTES, deadline, what, err);
    if (s == PIO_OK && pio_kvxfer_header_decode(c->frame, &t, &n, err) != PIO_OK)
      return pio_error_prefix(err, "from %s", c->peer);
    if (s == PIO_OK)
      s = recv_all(c, c->frame + PIO_KVXFER_HEADER_BYTES, n, deadline, what, err);
    if (s != PIO_OK) return s;
  } while (t == PIO_KVXFER_ALIVE && expect != PIO_KVXFER_ALIVE);
  *payload = c->frame + PIO_KVXFER_HEADER_BYTES;
  *len = n;
  if (type != NULL) *type = t;
  if (t == PIO_KVXFER_ERROR && expect != PIO_KVXFER_ERROR) {
    char text[PIO_KVXFER_TEXT_MAX];
    if (pio_kvxfer_get_text(*payload, n, text, sizeof text, err) != PIO_OK) return err->code;
    return pio_error_set(err, PIO_ERR_IO, "%s failed: %s", c->peer, text);
  }
  if (expect != 0 && t != expect)
    return pio_error_set(err, PIO_ERR_INVALID, "%s sent %s where %s was due", c->peer,
                         pio_kvxfer_type_name(t), what);
  return PIO_OK;
}

pio_status pio_kvxfer_send_raw(pio_kvxfer_channel *c, const uint8_t *buf, size_t size,
                               uint64_t n, pio_error *err) {
  double deadline = pio_bench_now() + c->timeout_s;
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < size ? (size_t)(n - done) : size;
    pio_status s = send_all(c, buf, k, deadline, "the socket limit's bytes", err);
    if (s != PIO_OK) return s;
    done += k;
  }
  return PIO_OK;
}

pio_status pio_kvxfer_recv_raw(pio_kvxfer_channel *c, uint8_t *buf, size_t size, uint64_t n,
                               pio_error *err) {
  double deadline = pio_bench_now() + c->timeout_s;
  for (uint64_t done = 0; done < n;) {
    size_t k = n - done < size ? (size_t)(n - done) : size;
    pio_status s = recv_all(c, buf, k, deadline, "the socket limit's bytes", err);
    if (s != PIO_OK) return s;
    done += k;
  }
  return PIO_OK;
}

int pio_kvxfer_peer_gone(pio_kvxfer_channel *c, pio_error *err) {
  struct pollfd p = {c->fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return 0;
  uint8_t byte;
  ssize_t k = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (k < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (k <= 0) {
    gone(c, "this rank was moving pages", err);
    return 1;
  }
  /* Something unasked: only an ERROR can come now.  Read it for its text. */
  const uint8_t *payload;
  size_t len;
  double saved = c->timeout_s;
  c->timeout_s = saved < 1.0 ? saved : 1.0;
  pio_status s = pio_kvxfer_recv(c, PIO_KVXFER_ERROR, NULL, &payload, &len, err);
  c->timeout_s = saved;
  if (s == PIO_OK) {
    char text[PIO_KVXFER_TEXT_MAX];
    if (pio_kvxfer_get_text(payload, len, text, sizeof text, err) == PIO_OK)
      pio_error_set(err, PIO_ERR_IO, "%s failed: %s", c->peer, text);
  }
  return 1;
}
