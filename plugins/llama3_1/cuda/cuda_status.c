/* cuda/cuda_status.c — CUDA and cuBLASLt failures as pio errors. */
#include <stdarg.h>
#include <stdio.h>

#include "cuda/cuda_status.h"

pio_status lc_cuda_check(cudaError_t e, pio_error *err, const char *what, ...) {
  if (e == cudaSuccess) return PIO_OK;
  char call[256];
  va_list ap;
  va_start(ap, what);
  vsnprintf(call, sizeof call, what, ap);
  va_end(ap);
  const pio_status code = e == cudaErrorMemoryAllocation ? PIO_ERR_NO_MEMORY : PIO_ERR_INTERNAL;
  return pio_error_set(err, code, "%s: CUDA error %s (%s)", call, cudaGetErrorName(e),
                       cudaGetErrorString(e));
}

pio_status lc_cublas_check(cublasStatus_t s, pio_error *err, const char *what, ...) {
  if (s == CUBLAS_STATUS_SUCCESS) return PIO_OK;
  char call[256];
  va_list ap;
  va_start(ap, what);
  vsnprintf(call, sizeof call, what, ap);
  va_end(ap);
  const pio_status code = s == CUBLAS_STATUS_ALLOC_FAILED ? PIO_ERR_NO_MEMORY
                          : s == CUBLAS_STATUS_NOT_SUPPORTED ? PIO_ERR_UNSUPPORTED
                                                              : PIO_ERR_INTERNAL;
  return pio_error_set(err, code, "%s: cuBLASLt error %s (%s)", call, cublasLtGetStatusName(s),
                       cublasLtGetStatusString(s));
}
