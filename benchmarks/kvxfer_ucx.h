/* benchmarks/kvxfer_ucx.h — the UCX side of `pio-bench kvxfer`: a context
 * and worker, the KV pool allocated and registered by UCX (so that shared
 * memory, CMA, TCP and RDMA transports can all reach it one-sided), the
 * worker address and memory key to hand the peer, an endpoint to the peer
 * with peer-failure handling, one-sided puts and gets posted in batches,
 * flushes bounded by a deadline, and what transports UCX chose. */
#ifndef PIO_BENCH_KVXFER_UCX_H
#define PIO_BENCH_KVXFER_UCX_H

#include <stddef.h>
#include <stdint.h>
#include <ucp/api/ucp.h>

#include "kvxfer_net.h"
#include "kvxfer_wire.h"
#include "pio/status.h"

typedef struct pio_kvxfer_ucx {
  ucp_context_h context;
  ucp_worker_h worker;
  int efd;                   /* the worker's event fd, or -1 */
  ucp_mem_h pool_memh;
  uint8_t *pool;             /* allocated by UCX: ucp_mem_map(ALLOCATE) */
  uint64_t pool_len;
  ucp_address_t *address;    /* this worker's, for the peer */
  size_t address_len;
  void *rkey_buffer;         /* the pool's packed key, for the peer */
  size_t rkey_len;
  ucp_ep_h ep;               /* to the peer */
  ucp_rkey_h rkey;           /* the peer's pool */
  uint64_t remote_base;
  void *flush_request;       /* a flush given up on (timeout), freed at close */
  uint64_t in_flight;        /* posted operations not yet complete */
  int failed;                /* the endpoint or an operation failed */
  ucs_status_t failure;
  char note[256];            /* what pio set in UCX's configuration */
  int log_pushed;            /* UCX's log goes to stderr while open */
} pio_kvxfer_ucx;

/*
 * Sets up UCX with transports tls (NULL: UCX's choice, or UCX_TLS) and a
 * pool of pool_len bytes allocated and registered by UCX.  Peer failure is
 * handled (UCP_ERR_HANDLING_MODE_PEER); for UCX's shared-memory transports
 * to take part, MM_ERROR_HANDLING is set to y unless UCX_MM_ERROR_HANDLING
 * says otherwise (note says so).  Release with pio_kvxfer_ucx_close, also
 * after a failure.
 */
pio_status pio_kvxfer_ucx_open(pio_kvxfer_ucx *u, const char *tls, uint64_t pool_len,
                               pio_error *err);
/* peer_ok 0 (the run failed): the endpoint is closed by force, without
 * waiting on a peer that may be gone. */
void pio_kvxfer_ucx_close(pio_kvxfer_ucx *u, int peer_ok);

/* Packs the pool's memory key into rkey_buffer (the target). */
pio_status pio_kvxfer_ucx_pack_rkey(pio_kvxfer_ucx *u, pio_error *err);

/* Connects to the peer's worker address with peer-failure handling and
 * unpacks its pool's key (the initiator).  The target connects back with
 * rkey NULL: UCX answers the initiator's operations over that endpoint, and
 * one without failure handling would make a dying initiator fatal to the
 * target.  The blobs come off the wire: UCX checks them. */
pio_status pio_kvxfer_ucx_connect(pio_kvxfer_ucx *u, const pio_kvxfer_blob *address,
                                  const pio_kvxfer_blob *rkey, uint64_t remote_base,
                                  pio_error *err);

/* pio_kvxfer_idle_fn over ctx = the pio_kvxfer_ucx. */
int pio_kvxfer_ucx_idle(void *ctx, pio_error *err);

/* Posts one put (pool -> peer) or get (peer -> pool) of len bytes at offset
 * in both pools.  Completion comes with the next flush. */
pio_status pio_kvxfer_ucx_post(pio_kvxfer_ucx *u, pio_kvxfer_op op, uint64_t offset, uint64_t len,
                               pio_error *err);

/* Waits until every posted operation has completed at the peer, failing
 * when none completes for timeout_s; watches the control channel for a
 * peer that went away, and keeps it alive (ALIVE) through long waits. */
pio_status pio_kvxfer_ucx_flush(pio_kvxfer_ucx *u, pio_kvxfer_channel *control, double timeout_s,
                                pio_error *err);

/* What the endpoint uses, as ucp_ep_print_info prints it (malloc'd; the
 * caller frees), and in one line: "sysv/memory.0 (am am_bw keepalive),
 * posix/memory.0" into out.  kind receives "shm", "tcp", "rdma" or "self". */
char *pio_kvxfer_ucx_ep_info(pio_kvxfer_ucx *u);
void pio_kvxfer_ucx_summarize(const char *info, char *out, size_t size, const char **kind);
/* The protocols of the RMA lanes, "put on sysv/memory.0 0..<short>..4294967296
 * ..<bcopy>..(inf); get on ...", or that there are none (software RMA over
 * active messages, as over TCP). */
void pio_kvxfer_ucx_protocols(const char *info, char *out, size_t size);

#endif
