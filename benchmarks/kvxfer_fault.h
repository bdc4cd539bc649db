/* benchmarks/kvxfer_fault.h — faults kvxfer's tests inject: with
 * PIO_BENCH_KVXFER_FAULT=NAME in its environment a rank ends at once
 * (_exit, no cleanup, as a crash would) at the point named NAME, so that
 * the other rank's handling of a peer dying mid-transfer can be tested
 * exactly there.  Names: target-exit-after-ready (the target, once it has
 * said READY for the first pass), initiator-exit-mid-pass (the initiator,
 * halfway through posting the first pass).  target-flip-byte does not end
 * the rank: the target flips one bit of its pool (page 1, layer 1, byte 7)
 * before each verification and after filling it for a get, so that the
 * tests see verification fail. */
#ifndef PIO_BENCH_KVXFER_FAULT_H
#define PIO_BENCH_KVXFER_FAULT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int pio_kvxfer_fault_is(const char *name) {
  const char *fault = getenv("PIO_BENCH_KVXFER_FAULT");
  return fault != NULL && strcmp(fault, name) == 0;
}

static inline void pio_kvxfer_fault_at(const char *name) {
  if (pio_kvxfer_fault_is(name)) _exit(3);
}

#endif
