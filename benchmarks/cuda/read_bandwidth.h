/* benchmarks/cuda/read_bandwidth.h — the streaming read kernels of the
 * device limits: every 16-byte word of a buffer read once a pass, summed
 * so that no load can be skipped. */
#ifndef PIO_BENCH_CUDA_READ_BANDWIDTH_H
#define PIO_BENCH_CUDA_READ_BANDWIDTH_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The read loops tried; the limit is the faster one's median. */
typedef enum pbc_read_kernel {
  PBC_READ_STREAMING = 0, /* ld.global.nc.L1::no_allocate.L2::256B, as the GEMVs load */
  PBC_READ_PLAIN = 1,     /* ld.global.v4 */
  PBC_READ_KERNELS
} pbc_read_kernel;

const char *pbc_read_kernel_name(pbc_read_kernel k);

/* buf[n_words] (16-byte words) filled with a hash of the index. */
cudaError_t pbc_fill(cudaStream_t s, uint4 *buf, size_t n_words);
/* *sum (device) += what pbc_read must find in a buffer pbc_fill filled,
 * computed from the hash alone (no loads). */
cudaError_t pbc_expected_sum(cudaStream_t s, size_t n_words, unsigned int *sum);
/* dst[n] bf16 uniform on [-1, 1) from a hash of the index. */
cudaError_t pbc_fill_bf16(cudaStream_t s, uint16_t *dst, size_t n);
/* *sum (device) = the 32-bit wrapping sum of every 32-bit word of buf,
 * read with kernel k; sum must start at 0. */
cudaError_t pbc_read(cudaStream_t s, pbc_read_kernel k, const uint4 *buf, size_t n_words,
                     uint32_t sm_count, unsigned int *sum);

#ifdef __cplusplus
}
#endif
#endif
