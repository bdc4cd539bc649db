/* cuda/kernels/rows.cu — the prefill's row-wise steps between the
 * cuBLASLt products: embedding, RMSNorm to bf16, RoPE with the cache
 * write, SwiGLU, and the argmax of a logit row. */
#include "common.cuh"
#include "launch.h"

namespace {

constexpr int kThreads = 256;

__global__ void embed_kernel(const int32_t *tokens, const uint16_t *embed, uint32_t d,
                             float *x) {
  const uint32_t t = blockIdx.x;
  const uint16_t *row = embed + (size_t)tokens[t] * d;
  for (uint32_t i = threadIdx.x; i < d; i += blockDim.x)
    x[(size_t)t * d + i] = __uint_as_float((uint32_t)row[i] << 16);
}

__global__ void rmsnorm_kernel(const float *x, size_t x_stride, uint32_t d, const float *norm,
                               float eps, __nv_bfloat16 *out) {
  __shared__ float red[32];
  const float *row = x + (size_t)blockIdx.x * x_stride;
  float ss = 0.0f;
  for (uint32_t i = threadIdx.x; i < d; i += blockDim.x) ss += row[i] * row[i];
  ss = lc_block_sum(ss, red);
  const float inv = 1.0f / sqrtf(ss / (float)d + eps);
  for (uint32_t i = threadIdx.x; i < d; i += blockDim.x)
    out[(size_t)blockIdx.x * d + i] = lc_bf16((row[i] * inv) * norm[i]);
}

/* Block (t, hh): head hh of token t; thread i rotates the pair (i, i + D/2). */
__global__ void rope_store_kernel(const float *qkv, uint32_t start, uint32_t n_heads,
                                  uint32_t n_kv_heads, uint32_t head_dim, uint32_t max_context,
                                  const float *cos, const float *sin, __nv_bfloat16 *q_out,
                                  __nv_bfloat16 *k_cache, __nv_bfloat16 *v_cache) {
  const uint32_t t = blockIdx.x, hh = blockIdx.y, i = threadIdx.x;
  const uint32_t half = head_dim / 2;
  const uint32_t qkv_dim = (n_heads + 2 * n_kv_heads) * head_dim;
  const float *src = qkv + (size_t)t * qkv_dim + (size_t)hh * head_dim;
  const float y1 = src[i], y2 = src[i + half];
  const uint32_t pos = start + t;
  if (hh >= n_heads + n_kv_heads) {
    __nv_bfloat16 *row =
        v_cache + ((size_t)(hh - n_heads - n_kv_heads) * max_context + pos) * head_dim;
    row[i] = lc_bf16(y1);
    row[i + half] = lc_bf16(y2);
    return;
  }
  const float c = cos[(size_t)pos * half + i], s = sin[(size_t)pos * half + i];
  const float r1 = y1 * c - y2 * s, r2 = y2 * c + y1 * s;
  __nv_bfloat16 *row = hh < n_heads
                           ? q_out + ((size_t)t * n_heads + hh) * head_dim
                           : k_cache + ((size_t)(hh - n_heads) * max_context + pos) * head_dim;
  row[i] = lc_bf16(r1);
  row[i + half] = lc_bf16(r2);
}

__global__ void silu_mul_kernel(const float *gu, uint32_t n, uint32_t ff, __nv_bfloat16 *h) {
  const size_t total = (size_t)n * ff;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (size_t)gridDim.x * blockDim.x) {
    const size_t t = i / ff, j = i - t * ff;
    const float *row = gu + t * 2 * ff;
    h[i] = lc_bf16(lc_silu_mul(row[j], row[ff + j]));
  }
}

__device__ __forceinline__ bool better(float v, uint32_t i, float best, uint32_t best_i) {
  return v > best || (v == best && i < best_i);
}

__global__ void argmax_kernel(const float *x, uint32_t n, int32_t *out) {
  __shared__ float sv[32];
  __shared__ uint32_t si[32];
  float best = -INFINITY;
  uint32_t best_i = 0xffffffffu;
  for (uint32_t i = threadIdx.x; i < n; i += blockDim.x)
    if (better(x[i], i, best, best_i)) best = x[i], best_i = i;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, best, o);
    const uint32_t vi = __shfl_xor_sync(0xffffffffu, best_i, o);
    if (better(v, vi, best, best_i)) best = v, best_i = vi;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) sv[warp] = best, si[warp] = best_i;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < (int)(blockDim.x >> 5); w++)
      if (better(sv[w], si[w], best, best_i)) best = sv[w], best_i = si[w];
    *out = best_i == 0xffffffffu ? 0 : (int32_t)best_i;
  }
}

} // namespace

extern "C" cudaError_t lc_embed_rows(cudaStream_t s, const int32_t *tokens, uint32_t n,
                                     const uint16_t *embed, uint32_t d, float *x) {
  embed_kernel<<<n, kThreads, 0, s>>>(tokens, embed, d, x);
  return cudaGetLastError();
}

extern "C" cudaError_t lc_rmsnorm_rows(cudaStream_t s, const float *x, size_t x_stride,
                                       uint32_t n, uint32_t d, const float *norm, float eps,
                                       uint16_t *out) {
  rmsnorm_kernel<<<n, kThreads, 0, s>>>(x, x_stride, d, norm, eps,
                                        reinterpret_cast<__nv_bfloat16 *>(out));
  return cudaGetLastError();
}

extern "C" cudaError_t lc_rope_store_rows(cudaStream_t s, const float *qkv, uint32_t n,
                                          uint32_t start, uint32_t n_heads,
                                          uint32_t n_kv_heads, uint32_t head_dim,
                                          uint32_t max_context, const float *cos,
                                          const float *sin, uint16_t *q_out,
                                          uint16_t *k_cache, uint16_t *v_cache) {
  const dim3 grid(n, n_heads + 2 * n_kv_heads);
  rope_store_kernel<<<grid, head_dim / 2, 0, s>>>(
      qkv, start, n_heads, n_kv_heads, head_dim, max_context, cos, sin,
      reinterpret_cast<__nv_bfloat16 *>(q_out), reinterpret_cast<__nv_bfloat16 *>(k_cache),
      reinterpret_cast<__nv_bfloat16 *>(v_cache));
  return cudaGetLastError();
}

extern "C" cudaError_t lc_silu_mul_rows(cudaStream_t s, const float *gu, uint32_t n,
                                        uint32_t ff, uint16_t *h) {
  const size_t total = (size_t)n * ff;
  size_t blocks = (total + kThreads - 1) / kThreads;
  if (blocks > 65535) blocks = 65535;
  silu_mul_kernel<<<(unsigned)blocks, kThreads, 0, s>>>(gu, n, ff,
                                                        reinterpret_cast<__nv_bfloat16 *>(h));
  return cudaGetLastError();
}

extern "C" cudaError_t lc_argmax(cudaStream_t s, const float *x, uint32_t n, int32_t *out) {
  argmax_kernel<<<1, 1024, 0, s>>>(x, n, out);
  return cudaGetLastError();
}
