/* benchmarks/cmd_kvxfer.c — `pio-bench kvxfer`: reads the options, sizes
 * the pages through the model's plugin, and runs this rank: the target
 * (--listen), the initiator (--connect), or both forked on this machine. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvxfer_bench.h"
#include "stats.h"

static const char kvxfer_usage[] =
    "usage: pio-bench kvxfer --model NAME --listen [ADDR:]PORT [options]    (target)\n"
    "       pio-bench kvxfer --model NAME --connect HOST:PORT [options]     (initiator)\n"
    "       pio-bench kvxfer --model NAME [options]           (both ranks, on this machine)\n"
    "\n"
    "Moves the KV pages of one request on one rank between two ranks over UCX, as\n"
    "disaggregated serving moves them from prefill to decode: the target holds a\n"
    "pool registered with UCX; the initiator puts its pages into it and gets them\n"
    "back one-sided, in IOs of the plugin's page IO size (access block and layer),\n"
    "--batch IOs at a time, each batch flushed.  Every byte is verified where it\n"
    "lands.  Reports GB/s, IOs/s and p50/p99 batch latency beside limits measured\n"
    "in the same run: the same IOs with no verification all in flight (raw UCX),\n"
    "memcpy of the pages, and for TCP a plain socket between the ranks; names the\n"
    "transports UCX chose and flags one far below its own limit.  Both ranks must\n"
    "be given the same model and KV options; UCX_* variables tune UCX as usual.\n"
    "kvbench's spellings work too: --page_size, --access_pattern.\n"
    "\n"
    "  --model NAME         preset or Hugging Face model folder\n"
    "  --listen [ADDR:]PORT this rank is the target; PORT 0 picks a free one\n"
    "  --connect HOST:PORT  this rank is the initiator\n"
    "  --kv-dtype T         fp32 bf16 fp16 fp8 int8 (bf16)\n"
    "  --tp N, --pp N       parallelism of the rank simulated (1, 1)\n"
    "  --page-size N        tokens per page (16)\n"
    "  --isl N              tokens of the request (4096)\n"
    "  --access A           block, layer or both (both)\n"
    "  --op O               put, get or both (both)\n"
    "  --batch N            IOs posted before each flush, 1-65536 (16)\n"
    "  --reps N             timed repetitions; figures are medians (5)\n"
    "  --transports LIST    UCX transports for this rank (UCX_TLS), e.g. tcp or\n"
    "                       sysv,posix,cma (UCX's choice)\n"
    "  --timeout S          the longest any wait on the other rank may take (30)\n"
    "  --no-progress        no status line on the terminal\n"
    "  --plugin-path DIR    search DIR for plugins first (repeatable)\n"
    "  --json               print JSON instead of the table\n"
    "  -h, --help           this help\n"
    "\n"
    "Exit status: 0 ok, 1 the run failed (the peer failed, refused or went away,\n"
    "the shapes differ, a timeout, data arrived wrong), 2 a bad option or model.\n";

enum {
  OPT_LISTEN = PIO_BENCH_KV_OPT_END, OPT_CONNECT, OPT_ACCESS, OPT_OP, OPT_BATCH, OPT_REPS,
  OPT_TRANSPORTS, OPT_TIMEOUT, OPT_NO_PROGRESS, OPT_JSON
};

static const struct option kvxfer_long_options[] = {
    PIO_BENCH_KV_REQUEST_OPTIONS,
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"access", required_argument, NULL, OPT_ACCESS},
    {"op", required_argument, NULL, OPT_OP},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"reps", required_argument, NULL, OPT_REPS},
    {"transports", required_argument, NULL, OPT_TRANSPORTS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    /* NVIDIA kvbench's spelling (--page_size comes with the request's). */
    {"access_pattern", required_argument, NULL, OPT_ACCESS},
    {NULL, 0, NULL, 0}};

static int kvxfer_take(void *ctx, int id, const char *v) {
  pio_kvxfer_options *o = ctx;
  int taken = pio_bench_kv_request_take(&o->req, "kvxfer", id, v);
  if (taken != 0) return taken > 0 ? 0 : -1;
  switch (id) {
    case OPT_LISTEN: o->listen = v; return 0;
    case OPT_CONNECT: o->connect = v; return 0;
    case OPT_ACCESS:
      return pio_bench_parse_pair("kvxfer", "--access", v, "block", "layer", &o->access_block,
                                  &o->access_layer);
    case OPT_OP: return pio_bench_parse_pair("kvxfer", "--op", v, "put", "get", &o->op_put,
                                             &o->op_get);
    case OPT_BATCH:
      return pio_bench_parse_u32("kvxfer", "--batch", v, 1, PIO_KVXFER_MAX_BATCH, &o->batch);
    case OPT_REPS:
      return pio_bench_parse_u32("kvxfer", "--reps", v, 1, PIO_KVXFER_MAX_REPS, &o->reps);
    case OPT_TRANSPORTS:
      if (v[0] == '\0') { /* UCX_TLS="" is UCX's error, three lines long, after the setup */
        pio_bench_usage_error("kvxfer", "--transports: expected a UCX transport list such as "
                              "tcp, found ''");
        return -1;
      }
      o->transports = v;
      return 0;
    case OPT_TIMEOUT:
      return pio_bench_parse_double("kvxfer", "--timeout", v, 0.1, 86400.0, &o->timeout_s);
    case OPT_NO_PROGRESS: o->progress = 0; return 0;
    case OPT_JSON: o->json = 1; return 0;
  }
  return -1;
}

/* Returns 0, 1 for --help, -1 for a usage error (reported). */
static int kvxfer_parse(int argc, char **argv, pio_kvxfer_options *o) {
  memset(o, 0, sizeof *o);
  pio_bench_kv_request_init(&o->req);
  o->access_block = o->access_layer = 1;
  o->op_put = o->op_get = 1;
  o->batch = PIO_KVXFER_BATCH;
  o->reps = 5;
  o->timeout_s = 30.0;
  o->progress = 1;
  int rc = pio_bench_parse_args("kvxfer", argc, argv, kvxfer_long_options, kvxfer_take, o);
  if (rc != 0) return rc;
  if (o->req.model == NULL) {
    pio_bench_usage_error("kvxfer", "--model NAME is required");
    return -1;
  }
  if (o->listen != NULL && o->connect != NULL) {
    pio_bench_usage_error("kvxfer", "--listen and --connect: a rank is one or the other");
    return -1;
  }
  return 0;
}

pio_status pio_kvxfer_shape_of(const pio_kvxfer_options *o, const pio_bench_model *m,
                               pio_kvxfer_shape *out, pio_kv_figures *figures, pio_error *err) {
  memset(out, 0, sizeof *out);
  pio_status s = pio_bench_kv_request_layout(&o->req, m, figures, &out->layout, err);
  if (s != PIO_OK) return s;
  snprintf(out->model, sizeof out->model, "%s", m->resolved.name);
  out->kv_dtype = (uint32_t)o->req.kv_dtype;
  out->tp = o->req.tp;
  out->pp = o->req.pp;
  out->page_size = o->req.page_size;
  out->isl = o->req.isl;
  return PIO_OK;
}

/* role "" for this rank; " (target)" for the forked target, which says
 * it on stderr only: stdout is the initiator's table or JSON. */
static int report_failure(const pio_kvxfer_options *o, const char *role, const pio_error *err) {
  if (role[0] == '\0')
    pio_bench_report_error("kvxfer", o->json, err);
  else
    fprintf(stderr, "pio-bench kvxfer%s: %s\n", role, err->message);
  return PIO_BENCH_STATUS_FAILED;
}

/* The target on listen_fd; quiet in the one-command mode. */
static int target_rank(const pio_kvxfer_options *o, const pio_kvxfer_shape *shape, int listen_fd,
                       const char *role) {
  pio_error err = {0};
  if (pio_kvxfer_run_target(o, shape, listen_fd, &err) != PIO_OK)
    return report_failure(o, role, &err);
  return PIO_BENCH_STATUS_OK;
}

static int initiator_rank(const pio_kvxfer_options *o, const pio_bench_model *m,
                          const pio_kvxfer_shape *shape, const pio_kv_figures *figures,
                          const char *host, const char *port) {
  pio_kvxfer_result r;
  pio_error err = {0};
  int status = PIO_BENCH_STATUS_OK;
  pio_status s = pio_kvxfer_run_initiator(o, shape, host, port, &r, &err);
  r.figures = *figures;
  if (s != PIO_OK)
    status = report_failure(o, "", &err);
  else if (o->json)
    status = pio_kvxfer_print_json(o, m, &r, stdout) == 0 ? PIO_BENCH_STATUS_OK
                                                          : PIO_BENCH_STATUS_FAILED;
  else
    pio_kvxfer_print_table(o, m, &r, stdout);
  pio_kvxfer_result_free(&r);
  return status;
}

static int listen_on(const pio_kvxfer_options *o, const char *text, int *fd,
                     char bound[PIO_KVXFER_HOST_MAX + 16]) {
  char host[PIO_KVXFER_HOST_MAX], port[8];
  pio_error err = {0};
  if (pio_kvxfer_parse_address(text, 0, host, port, &err) != PIO_OK) {
    pio_bench_usage_error("kvxfer", "--listen %s", err.message);
    return PIO_BENCH_STATUS_USAGE;
  }
  if (pio_kvxfer_listen(host, port, fd, bound, &err) != PIO_OK) return report_failure(o, "", &err);
  return PIO_BENCH_STATUS_OK;
}

/* Waits for the forked target within timeout_s, then stops it. */
static int wait_target(pid_t pid, double timeout_s) {
  double deadline = pio_bench_now() + timeout_s;
  int ws = 0;
  for (;;) {
    pid_t w = waitpid(pid, &ws, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return PIO_BENCH_STATUS_FAILED;
    if (pio_bench_now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &ws, 0);
      fprintf(stderr, "pio-bench kvxfer: the target rank did not finish within %g s; stopped "
                      "it\n", timeout_s);
      return PIO_BENCH_STATUS_FAILED;
    }
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return PIO_BENCH_STATUS_OK;
  if (WIFSIGNALED(ws))
    fprintf(stderr, "pio-bench kvxfer: the target rank died of signal %d\n", WTERMSIG(ws));
  return PIO_BENCH_STATUS_FAILED;
}

/* Both ranks here: the target forked on a loopback port the kernel picks. */
static int both_ranks(const pio_kvxfer_options *o, pio_bench_model *m,
                      const pio_kvxfer_shape *shape, const pio_kv_figures *figures) {
  int fd = -1;
  char bound[PIO_KVXFER_HOST_MAX + 16];
  int status = listen_on(o, "127.0.0.1:0", &fd, bound);
  if (status != PIO_BENCH_STATUS_OK) return status;
  const char *port = strrchr(bound, ':') + 1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    fprintf(stderr, "pio-bench kvxfer: fork: %s\n", strerror(errno));
    return PIO_BENCH_STATUS_FAILED;
  }
  if (pid == 0) {
    status = target_rank(o, shape, fd, " (target)");
    pio_bench_model_close(m);
    exit(status);
  }
  close(fd);
  status = initiator_rank(o, m, shape, figures, "127.0.0.1", port);
  int target = wait_target(pid, o->timeout_s + 5.0);
  return status != PIO_BENCH_STATUS_OK ? status : target;
}

static int run_rank(const pio_kvxfer_options *o, pio_bench_model *m,
                    const pio_kvxfer_shape *shape, const pio_kv_figures *figures) {
  if (o->connect != NULL) {
    char host[PIO_KVXFER_HOST_MAX], port[8];
    pio_error err = {0};
    if (pio_kvxfer_parse_address(o->connect, 1, host, port, &err) != PIO_OK) {
      pio_bench_usage_error("kvxfer", "--connect %s", err.message);
      return PIO_BENCH_STATUS_USAGE;
    }
    return initiator_rank(o, m, shape, figures, host, port);
  }
  if (o->listen == NULL) return both_ranks(o, m, shape, figures);
  int fd = -1;
  char bound[PIO_KVXFER_HOST_MAX + 16];
  int status = listen_on(o, o->listen, &fd, bound);
  if (status != PIO_BENCH_STATUS_OK) return status;
  /* Scripts wait for this line (and read the port when they asked for 0). */
  fprintf(stderr, "pio-bench kvxfer: target listening on %s (%s, %llu bytes of KV pages)\n",
          bound, shape->model, (unsigned long long)shape->layout.total_bytes);
  status = target_rank(o, shape, fd, "");
  if (status == PIO_BENCH_STATUS_OK)
    printf("pio-bench kvxfer: target: served the initiator to its goodbye; every put it asked "
           "this rank to check landed right\n");
  return status;
}

int pio_bench_cmd_kvxfer(int argc, char **argv) {
  pio_kvxfer_options opts;
  int parsed = kvxfer_parse(argc, argv, &opts);
  if (parsed == 1) {
    fputs(kvxfer_usage, stdout);
    return PIO_BENCH_STATUS_OK;
  }
  if (parsed != 0) return PIO_BENCH_STATUS_USAGE;
  pio_bench_model model;
  int status = pio_bench_kv_request_open(&opts.req, "kvxfer", opts.json, &model);
  if (status != PIO_BENCH_STATUS_OK) return status;
  pio_error err = {0};
  pio_kvxfer_shape shape;
  pio_kv_figures figures;
  unsigned pools = opts.listen == NULL && opts.connect == NULL ? 2 : 1;
  if (pio_kvxfer_shape_of(&opts, &model, &shape, &figures, &err) != PIO_OK ||
      pio_bench_kv_layout_check_memory(&shape.layout, pools, &err) != PIO_OK) {
    pio_bench_report_error("kvxfer", opts.json, &err);
    status = PIO_BENCH_STATUS_USAGE;
  } else {
    status = run_rank(&opts, &model, &shape, &figures);
  }
  pio_bench_model_close(&model);
  return status;
}
