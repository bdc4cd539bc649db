/* benchmarks/device_limits.h — a GPU's limits for `pio-bench run` when the
 * model runs there: HBM read bandwidth (a streaming read kernel) and the
 * bf16 tensor-core matrix peak (cuBLASLt), measured in the same run.  The
 * measuring code is a module of its own (pio_bench_cuda, built where nvcc
 * is found), loaded only for a model whose stats say "cuda", so pio-bench
 * itself never needs CUDA. */
#ifndef PIO_BENCH_DEVICE_LIMITS_H
#define PIO_BENCH_DEVICE_LIMITS_H

#include <stdint.h>

#include "pio/status.h"

/* Smallest read buffer on a device: far past its L2, and long enough a
 * pass (about a millisecond) that one launch's cost is lost in it. */
#define PIO_BENCH_DEVICE_READ_BUFFER_MIN (4ull << 30)
/* The matrix product of the peak: m = n = k. */
#define PIO_BENCH_DEVICE_GEMM_SIZE 8192u

typedef struct pio_bench_device_limits {
  char device_name[256];
  uint32_t passes;            /* timed passes of each figure */
  uint64_t read_buffer_bytes;
  char read_kernel[64];       /* the read loop that gave read_bytes_per_s */
  double read_bytes_per_s;    /* the best pass of the faster read loop: the limit */
  double read_median_bytes_per_s; /* that loop's median pass */
  uint32_t gemm_size;         /* m = n = k of the product */
  double bf16_flops_per_s;    /* the best pass (2 m n k a product): the limit */
  double bf16_median_flops_per_s;
} pio_bench_device_limits;

/* Spreads passes over the benchmark, as pio_bench_limits_sampler does. */
typedef struct pio_bench_device_sampler pio_bench_device_sampler;

typedef struct pio_bench_device_api {
  uint32_t struct_size;
  /* Allocates and fills the buffers on CUDA device 0, checks a first pass
   * of each measurement (the read's checksum), times nothing yet.
   * read_buffer_bytes below the minimum is raised to it. */
  pio_status (*create)(uint64_t read_buffer_bytes, uint32_t max_passes,
                       pio_bench_device_sampler **out, pio_error *err);
  /* Takes `passes` timed passes of each figure; PIO_ERR_LIMIT past
   * max_passes, PIO_ERR_INTERNAL on a wrong checksum. */
  pio_status (*sample)(pio_bench_device_sampler *s, uint32_t passes, pio_error *err);
  /* Best and median of every pass taken so far. */
  void (*result)(const pio_bench_device_sampler *s, pio_bench_device_limits *out);
  void (*destroy)(pio_bench_device_sampler *s);
} pio_bench_device_api;

/* The module's one exported function and names. */
typedef const pio_bench_device_api *(*pio_bench_device_entry_fn)(void);
#define PIO_BENCH_CUDA_MODULE "pio_bench_cuda"
#define PIO_BENCH_CUDA_ENTRY "pio_bench_cuda_api"

/* pio-bench's side (device_limits.c): loads the module from beside the
 * pio-bench executable, else from the installed library folder.  *api
 * valid until pio_bench_device_unload.  PIO_ERR_NOT_FOUND, naming where it
 * looked, when this pio-bench was built without CUDA. */
typedef struct pio_bench_device_module pio_bench_device_module;
pio_status pio_bench_device_load(pio_bench_device_module **out,
                                 const pio_bench_device_api **api, pio_error *err);
void pio_bench_device_unload(pio_bench_device_module *module);

#endif
