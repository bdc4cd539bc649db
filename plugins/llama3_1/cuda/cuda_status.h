/* cuda/cuda_status.h — CUDA and cuBLASLt results as pio errors: the call
 * that failed, the library's name for the error and its text. */
#ifndef PIO_LLAMA3_1_CUDA_STATUS_H
#define PIO_LLAMA3_1_CUDA_STATUS_H

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "pio/status.h"

/* PIO_OK when e is cudaSuccess; else fills err with "what: CUDA error
 * NAME (text)" and returns PIO_ERR_NO_MEMORY for an allocation failure,
 * PIO_ERR_INTERNAL otherwise.  what is a printf format. */
pio_status lc_cuda_check(cudaError_t e, pio_error *err, const char *what, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The same for a cuBLASLt status. */
pio_status lc_cublas_check(cublasStatus_t s, pio_error *err, const char *what, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
