/* benchmarks/cuda/read_bandwidth.cu — the HBM read limit: a grid of a few
 * blocks a multiprocessor, each thread eight independent 16-byte loads in
 * flight, walking the buffer in grid-wide strides so every burst is
 * coalesced; the words are summed and one sum a block is added to the
 * result, which the caller checks. */
#include "read_bandwidth.h"

namespace {

constexpr int kThreads = 512;
constexpr int kBlocksPerSm = 4;
constexpr int kUnroll = 8;

template <int K> __device__ __forceinline__ uint4 load(const uint4 *p);

template <> __device__ __forceinline__ uint4 load<PBC_READ_STREAMING>(const uint4 *p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

template <> __device__ __forceinline__ uint4 load<PBC_READ_PLAIN>(const uint4 *p) {
  uint4 v;
  asm volatile("ld.global.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

template <int K>
__global__ void __launch_bounds__(kThreads) read_kernel(const uint4 *buf, size_t n,
                                                       unsigned int *sum) {
  const size_t stride = (size_t)gridDim.x * blockDim.x;
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  unsigned int acc = 0;
  for (; i + (kUnroll - 1) * stride < n; i += kUnroll * stride) {
    uint4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; u++) v[u] = load<K>(buf + i + u * stride);
#pragma unroll
    for (int u = 0; u < kUnroll; u++) acc += v[u].x + v[u].y + v[u].z + v[u].w;
  }
  for (; i < n; i += stride) {
    const uint4 v = load<K>(buf + i);
    acc += v.x + v.y + v.z + v.w;
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
  __shared__ unsigned int warp_sums[kThreads / 32];
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned int total = 0;
    for (int w = 0; w < kThreads / 32; w++) total += warp_sums[w];
    atomicAdd(sum, total);
  }
}

__device__ __forceinline__ uint32_t hash(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x;
}

__global__ void fill_kernel(uint4 *buf, size_t n) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    buf[i] = make_uint4(hash(4 * i), hash(4 * i + 1), hash(4 * i + 2), hash(4 * i + 3));
}

__global__ void expected_kernel(size_t n, unsigned int *sum) {
  unsigned int acc = 0;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    acc += hash(4 * i) + hash(4 * i + 1) + hash(4 * i + 2) + hash(4 * i + 3);
  atomicAdd(sum, acc);
}

__global__ void fill_bf16_kernel(uint16_t *dst, size_t n) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    /* exponent 127 and 7 random mantissa bits: [1, 2), then a random sign
     * and a shift of the exponent by 0 or -1: values in (-2, 2). */
    const uint32_t h = hash(i);
    dst[i] = (uint16_t)(((h & 1u) << 15) | ((126u + ((h >> 1) & 1u)) << 7) | ((h >> 2) & 0x7fu));
  }
}

} // namespace

extern "C" const char *pbc_read_kernel_name(pbc_read_kernel k) {
  return k == PBC_READ_STREAMING ? "ld.global.nc.L1::no_allocate.L2::256B.v4"
                                 : "ld.global.v4";
}

extern "C" cudaError_t pbc_fill(cudaStream_t s, uint4 *buf, size_t n_words) {
  fill_kernel<<<4096, 256, 0, s>>>(buf, n_words);
  return cudaGetLastError();
}

extern "C" cudaError_t pbc_expected_sum(cudaStream_t s, size_t n_words, unsigned int *sum) {
  expected_kernel<<<4096, 256, 0, s>>>(n_words, sum);
  return cudaGetLastError();
}

extern "C" cudaError_t pbc_fill_bf16(cudaStream_t s, uint16_t *dst, size_t n) {
  fill_bf16_kernel<<<4096, 256, 0, s>>>(dst, n);
  return cudaGetLastError();
}

extern "C" cudaError_t pbc_read(cudaStream_t s, pbc_read_kernel k, const uint4 *buf,
                                size_t n_words, uint32_t sm_count, unsigned int *sum) {
  const unsigned blocks = sm_count * kBlocksPerSm;
  if (k == PBC_READ_STREAMING)
    read_kernel<PBC_READ_STREAMING><<<blocks, kThreads, 0, s>>>(buf, n_words, sum);
  else
    read_kernel<PBC_READ_PLAIN><<<blocks, kThreads, 0, s>>>(buf, n_words, sum);
  return cudaGetLastError();
}
