/* benchmarks/cmd_kvio.c — `pio-bench kvio`: reads the options, sizes the
 * pages through the model's plugin, measures the limits and the KV page IO,
 * and reports.  The timed loops are in kvio_run.c, the output in
 * kvio_report.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv_pattern.h"
#include "kvio_bench.h"

static const char kvio_usage[] =
    "usage: pio-bench kvio --model NAME [options]\n"
    "\n"
    "Writes the KV pages of one request on one rank to a file and reads them back:\n"
    "pages in the model's layout as its plugin sizes them, IOs of the plugin's page\n"
    "IO size kept --queue-depth deep on io_uring, every byte verified.  Reports\n"
    "GB/s and IOPS for access block and layer beside limits measured in the same\n"
    "run, rep by rep: the file's sequential bandwidth with 16 MiB IOs at the same\n"
    "queue depth (and each figure's share of it), and memcpy bandwidth.  O_DIRECT\n"
    "is used where the file system takes it; otherwise the page cache is dropped\n"
    "(fsync + posix_fadvise DONTNEED) before each read pass, and the report says so.\n"
    "\n"
    "  --model NAME         preset or Hugging Face model folder\n"
    "  --kv-dtype T         fp32 bf16 fp16 fp8 int8 (bf16)\n"
    "  --tp N, --pp N       parallelism of the rank simulated (1, 1)\n"
    "  --page-size N        tokens per page (16)\n"
    "  --isl N              tokens of the request (4096)\n"
    "  --access A           block, layer or both (both)\n"
    "  --dir DIR            folder for the file (default: a new folder under\n"
    "                       $TMPDIR or /var/tmp, removed afterwards)\n"
    "  --reps N             timed repetitions; figures are medians (5)\n"
    "  --queue-depth N      IOs in flight, 1-4096 (1024)\n"
    "  --io-engine E        io_uring or psync (pread/pwrite, one IO at a time)\n"
    "                       (io_uring; psync where io_uring is unavailable)\n"
    "  --buffered           never use O_DIRECT\n"
    "  --no-progress        no status line on the terminal\n"
    "  --plugin-path DIR    search DIR for plugins first (repeatable)\n"
    "  --json               print JSON instead of the table\n"
    "  -h, --help           this help\n"
    "\n"
    "kvbench's spellings work too: --page_size, --access_pattern, and model names\n"
    "such as llama3.1-8b.\n"
    "\n"
    "Exit status: 0 ok, 1 the run failed (IO error, data read back wrong),\n"
    "2 a bad option or model name.\n";

enum {
  OPT_ACCESS = PIO_BENCH_KV_OPT_END, OPT_DIR, OPT_REPS, OPT_QUEUE_DEPTH, OPT_IO_ENGINE,
  OPT_BUFFERED, OPT_NO_PROGRESS, OPT_JSON
};

static const struct option kvio_long_options[] = {
    PIO_BENCH_KV_REQUEST_OPTIONS,
    {"access", required_argument, NULL, OPT_ACCESS},
    {"dir", required_argument, NULL, OPT_DIR},
    {"reps", required_argument, NULL, OPT_REPS},
    {"queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH},
    {"io-engine", required_argument, NULL, OPT_IO_ENGINE},
    {"buffered", no_argument, NULL, OPT_BUFFERED},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    /* NVIDIA kvbench's spelling (--page_size comes with the request's). */
    {"access_pattern", required_argument, NULL, OPT_ACCESS},
    {NULL, 0, NULL, 0}};

static int take_engine(pio_bench_kvio_options *o, const char *v) {
  if (strcmp(v, "io_uring") == 0 || strcmp(v, "psync") == 0) {
    o->engine = v[0] == 'i' ? PIO_BENCH_IO_URING : PIO_BENCH_IO_PSYNC;
    return 0;
  }
  pio_bench_usage_error("kvio", "--io-engine: expected io_uring or psync, got '%s'", v);
  return -1;
}

static int kvio_take(void *ctx, int id, const char *v) {
  pio_bench_kvio_options *o = ctx;
  int taken = pio_bench_kv_request_take(&o->req, "kvio", id, v);
  if (taken != 0) return taken > 0 ? 0 : -1;
  switch (id) {
    case OPT_ACCESS:
      return pio_bench_parse_pair("kvio", "--access", v, "block", "layer", &o->access_block,
                                  &o->access_layer);
    case OPT_DIR:
      if (v[0] == '\0') { /* not "" + "/pio-kvio-XXXXXX": a file in the root folder */
        pio_bench_usage_error("kvio", "--dir: expected a folder, found ''");
        return -1;
      }
      o->dir = v;
      return 0;
    case OPT_REPS:
      return pio_bench_parse_u32("kvio", "--reps", v, 1, PIO_BENCH_KVIO_MAX_REPS, &o->reps);
    case OPT_QUEUE_DEPTH:
      return pio_bench_parse_u32("kvio", "--queue-depth", v, 1, PIO_BENCH_IO_MAX_QUEUE_DEPTH,
                                 &o->queue_depth);
    case OPT_IO_ENGINE: return take_engine(o, v);
    case OPT_BUFFERED: o->buffered = 1; return 0;
    case OPT_NO_PROGRESS: o->progress = 0; return 0;
    case OPT_JSON: o->json = 1; return 0;
  }
  return -1;
}

/* Returns 0, 1 for --help, -1 for a usage error (reported). */
static int kvio_parse(int argc, char **argv, pio_bench_kvio_options *o) {
  memset(o, 0, sizeof *o);
  pio_bench_kv_request_init(&o->req);
  o->access_block = o->access_layer = 1;
  o->reps = 5;
  o->queue_depth = PIO_BENCH_KVIO_QUEUE_DEPTH;
  o->engine = PIO_BENCH_IO_URING;
  o->progress = 1;
  int rc = pio_bench_parse_args("kvio", argc, argv, kvio_long_options, kvio_take, o);
  if (rc == 0 && o->req.model == NULL) {
    pio_bench_usage_error("kvio", "--model NAME is required");
    return -1;
  }
  return rc;
}

/* Sizes, allocates, measures.  *status is the exit status on failure. */
static pio_status kvio_run(const pio_bench_kvio_options *o, const pio_bench_model *m,
                           pio_bench_kvio_file *file, pio_bench_io_engine *engine, uint8_t **buf,
                           pio_bench_kvio_result *r, int *status, pio_error *err) {
  const uint64_t seed = 0x70696f2d6b76696full; /* "pio-kvio" */
  *status = PIO_BENCH_STATUS_USAGE; /* sharding the plugin refuses, or too large */
  pio_status s = pio_bench_kv_request_layout(&o->req, m, &r->figures, &r->layout, err);
  /* The buffer, and the page cache where IO is buffered. */
  if (s == PIO_OK) s = pio_bench_kv_layout_check_memory(&r->layout, 2, err);
  if (s != PIO_OK) return s;
  *status = PIO_BENCH_STATUS_FAILED;
  if (posix_memalign((void **)buf, PIO_BENCH_IO_BUFFER_ALIGN, r->layout.total_bytes) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "no memory for %llu bytes of KV pages",
                         (unsigned long long)r->layout.total_bytes);
  pio_bench_pattern_fill(*buf, r->layout.total_bytes, 0, seed);
  s = pio_bench_kvio_file_open(o->dir, r->layout.total_bytes, !o->buffered, file, err);
  /* Registered in whole pages: no block or layer IO straddles two
   * registered pieces (a sequential IO that does goes unregistered). */
  if (s == PIO_OK)
    s = pio_bench_io_engine_open(o->engine, o->queue_depth, *buf, r->layout.total_bytes,
                                 r->layout.page_bytes, engine, err);
  if (s != PIO_OK) return s;
  r->engine = engine->kind;
  r->queue_depth = engine->queue_depth;
  r->n_fixed = engine->n_fixed;
  snprintf(r->engine_note, sizeof r->engine_note, "%s", engine->note);
  pio_bench_progress progress;
  pio_bench_progress_init(&progress, o->progress);
  if ((s = pio_bench_memcpy_bandwidth(*buf, r->layout.total_bytes, o->reps,
                                      &r->memcpy_bytes_per_s, err)) != PIO_OK)
    return s;
  s = pio_bench_kvio_measure(file, engine, &r->layout, o->access_block, o->access_layer, seed,
                             o->reps, &progress, r, err);
  if (s == PIO_OK) *status = PIO_BENCH_STATUS_OK;
  return s;
}

int pio_bench_cmd_kvio(int argc, char **argv) {
  pio_bench_kvio_options opts;
  int parsed = kvio_parse(argc, argv, &opts);
  if (parsed == 1) {
    fputs(kvio_usage, stdout);
    return PIO_BENCH_STATUS_OK;
  }
  if (parsed != 0) return PIO_BENCH_STATUS_USAGE;
  pio_bench_model model;
  int status = pio_bench_kv_request_open(&opts.req, "kvio", opts.json, &model);
  if (status != PIO_BENCH_STATUS_OK) return status;
  pio_error err = {0};
  pio_bench_kvio_file file;
  memset(&file, 0, sizeof file);
  file.fd_buffered = file.fd_direct = -1;
  pio_bench_io_engine engine;
  memset(&engine, 0, sizeof engine);
  engine.kind = PIO_BENCH_IO_PSYNC; /* nothing to close until opened */
  uint8_t *buf = NULL;
  pio_bench_kvio_result result;
  memset(&result, 0, sizeof result);
  if (kvio_run(&opts, &model, &file, &engine, &buf, &result, &status, &err) != PIO_OK)
    pio_bench_report_error("kvio", opts.json, &err);
  else if (opts.json)
    status = pio_bench_kvio_print_json(&opts, &model, &file, &result, stdout) == 0
                 ? PIO_BENCH_STATUS_OK : PIO_BENCH_STATUS_FAILED;
  else
    pio_bench_kvio_print_table(&opts, &model, &file, &result, stdout);
  pio_bench_io_engine_close(&engine);
  pio_bench_kvio_file_close(&file);
  free(buf);
  pio_bench_model_close(&model);
  return status;
}
