/* benchmarks/kvxfer_bench.h — `pio-bench kvxfer`: one rank's KV pages of a
 * request moved between two ranks over UCX (the engine NIXL rides on) with
 * one-sided puts and gets, every byte verified where it lands, timed beside
 * the limits measured in the same run.  The target (--listen) holds a pool;
 * the initiator (--connect) moves pages into and out of it; with neither,
 * pio-bench forks both on this machine. */
#ifndef PIO_BENCH_KVXFER_BENCH_H
#define PIO_BENCH_KVXFER_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_model.h"
#include "bench_options.h"
#include "kv_layout.h"
#include "kv_request.h"
#include "kvxfer_net.h"
#include "kvxfer_wire.h"

#define PIO_KVXFER_MAX_REPS 100u
#define PIO_KVXFER_MAX_BATCH 65536u
/* The default batch: IOs posted before each flush (see docs/benchmarks.md). */
#define PIO_KVXFER_BATCH 16u

typedef struct pio_kvxfer_options {
  pio_bench_kv_request req;
  int access_block, access_layer; /* both */
  int op_put, op_get;        /* both */
  uint32_t batch;            /* IOs in flight per flush */
  uint32_t reps;             /* 5 */
  double timeout_s;          /* the longest any wait on the peer may take */
  const char *listen;        /* "[ADDR:]PORT": this rank is the target */
  const char *connect;       /* "HOST:PORT": this rank is the initiator */
  const char *transports;    /* UCX_TLS for this rank, or NULL */
  int json;
  int progress;
} pio_kvxfer_options;

/* One access pattern and operation: every IO of the request, reps times. */
typedef struct pio_kvxfer_pass {
  int measured;
  pio_kv_access access;
  pio_kvxfer_op op;
  uint64_t io_bytes, n_ios;
  uint32_t batch;
  double seconds;            /* median over reps of the whole pass */
  double bytes_per_s, ios_per_s;
  double p50_s, p99_s;       /* of one batch (post to flush complete), every batch of every rep */
  double raw_bytes_per_s;    /* the limit: see pio_kvxfer_result */
  double of_raw;             /* median over reps of the rate over the rep's limit */
  int verified;
} pio_kvxfer_pass;

typedef struct pio_kvxfer_result {
  pio_kvxfer_shape shape;
  pio_kv_figures figures;    /* block access */
  /* [0] block, [1] layer; [.][PIO_KVXFER_PUT], [.][PIO_KVXFER_GET]. */
  pio_kvxfer_pass pass[2][2];
  uint32_t reps;
  double memcpy_bytes_per_s; /* the same pages copied on this rank */
  /* The same IOs with no verification, all in flight with one flush: in
   * each rep the raw limit is the faster of that and the verified pass. */
  double socket_bytes_per_s; /* a plain TCP stream between the ranks; 0 when not tcp */
  char target[PIO_KVXFER_HOST_MAX + 16];
  char transports[512];      /* what UCX chose, in one line */
  char protocols[512];       /* the RMA lanes' protocols, in one line */
  const char *kind;          /* "shm", "tcp", "rdma", "self", "other" */
  char *ep_info;             /* ucp_ep_print_info text, malloc'd */
  char ucx_note[256];
  char advice[768];          /* a transport far below its own limit, and what to set */
} pio_kvxfer_result;

/* The shape of this rank's pages: the model's plugin sizes them. */
pio_status pio_kvxfer_shape_of(const pio_kvxfer_options *o, const pio_bench_model *m,
                               pio_kvxfer_shape *out, pio_kv_figures *figures, pio_error *err);

/* The target: serves one initiator on listen_fd (owned; closed), then
 * returns.  Prints nothing but its listening line (quiet: not even that). */
pio_status pio_kvxfer_run_target(const pio_kvxfer_options *o, const pio_kvxfer_shape *shape,
                                 int listen_fd, pio_error *err);

/* The initiator: connects to host:port and measures; *r owned by the
 * caller (pio_kvxfer_result_free). */
pio_status pio_kvxfer_run_initiator(const pio_kvxfer_options *o, const pio_kvxfer_shape *shape,
                                    const char *host, const char *port, pio_kvxfer_result *r,
                                    pio_error *err);
void pio_kvxfer_result_free(pio_kvxfer_result *r);

/* Fills r->advice when r's transport moved far below its own limit (TCP
 * below half the plain socket, shared memory below a quarter of memcpy),
 * naming the settings to change; from the first measured pass's raw limit. */
void pio_kvxfer_advise(pio_kvxfer_result *r);

void pio_kvxfer_print_table(const pio_kvxfer_options *o, const pio_bench_model *m,
                            const pio_kvxfer_result *r, FILE *out);
int pio_kvxfer_print_json(const pio_kvxfer_options *o, const pio_bench_model *m,
                          const pio_kvxfer_result *r, FILE *out);

/* `pio-bench kvxfer ARGS`: argv[0] is "kvxfer".  Returns the exit status. */
int pio_bench_cmd_kvxfer(int argc, char **argv);

#endif
