/* cuda/kernels/attention_decode.cu — attention of one new token over the
 * device KV cache, split-K ("flash decoding"): the context is cut into up
 * to `splits` ranges, each block takes one range of one KV head for the
 * query heads that share it (one warp a query head), keeps a running max,
 * sum and weighted value sum (online softmax), and the last block of a KV
 * head to finish merges the ranges.  One kernel, whatever the context:
 * the grid is fixed (the step is a CUDA graph) and each block reads the
 * position from the step.  With attn_block_splits S > 1 a block takes S
 * consecutive splits of its KV head (a warp a split and query head) and
 * merges them in shared memory before anything goes to global memory. */
#include "common.cuh"
#include "launch.h"

namespace {

constexpr int kBatch = 16; /* positions whose keys and values are loaded together */

template <int E> struct Vec;          /* E bf16 of one lane */
template <> struct Vec<2> { using T = uint32_t; };
template <> struct Vec<4> { using T = uint2; };

template <int E>
__device__ __forceinline__ void unpack(typename Vec<E>::T raw, float (&out)[E]);
template <>
__device__ __forceinline__ void unpack<2>(uint32_t raw, float (&out)[2]) {
  out[0] = lc_bf16_lo(raw);
  out[1] = lc_bf16_hi(raw);
}
template <>
__device__ __forceinline__ void unpack<4>(uint2 raw, float (&out)[4]) {
  out[0] = lc_bf16_lo(raw.x);
  out[1] = lc_bf16_hi(raw.x);
  out[2] = lc_bf16_lo(raw.y);
  out[3] = lc_bf16_hi(raw.y);
}

struct Args {
  const float *q;               /* [H][D] */
  const uint16_t *k, *v;        /* [KV][max_context][D] */
  uint32_t max_context, group, splits;
  uint32_t block_splits;        /* S: splits a block takes (a warp a split and query head) */
  uint32_t min_positions;       /* fewest positions a split takes */
  uint32_t probe;               /* LC_PROBE_ATTN_* bits (timing only) */
  const lc_step *step;
  float *partial;               /* [H][splits / S][D + 2]: acc[D], max, sum */
  uint32_t *counters;           /* [KV] */
  uint16_t *out;                /* [H][D], bf16: the next GEMV's input as it holds it */
  float scale;
};

/* MAXT: the __launch_bounds__ it is built with; 1024 caps it at 64
 * registers a thread, which spills the preloaded keys and values at
 * D = 128 (nvcc -Xptxas -v: 168 B of spill stores), 512 gives it 128. */
template <int D, int MAXT, bool MULTI> /* MULTI: block_splits > 1 */
__global__ void __launch_bounds__(MAXT) attention_decode_kernel(Args a) {
  constexpr int E = D / 32;
  using V = typename Vec<E>::T;
  extern __shared__ float merge_smem[]; /* S > 1: [S x group][D + 2] */
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const uint32_t S = MULTI ? a.block_splits : 1;
  const uint32_t sub = MULTI ? (uint32_t)warp / a.group : 0;
  const uint32_t g = MULTI ? (uint32_t)warp % a.group : (uint32_t)warp;
  const uint32_t kv = blockIdx.y, split = blockIdx.x * S + sub;
  const uint32_t h = kv * a.group + g;
  const uint32_t pos = a.step->pos, length = pos + 1;
  uint32_t chunk = (length + a.splits - 1) / a.splits;
  if (chunk < a.min_positions) chunk = a.min_positions;
  const uint32_t p0 = split * chunk;
  const uint32_t p1 = p0 + chunk < length ? p0 + chunk : length;
  const uint16_t *kbase = a.k + (size_t)kv * a.max_context * D;
  const uint16_t *vbase = a.v + (size_t)kv * a.max_context * D;
  /* Positions before pos were written by earlier steps: ask L2 for this
   * range and load the first batch of them into registers while the new
   * token's q, k and v are computed; only position pos waits. */
  const uint32_t old_end = p1 < pos ? p1 : pos;
  if (lane == 0 && g == 0 && old_end > p0 + kBatch) {
    lc_prefetch_l2(kbase + (size_t)(p0 + kBatch) * D, (old_end - p0 - kBatch) * D * 2u);
    lc_prefetch_l2(vbase + (size_t)(p0 + kBatch) * D, (old_end - p0 - kBatch) * D * 2u);
  }
  V kr[kBatch], vr[kBatch];
#pragma unroll
  for (int j = 0; j < kBatch; j++) {
    if (p0 + j < p1 && p0 + j < pos) {
      kr[j] = reinterpret_cast<const V *>(kbase + (size_t)(p0 + j) * D)[lane];
      vr[j] = reinterpret_cast<const V *>(vbase + (size_t)(p0 + j) * D)[lane];
    }
  }
  lc_start_next();
  if (!(a.probe & LC_PROBE_ATTN_NO_WAIT)) lc_wait_previous();
  if (a.probe & LC_PROBE_ATTN_EMPTY) return;

  float q[E], acc[E];
#pragma unroll
  for (int e = 0; e < E; e++) {
    q[e] = a.q[(size_t)h * D + lane * E + e];
    acc[e] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (uint32_t p = p0; p < p1; p += kBatch) {
#pragma unroll
    for (int j = 0; j < kBatch; j++) {
      /* The first batch's older positions are already in registers. */
      if (p + j < p1 && (p != p0 || p + j >= pos)) {
        kr[j] = reinterpret_cast<const V *>(kbase + (size_t)(p + j) * D)[lane];
        vr[j] = reinterpret_cast<const V *>(vbase + (size_t)(p + j) * D)[lane];
      }
    }
#pragma unroll
    for (int j = 0; j < kBatch; j++) {
      if (p + j >= p1) break;
      float kf[E], vf[E];
      unpack<E>(kr[j], kf);
      unpack<E>(vr[j], vf);
      float dot = 0.0f;
#pragma unroll
      for (int e = 0; e < E; e++) dot = fmaf(q[e], kf[e], dot);
      const float s = lc_warp_sum(dot) * a.scale;
      const float m_new = fmaxf(m, s);
      const float corr = expf(m - m_new), w = expf(s - m_new);
      l = l * corr + w;
#pragma unroll
      for (int e = 0; e < E; e++) acc[e] = acc[e] * corr + w * vf[e];
      m = m_new;
    }
  }
  const uint32_t n_blocks = gridDim.x; /* splits / S */
  if (MULTI) {
    /* The block's S splits of each query head merged in shared memory
     * (an empty split, p0 == p1, has m = -inf and weighs 0). */
    float *slot = merge_smem + (size_t)warp * (D + 2);
#pragma unroll
    for (int e = 0; e < E; e++) slot[lane * E + e] = acc[e];
    if (lane == 0) {
      slot[D] = m;
      slot[D + 1] = l;
    }
    __syncthreads();
    if (sub != 0) return;
    float best = -INFINITY;
    for (uint32_t t = 0; t < S; t++) best = fmaxf(best, merge_smem[(t * a.group + g) * (D + 2) + D]);
    l = 0.0f;
#pragma unroll
    for (int e = 0; e < E; e++) acc[e] = 0.0f;
    for (uint32_t t = 0; t < S; t++) {
      const float *o = merge_smem + (size_t)(t * a.group + g) * (D + 2);
      const float f = o[D] == -INFINITY ? 0.0f : expf(o[D] - best);
      l = fmaf(o[D + 1], f, l);
#pragma unroll
      for (int e = 0; e < E; e++) acc[e] = fmaf(o[lane * E + e], f, acc[e]);
    }
    m = best;
    if (n_blocks == 1) { /* one block a KV head: nothing goes through global memory */
      __nv_bfloat16 *out = reinterpret_cast<__nv_bfloat16 *>(a.out) + (size_t)h * D + lane * E;
#pragma unroll
      for (int e = 0; e < E; e++) out[e] = lc_bf16(acc[e] / l);
      return;
    }
  }
  float *mine = a.partial + ((size_t)h * n_blocks + blockIdx.x) * (D + 2);
#pragma unroll
  for (int e = 0; e < E; e++) mine[lane * E + e] = acc[e];
  if (lane == 0) {
    mine[D] = m;
    mine[D + 1] = l;
  }
  if (a.probe & LC_PROBE_ATTN_NO_MERGE) return;
  __threadfence();
  /* From here only the first S-th of the warps (sub 0) are left when S > 1. */
  if (MULTI) asm volatile("bar.sync 1, %0;" ::"r"(32u * a.group) : "memory");
  else __syncthreads();
  __shared__ bool last;
  if (threadIdx.x == 0) last = atomicAdd(&a.counters[kv], 1u) == n_blocks - 1;
  if (MULTI) asm volatile("bar.sync 1, %0;" ::"r"(32u * a.group) : "memory");
  else __syncthreads();
  if (!last) return;
  __threadfence();
  /* The last block of this KV head merges every split of its query heads:
   * lane j reads split j's max and sum, then every split's values are read
   * with no branch between them, so the loads overlap. */
  const float *all = a.partial + (size_t)h * n_blocks * (D + 2);
  const uint32_t active_splits = (length + chunk - 1) / chunk; /* splits that had positions */
  const uint32_t active = (active_splits + S - 1) / S;        /* blocks that had positions */
  const float sm = lane < (int)active ? __ldcg(all + lane * (D + 2) + D) : -INFINITY;
  const float sl = lane < (int)active ? __ldcg(all + lane * (D + 2) + D + 1) : 0.0f;
  const float best = lc_warp_max(sm);
  const float f = sm == -INFINITY ? 0.0f : expf(sm - best); /* an empty range weighs 0 */
  const float total = lc_warp_sum(sl * f);
  float o[E];
#pragma unroll
  for (int e = 0; e < E; e++) o[e] = 0.0f;
#pragma unroll 8
  for (uint32_t s = 0; s < active; s++) {
    const float fs = __shfl_sync(0xffffffffu, f, (int)s);
#pragma unroll
    for (int e = 0; e < E; e++) o[e] = fmaf(__ldcg(all + s * (D + 2) + lane * E + e), fs, o[e]);
  }
  __nv_bfloat16 *out = reinterpret_cast<__nv_bfloat16 *>(a.out) + (size_t)h * D + lane * E;
#pragma unroll
  for (int e = 0; e < E; e++) out[e] = lc_bf16(o[e] / total);
  if (threadIdx.x == 0) a.counters[kv] = 0;
}

template <int D>
cudaError_t launch_attention(const LcLaunch &l, const Args &a, int bound512) {
  if (a.block_splits > 1)
    return bound512 ? cudaLaunchKernelEx(&l.cfg, attention_decode_kernel<D, 512, true>, a)
                    : cudaLaunchKernelEx(&l.cfg, attention_decode_kernel<D, 1024, true>, a);
  return bound512 ? cudaLaunchKernelEx(&l.cfg, attention_decode_kernel<D, 512, false>, a)
                  : cudaLaunchKernelEx(&l.cfg, attention_decode_kernel<D, 1024, false>, a);
}

} // namespace

extern "C" int lc_attention_head_dim_supported(uint32_t head_dim) {
  return head_dim == 64 || head_dim == 128;
}

extern "C" size_t lc_decode_attention_partial_floats(const lc_decode_tuning *t,
                                                      uint32_t n_heads, uint32_t head_dim) {
  return (size_t)n_heads * (t->attn_splits ? t->attn_splits : 1) * (head_dim + 2);
}

extern "C" cudaError_t lc_decode_attention(cudaStream_t s, const lc_decode_tuning *t,
                                           const float *q, const uint16_t *k_cache,
                                           const uint16_t *v_cache, uint32_t n_heads,
                                           uint32_t n_kv_heads, uint32_t head_dim,
                                           uint32_t max_context, const lc_step *step,
                                           float *partial, uint32_t *counters, uint16_t *out) {
  const uint32_t group = n_heads / n_kv_heads;
  if (group == 0 || group * n_kv_heads != n_heads || group > 32 || t->attn_splits > 32)
    return cudaErrorInvalidValue;
  const uint32_t splits = t->attn_splits ? t->attn_splits : 1;
  const uint32_t S = t->attn_block_splits ? t->attn_block_splits : 1;
  if (splits % S != 0 || S * group > 32) return cudaErrorInvalidValue;
  Args a;
  a.q = q;
  a.k = k_cache;
  a.v = v_cache;
  a.max_context = max_context;
  a.group = group;
  a.splits = splits;
  a.block_splits = S;
  a.min_positions = t->attn_min_positions ? t->attn_min_positions : 1;
  a.probe = t->probe;
  a.step = step;
  a.partial = partial;
  a.counters = counters;
  a.out = out;
  a.scale = 1.0f / sqrtf((float)head_dim);
  const uint32_t threads = 32 * group * S;
  const size_t smem = S > 1 ? (size_t)S * group * (head_dim + 2) * sizeof(float) : 0;
  const int bound512 = t->attn_bound == 512 && threads <= 512;
  const LcLaunch l(dim3(splits / S, n_kv_heads), dim3(threads), smem, s, t->pdl);
  if (head_dim == 64) return launch_attention<64>(l, a, bound512);
  if (head_dim == 128) return launch_attention<128>(l, a, bound512);
  return cudaErrorInvalidValue;
}
