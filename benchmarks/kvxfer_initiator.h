/* benchmarks/kvxfer_initiator.h — the initiator rank's state, shared by its
 * handshake and teardown (kvxfer_initiator.c) and its timed passes
 * (kvxfer_measure.c). */
#ifndef PIO_BENCH_KVXFER_INITIATOR_H
#define PIO_BENCH_KVXFER_INITIATOR_H

#include "kvxfer_bench.h"
#include "kvxfer_ucx.h"
#include "progress.h"

typedef struct pio_kvxfer_initiator {
  pio_kvxfer_channel ch;      /* large: the receive frame is inside */
  pio_kvxfer_ucx ucx;
  const pio_kvxfer_options *o;
  const pio_kvxfer_shape *shape;
  pio_bench_progress progress;
  uint64_t seed;              /* the last pattern's; each pass takes a new one */
  uint8_t frame[PIO_KVXFER_HEADER_BYTES + PIO_KVXFER_MAX_PAYLOAD];
} pio_kvxfer_initiator;

/* The limits and every pass the options ask for, into r. */
pio_status pio_kvxfer_measure(pio_kvxfer_initiator *in, pio_kvxfer_result *r, pio_error *err);

#endif
