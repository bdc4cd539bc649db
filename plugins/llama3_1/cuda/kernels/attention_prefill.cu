/* cuda/kernels/attention_prefill.cu — causal attention of a prompt chunk
 * over the cache, tiled for the tensor cores (FlashAttention-2's loop):
 * a block takes 64 query rows of one head (16 a warp), walks the keys in
 * tiles of 64, S = Q K^T and O += P V with bf16 mma.sync (m16n8k16, f32
 * accumulators), and an online softmax in registers, so no score matrix
 * goes to memory. */
#include "common.cuh"
#include "launch.h"

namespace {

constexpr int kRows = 64;   /* query rows a block */
constexpr int kKeys = 64;   /* keys a tile */
constexpr int kThreads = 128;
constexpr int kPad = 8;     /* bf16 a row of padding: rows land 4 banks apart */

__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_raw(uint16_t lo, uint16_t hi) {
  return (uint32_t)lo | ((uint32_t)hi << 16);
}

struct Args {
  const uint16_t *q;     /* [n][H][D] */
  const uint16_t *k, *v; /* [KV][max_context][D] */
  uint16_t *out;         /* [n][H * D] */
  uint32_t n, start, n_heads, group, max_context;
  float scale;
};

/* Copies rows [row0, row0 + 64) of a [rows][D] tile source into smem
 * [64][D + kPad]; rows at or past `valid` are zeros. */
template <int D>
__device__ void load_tile(uint16_t *dst, const uint16_t *src, size_t src_stride,
                          uint32_t row0, uint32_t valid) {
  constexpr int kVecs = D / 8; /* 16-byte vectors a row */
  for (int i = threadIdx.x; i < kRows * kVecs; i += kThreads) {
    const int r = i / kVecs, c = (i % kVecs) * 8;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (row0 + r < valid) val = *reinterpret_cast<const uint4 *>(src + (row0 + r) * src_stride + c);
    *reinterpret_cast<uint4 *>(dst + r * (D + kPad) + c) = val;
  }
}

template <int D>
__global__ void __launch_bounds__(kThreads) attention_prefill_kernel(Args a) {
  extern __shared__ uint4 smem_raw[];
  uint16_t *qs = reinterpret_cast<uint16_t *>(smem_raw);
  uint16_t *ks = qs + kRows * (D + kPad);
  uint16_t *vs = ks + kKeys * (D + kPad);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3; /* mma fragment coordinates */
  const uint32_t h = blockIdx.y, kv = h / a.group;
  const uint32_t row0 = blockIdx.x * kRows;
  const uint32_t H = a.n_heads;

  /* Q tile: token rows [row0, row0 + 64) of head h. */
  load_tile<D>(qs, a.q + (size_t)h * D, (size_t)H * D, row0, a.n);
  __syncthreads();
  uint32_t qf[D / 16][4];
  {
    const uint16_t *r_lo = qs + (warp * 16 + g) * (D + kPad);
    const uint16_t *r_hi = r_lo + 8 * (D + kPad);
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
      const int c = kk * 16 + 2 * t;
      qf[kk][0] = *reinterpret_cast<const uint32_t *>(r_lo + c);
      qf[kk][1] = *reinterpret_cast<const uint32_t *>(r_hi + c);
      qf[kk][2] = *reinterpret_cast<const uint32_t *>(r_lo + c + 8);
      qf[kk][3] = *reinterpret_cast<const uint32_t *>(r_hi + c + 8);
    }
  }
  /* This thread's two query rows and their absolute positions. */
  const uint32_t qi_lo = row0 + warp * 16 + g, qi_hi = qi_lo + 8;
  const uint32_t qpos_lo = a.start + qi_lo, qpos_hi = a.start + qi_hi;
  float o[D / 8][4];
#pragma unroll
  for (int nd = 0; nd < D / 8; nd++) o[nd][0] = o[nd][1] = o[nd][2] = o[nd][3] = 0.0f;
  float m_lo = -INFINITY, m_hi = -INFINITY, l_lo = 0.0f, l_hi = 0.0f;

  const uint32_t last_row = row0 + kRows < a.n ? row0 + kRows : a.n; /* exclusive */
  const uint32_t keys = a.start + last_row;                          /* keys any row sees */
  const uint16_t *kbase = a.k + (size_t)kv * a.max_context * D;
  const uint16_t *vbase = a.v + (size_t)kv * a.max_context * D;
  for (uint32_t kv0 = 0; kv0 < keys; kv0 += kKeys) {
    __syncthreads(); /* the previous tile is no longer read */
    load_tile<D>(ks, kbase, D, kv0, keys);
    load_tile<D>(vs, vbase, D, kv0, keys);
    __syncthreads();
    /* S = Q K^T for 16 rows x 64 keys: 8 tiles of 8 keys. */
    float s[kKeys / 8][4];
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; nt++) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
      const uint16_t *krow = ks + (nt * 8 + g) * (D + kPad);
#pragma unroll
      for (int kk = 0; kk < D / 16; kk++) {
        const uint32_t b0 = *reinterpret_cast<const uint32_t *>(krow + kk * 16 + 2 * t);
        const uint32_t b1 = *reinterpret_cast<const uint32_t *>(krow + kk * 16 + 2 * t + 8);
        mma_bf16(s[nt], qf[kk], b0, b1);
      }
    }
    /* Scale, mask the future, and the rows' maxima over this tile. */
    float tmax_lo = -INFINITY, tmax_hi = -INFINITY;
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; nt++) {
#pragma unroll
      for (int j = 0; j < 2; j++) {
        const uint32_t key = kv0 + nt * 8 + 2 * t + j;
        s[nt][j] = key <= qpos_lo ? s[nt][j] * a.scale : -INFINITY;
        s[nt][2 + j] = key <= qpos_hi ? s[nt][2 + j] * a.scale : -INFINITY;
        tmax_lo = fmaxf(tmax_lo, s[nt][j]);
        tmax_hi = fmaxf(tmax_hi, s[nt][2 + j]);
      }
    }
    /* The four threads of a group hold one row between them. */
    tmax_lo = fmaxf(tmax_lo, __shfl_xor_sync(0xffffffffu, tmax_lo, 1));
    tmax_lo = fmaxf(tmax_lo, __shfl_xor_sync(0xffffffffu, tmax_lo, 2));
    tmax_hi = fmaxf(tmax_hi, __shfl_xor_sync(0xffffffffu, tmax_hi, 1));
    tmax_hi = fmaxf(tmax_hi, __shfl_xor_sync(0xffffffffu, tmax_hi, 2));
    const float mn_lo = fmaxf(m_lo, tmax_lo), mn_hi = fmaxf(m_hi, tmax_hi);
    /* A row that has seen no key yet (only possible past the last token)
     * keeps -inf; use 0 so that exp() gives 0, not NaN. */
    const float ref_lo = mn_lo == -INFINITY ? 0.0f : mn_lo;
    const float ref_hi = mn_hi == -INFINITY ? 0.0f : mn_hi;
    const float corr_lo = expf(m_lo - ref_lo), corr_hi = expf(m_hi - ref_hi);
    m_lo = mn_lo;
    m_hi = mn_hi;
    float sum_lo = 0.0f, sum_hi = 0.0f;
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; nt++) {
      s[nt][0] = expf(s[nt][0] - ref_lo);
      s[nt][1] = expf(s[nt][1] - ref_lo);
      s[nt][2] = expf(s[nt][2] - ref_hi);
      s[nt][3] = expf(s[nt][3] - ref_hi);
      sum_lo += s[nt][0] + s[nt][1];
      sum_hi += s[nt][2] + s[nt][3];
    }
    l_lo = l_lo * corr_lo + sum_lo; /* this thread's share; summed over the group at the end */
    l_hi = l_hi * corr_hi + sum_hi;
#pragma unroll
    for (int nd = 0; nd < D / 8; nd++) {
      o[nd][0] *= corr_lo;
      o[nd][1] *= corr_lo;
      o[nd][2] *= corr_hi;
      o[nd][3] *= corr_hi;
    }
    /* O += P V: P's accumulator layout is already the A operand's. */
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; kk++) {
      uint32_t pf[4];
      pf[0] = lc_pack_bf16(s[2 * kk][0], s[2 * kk][1]);
      pf[1] = lc_pack_bf16(s[2 * kk][2], s[2 * kk][3]);
      pf[2] = lc_pack_bf16(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pf[3] = lc_pack_bf16(s[2 * kk + 1][2], s[2 * kk + 1][3]);
      const uint16_t *v0 = vs + (kk * 16 + 2 * t) * (D + kPad);
#pragma unroll
      for (int nd = 0; nd < D / 8; nd++) {
        const int col = nd * 8 + g;
        const uint32_t b0 = pack_raw(v0[col], v0[(D + kPad) + col]);
        const uint32_t b1 = pack_raw(v0[8 * (D + kPad) + col], v0[9 * (D + kPad) + col]);
        mma_bf16(o[nd], pf, b0, b1);
      }
    }
  }
  l_lo += __shfl_xor_sync(0xffffffffu, l_lo, 1);
  l_lo += __shfl_xor_sync(0xffffffffu, l_lo, 2);
  l_hi += __shfl_xor_sync(0xffffffffu, l_hi, 1);
  l_hi += __shfl_xor_sync(0xffffffffu, l_hi, 2);
  const float inv_lo = l_lo > 0.0f ? 1.0f / l_lo : 0.0f;
  const float inv_hi = l_hi > 0.0f ? 1.0f / l_hi : 0.0f;
  uint16_t *out_lo = a.out + (size_t)qi_lo * H * D + (size_t)h * D;
  uint16_t *out_hi = a.out + (size_t)qi_hi * H * D + (size_t)h * D;
#pragma unroll
  for (int nd = 0; nd < D / 8; nd++) {
    const int col = nd * 8 + 2 * t;
    if (qi_lo < a.n)
      *reinterpret_cast<uint32_t *>(out_lo + col) = lc_pack_bf16(o[nd][0] * inv_lo, o[nd][1] * inv_lo);
    if (qi_hi < a.n)
      *reinterpret_cast<uint32_t *>(out_hi + col) = lc_pack_bf16(o[nd][2] * inv_hi, o[nd][3] * inv_hi);
  }
}

template <int D>
cudaError_t launch(cudaStream_t s, const Args &a) {
  const size_t smem = (size_t)(kRows + 2 * kKeys) * (D + kPad) * sizeof(uint16_t);
  cudaError_t e = cudaFuncSetAttribute(attention_prefill_kernel<D>,
                                       cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  if (e != cudaSuccess) return e;
  const dim3 grid((a.n + kRows - 1) / kRows, a.n_heads);
  attention_prefill_kernel<D><<<grid, kThreads, smem, s>>>(a);
  return cudaGetLastError();
}

} // namespace

extern "C" cudaError_t lc_prefill_attention(cudaStream_t s, const uint16_t *q,
                                            const uint16_t *k_cache, const uint16_t *v_cache,
                                            uint32_t n, uint32_t start, uint32_t n_heads,
                                            uint32_t n_kv_heads, uint32_t head_dim,
                                            uint32_t max_context, uint16_t *out) {
  if (n == 0 || n_kv_heads == 0 || n_heads % n_kv_heads != 0) return cudaErrorInvalidValue;
  Args a;
  a.q = q;
  a.k = k_cache;
  a.v = v_cache;
  a.out = out;
  a.n = n;
  a.start = start;
  a.n_heads = n_heads;
  a.group = n_heads / n_kv_heads;
  a.max_context = max_context;
  a.scale = 1.0f / sqrtf((float)head_dim);
  if (head_dim == 64) return launch<64>(s, a);
  if (head_dim == 128) return launch<128>(s, a);
  return cudaErrorInvalidValue;
}
