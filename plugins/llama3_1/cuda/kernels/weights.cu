/* cuda/kernels/weights.cu — f32 and f16 weight tensors narrowed to bf16 on
 * the device, as the device holds them. */
#include <cuda_fp16.h>

#include "common.cuh"
#include "launch.h"

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(size_t n) {
  size_t b = (n + kThreads - 1) / kThreads;
  return (unsigned)(b > 65535 * 8 ? 65535 * 8 : b);
}

__global__ void to_bf16_kernel(const void *src, int src_is_f16, size_t n, uint16_t *dst) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    const float v = src_is_f16 ? __half2float(static_cast<const __half *>(src)[i])
                               : static_cast<const float *>(src)[i];
    const __nv_bfloat16 b = __float2bfloat16_rn(v);
    dst[i] = *reinterpret_cast<const uint16_t *>(&b);
  }
}

} // namespace

extern "C" cudaError_t lc_to_bf16(cudaStream_t s, const void *src, int src_is_f16, size_t n,
                                  uint16_t *dst) {
  if (n == 0) return cudaSuccess;
  to_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(src, src_is_f16, n, dst);
  return cudaGetLastError();
}
