/* cuda/cuda_gemm.h — the prefill's matrix products through cuBLASLt:
 * y[n][m] (f32) = x[n][k] . w[m][k]^T (bf16 in, f32 accumulate), or
 * y += that.  Plans (descriptors and the heuristic's algorithm) are kept
 * per shape, so a prompt chunk of a size seen before costs no query. */
#ifndef PIO_LLAMA3_1_CUDA_GEMM_H
#define PIO_LLAMA3_1_CUDA_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "pio/status.h"

typedef struct lc_gemm_plan lc_gemm_plan;

typedef struct lc_gemm {
  cublasLtHandle_t lt;
  void *workspace;        /* device, workspace_bytes, owned */
  size_t workspace_bytes;
  lc_gemm_plan *plans;    /* owned */
  size_t n_plans, cap_plans;
} lc_gemm;

pio_status lc_gemm_init(lc_gemm *g, pio_error *err);
void lc_gemm_free(lc_gemm *g);

/* y[n][m] (= or +=, accumulate) x[n][k] . w[m][k]^T on stream s; row-major
 * throughout, as the model stores them.  Errors name the shape. */
pio_status lc_gemm_run(lc_gemm *g, cudaStream_t s, const uint16_t *w, uint32_t m, uint32_t k,
                       const uint16_t *x, uint32_t n, float *y, int accumulate, pio_error *err);

#endif
