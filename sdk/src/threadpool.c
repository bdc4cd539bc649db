/* sdk/src/threadpool.c — persistent worker threads for the kernels' data
 * parallelism.  A decode step dispatches ~100 matmuls per token, so a run
 * must cost microseconds: workers spin on a generation counter for a short
 * while after each task and only then sleep on a condition variable; the
 * caller runs share 0 itself and spins (then sleeps) until the rest finish.
 *
 * Share i (1..n-1) is worker i's, claimed by one compare-and-swap on a
 * cache line of its own, so starting a run on 16 threads is not 15 threads
 * fighting over one counter; on a machine where a worker is descheduled (2
 * cores shared with a compiler), the caller claims the shares nobody
 * started and runs them itself, rather than waiting for the scheduler to
 * bring the worker back. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pio/threadpool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* How long a thread spins before it sleeps: long enough to bridge the
 * serial work between two matmuls of a decode step, short enough that an
 * idle pool gives the cores back quickly. */
#define SPIN_NS 200000

/* Share i's claim: the last generation whose share i somebody (worker i or
 * the caller) took.  Every run's every share is taken, so before run g it
 * holds g - 1, and one compare-and-swap from g - 1 to g takes it. */
typedef struct share_slot {
  _Alignas(64) atomic_uint_fast64_t taken;
  struct pio_threadpool *pool;
  uint32_t share;
} share_slot;

struct pio_threadpool {
  uint32_t n_threads; /* workers + the caller */
  pthread_t *workers; /* n_threads - 1 */
  share_slot *slots;  /* n_threads; slot 0 unused */
  uint32_t n_started;

  /* The task of the current generation; written before generation moves. */
  pio_task_fn fn;
  void *ctx;

  atomic_uint_fast64_t generation; /* bumped once per run */
  atomic_uint pending;             /* shares 1..n-1 not yet finished */
  atomic_int stop;

  /* Sleeping: workers wait on wake for a new generation, the caller waits
   * on done for pending to reach zero.  The sleeper counts let the other
   * side skip the mutex when nobody sleeps. */
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_cond_t done;
  atomic_uint sleeping_workers;
  atomic_int caller_sleeping;

  /* pio_threadpool_scratch: n_threads + 1 buffers and their sizes. */
  void **scratch;
  size_t *scratch_bytes;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until generation differs from seen (or stop), up to SPIN_NS.
 * Returns 1 when it changed. */
static int spin_for_generation(pio_threadpool *pool, uint64_t seen) {
  uint64_t start = now_ns();
  for (uint32_t i = 1;; i++) {
    if (atomic_load_explicit(&pool->generation, memory_order_acquire) != seen ||
        atomic_load_explicit(&pool->stop, memory_order_relaxed))
      return 1;
    cpu_relax();
    if ((i & 255u) == 0 && now_ns() - start > SPIN_NS) return 0;
  }
}

static void wait_for_generation(pio_threadpool *pool, uint64_t seen) {
  if (spin_for_generation(pool, seen)) return;
  pthread_mutex_lock(&pool->lock);
  /* seq_cst: either the dispatcher sees us counted as sleeping, or we see
   * its new generation here (it bumps generation before reading the count). */
  atomic_fetch_add(&pool->sleeping_workers, 1);
  while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
    pthread_cond_wait(&pool->wake, &pool->lock);
  atomic_fetch_sub(&pool->sleeping_workers, 1);
  pthread_mutex_unlock(&pool->lock);
}

/* Takes share `slot` of run `generation`: 1 when this thread got it. */
static int take_share(share_slot *slot, uint64_t generation) {
  uint_fast64_t expected = generation - 1;
  return atomic_compare_exchange_strong_explicit(&slot->taken, &expected, generation,
                                                 memory_order_acq_rel, memory_order_relaxed);
}

static void finish_shares(pio_threadpool *pool, unsigned count) {
  if (atomic_fetch_sub(&pool->pending, count) != count) return;
  /* Last one out: wake the caller if it went to sleep (seq_cst pairs with
   * the caller setting caller_sleeping before re-reading pending). */
  if (atomic_load(&pool->caller_sleeping)) {
    pthread_mutex_lock(&pool->lock);
    pthread_cond_signal(&pool->done);
    pthread_mutex_unlock(&pool->lock);
  }
}

static void *worker_main(void *slot_ptr) {
  share_slot *slot = slot_ptr;
  pio_threadpool *pool = slot->pool;
  uint64_t seen = 0;
  for (;;) {
    wait_for_generation(pool, seen);
    if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
    seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
    /* Run `seen` cannot end before its share is taken and finished, so a
     * share taken here is of the run whose fn and ctx this thread reads;
     * a worker that saw the generation late finds it taken and waits on. */
    if (take_share(slot, seen)) {
      pool->fn(pool->ctx, slot->share, pool->n_threads);
      finish_shares(pool, 1);
    }
  }
}

uint32_t pio_online_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 1 ? (uint32_t)n : 1u;
}

static void stop_workers(pio_threadpool *pool) {
  pthread_mutex_lock(&pool->lock);
  atomic_store(&pool->stop, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (uint32_t i = 0; i < pool->n_started; i++) pthread_join(pool->workers[i], NULL);
}

static pio_status start_workers(pio_threadpool *pool, pio_error *err) {
  for (uint32_t i = 1; i < pool->n_threads; i++) {
    pool->slots[i].pool = pool;
    pool->slots[i].share = i;
    int rc = pthread_create(&pool->workers[i - 1], NULL, worker_main, &pool->slots[i]);
    if (rc != 0)
      return pio_error_set(err, PIO_ERR_INTERNAL,
                           "thread pool: cannot start worker %u of %u: %s", i,
                           pool->n_threads - 1, strerror(rc));
    pool->n_started++;
  }
  return PIO_OK;
}

pio_status pio_threadpool_create(uint32_t n_threads, pio_threadpool **out, pio_error *err) {
  if (out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "thread pool: out is NULL");
  *out = NULL;
  if (n_threads == 0) n_threads = pio_online_cores();
  if (n_threads > PIO_THREADPOOL_MAX_THREADS)
    return pio_error_set(err, PIO_ERR_LIMIT, "thread pool: %u threads asked, at most %u",
                         n_threads, (unsigned)PIO_THREADPOOL_MAX_THREADS);
  pio_threadpool *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "thread pool: out of memory");
  pool->n_threads = n_threads;
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->pending, 0);
  atomic_init(&pool->stop, 0);
  atomic_init(&pool->sleeping_workers, 0);
  atomic_init(&pool->caller_sleeping, 0);
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  pool->workers = calloc(n_threads, sizeof *pool->workers);
  pool->slots = aligned_alloc(_Alignof(share_slot), (size_t)n_threads * sizeof *pool->slots);
  for (uint32_t i = 0; pool->slots != NULL && i < n_threads; i++)
    atomic_init(&pool->slots[i].taken, 0);
  pool->scratch = calloc((size_t)n_threads + 1, sizeof *pool->scratch);
  pool->scratch_bytes = calloc((size_t)n_threads + 1, sizeof *pool->scratch_bytes);
  if (pool->workers == NULL || pool->slots == NULL || pool->scratch == NULL ||
      pool->scratch_bytes == NULL) {
    pio_threadpool_destroy(pool);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "thread pool: out of memory");
  }
  pio_status status = start_workers(pool, err);
  if (status != PIO_OK) {
    pio_threadpool_destroy(pool);
    return status;
  }
  *out = pool;
  return PIO_OK;
}

void pio_threadpool_destroy(pio_threadpool *pool) {
  if (pool == NULL) return;
  stop_workers(pool);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  for (uint32_t i = 0; pool->scratch != NULL && i <= pool->n_threads; i++) free(pool->scratch[i]);
  free(pool->scratch);
  free(pool->scratch_bytes);
  free(pool->workers);
  free(pool->slots);
  free(pool);
}

void *pio_threadpool_scratch(pio_threadpool *pool, uint32_t slot, size_t bytes) {
  if (pool == NULL || slot > pool->n_threads || pool->scratch == NULL) return NULL;
  if (pool->scratch_bytes[slot] >= bytes && pool->scratch[slot] != NULL) return pool->scratch[slot];
  free(pool->scratch[slot]);
  size_t rounded = (bytes + 63) / 64 * 64;
  pool->scratch[slot] = aligned_alloc(64, rounded > 0 ? rounded : 64);
  pool->scratch_bytes[slot] = pool->scratch[slot] != NULL ? rounded : 0;
  return pool->scratch[slot];
}

uint32_t pio_threadpool_size(const pio_threadpool *pool) {
  return pool != NULL ? pool->n_threads : 1u;
}

static void wait_for_workers(pio_threadpool *pool) {
  uint64_t start = now_ns();
  for (uint32_t i = 1;; i++) {
    if (atomic_load_explicit(&pool->pending, memory_order_acquire) == 0) return;
    cpu_relax();
    if ((i & 255u) == 0 && now_ns() - start > SPIN_NS) break;
  }
  pthread_mutex_lock(&pool->lock);
  atomic_store(&pool->caller_sleeping, 1);
  while (atomic_load(&pool->pending) != 0) pthread_cond_wait(&pool->done, &pool->lock);
  atomic_store(&pool->caller_sleeping, 0);
  pthread_mutex_unlock(&pool->lock);
}

void pio_threadpool_run(pio_threadpool *pool, pio_task_fn fn, void *ctx) {
  if (pool == NULL || pool->n_threads == 1) {
    fn(ctx, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  atomic_store_explicit(&pool->pending, pool->n_threads - 1, memory_order_relaxed);
  /* seq_cst: publishes fn, ctx, pending */
  const uint64_t generation = atomic_fetch_add(&pool->generation, 1) + 1;
  if (atomic_load(&pool->sleeping_workers) != 0) {
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
  }
  fn(ctx, 0, pool->n_threads);
  /* The shares no worker has started: a plain read first, so the shares
   * already taken cost no locked instruction. */
  unsigned ran = 0;
  for (uint32_t share = 1; share < pool->n_threads; share++) {
    share_slot *slot = &pool->slots[share];
    if (atomic_load_explicit(&slot->taken, memory_order_relaxed) == generation) continue;
    if (!take_share(slot, generation)) continue;
    fn(ctx, share, pool->n_threads);
    ran++;
  }
  if (ran > 0) finish_shares(pool, ran);
  wait_for_workers(pool);
}

void pio_split_range(size_t n, size_t align, uint32_t i, uint32_t n_threads, size_t *begin,
                     size_t *end) {
  if (align == 0) align = 1;
  if (n_threads == 0) n_threads = 1;
  size_t blocks = n / align + (n % align != 0);
  /* Blocks spread as evenly as integers allow: the first `extra` threads
   * take one block more. */
  size_t base = blocks / n_threads, extra = blocks % n_threads;
  size_t first = (size_t)i * base + (i < extra ? i : extra);
  size_t count = base + (i < extra ? 1 : 0);
  size_t b = first * align, e = (first + count) * align;
  *begin = b < n ? b : n;
  *end = e < n ? e : n;
}

void pio_chunks_init(pio_chunks *chunks, size_t total, size_t block, size_t min_items,
                     uint32_t n_shares) {
  if (block == 0) block = 1;
  if (n_shares == 0) n_shares = 1;
  *chunks = (pio_chunks){.total = total, .block = block, .min_items = min_items > 0 ? min_items : 1,
                         .max_items = total / (8 * (size_t)n_shares), .n_shares = n_shares};
}

int pio_chunks_take(pio_chunks *chunks, size_t *begin, size_t *end) {
  const size_t total = chunks->total, block = chunks->block;
  size_t at = __atomic_load_n(&chunks->next, __ATOMIC_RELAXED);
  for (;;) {
    if (at >= total) return 0;
    size_t size = (total - at) / (2 * (size_t)chunks->n_shares);
    if (size > chunks->max_items) size = chunks->max_items;
    if (size < chunks->min_items) size = chunks->min_items;
    size = (size + block - 1) / block * block;
    const size_t stop = total - at > size ? at + size : total;
    /* relaxed: a chunk's items are the caller's data, published by the
     * pool's run and read back after it */
    if (__atomic_compare_exchange_n(&chunks->next, &at, stop, 1, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
      *begin = at;
      *end = stop;
      return 1;
    }
  }
}
