/* sdk/src/synthetic.c — deterministic random weights from a counter-based
 * generator: element i is a hash of (seed, stream, i), so threads fill
 * disjoint ranges without sharing state and any split gives the same bytes.
 * Fast enough to fill a 1B-parameter model in about a second on two cores;
 * where the CPU has AVX-512 the same values come 16 at a time from
 * synthetic_avx512.c. */
#include <math.h>
#include <string.h>

#include "pio/kernels.h"
#include "synthetic_internal.h"

/* splitmix64's output function: a bijective 64-bit mixer. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * PIO_SYNTH_MIX1;
  z = (z ^ (z >> 27)) * PIO_SYNTH_MIX2;
  return z ^ (z >> 31);
}

#define GOLDEN PIO_SYNTH_GOLDEN

/* pio_f32_to_bf16 for finite values, here so the fill loop inlines it. */
static uint16_t finite_to_bf16(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

typedef struct fill_task {
  pio_synth_params p;
  size_t n;
  int vector; /* the AVX-512 twin can run here */
} fill_task;

/* A value of mean 0 and standard deviation 1 from one 64-bit hash. */
static float unit_value(uint64_t h, pio_synthetic_dist dist) {
  if (dist == PIO_SYNTHETIC_UNIFORM) {
    /* 24 bits -> [0, 1) -> [-sqrt(3), sqrt(3)) */
    return ((float)(h >> 40) * PIO_SYNTH_SCALE24 - 0.5f) * PIO_SYNTH_SQRT12;
  }
  /* Irwin-Hall of four 16-bit uniforms: mean 2, variance 1/3. */
  uint32_t s = (uint32_t)(h & 0xffff) + (uint32_t)((h >> 16) & 0xffff) +
               (uint32_t)((h >> 32) & 0xffff) + (uint32_t)(h >> 48);
  return ((float)s + 2.0f) * PIO_SYNTH_SCALE16 * PIO_SYNTH_SQRT3 - PIO_SYNTH_SQRT12;
}

static void fill_range(const pio_synth_params *p, size_t begin, size_t end) {
  uint64_t counter = p->key + begin * GOLDEN;
  switch (p->dtype) {
    case PIO_DTYPE_F32: {
      float *out = p->dst;
      for (size_t i = begin; i < end; i++, counter += GOLDEN)
        out[i] = p->mean + p->std * unit_value(mix64(counter), p->dist);
      break;
    }
    case PIO_DTYPE_BF16: {
      uint16_t *out = p->dst;
      for (size_t i = begin; i < end; i++, counter += GOLDEN)
        out[i] = finite_to_bf16(p->mean + p->std * unit_value(mix64(counter), p->dist));
      break;
    }
    default: {
      uint16_t *out = p->dst;
      for (size_t i = begin; i < end; i++, counter += GOLDEN)
        out[i] = pio_f32_to_f16(p->mean + p->std * unit_value(mix64(counter), p->dist));
      break;
    }
  }
}

static void fill_share(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  const fill_task *task = ctx;
  size_t begin, end;
  /* 64-byte blocks: threads never write the same cache line. */
  pio_split_range(task->n, 16, thread_index, n_threads, &begin, &end);
  if (begin >= end) return;
#if defined(PIO_HAVE_AVX512)
  if (task->vector) {
    pio_synth_fill_avx512(&task->p, begin, end);
    return;
  }
#endif
  fill_range(&task->p, begin, end);
}

pio_status pio_synthetic_fill(pio_threadpool *pool, uint64_t seed, uint64_t stream,
                              pio_synthetic_dist dist, float mean, float std, pio_dtype dtype,
                              void *dst, size_t n, pio_error *err) {
  if (dtype != PIO_DTYPE_F32 && dtype != PIO_DTYPE_BF16 && dtype != PIO_DTYPE_F16)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "synthetic weights: dtype %s is not one of fp32, bf16, fp16",
                         pio_dtype_name(dtype));
  if (!(std >= 0.0f) || !isfinite(std) || !isfinite(mean))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "synthetic weights: mean %g and std %g must be finite, std >= 0",
                         (double)mean, (double)std);
  if (dist != PIO_SYNTHETIC_UNIFORM && dist != PIO_SYNTHETIC_NORMAL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "synthetic weights: unknown distribution %d", (int)dist);
  if (n == 0) return PIO_OK;
  if (dst == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "synthetic weights: dst is NULL");
  fill_task task = {.p = {.key = mix64(seed ^ mix64(stream + GOLDEN)), .dist = dist,
                          .mean = mean, .std = std, .dtype = dtype, .dst = dst},
                    .n = n,
                    .vector = pio_kernel_path_available(PIO_KERNEL_AVX512)};
  pio_threadpool_run(n < 65536 ? NULL : pool, fill_share, &task);
  return PIO_OK;
}

uint64_t pio_synthetic_stream(const char *name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)name; p != NULL && *p; p++)
    h = (h ^ *p) * 0x100000001b3ull;
  return h;
}
