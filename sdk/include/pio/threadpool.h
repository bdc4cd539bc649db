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

/* The most threads one pool may have; far above any machine we target and
 * keeps a hostile --threads from exhausting the process.  Tools refuse
 * more as bad usage, before loading anything. */
#define PIO_THREADPOOL_MAX_THREADS 1024u

/* Creates a pool of n_threads (0: the online cores; at most
 * PIO_THREADPOOL_MAX_THREADS), the caller's thread counting as one.  *out
 * owned by the caller (pio_threadpool_destroy). */
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

/* Items [0, total) handed out to the shares of a run in guided chunks, for
 * work whose shares should not be fixed halves: a share takes 1/(2 n) of
 * what is left (n the shares), at most 1/(8 n) of the total and at least
 * min_items, in whole blocks of `block` items.  A thread descheduled by
 * other work then holds up one small chunk while the others take the rest,
 * and chunks shrink towards the end so the threads finish together.  Set
 * up before the run (pio_chunks_init), taken by any share during it. */
typedef struct pio_chunks {
  size_t next; /* first item not taken; only through pio_chunks_take */
  size_t total, block, min_items, max_items;
  uint32_t n_shares;
} pio_chunks;

void pio_chunks_init(pio_chunks *chunks, size_t total, size_t block, size_t min_items,
                     uint32_t n_shares);
/* The next chunk [*begin, *end): 1, or 0 when every item is taken.
 * Thread-safe. */
int pio_chunks_take(pio_chunks *chunks, size_t *begin, size_t *end);

/* Online cores of this machine (>= 1). */
uint32_t pio_online_cores(void);

#ifdef __cplusplus
}
#endif
#endif
