/* benchmarks/kvxfer_fault.h — faults kvxfer's tests inject: with
 * PIO_BENCH_KVXFER_FAULT=NAME in its environment a rank ends at once
 * (_exit, no cleanup, as a crash would) at the point named NAME, so that
 * the other rank's handling of a peer dying mid-transfer can be tested
 * exactly there.  Names: target-exit-after-ready (the target, once it has
 * said READY for the first pass), initiator-exit-mid-pass (the initiator,
 * halfway through posting the first pass). */
#ifndef PIO_BENCH_KVXFER_FAULT_H
#define PIO_BENCH_KVXFER_FAULT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void pio_kvxfer_fault_at(const char *name) {
  const char *fault = getenv("PIO_BENCH_KVXFER_FAULT");
  if (fault != NULL && strcmp(fault, name) == 0) _exit(3);
}

#endif
