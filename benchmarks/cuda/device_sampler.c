/* benchmarks/cuda/device_sampler.c — the pio_bench_cuda module: the device
 * limits of `pio-bench run` (benchmarks/device_limits.h), each the best pass
 * with the median beside it.  Read bandwidth:
 * each pass times every read loop over the whole buffer with CUDA events
 * and checks its sum.  bf16 peak: each pass times three cuBLASLt products
 * of 8192^3 (bf16 inputs, f32 accumulate and output, as the prefill's), on
 * random data (zeros run faster than real data do). */
#include <stdlib.h>
#include <string.h>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "device_limits.h"
#include "read_bandwidth.h"
#include "stats.h"

#define GEMMS_PER_PASS 3
#define READS_PER_PASS 3

struct pio_bench_device_sampler {
  char name[256];
  uint32_t sm_count;
  cudaStream_t stream;
  cudaEvent_t start, stop;
  uint4 *buffer;
  size_t words;
  unsigned int *sum;      /* device */
  unsigned int expected;  /* what every read must sum to */
  cublasLtHandle_t lt;
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t la, lb, lc;
  cublasLtMatmulAlgo_t algo;
  void *workspace;
  size_t workspace_bytes;
  uint16_t *a, *b;
  float *c;
  uint32_t max_passes, passes;
  double *read_s[PBC_READ_KERNELS]; /* seconds of one read, [max_passes * READS_PER_PASS] */
  double *gemm_s;                   /* seconds of one product, [max_passes * GEMMS_PER_PASS] */
};

static pio_status cuda_ok(cudaError_t e, pio_error *err, const char *what) {
  if (e == cudaSuccess) return PIO_OK;
  return pio_error_set(err, e == cudaErrorMemoryAllocation ? PIO_ERR_NO_MEMORY : PIO_ERR_INTERNAL,
                       "device limits: %s: CUDA error %s (%s)", what, cudaGetErrorName(e),
                       cudaGetErrorString(e));
}

static pio_status lt_ok(cublasStatus_t s, pio_error *err, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INTERNAL, "device limits: %s: cuBLASLt error %s", what,
                       cublasLtGetStatusName(s));
}

/* One read of the buffer with kernel k: seconds, checksum checked. */
static pio_status time_read(pio_bench_device_sampler *s, pbc_read_kernel k, double *seconds,
                            pio_error *err) {
  float ms = 0;
  unsigned int got = 0;
  pio_status st = cuda_ok(cudaMemsetAsync(s->sum, 0, sizeof *s->sum, s->stream), err, "memset");
  if (st == PIO_OK) st = cuda_ok(cudaEventRecord(s->start, s->stream), err, "event");
  if (st == PIO_OK) st = cuda_ok(pbc_read(s->stream, k, s->buffer, s->words, s->sm_count, s->sum),
                                 err, "read kernel");
  if (st == PIO_OK) st = cuda_ok(cudaEventRecord(s->stop, s->stream), err, "event");
  if (st == PIO_OK)
    st = cuda_ok(cudaMemcpyAsync(&got, s->sum, sizeof got, cudaMemcpyDeviceToHost, s->stream),
                 err, "copying the sum");
  if (st == PIO_OK) st = cuda_ok(cudaStreamSynchronize(s->stream), err, "read pass");
  if (st == PIO_OK) st = cuda_ok(cudaEventElapsedTime(&ms, s->start, s->stop), err, "timing");
  if (st != PIO_OK) return st;
  if (got != s->expected)
    return pio_error_set(err, PIO_ERR_INTERNAL, "device limits: the %s read summed to %u, "
                         "expected %u: words were skipped", pbc_read_kernel_name(k), got,
                         s->expected);
  *seconds = ms / 1e3;
  return PIO_OK;
}

/* n products back to back: seconds of one. */
static pio_status time_gemms(pio_bench_device_sampler *s, int n, double *seconds,
                             pio_error *err) {
  const float alpha = 1.0f, beta = 0.0f;
  float ms = 0;
  pio_status st = cuda_ok(cudaEventRecord(s->start, s->stream), err, "event");
  for (int i = 0; i < n && st == PIO_OK; i++)
    st = lt_ok(cublasLtMatmul(s->lt, s->desc, &alpha, s->a, s->la, s->b, s->lb, &beta, s->c,
                              s->lc, s->c, s->lc, &s->algo, s->workspace, s->workspace_bytes,
                              s->stream),
               err, "matmul");
  if (st == PIO_OK) st = cuda_ok(cudaEventRecord(s->stop, s->stream), err, "event");
  if (st == PIO_OK) st = cuda_ok(cudaStreamSynchronize(s->stream), err, "matmul pass");
  if (st == PIO_OK) st = cuda_ok(cudaEventElapsedTime(&ms, s->start, s->stop), err, "timing");
  if (st == PIO_OK) *seconds = ms / 1e3 / n;
  return st;
}

static pio_status setup_gemm(pio_bench_device_sampler *s, pio_error *err) {
  const uint64_t n = PIO_BENCH_DEVICE_GEMM_SIZE;
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  s->workspace_bytes = (size_t)32 << 20;
  pio_status st = lt_ok(cublasLtCreate(&s->lt), err, "cublasLtCreate");
  if (st == PIO_OK) st = cuda_ok(cudaMalloc((void **)&s->a, n * n * 2), err, "matrix a");
  if (st == PIO_OK) st = cuda_ok(cudaMalloc((void **)&s->b, n * n * 2), err, "matrix b");
  if (st == PIO_OK) st = cuda_ok(cudaMalloc((void **)&s->c, n * n * 4), err, "matrix c");
  if (st == PIO_OK) st = cuda_ok(cudaMalloc(&s->workspace, s->workspace_bytes), err, "workspace");
  if (st == PIO_OK) st = cuda_ok(pbc_fill_bf16(s->stream, s->a, n * n), err, "filling a");
  if (st == PIO_OK) st = cuda_ok(pbc_fill_bf16(s->stream, s->b, n * n), err, "filling b");
  if (st == PIO_OK)
    st = lt_ok(cublasLtMatmulDescCreate(&s->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), err, "desc");
  if (st == PIO_OK)
    st = lt_ok(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta,
                                              sizeof ta), err, "transa");
  if (st == PIO_OK)
    st = lt_ok(cublasLtMatmulDescSetAttribute(s->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb,
                                              sizeof tb), err, "transb");
  if (st == PIO_OK) st = lt_ok(cublasLtMatrixLayoutCreate(&s->la, CUDA_R_16BF, n, n, n), err, "a");
  if (st == PIO_OK) st = lt_ok(cublasLtMatrixLayoutCreate(&s->lb, CUDA_R_16BF, n, n, n), err, "b");
  if (st == PIO_OK) st = lt_ok(cublasLtMatrixLayoutCreate(&s->lc, CUDA_R_32F, n, n, n), err, "c");
  cublasLtMatmulPreference_t pref = NULL;
  const uint64_t ws = s->workspace_bytes;
  if (st == PIO_OK) st = lt_ok(cublasLtMatmulPreferenceCreate(&pref), err, "preference");
  if (st == PIO_OK)
    st = lt_ok(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &ws, sizeof ws), err, "workspace");
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  if (st == PIO_OK)
    st = lt_ok(cublasLtMatmulAlgoGetHeuristic(s->lt, s->desc, s->la, s->lb, s->lc, s->lc, pref,
                                              1, &result, &found), err, "heuristic");
  if (pref != NULL) cublasLtMatmulPreferenceDestroy(pref);
  if (st == PIO_OK && found == 0)
    st = pio_error_set(err, PIO_ERR_UNSUPPORTED, "device limits: no cuBLASLt bf16 algorithm");
  if (st == PIO_OK) s->algo = result.algo;
  return st;
}

static void destroy(pio_bench_device_sampler *s) {
  if (s == NULL) return;
  if (s->stream != NULL) cudaStreamSynchronize(s->stream);
  void *device[] = {s->buffer, s->sum, s->a, s->b, s->c, s->workspace};
  for (size_t i = 0; i < sizeof device / sizeof device[0]; i++)
    if (device[i] != NULL) cudaFree(device[i]);
  if (s->la) cublasLtMatrixLayoutDestroy(s->la);
  if (s->lb) cublasLtMatrixLayoutDestroy(s->lb);
  if (s->lc) cublasLtMatrixLayoutDestroy(s->lc);
  if (s->desc) cublasLtMatmulDescDestroy(s->desc);
  if (s->lt) cublasLtDestroy(s->lt);
  if (s->start) cudaEventDestroy(s->start);
  if (s->stop) cudaEventDestroy(s->stop);
  if (s->stream) cudaStreamDestroy(s->stream);
  for (int k = 0; k < PBC_READ_KERNELS; k++) free(s->read_s[k]);
  free(s->gemm_s);
  free(s);
}

static pio_status setup_read(pio_bench_device_sampler *s, uint64_t bytes, pio_error *err) {
  if (bytes < PIO_BENCH_DEVICE_READ_BUFFER_MIN) bytes = PIO_BENCH_DEVICE_READ_BUFFER_MIN;
  s->words = bytes / 16;
  pio_status st = cuda_ok(cudaMalloc((void **)&s->buffer, s->words * 16), err, "read buffer");
  if (st == PIO_OK) st = cuda_ok(cudaMalloc((void **)&s->sum, sizeof *s->sum), err, "sum");
  if (st == PIO_OK) st = cuda_ok(pbc_fill(s->stream, s->buffer, s->words), err, "filling");
  if (st == PIO_OK)
    st = cuda_ok(cudaMemsetAsync(s->sum, 0, sizeof *s->sum, s->stream), err, "memset");
  if (st == PIO_OK) st = cuda_ok(pbc_expected_sum(s->stream, s->words, s->sum), err, "checksum");
  if (st == PIO_OK)
    st = cuda_ok(cudaMemcpyAsync(&s->expected, s->sum, sizeof s->expected,
                                 cudaMemcpyDeviceToHost, s->stream), err, "checksum");
  if (st == PIO_OK) st = cuda_ok(cudaStreamSynchronize(s->stream), err, "filling");
  return st;
}

static pio_status create(uint64_t read_buffer_bytes, uint32_t max_passes,
                         pio_bench_device_sampler **out, pio_error *err) {
  *out = NULL;
  pio_bench_device_sampler *s = calloc(1, sizeof *s);
  if (s == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "device limits: out of memory");
  s->max_passes = max_passes;
  for (int k = 0; k < PBC_READ_KERNELS; k++)
    s->read_s[k] = calloc((size_t)max_passes * READS_PER_PASS, sizeof(double));
  s->gemm_s = calloc((size_t)max_passes * GEMMS_PER_PASS, sizeof(double));
  struct cudaDeviceProp p;
  pio_status st = s->gemm_s && s->read_s[PBC_READ_KERNELS - 1]
                      ? PIO_OK
                      : pio_error_set(err, PIO_ERR_NO_MEMORY, "device limits: out of memory");
  if (st == PIO_OK) st = cuda_ok(cudaGetDeviceProperties(&p, 0), err, "device 0");
  if (st == PIO_OK) {
    snprintf(s->name, sizeof s->name, "%s", p.name);
    s->sm_count = (uint32_t)p.multiProcessorCount;
    st = cuda_ok(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking), err, "stream");
  }
  if (st == PIO_OK) st = cuda_ok(cudaEventCreate(&s->start), err, "event");
  if (st == PIO_OK) st = cuda_ok(cudaEventCreate(&s->stop), err, "event");
  if (st == PIO_OK) st = setup_read(s, read_buffer_bytes, err);
  if (st == PIO_OK) st = setup_gemm(s, err);
  /* Untimed: module load, clocks up, cuBLASLt's first call; each checked. */
  double ignored;
  for (int k = 0; k < PBC_READ_KERNELS && st == PIO_OK; k++)
    st = time_read(s, (pbc_read_kernel)k, &ignored, err);
  if (st == PIO_OK) st = time_gemms(s, GEMMS_PER_PASS, &ignored, err);
  if (st != PIO_OK) {
    destroy(s);
    return st;
  }
  *out = s;
  return PIO_OK;
}

static pio_status sample(pio_bench_device_sampler *s, uint32_t passes, pio_error *err) {
  if (s->passes + passes > s->max_passes)
    return pio_error_set(err, PIO_ERR_LIMIT, "device limits: %u passes asked, %u left", passes,
                         s->max_passes - s->passes);
  pio_status st = PIO_OK;
  for (uint32_t p = 0; p < passes && st == PIO_OK; p++, s->passes++) {
    for (int r = 0; r < READS_PER_PASS && st == PIO_OK; r++)
      for (int k = 0; k < PBC_READ_KERNELS && st == PIO_OK; k++)
        st = time_read(s, (pbc_read_kernel)k, &s->read_s[k][s->passes * READS_PER_PASS + r], err);
    for (int g = 0; g < GEMMS_PER_PASS && st == PIO_OK; g++)
      st = time_gemms(s, 1, &s->gemm_s[s->passes * GEMMS_PER_PASS + g], err);
  }
  return st;
}

/* Median of values[n] (copied: the samples stay as taken). */
static double median_of(const double *values, size_t n) {
  double *tmp = malloc(n * sizeof *tmp);
  if (tmp == NULL || n == 0) {
    free(tmp);
    return 0.0;
  }
  memcpy(tmp, values, n * sizeof *tmp);
  const double m = pio_bench_median(tmp, n);
  free(tmp);
  return m;
}

/* The shortest of values[n]: the pass nothing else slowed. */
static double fastest_of(const double *values, size_t n) {
  return n > 0 ? pio_bench_min(values, n) : 0.0;
}

static void result(const pio_bench_device_sampler *s, pio_bench_device_limits *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->device_name, sizeof out->device_name, "%s", s->name);
  out->passes = s->passes;
  out->read_buffer_bytes = s->words * 16;
  out->gemm_size = PIO_BENCH_DEVICE_GEMM_SIZE;
  const size_t reads = (size_t)s->passes * READS_PER_PASS;
  const double bytes = (double)out->read_buffer_bytes;
  for (int k = 0; k < PBC_READ_KERNELS; k++) {
    const double t = fastest_of(s->read_s[k], reads);
    const double rate = t > 0 ? bytes / t : 0.0;
    if (rate > out->read_bytes_per_s) {
      const double median = median_of(s->read_s[k], reads);
      out->read_bytes_per_s = rate;
      out->read_median_bytes_per_s = median > 0 ? bytes / median : 0.0;
      snprintf(out->read_kernel, sizeof out->read_kernel, "%s",
               pbc_read_kernel_name((pbc_read_kernel)k));
    }
  }
  const size_t gemms = (size_t)s->passes * GEMMS_PER_PASS;
  const double flop = 2.0 * PIO_BENCH_DEVICE_GEMM_SIZE * (double)PIO_BENCH_DEVICE_GEMM_SIZE *
                      PIO_BENCH_DEVICE_GEMM_SIZE;
  const double g = fastest_of(s->gemm_s, gemms), gm = median_of(s->gemm_s, gemms);
  out->bf16_flops_per_s = g > 0 ? flop / g : 0.0;
  out->bf16_median_flops_per_s = gm > 0 ? flop / gm : 0.0;
}

static const pio_bench_device_api api = {
    .struct_size = sizeof(pio_bench_device_api),
    .create = create,
    .sample = sample,
    .result = result,
    .destroy = destroy,
};

__attribute__((visibility("default"))) const pio_bench_device_api *pio_bench_cuda_api(void);
const pio_bench_device_api *pio_bench_cuda_api(void) { return &api; }
