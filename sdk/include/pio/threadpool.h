/* pio/threadpool.h — a fixed set of worker threads that run one task at a
 * time on every thread, for the kernels' data parallelism. */
#ifndef PIO_THREADPOOL_H
#define PIO_THREADPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pio_threadpool pio_threadpool;

/* Work of one thread: thread_index in [0, n_threads). */
typedef void (*pio_task_fn)(void *ctx, uint32_t thread_index, uint32_t n_threads);

/* Creates a pool of n_threads (0: the online cores), the caller's thread
 * counting as one.  *out owned by the caller (pio_threadpool_destroy). */
pio_status pio_threadpool_create(uint32_t n_threads, pio_threadpool **out, pio_error *err);
void pio_threadpool_destroy(pio_threadpool *pool);
uint32_t pio_threadpool_size(const pio_threadpool *pool);

/* Runs fn(ctx, i, n) for every share i in [0, n), n the pool's size, and
 * returns when all are done.  Each share runs exactly once, share 0 on the
 * caller's thread; a share no worker has started when the caller finishes
 * its own is run by the caller too, so shares are not tied to threads.
 * Not re-entrant: one run at a time per pool.  pool may be NULL, which
 * runs fn(ctx, 0, 1) on the caller's thread. */
void pio_threadpool_run(pio_threadpool *pool, pio_task_fn fn, void *ctx);

/* Memory the pool keeps for the code it runs, so a kernel called for every
 * layer does not map (and fault in) fresh pages each time: buffer `slot`
 * (0 .. size: one per share, and slot size for the caller) of at least
 * bytes bytes, 64-byte aligned, uninitialised, kept until a larger one is
 * asked for the same slot (its contents then lost) or the pool is
 * destroyed.  Share i may ask for slot i during a run (shares never run
 * concurrently with themselves); the caller may ask for any slot between
 * runs.  NULL when out of memory, slot out of range, or pool NULL. */
void *pio_threadpool_scratch(pio_threadpool *pool, uint32_t slot, size_t bytes);

/* The share [*begin, *end) of n items that thread i of n_threads takes,
 * in blocks of `align` items (align >= 1). */
void pio_split_range(size_t n, size_t align, uint32_t i, uint32_t n_threads, size_t *begin,
                     size_t *end);

/* Online cores of this machine (>= 1). */
uint32_t pio_online_cores(void);

#ifdef __cplusplus
}
#endif
#endif
