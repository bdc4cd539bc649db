/* benchmarks/kvio_bench.h — `pio-bench kvio`: the KV pages of one request on
 * one rank, in the model's layout as its plugin sizes it, written to a file
 * and read back in IOs of the page size through io_uring, verified, and
 * timed beside the limits measured in the same run. */
#ifndef PIO_BENCH_KVIO_BENCH_H
#define PIO_BENCH_KVIO_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_model.h"
#include "bench_options.h"
#include "io_engine.h"
#include "io_limits.h"
#include "kv_layout.h"
#include "kv_request.h"
#include "kvio_file.h"
#include "progress.h"

#define PIO_BENCH_KVIO_MAX_REPS 100u
/* The default queue depth: see docs/benchmarks.md for the runs that chose it. */
#define PIO_BENCH_KVIO_QUEUE_DEPTH 1024u

typedef struct pio_bench_kvio_options {
  pio_bench_kv_request req;
  int access_block;        /* measure access block (default both) */
  int access_layer;
  const char *dir;         /* NULL: a temporary folder */
  uint32_t reps;           /* 5 */
  uint32_t queue_depth;    /* IOs in flight (PIO_BENCH_KVIO_QUEUE_DEPTH) */
  pio_bench_io_kind engine; /* io_uring */
  int buffered;            /* never O_DIRECT */
  int json;
  int progress;            /* status line on a terminal */
} pio_bench_kvio_options;

/* One pass pattern of a rep: IOs of io_bytes over the whole buffer, written
 * (then fsync) and read back. */
typedef struct pio_bench_kvio_pass {
  int measured;
  uint64_t io_bytes;       /* block, layer: as the plugin gives io_bytes_per_page */
  uint64_t n_ios;
  int direct;              /* O_DIRECT used for this pattern */
  double write_s, read_s;  /* medians over reps */
  double write_bytes_per_s, read_bytes_per_s;
  double write_iops, read_iops;
  /* The pass's limit in a rep: the faster of it and the rep's 16 MiB pass,
   * which write and read the same file front to back; medians over reps. */
  double write_limit_bytes_per_s, read_limit_bytes_per_s;
  /* Medians over reps of this pass's rate over the rep's limit. */
  double write_of_limit, read_of_limit;
  int verified;            /* every byte read back matched, every rep */
  /* Each rep's seconds, in rep order: how noisy the medians are. */
  double write_each_s[PIO_BENCH_KVIO_MAX_REPS], read_each_s[PIO_BENCH_KVIO_MAX_REPS];
} pio_bench_kvio_pass;

typedef struct pio_bench_kvio_result {
  pio_kv_figures figures;  /* block access */
  pio_bench_kv_layout layout;
  pio_bench_kvio_pass seq;   /* IOs of PIO_BENCH_SEQ_IO_BYTES */
  pio_bench_kvio_pass block, layer;
  double memcpy_bytes_per_s;
  uint32_t reps;
  pio_bench_io_kind engine; /* what ran, after any fallback */
  uint32_t queue_depth;
  unsigned n_fixed;         /* registered buffers; 0: none */
  char engine_note[256];
} pio_bench_kvio_result;

/* Runs reps reps over file f through engine e (set up over buf, which holds
 * the pages filled with the pattern of seed and holds it again on return).
 * Each rep writes and reads back the file front to back in large IOs and
 * in the block and layer IOs asked for, in an order that turns with the
 * rep, so that limit and figures share the machine's moods.  Fills r's
 * passes and limit.
 * A byte read back wrong is PIO_ERR_INTERNAL naming its offset. */
pio_status pio_bench_kvio_measure(const pio_bench_kvio_file *f, pio_bench_io_engine *e,
                                  const pio_bench_kv_layout *l, int block, int layer,
                                  uint64_t seed, uint32_t reps, pio_bench_progress *progress,
                                  pio_bench_kvio_result *r, pio_error *err);

void pio_bench_kvio_print_table(const pio_bench_kvio_options *o, const pio_bench_model *m,
                                const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                                FILE *out);
int pio_bench_kvio_print_json(const pio_bench_kvio_options *o, const pio_bench_model *m,
                              const pio_bench_kvio_file *f, const pio_bench_kvio_result *r,
                              FILE *out);

/* `pio-bench kvio ARGS`: argv[0] is "kvio".  Returns the exit status. */
int pio_bench_cmd_kvio(int argc, char **argv);

#endif
