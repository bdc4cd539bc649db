/* benchmarks/kvxfer_ucx.c — kvxfer's use of UCX: setup and teardown that
 * survive a failed peer, one-sided puts and gets, flushes with a deadline
 * and a watch on the control connection, and the endpoint's transports. */
#include "kvxfer_ucx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ucs/debug/log_def.h>

#include "stats.h"

/* How long teardown waits for UCX to finish closing before it leaves. */
#define CLOSE_SECONDS 2.0

static pio_status ucx_error(pio_error *err, const char *what, ucs_status_t s) {
  return pio_error_set(err, PIO_ERR_IO, "UCX: %s: %s", what, ucs_status_string(s));
}

/* Whether a UCX_TLS list can bring in a shared-memory transport: "all",
 * an exclusion ("^tcp"), or a list naming one. */
static int may_use_shm(const char *tls) {
  if (tls == NULL || tls[0] == '\0' || tls[0] == '^' || strstr(tls, "all") != NULL) return 1;
  static const char *const shm[] = {"sm", "shm", "mm", "sysv", "posix"};
  char list[256];
  snprintf(list, sizeof list, "%s", tls);
  char *save = NULL;
  for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
    for (size_t i = 0; i < sizeof shm / sizeof shm[0]; i++)
      if (strcmp(t, shm[i]) == 0) return 1;
  return 0;
}

/* UCX prints its warnings on stdout, where the table or JSON goes: they go
 * to stderr, named, instead. */
static ucs_log_func_rc_t log_to_stderr(const char *file, unsigned line, const char *function,
                                       ucs_log_level_t level,
                                       const ucs_log_component_config_t *comp, const char *message,
                                       va_list ap) {
  (void)file, (void)line, (void)function, (void)comp;
  if (level > UCS_LOG_LEVEL_WARN) return UCS_LOG_FUNC_RC_CONTINUE;
  char text[512];
  vsnprintf(text, sizeof text, message, ap);
  fprintf(stderr, "pio-bench kvxfer: UCX %s: %s\n", ucs_log_level_names[level], text);
  return UCS_LOG_FUNC_RC_STOP;
}

static pio_status configure(pio_kvxfer_ucx *u, const char *tls, ucp_config_t **config,
                            pio_error *err) {
  ucs_status_t s = ucp_config_read(NULL, NULL, config);
  if (s != UCS_OK) return ucx_error(err, "reading the configuration (UCX_* variables)", s);
  if (tls != NULL && (s = ucp_config_modify(*config, "TLS", tls)) != UCS_OK)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "UCX refuses --transports '%s': %s", tls,
                         ucs_status_string(s));
  /* With peer-failure handling, UCX leaves its shared-memory transports out
   * unless they watch their peers too. */
  if (getenv("UCX_MM_ERROR_HANDLING") == NULL &&
      may_use_shm(tls != NULL ? tls : getenv("UCX_TLS")) &&
      ucp_config_modify(*config, "MM_ERROR_HANDLING", "y") == UCS_OK)
    snprintf(u->note, sizeof u->note, "UCX_MM_ERROR_HANDLING=y (shared memory with peer-failure "
             "handling)");
  return PIO_OK;
}

static pio_status map_pool(pio_kvxfer_ucx *u, uint64_t len, pio_error *err) {
  ucp_mem_map_params_t mp;
  memset(&mp, 0, sizeof mp);
  mp.field_mask = UCP_MEM_MAP_PARAM_FIELD_LENGTH | UCP_MEM_MAP_PARAM_FIELD_FLAGS;
  mp.length = len;
  mp.flags = UCP_MEM_MAP_ALLOCATE; /* memory every transport can reach, shm included */
  ucs_status_t s = ucp_mem_map(u->context, &mp, &u->pool_memh);
  if (s != UCS_OK) {
    u->pool_memh = NULL;
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "UCX cannot allocate and register %llu bytes "
                         "of KV pool: %s", (unsigned long long)len, ucs_status_string(s));
  }
  ucp_mem_attr_t attr;
  attr.field_mask = UCP_MEM_ATTR_FIELD_ADDRESS | UCP_MEM_ATTR_FIELD_LENGTH;
  if ((s = ucp_mem_query(u->pool_memh, &attr)) != UCS_OK)
    return ucx_error(err, "querying the pool", s);
  u->pool = attr.address;
  u->pool_len = len;
  return PIO_OK;
}

pio_status pio_kvxfer_ucx_open(pio_kvxfer_ucx *u, const char *tls, uint64_t pool_len,
                               pio_error *err) {
  memset(u, 0, sizeof *u);
  u->efd = -1;
  ucs_log_push_handler(log_to_stderr);
  u->log_pushed = 1;
  ucp_config_t *config = NULL;
  pio_status st = configure(u, tls, &config, err);
  ucp_params_t params;
  memset(&params, 0, sizeof params);
  params.field_mask = UCP_PARAM_FIELD_FEATURES;
  params.features = UCP_FEATURE_RMA | UCP_FEATURE_WAKEUP;
  ucs_status_t s = UCS_OK;
  if (st == PIO_OK && (s = ucp_init(&params, config, &u->context)) != UCS_OK) {
    u->context = NULL;
    st = ucx_error(err, "ucp_init", s);
  }
  if (config != NULL) ucp_config_release(config);
  if (st != PIO_OK) return st;
  ucp_worker_params_t wp;
  memset(&wp, 0, sizeof wp);
  wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  wp.thread_mode = UCS_THREAD_MODE_SINGLE;
  if ((s = ucp_worker_create(u->context, &wp, &u->worker)) != UCS_OK) {
    u->worker = NULL;
    return ucx_error(err, "creating a worker", s);
  }
  if (ucp_worker_get_efd(u->worker, &u->efd) != UCS_OK) u->efd = -1; /* then busy-poll */
  if ((st = map_pool(u, pool_len, err)) != PIO_OK) return st;
  if ((s = ucp_worker_get_address(u->worker, &u->address, &u->address_len)) != UCS_OK) {
    u->address = NULL;
    return ucx_error(err, "getting the worker's address", s);
  }
  return PIO_OK;
}

pio_status pio_kvxfer_ucx_pack_rkey(pio_kvxfer_ucx *u, pio_error *err) {
  ucs_status_t s = ucp_rkey_pack(u->context, u->pool_memh, &u->rkey_buffer, &u->rkey_len);
  if (s != UCS_OK) {
    u->rkey_buffer = NULL;
    return ucx_error(err, "packing the pool's memory key", s);
  }
  return PIO_OK;
}

static void on_ep_error(void *arg, ucp_ep_h ep, ucs_status_t status) {
  (void)ep;
  pio_kvxfer_ucx *u = arg;
  if (!u->failed) u->failure = status;
  u->failed = 1;
}

pio_status pio_kvxfer_ucx_connect(pio_kvxfer_ucx *u, const pio_kvxfer_blob *address,
                                  const pio_kvxfer_blob *rkey, uint64_t remote_base,
                                  pio_error *err) {
  ucp_ep_params_t ep;
  memset(&ep, 0, sizeof ep);
  ep.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
                  UCP_EP_PARAM_FIELD_ERR_HANDLER;
  ep.address = (const ucp_address_t *)address->data;
  ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
  ep.err_handler.cb = on_ep_error;
  ep.err_handler.arg = u;
  ucs_status_t s = ucp_ep_create(u->worker, &ep, &u->ep);
  if (s != UCS_OK) {
    u->ep = NULL;
    return pio_error_set(err, PIO_ERR_IO, "UCX cannot reach %s from here: %s (its transports "
                         "and this rank's have nothing in common; see --transports and "
                         "UCX_NET_DEVICES)", rkey ? "the target" : "the initiator",
                         ucs_status_string(s));
  }
  if (rkey == NULL) return PIO_OK; /* the target's endpoint back: no pool to reach */
  if ((s = ucp_ep_rkey_unpack(u->ep, rkey->data, &u->rkey)) != UCS_OK) {
    u->rkey = NULL;
    return ucx_error(err, "unpacking the target's memory key", s);
  }
  u->remote_base = remote_base;
  return PIO_OK;
}

int pio_kvxfer_ucx_idle(void *ctx, pio_error *err) {
  pio_kvxfer_ucx *u = ctx;
  if (ucp_worker_progress(u->worker) != 0) return 1;
  if (u->efd < 0) return 1; /* no event fd: keep polling */
  ucs_status_t s = ucp_worker_arm(u->worker);
  if (s == UCS_ERR_BUSY) return 1;
  if (s != UCS_OK) {
    ucx_error(err, "arming the worker", s);
    return -1;
  }
  return 0;
}

/* An operation or the endpoint failed: the peer is the likely cause. */
static pio_status transfer_failed(pio_error *err, ucs_status_t s) {
  return pio_error_set(err, PIO_ERR_IO, "UCX: the transfer to the target failed: %s (the target "
                       "stopped or died, or the link dropped)", ucs_status_string(s));
}

static void on_done(void *request, ucs_status_t status, void *user_data) {
  pio_kvxfer_ucx *u = user_data;
  if (status != UCS_OK && !u->failed) {
    u->failed = 1;
    u->failure = status;
  }
  u->in_flight--;
  ucp_request_free(request);
}

pio_status pio_kvxfer_ucx_post(pio_kvxfer_ucx *u, pio_kvxfer_op op, uint64_t offset, uint64_t len,
                               pio_error *err) {
  if (u->failed) return transfer_failed(err, u->failure);
  ucp_request_param_t p;
  memset(&p, 0, sizeof p);
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA |
                   UCP_OP_ATTR_FIELD_MEMH;
  p.cb.send = on_done;
  p.user_data = u;
  p.memh = u->pool_memh;
  ucs_status_ptr_t r = op == PIO_KVXFER_PUT
                           ? ucp_put_nbx(u->ep, u->pool + offset, len, u->remote_base + offset,
                                         u->rkey, &p)
                           : ucp_get_nbx(u->ep, u->pool + offset, len, u->remote_base + offset,
                                         u->rkey, &p);
  if (UCS_PTR_IS_ERR(r)) return transfer_failed(err, UCS_PTR_STATUS(r));
  if (r != NULL) u->in_flight++;
  return PIO_OK;
}

/* How often (progress calls) a wait looks at the control connection. */
#define WATCH_EVERY 1024u

pio_status pio_kvxfer_ucx_flush(pio_kvxfer_ucx *u, pio_kvxfer_channel *control, double timeout_s,
                                pio_error *err) {
  ucp_request_param_t p;
  memset(&p, 0, sizeof p);
  ucs_status_ptr_t r = ucp_ep_flush_nbx(u->ep, &p);
  if (UCS_PTR_IS_ERR(r)) return ucx_error(err, "flushing the endpoint", UCS_PTR_STATUS(r));
  /* The deadline is for a stall: it moves on while operations complete. */
  double deadline = pio_bench_now() + timeout_s;
  uint64_t seen = u->in_flight;
  for (uint32_t spins = 0;; spins++) {
    ucp_worker_progress(u->worker);
    if (u->in_flight != seen) {
      seen = u->in_flight;
      deadline = pio_bench_now() + timeout_s;
    }
    ucs_status_t s = r == NULL ? UCS_OK : ucp_request_check_status(r);
    if (s != UCS_INPROGRESS && u->in_flight == 0) {
      if (r != NULL) ucp_request_free(r);
      if (s != UCS_OK) return transfer_failed(err, s);
      if (u->failed) return transfer_failed(err, u->failure);
      return PIO_OK;
    }
    if (spins % WATCH_EVERY != WATCH_EVERY - 1) continue;
    int late = pio_bench_now() >= deadline;
    int gone = control != NULL && (pio_kvxfer_peer_gone(control, err) ||
                                   pio_kvxfer_keep_alive(control, err) != PIO_OK);
    if (u->failed || late || gone) {
      u->flush_request = r; /* freed once the endpoint is closed */
      if (u->failed) return transfer_failed(err, u->failure);
      if (late)
        return pio_error_set(err, PIO_ERR_IO, "the transfer made no progress for %g s "
                             "(%llu operations outstanding; raise --timeout for slow links)",
                             timeout_s, (unsigned long long)u->in_flight);
      return err->code;
    }
  }
}

char *pio_kvxfer_ucx_ep_info(pio_kvxfer_ucx *u) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL) return NULL;
  if (u->ep != NULL) ucp_ep_print_info(u->ep, f);
  fclose(f);
  return text;
}

/* "shm", "tcp", "rdma", "self" or "other" for a transport name. */
static const char *kind_of(const char *tl) {
  static const char *const shm[] = {"sysv", "posix", "cma", "knem", "xpmem"};
  for (size_t i = 0; i < sizeof shm / sizeof shm[0]; i++)
    if (strncmp(tl, shm[i], strlen(shm[i])) == 0) return "shm";
  if (strncmp(tl, "tcp", 3) == 0) return "tcp";
  if (strncmp(tl, "self", 4) == 0) return "self";
  if (strncmp(tl, "rc", 2) == 0 || strncmp(tl, "ud", 2) == 0 || strncmp(tl, "dc", 2) == 0)
    return "rdma";
  return "other";
}

/* "am am_bw#0 keepalive" -> "am am_bw keepalive", in place. */
static void strip_indices(char *flags) {
  char *w = flags;
  for (const char *r = flags; *r != '\0'; r++) {
    if (*r == '#') {
      while (r[1] >= '0' && r[1] <= '9') r++;
      continue;
    }
    *w++ = *r;
  }
  while (w > flags && w[-1] == ' ') w--;
  *w = '\0';
}

/* The transport of the lane whose index starts at digits ("0]: ..."):
 * "sysv/memory.0" into tl; 0 when the info names no such lane. */
static int lane_of(const char *info, const char *digits, char *tl, size_t size) {
  unsigned idx = 0;
  if (sscanf(digits, "%u", &idx) != 1) return 0;
  char key[32], name[64] = "";
  snprintf(key, sizeof key, "lane[%u]:", idx);
  const char *l = strstr(info, key);
  if (l == NULL || sscanf(l + strlen(key), " %*[0-9]:%63s", name) != 1) return 0;
  snprintf(tl, size, "%s", name);
  return 1;
}

void pio_kvxfer_ucx_protocols(const char *info, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (const char *line = info; line != NULL && *line != '\0';) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char buf[512], tl[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
    for (int op = 0; op < 2; op++) {
      const char *at = strstr(buf, op ? "get[" : "put[");
      const char *colon = at ? strstr(at, "]:") : NULL;
      if (colon == NULL || !lane_of(info, at + 4, tl, sizeof tl)) continue;
      const char *ranges = colon + 2 + strspn(colon + 2, " ");
      int w = snprintf(out + used, size - used, "%s%s on %s %s", used ? "; " : "",
                       op ? "get" : "put", tl, ranges);
      if (w > 0) used += (size_t)w < size - used ? (size_t)w : size - used - 1;
    }
    line = end ? end + 1 : NULL;
  }
  if (used == 0 && info != NULL && strstr(info, "am_bw") != NULL)
    snprintf(out, size, "no RMA lane: puts and gets are carried as active messages that the "
             "target's worker serves");
}

void pio_kvxfer_ucx_summarize(const char *info, char *out, size_t size, const char **kind) {
  size_t used = 0;
  out[0] = '\0';
  *kind = "other";
  int have_rma = 0; /* a lane with put[] lines decides the kind */
  for (const char *line = info; line != NULL && *line != '\0';) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), line);
    char *lane = strstr(buf, "lane[");
    char *colon = lane ? strstr(lane, "]:") : NULL;
    if (colon != NULL) {
      char tl[64] = "", *arrow = strstr(colon, "->"), flags[128] = "";
      sscanf(colon + 2, " %*[0-9]:%63s", tl);
      if (arrow != NULL) {
        char *sp = strchr(arrow + 3, ' ');
        if (sp != NULL) snprintf(flags, sizeof flags, "%s", sp + 1);
      }
      strip_indices(flags);
      int w = snprintf(out + used, size - used, "%s%s%s%s%s", used ? ", " : "", tl,
                       flags[0] ? " (" : "", flags, flags[0] ? ")" : "");
      if (w > 0) used += (size_t)w < size - used ? (size_t)w : size - used - 1;
      if (!have_rma && strstr(flags, "am_bw") != NULL) *kind = kind_of(tl);
    } else if (!have_rma && strstr(buf, "put[") != NULL) {
      char tl[64];
      if (lane_of(info, strstr(buf, "put[") + 4, tl, sizeof tl)) {
        *kind = kind_of(tl);
        have_rma = 1;
      }
    }
    line = end ? end + 1 : NULL;
  }
}

/* Progresses until request r is done or the close deadline passes, then
 * releases it: UCX frees a request released early once it completes, and a
 * worker must not be destroyed with requests its user still holds. */
static void wait_closed(pio_kvxfer_ucx *u, void *r, double deadline) {
  if (r == NULL || UCS_PTR_IS_ERR(r)) return;
  while (ucp_request_check_status(r) == UCS_INPROGRESS && pio_bench_now() < deadline)
    ucp_worker_progress(u->worker);
  ucp_request_free(r);
}

void pio_kvxfer_ucx_close(pio_kvxfer_ucx *u, int peer_ok) {
  double deadline = pio_bench_now() + CLOSE_SECONDS;
  if (u->rkey != NULL) ucp_rkey_destroy(u->rkey);
  if (u->ep != NULL) {
    ucp_request_param_t p;
    memset(&p, 0, sizeof p);
    /* A failed or stalled peer cannot take part in a clean close. */
    if (!peer_ok || u->failed || u->flush_request != NULL || u->in_flight > 0) {
      p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
      p.flags = UCP_EP_CLOSE_FLAG_FORCE;
    }
    wait_closed(u, ucp_ep_close_nbx(u->ep, &p), deadline);
  }
  wait_closed(u, u->flush_request, deadline);
  while (u->in_flight > 0 && pio_bench_now() < deadline) ucp_worker_progress(u->worker);
  if (u->rkey_buffer != NULL) ucp_rkey_buffer_release(u->rkey_buffer);
  if (u->address != NULL) ucp_worker_release_address(u->worker, u->address);
  if (u->pool_memh != NULL) ucp_mem_unmap(u->context, u->pool_memh);
  if (u->worker != NULL) ucp_worker_destroy(u->worker);
  if (u->context != NULL) ucp_cleanup(u->context);
  if (u->log_pushed) ucs_log_pop_handler();
  memset(u, 0, sizeof *u);
  u->efd = -1;
}
