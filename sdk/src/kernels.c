/* sdk/src/kernels.c — picks a kernel path by CPU feature and build, and
 * spreads matmuls over the thread pool by output rows. */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "pio/cpu.h"
#include "pio/threadpool.h"

/* Below this many multiply-adds a matmul runs on the caller's thread: waking
 * the pool would cost more than it saves. */
#define MATMUL_THREADING_MIN_MACS (1u << 15)
/* The smallest share of weights a thread takes at once. */
#ifndef PIO_MATMUL_MIN_KIB
#define PIO_MATMUL_MIN_KIB 64u
#endif
#define MATMUL_MIN_BYTES (PIO_MATMUL_MIN_KIB << 10)
/* A share of a matrix in a bf16 layout is whole 32-row blocks (two panels). */
#define LAID_OUT_ROW_BLOCK 32u

static const pio_k_path_ops *path_ops(pio_kernel_path path) {
  switch (path) {
#if defined(PIO_HAVE_AVX2)
    case PIO_KERNEL_AVX2: return &pio_k_avx2_ops;
#endif
#if defined(PIO_HAVE_AVX512)
    case PIO_KERNEL_AVX512: return &pio_k_avx512_ops;
#endif
#if defined(PIO_HAVE_AVX512_BF16)
    case PIO_KERNEL_AVX512_BF16: return &pio_k_avx512bf16_ops;
#endif
#if defined(PIO_HAVE_AMX)
    case PIO_KERNEL_AMX_BF16: return &pio_k_amx_ops;
#endif
    default: return NULL;
  }
}

int pio_kernel_path_available(pio_kernel_path path) {
  if (path == PIO_KERNEL_SCALAR) return 1;
  if (path_ops(path) == NULL) return 0;
  switch (path) {
    case PIO_KERNEL_AVX2:
      return pio_cpu_has(PIO_CPU_AVX2) && pio_cpu_has(PIO_CPU_FMA) && pio_cpu_has(PIO_CPU_F16C);
    case PIO_KERNEL_AVX512:
      return pio_cpu_has(PIO_CPU_AVX512F) && pio_cpu_has(PIO_CPU_AVX512BW) &&
             pio_cpu_has(PIO_CPU_AVX512VL);
    case PIO_KERNEL_AVX512_BF16:
      return pio_kernel_path_available(PIO_KERNEL_AVX512) && pio_cpu_has(PIO_CPU_AVX512_BF16);
    case PIO_KERNEL_AMX_BF16:
      return pio_kernel_path_available(PIO_KERNEL_AVX512_BF16) && pio_cpu_amx_granted(NULL);
    default: return 0;
  }
}

const char *pio_kernel_path_unavailable_reason(pio_kernel_path path) {
  if (pio_kernel_path_available(path)) return NULL;
  if ((unsigned)path >= PIO_KERNEL_PATH_COUNT) return "there is no such kernel path";
  if (path_ops(path) == NULL)
    return "this build has no such path (the compiler did not take its ISA flags, or this is "
           "not x86-64)";
  switch (path) {
    case PIO_KERNEL_AVX2: return "this CPU lacks avx2, fma or f16c";
    case PIO_KERNEL_AVX512:
      return "this CPU lacks avx512f, avx512bw or avx512vl (or the OS does not save their "
             "registers)";
    case PIO_KERNEL_AVX512_BF16:
      return pio_kernel_path_available(PIO_KERNEL_AVX512)
                 ? "this CPU lacks avx512_bf16"
                 : pio_kernel_path_unavailable_reason(PIO_KERNEL_AVX512);
    case PIO_KERNEL_AMX_BF16: {
      if (!pio_kernel_path_available(PIO_KERNEL_AVX512_BF16))
        return pio_kernel_path_unavailable_reason(PIO_KERNEL_AVX512_BF16);
      const char *why = NULL;
      pio_cpu_amx_granted(&why);
      return why;
    }
    default: return "unavailable";
  }
}

size_t pio_kernel_one_token_prefetch(void) {
#ifdef PIO_ONE_TOKEN_PREFETCH
  return PIO_ONE_TOKEN_PREFETCH;
#else
  return pio_cpu_is_intel() ? PIO_KERNEL_ONE_TOKEN_PREFETCH_INTEL : 0u;
#endif
}

int pio_kernel_path_parse(const char *name, pio_kernel_path *out) {
  for (int p = 0; name != NULL && p < PIO_KERNEL_PATH_COUNT; p++) {
    if (strcmp(name, pio_kernel_path_name((pio_kernel_path)p)) == 0) {
      *out = (pio_kernel_path)p;
      return 0;
    }
  }
  return -1;
}

pio_kernel_path pio_kernel_best(void) {
  for (int p = PIO_KERNEL_AVX512_BF16; p > PIO_KERNEL_SCALAR; p--)
    if (pio_kernel_path_available((pio_kernel_path)p)) return (pio_kernel_path)p;
  return PIO_KERNEL_SCALAR;
}

const char *pio_kernel_path_name(pio_kernel_path path) {
  switch (path) {
    case PIO_KERNEL_SCALAR: return "scalar";
    case PIO_KERNEL_AVX2: return "avx2";
    case PIO_KERNEL_AVX512: return "avx512";
    case PIO_KERNEL_AVX512_BF16: return "avx512bf16";
    case PIO_KERNEL_AMX_BF16: return "amx_bf16";
    default: return "unknown";
  }
}

/* The ops of path when it can run here, else the scalar ones: a caller
 * passing an unavailable path gets correct results rather than SIGILL. */
static const pio_k_path_ops *usable_ops(pio_kernel_path path) {
  const pio_k_path_ops *ops = pio_kernel_path_available(path) ? path_ops(path) : NULL;
  return ops != NULL ? ops : &pio_k_scalar_ops;
}

/* The best path's ops, looked up once: the CPU does not change under us. */
static const pio_k_path_ops *best_ops(void) {
  static const pio_k_path_ops *_Atomic cached;
  const pio_k_path_ops *ops = cached;
  if (ops == NULL) {
    ops = usable_ops(pio_kernel_best());
    cached = ops;
  }
  return ops;
}

typedef struct matmul_task {
  pio_chunks rows; /* w's rows in guided chunks: whole row blocks, >= ~64 KiB of weights */
  const pio_k_path_ops *ops;
  const pio_matrix *w;
  const float *x;        /* x[n][x_stride] */
  size_t x_stride;
  void *packed;          /* x packed by ops->pack, or NULL: f32 activations */
  size_t pack_units;
  int packed_owned;      /* packed is this call's (freed at its end), not the pool's */
  pio_threadpool *pool;  /* whose kept scratch the shares use, or NULL */
  unsigned char *scratch; /* without a pool: the one share's scratch, or NULL */
  int scratch_owned;      /* scratch is this call's (freed at its end), not the thread's */
  size_t scratch_bytes;   /* each share's */
  size_t n;
  float *y;              /* y[n][rows] */
} matmul_task;

/* Share thread_index's scratch of the packed route, or NULL. */
static void *share_scratch(matmul_task *task, uint32_t thread_index) {
  if (task->scratch_bytes == 0) return NULL;
  if (task->scratch != NULL) return task->scratch + thread_index * task->scratch_bytes;
  return pio_threadpool_scratch(task->pool, thread_index, task->scratch_bytes);
}

/* Threads take rows in guided chunks (pio_chunks) rather than fixed shares: on a
 * machine where other work steals a core for a while, the other threads
 * take up its rows instead of waiting for it. */
static void matmul_task_run(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  matmul_task *task = ctx;
  size_t begin, end;
  while (pio_chunks_take(&task->rows, &begin, &end)) {
    if (task->packed != NULL)
      task->ops->matmul_rows_packed(task->w, task->packed, task->n, task->y, begin, end,
                                    share_scratch(task, thread_index));
    else if (task->w->layout == PIO_LAYOUT_TILES)
      task->ops->matmul_rows_tiles(task->w, task->x, task->n, task->y, begin, end);
    else if (task->w->layout == PIO_LAYOUT_PAIRS)
      task->ops->matmul_rows_pairs(task->w, task->x, task->n, task->y, begin, end);
    else
      task->ops->matmul_rows(task->w, task->x, task->n, task->y, begin, end);
  }
}

/* Share thread_index of the packing units (each written by one thread). */
static void pack_task_run(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  matmul_task *task = ctx;
  size_t begin = task->pack_units * thread_index / n_threads;
  size_t end = task->pack_units * (thread_index + 1) / n_threads;
  if (begin < end)
    task->ops->pack(task->x, task->x_stride, task->n, task->w->cols, task->w->layout, task->packed,
                    begin, end);
}

/* Memory of a matmul: the pool's kept scratch (slot n_threads for the
 * packed x, slot i for share i), so a model's matmuls do not fault in fresh
 * pages every call; without a pool, the thread's kept buffer (see
 * pack_activations); malloc'd and freed by the call only when those fail. */
static void *call_buffer(pio_threadpool *pool, size_t bytes, int *owned) {
  void *p = pool != NULL ? pio_threadpool_scratch(pool, pio_threadpool_size(pool), bytes) : NULL;
  *owned = p == NULL;
  return p != NULL ? p : aligned_alloc(64, (bytes + 63) / 64 * 64);
}

/* x in the path's packed bf16 form, written by the pool's threads, and the
 * threads' scratch of that route; packed NULL when out of memory (the
 * caller then takes the f32-activation route, which needs neither). */
static void pack_activations(pio_threadpool *pool, matmul_task *task) {
  const pio_k_path_ops *ops = task->ops;
  size_t bytes = ops->packed_bytes(task->n, task->w->cols);
  task->pool = pool;
  task->scratch_bytes = ops->scratch_bytes != NULL ? ops->scratch_bytes(task->n, task->w->cols)
                                                   : 0;
  task->scratch_bytes = (task->scratch_bytes + 63) / 64 * 64;
  /* Every share's scratch exists before the run: a share that finds none
   * has no way to fall back. */
  for (uint32_t i = 0; pool != NULL && task->scratch_bytes > 0 && i < pio_threadpool_size(pool);
       i++)
    if (pio_threadpool_scratch(pool, i, task->scratch_bytes) == NULL) return;
  /* Without a pool, one buffer this thread keeps holds the scratch and then
   * the packed x: no allocation per call. */
  unsigned char *kept = pool == NULL ? pio_k_thread_buffer(task->scratch_bytes + bytes) : NULL;
  if (kept != NULL) {
    task->scratch = task->scratch_bytes > 0 ? kept : NULL;
    task->packed = kept + task->scratch_bytes;
  } else {
    if (pool == NULL && task->scratch_bytes > 0) {
      task->scratch = aligned_alloc(64, task->scratch_bytes);
      if (task->scratch == NULL) return;
      task->scratch_owned = 1;
    }
    task->packed = call_buffer(pool, bytes, &task->packed_owned);
  }
  if (task->packed == NULL) {
    if (task->scratch_owned) free(task->scratch);
    task->scratch = NULL;
    task->scratch_owned = 0;
    return;
  }
  task->pack_units = ops->pack_units(task->n, task->w->cols);
  pio_threadpool_run(task->pack_units > 1 ? pool : NULL, pack_task_run, task);
}

/* x's rows copied together for the f32 routes, whose kernels read x[n][cols];
 * NULL when out of memory. */
static float *gather_rows(const float *x, size_t x_stride, size_t n, size_t cols) {
  float *dense = malloc(n * cols * sizeof *dense);
  for (size_t t = 0; dense != NULL && t < n; t++)
    memcpy(dense + t * cols, x + t * x_stride, cols * sizeof *dense);
  return dense;
}

void pio_matmul(pio_threadpool *pool, pio_kernel_path path, const pio_matrix *w,
                const float *x, size_t n, float *y) {
  pio_matmul_strided(pool, path, w, x, w->cols, n, y);
}

void pio_matmul_strided(pio_threadpool *pool, pio_kernel_path path, const pio_matrix *w,
                        const float *x, size_t x_stride, size_t n, float *y) {
  if (n == 0 || w->rows == 0) return;
  matmul_task task = {.ops = usable_ops(path), .w = w, .x = x, .x_stride = x_stride, .n = n,
                      .y = y};
  float *dense = NULL;
  if ((double)n * w->rows * w->cols < MATMUL_THREADING_MIN_MACS) pool = NULL;
  const int laid_out = w->layout != PIO_LAYOUT_ROWS;
  if (w->dtype == PIO_DTYPE_BF16 && task.ops->pack != NULL && w->cols > 0 &&
      (task.ops->packed_layouts & 1u << w->layout))
    pack_activations(pool, &task);
  if (task.packed == NULL && x_stride != w->cols) {
    dense = gather_rows(x, x_stride, n, w->cols);
    if (dense == NULL) { /* out of memory: one token at a time, each row as it lies */
      for (size_t t = 0; t < n; t++) pio_matmul(pool, path, w, x + t * x_stride, 1, y + t * w->rows);
      return;
    }
    task.x = dense;
    task.x_stride = w->cols;
  }
  const size_t block = laid_out           ? LAID_OUT_ROW_BLOCK
                       : task.packed != NULL ? task.ops->packed_row_block
                                             : task.ops->row_block;
  size_t row_bytes = (size_t)w->cols * pio_dtype_size(w->dtype) + 1;
  size_t min_rows = (size_t)MATMUL_MIN_BYTES / row_bytes + 1;
  if (task.packed != NULL && min_rows < task.ops->packed_min_rows)
    min_rows = task.ops->packed_min_rows;
  /* The packed route: when an even share of whole blocks (rows / threads)
   * is at most two minimum chunks, each thread takes one share instead of
   * guided chunks of the minimum (qkv's 3072 rows were 24 chunks of 128 on
   * 16 threads, a second round for half of them). */
  if (task.packed != NULL) {
    const size_t shares = pio_threadpool_size(pool);
    const size_t even = (w->rows + shares - 1) / shares;
    const size_t even_blocks = (even + block - 1) / block * block;
    if (even_blocks <= 2 * task.ops->packed_min_rows && even_blocks > min_rows)
      min_rows = even_blocks;
  }
  pio_chunks_init(&task.rows, w->rows, block, min_rows, pio_threadpool_size(pool));
  pio_threadpool_run(pool, matmul_task_run, &task);
  if (task.packed_owned) free(task.packed);
  if (task.scratch_owned) free(task.scratch);
  free(dense);
}

void pio_softmax(float *x, size_t n) { best_ops()->softmax(x, n); }

void pio_silu_mul(float *gate, const float *up, size_t n) { best_ops()->silu_mul(gate, up, n); }

void pio_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst) {
  best_ops()->to_f32(src, dtype, n, dst);
}

void pio_softmax_on(pio_kernel_path path, float *x, size_t n) { usable_ops(path)->softmax(x, n); }

void pio_silu_mul_on(pio_kernel_path path, float *gate, const float *up, size_t n) {
  usable_ops(path)->silu_mul(gate, up, n);
}

void pio_to_f32_on(pio_kernel_path path, const void *src, pio_dtype dtype, size_t n,
                   float *dst) {
  usable_ops(path)->to_f32(src, dtype, n, dst);
}
