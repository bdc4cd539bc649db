/* cuda/kernels/decode_persistent.cu — the whole decode step as one
 * persistent kernel: a block or two a multiprocessor for the step, going
 * through its phases (per layer qkv + RoPE, attention, o_proj, gate/up +
 * SwiGLU, down; then lm_head with its argmax) with a grid-wide barrier
 * between them.  Each warp streams its units (two weight rows) through a
 * ring of shared-memory stages filled by the bulk copy engine, as
 * gemv.cu's kernels do, but its ring runs on across phases: weights depend
 * on nothing, so once a warp has issued the last copy of one phase it goes
 * on with the next phase's rows, and the ring is full of them while the
 * grid waits at the barrier, reads its input vector and normalises it.
 * HBM keeps streaming across what were kernel boundaries.  The same
 * arithmetic as gemv.cu and attention_decode.cu, in the same order (a row's
 * sum, the softmax), so logits agree with the kernel-per-phase step except
 * for the norm's sum of squares with another block size. */
#include "common.cuh"
#include "launch.h"
#include "ring.cuh"

namespace {

constexpr uint32_t kMaxWarps = 16;
constexpr uint32_t kMinSplitPositions = 8;         /* as attention_decode.cu */

/* Phases: 5 a layer, then lm_head. */
enum Kind : uint32_t { kQkv = 0, kAttn = 1, kOproj = 2, kGateUp = 3, kDown = 4, kLm = 5 };

constexpr size_t kBarrierBytes = (size_t)kMaxWarps * kMaxStages * 8;

__host__ __device__ inline uint32_t max_cols(const lc_persist_args &a) {
  uint32_t m = a.d;
  if (a.n_heads * a.head_dim > m) m = a.n_heads * a.head_dim;
  if (a.ff > m) m = a.ff;
  return m;
}

__device__ __forceinline__ uint32_t n_phases(const lc_persist_args &a) { return 5 * a.n_layers + 1; }
__device__ __forceinline__ uint32_t kind_of(const lc_persist_args &a, uint32_t p) {
  return p == 5 * a.n_layers ? kLm : p % 5;
}

__device__ __forceinline__ uint32_t ld_acquire(const uint32_t *p) {
  uint32_t v;
  asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(v) : "l"(p) : "memory");
  return v;
}

__device__ __forceinline__ unsigned long long globaltimer() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %globaltimer;" : "=l"(t));
  return t;
}

/* Options of the barrier (lc_decode_tuning.barrier, bits). */
constexpr int kLightSync = 1; /* the barrier's and the attention merge's atomics on lane 1, which
                               * issues no bulk copies, with release/acquire instead of full
                               * fences */
constexpr int kEarlyNorm = 2; /* a phase's norm weights read before its barrier */

/* The sync words: a line (32 words) a phase's counter, then [H] attention
 * heads and lm_head's counter on lines of their own. */
constexpr uint32_t kLine = 32;
__host__ __device__ inline uint32_t heads_offset(uint32_t n_layers) {
  return (5 * n_layers + 1) * kLine;
}

__device__ __forceinline__ void red_release(uint32_t *p, uint32_t v) {
  asm volatile("red.release.gpu.global.add.u32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}

__device__ __forceinline__ uint32_t atom_add_acq_rel(uint32_t *p, uint32_t v) {
  uint32_t old;
  asm volatile("atom.acq_rel.gpu.global.add.u32 %0, [%1], %2;"
               : "=r"(old)
               : "l"(p), "r"(v)
               : "memory");
  return old;
}

/* Every block of the grid arrives at *counter, then waits for all: thread
 * 0 with full fences around a relaxed add (barrier 0), or (kLightSync)
 * thread 1, which issues no bulk copies, with a release add and acquire
 * polls. */
__device__ __forceinline__ void grid_sync(uint32_t *counter, int mode,
                                          unsigned long long *arrival) {
  __syncthreads();
  if (mode & kLightSync) {
    if (threadIdx.x == 1) {
      if (arrival != nullptr) *arrival = globaltimer();
      red_release(counter, 1u);
      while (ld_acquire(counter) < gridDim.x) {
      }
    }
  } else if (threadIdx.x == 0) {
    if (arrival != nullptr) *arrival = globaltimer();
    __threadfence();
    atomicAdd(counter, 1u);
    while (ld_acquire(counter) < gridDim.x) {
    }
    __threadfence();
  }
  __syncthreads();
}

/* ---- where a warp is in its sequence of (phase, unit, column chunk) ---- */

struct Cursor {
  uint32_t p, u, c0, a, b, cols, n_units;
  bool b_valid;
  const uint16_t *w;
};

__device__ __forceinline__ void cursor_rows(const lc_persist_args &a, Cursor &k) {
  const uint32_t kind = kind_of(a, k.p), u = k.u;
  if (kind == kQkv) {
    const uint32_t half = a.head_dim / 2, hh = u / half, i = u - hh * half;
    k.a = hh * a.head_dim + i;
    k.b = k.a + half;
    k.b_valid = true;
  } else if (kind == kGateUp) {
    k.a = u;
    k.b = u + a.ff;
    k.b_valid = true;
  } else {
    const uint32_t rows = kind == kLm ? a.vocab : a.d;
    k.a = 2 * u;
    k.b = k.a + 1;
    k.b_valid = k.b < rows;
  }
}

/* A phase's matrix as the cursors read it: a table in shared memory, so
 * that moving to the next phase waits on no global load. */
struct PhaseGeo {
  const uint16_t *w;
  uint32_t cols, n_units; /* n_units 0: not a GEMV */
};

__host__ __device__ inline size_t table_bytes(uint32_t n_layers) {
  return align_up((size_t)(5 * n_layers + 1) * sizeof(PhaseGeo), 128);
}

__device__ PhaseGeo phase_geo(const lc_persist_args &a, uint32_t p) {
  const uint32_t kind = kind_of(a, p);
  const lc_persist_layer *L = kind == kLm ? nullptr : &a.layers[p / 5];
  PhaseGeo g = {nullptr, 0, 0};
  if (kind == kQkv)
    g = {L->qkv, a.d, (a.n_heads + 2 * a.n_kv_heads) * (a.head_dim / 2)};
  else if (kind == kOproj)
    g = {L->o, a.n_heads * a.head_dim, (a.d + 1) / 2};
  else if (kind == kGateUp)
    g = {L->gate_up, a.d, a.ff};
  else if (kind == kDown)
    g = {L->down, a.ff, (a.d + 1) / 2};
  else if (kind == kLm)
    g = {a.lm_head, a.d, (a.vocab + 1) / 2};
  return g;
}

/* The first GEMV phase from p on in which warp gw has a unit (n_phases
 * when none is left). */
__device__ void cursor_phase(const lc_persist_args &a, const PhaseGeo *table, Cursor &k,
                             uint32_t p, uint32_t gw) {
  const uint32_t np = n_phases(a);
  for (; p < np; p++) {
    const PhaseGeo g = table[p];
    if (gw < g.n_units) {
      k.p = p, k.u = gw, k.c0 = 0, k.w = g.w, k.cols = g.cols, k.n_units = g.n_units;
      cursor_rows(a, k);
      return;
    }
  }
  k.p = np;
}

/* To the next chunk; true when that finished the unit. */
__device__ __forceinline__ bool cursor_next(const lc_persist_args &a, const PhaseGeo *table,
                                            Cursor &k, uint32_t gw, uint32_t n_warps) {
  k.c0 += kChunk;
  if (k.c0 < k.cols) return false;
  k.c0 = 0;
  k.u += n_warps;
  if (k.u < k.n_units)
    cursor_rows(a, k);
  else
    cursor_phase(a, table, k, k.p + 1, gw);
  return true;
}

__device__ __forceinline__ void issue(const Cursor &f, char *stage, uint64_t *bar) {
  const uint32_t n = f.cols - f.c0 < kChunk ? f.cols - f.c0 : kChunk;
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  mbar_expect(bar, n * 2u * (f.b_valid ? 2u : 1u));
  bulk_copy(stage, f.w + (size_t)f.a * f.cols + f.c0, n * 2u, bar);
  if (f.b_valid) bulk_copy(stage + kChunkBytes, f.w + (size_t)f.b * f.cols + f.c0, n * 2u, bar);
}



/* ---- a phase's input vector into xs (the whole block) ------------------ */

/* x's 4 floats at slot i, or the embedding row's (layer 0's qkv). */
__device__ __forceinline__ float4 input_at(const lc_persist_args &a, bool embed, int32_t token,
                                           uint32_t i) {
  if (embed) {
    const uint2 raw = reinterpret_cast<const uint2 *>(a.embed + (size_t)token * a.d)[i];
    return make_float4(lc_bf16_lo(raw.x), lc_bf16_hi(raw.x), lc_bf16_lo(raw.y), lc_bf16_hi(raw.y));
  }
  return __ldcg(reinterpret_cast<const float4 *>(a.x) + i);
}

/* xs = rmsnorm(x) * norm (x the embedding row when embed; block 0 then
 * stores it as the residual). */
__device__ void load_norm(const lc_persist_args &a, bool embed, int32_t token, const float *norm,
                          const float4 (&g_early)[4], bool early, uint2 *xs, float *red) {
  const uint32_t n4 = a.d / 4, nt = blockDim.x;
  float ss = 0.0f;
  float4 keep[4];
#pragma unroll
  for (int m = 0; m < 4; m++) {
    const uint32_t i = threadIdx.x + (uint32_t)m * nt;
    keep[m] = make_float4(0, 0, 0, 0);
    if (i < n4) {
      keep[m] = input_at(a, embed, token, i);
      if (embed && blockIdx.x == 0) reinterpret_cast<float4 *>(a.x)[i] = keep[m];
    }
    ss += keep[m].x * keep[m].x + keep[m].y * keep[m].y + keep[m].z * keep[m].z +
          keep[m].w * keep[m].w;
  }
  for (uint32_t i = threadIdx.x + 4 * nt; i < n4; i += nt) {
    const float4 v = input_at(a, embed, token, i);
    if (embed && blockIdx.x == 0) reinterpret_cast<float4 *>(a.x)[i] = v;
    ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
  }
  ss = lc_block_sum(ss, red);
  const float inv = 1.0f / sqrtf(ss / (float)a.d + a.eps);
  const float4 *w4 = reinterpret_cast<const float4 *>(norm);
#pragma unroll
  for (int m = 0; m < 4; m++) {
    const uint32_t i = threadIdx.x + (uint32_t)m * nt;
    if (i < n4) {
      const float4 v = keep[m], g = early ? g_early[m] : w4[i];
      xs[i] = pack4(make_float4((v.x * inv) * g.x, (v.y * inv) * g.y, (v.z * inv) * g.z,
                                (v.w * inv) * g.w));
    }
  }
  for (uint32_t i = threadIdx.x + 4 * nt; i < n4; i += nt) {
    const float4 v = input_at(a, embed, token, i), g = w4[i];
    xs[i] = pack4(make_float4((v.x * inv) * g.x, (v.y * inv) * g.y, (v.z * inv) * g.z,
                              (v.w * inv) * g.w));
  }
  __syncthreads();
}

/* xs = src (bf16, cols of them). */
__device__ void load_copy(const uint16_t *src, uint32_t cols, uint2 *xs) {
  const uint2 *s = reinterpret_cast<const uint2 *>(src);
  for (uint32_t i = threadIdx.x; i < cols / 4; i += blockDim.x) xs[i] = __ldcg(s + i);
  __syncthreads();
}

/* ---- attention: a warp a (query head, range of the context) ----------- */

template <int E> struct Vec;
template <> struct Vec<2> { using T = uint32_t; };
template <> struct Vec<4> { using T = uint2; };
__device__ __forceinline__ void unpack(uint32_t raw, float (&out)[2]) {
  out[0] = lc_bf16_lo(raw);
  out[1] = lc_bf16_hi(raw);
}
__device__ __forceinline__ void unpack(uint2 raw, float (&out)[4]) {
  out[0] = lc_bf16_lo(raw.x);
  out[1] = lc_bf16_hi(raw.x);
  out[2] = lc_bf16_lo(raw.y);
  out[3] = lc_bf16_hi(raw.y);
}
__device__ __forceinline__ uint32_t ldcg_vec(const uint32_t *p) { return __ldcg(p); }
__device__ __forceinline__ uint2 ldcg_vec(const uint2 *p) { return __ldcg(p); }

/* Keys and values of the positions a warp sums together: the first batch
 * of its first item's older positions is loaded before the barrier. */
template <int D> struct KvBatch {
  static constexpr int E = D / 32;
  static constexpr int kBatch = 8; /* 16 for D = 64 spills registers */
  using V = typename Vec<E>::T;
  V k[kBatch], v[kBatch];
};

/* The range [p0, p1) of split `split` for a context of length pos + 1. */
__device__ __forceinline__ void split_range(const lc_persist_args &a, uint32_t split,
                                            uint32_t pos, uint32_t &chunk, uint32_t &p0,
                                            uint32_t &p1) {
  const uint32_t length = pos + 1;
  chunk = (length + a.splits - 1) / a.splits;
  if (chunk < kMinSplitPositions) chunk = kMinSplitPositions;
  p0 = split * chunk;
  p1 = p0 + chunk < length ? p0 + chunk : length;
}

/* Positions before pos were written by earlier steps: they can be read
 * before the barrier that waits for this step's q, k and v. */
template <int D>
__device__ void attention_preload(const lc_persist_args &a, uint32_t layer, uint32_t h,
                                  uint32_t split, uint32_t pos, KvBatch<D> &kb) {
  using V = typename KvBatch<D>::V;
  const int lane = threadIdx.x & 31;
  uint32_t chunk, p0, p1;
  split_range(a, split, pos, chunk, p0, p1);
  const uint32_t kv = h / (a.n_heads / a.n_kv_heads);
  const lc_persist_layer *L = &a.layers[layer];
  const uint16_t *kbase = L->k + (size_t)kv * a.max_context * D;
  const uint16_t *vbase = L->v + (size_t)kv * a.max_context * D;
#pragma unroll
  for (int j = 0; j < KvBatch<D>::kBatch; j++) {
    if (p0 + j < p1 && p0 + j < pos) {
      kb.k[j] = reinterpret_cast<const V *>(kbase + (size_t)(p0 + j) * D)[lane];
      kb.v[j] = reinterpret_cast<const V *>(vbase + (size_t)(p0 + j) * D)[lane];
    }
  }
}

/* Query head h over split `split` of the context; the last warp of a head
 * to finish merges its splits into attn[h] (bf16).  preloaded: kb holds
 * the first batch's older positions (attention_preload). */
template <int D>
__device__ void attention_item(const lc_persist_args &a, uint32_t layer, uint32_t h,
                               uint32_t split, uint32_t pos, uint32_t *head_counters,
                               KvBatch<D> &kb, bool preloaded, bool light) {
  constexpr int E = D / 32;
  constexpr int kBatch = KvBatch<D>::kBatch;
  using V = typename Vec<E>::T;
  const int lane = threadIdx.x & 31;
  const uint32_t S = a.splits, length = pos + 1, group = a.n_heads / a.n_kv_heads;
  const uint32_t kv = h / group;
  uint32_t chunk, p0, p1;
  split_range(a, split, pos, chunk, p0, p1);
  const lc_persist_layer *L = &a.layers[layer];
  const uint16_t *kbase = L->k + (size_t)kv * a.max_context * D;
  const uint16_t *vbase = L->v + (size_t)kv * a.max_context * D;
  float q[E], acc[E];
#pragma unroll
  for (int e = 0; e < E; e++) {
    q[e] = __ldcg(a.q + (size_t)h * D + lane * E + e);
    acc[e] = 0.0f;
  }
  const float scale = 1.0f / sqrtf((float)D);
  float m = -INFINITY, l = 0.0f;
  for (uint32_t p = p0; p < p1; p += kBatch) {
#pragma unroll
    for (int j = 0; j < kBatch; j++) {
      if (p + j < p1 && !(preloaded && p == p0 && p + j < pos)) {
        kb.k[j] = ldcg_vec(reinterpret_cast<const V *>(kbase + (size_t)(p + j) * D) + lane);
        kb.v[j] = ldcg_vec(reinterpret_cast<const V *>(vbase + (size_t)(p + j) * D) + lane);
      }
    }
#pragma unroll
    for (int j = 0; j < kBatch; j++) {
      if (p + j >= p1) break;
      float kf[E], vf[E];
      unpack(kb.k[j], kf);
      unpack(kb.v[j], vf);
      float dot = 0.0f;
#pragma unroll
      for (int e = 0; e < E; e++) dot = fmaf(q[e], kf[e], dot);
      const float s = lc_warp_sum(dot) * scale;
      const float m_new = fmaxf(m, s);
      const float corr = expf(m - m_new), w = expf(s - m_new);
      l = l * corr + w;
#pragma unroll
      for (int e = 0; e < E; e++) acc[e] = acc[e] * corr + w * vf[e];
      m = m_new;
    }
  }
  float *mine = a.attn_partial + ((size_t)h * S + split) * (D + 2);
#pragma unroll
  for (int e = 0; e < E; e++) mine[lane * E + e] = acc[e];
  if (lane == 0) {
    mine[D] = m;
    mine[D + 1] = l;
  }
  uint32_t *counter = head_counters + (size_t)h * kLine;
  uint32_t last = 0;
  if (light) { /* lane 1 issues no bulk copies: its fence waits on none */
    __syncwarp();
    if (lane == 1) last = atom_add_acq_rel(counter, 1u) == S - 1;
    last = __shfl_sync(0xffffffffu, last, 1);
    if (!last) return;
  } else {
    __threadfence();
    __syncwarp();
    if (lane == 0) last = atomicAdd(counter, 1u) == S - 1;
    last = __shfl_sync(0xffffffffu, last, 0);
    if (!last) return;
    __threadfence();
  }
  const float *all = a.attn_partial + (size_t)h * S * (D + 2);
  const uint32_t active = (length + chunk - 1) / chunk;
  const float sm = lane < (int)active ? __ldcg(all + lane * (D + 2) + D) : -INFINITY;
  const float sl = lane < (int)active ? __ldcg(all + lane * (D + 2) + D + 1) : 0.0f;
  const float best = lc_warp_max(sm);
  const float f = sm == -INFINITY ? 0.0f : expf(sm - best);
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
  __nv_bfloat16 *out = reinterpret_cast<__nv_bfloat16 *>(a.attn) + (size_t)h * D + lane * E;
#pragma unroll
  for (int e = 0; e < E; e++) out[e] = lc_bf16(o[e] / total);
  if (lane == 0) *counter = 0;
}


/* The argmax over the blocks' warps (as gemv.cu's LmHead::done). */
__device__ void argmax_done(const lc_persist_args &a, float best, uint32_t best_i,
                            uint32_t *counter) {
  __shared__ float wv[kMaxWarps];
  __shared__ uint32_t wi[kMaxWarps];
  __shared__ bool last;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  if (lane == 0) {
    wv[warp] = best;
    wi[warp] = best_i;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float bv = wv[0];
    uint32_t bi = wi[0];
    for (int i = 1; i < nw; i++)
      if (better(wv[i], wi[i], bv, bi)) bv = wv[i], bi = wi[i];
    a.lm_value[blockIdx.x] = bv;
    a.lm_index[blockIdx.x] = bi;
    __threadfence();
    last = atomicAdd(counter, 1u) == gridDim.x - 1;
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  float bv = -INFINITY;
  uint32_t bi = 0xffffffffu;
  for (uint32_t i = threadIdx.x; i < gridDim.x; i += blockDim.x) {
    const float v = __ldcg(a.lm_value + i);
    const uint32_t ix = __ldcg(a.lm_index + i);
    if (better(v, ix, bv, bi)) bv = v, bi = ix;
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float v = __shfl_xor_sync(0xffffffffu, bv, o);
    const uint32_t ix = __shfl_xor_sync(0xffffffffu, bi, o);
    if (better(v, ix, bv, bi)) bv = v, bi = ix;
  }
  __syncthreads();
  if (lane == 0) {
    wv[warp] = bv;
    wi[warp] = bi;
  }
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int i = 1; i < nw; i++)
    if (better(wv[i], wi[i], wv[0], wi[0])) wv[0] = wv[i], wi[0] = wi[i];
  *a.next = wi[0] == 0xffffffffu ? 0 : (int32_t)wi[0];
  *counter = 0;
}

/* sync (a line each): [n_phases - 1] barriers, the end counter, [H]
 * attention heads, lm_head's counter; all zero at the start and left so. */
template <int D>
__global__ void __launch_bounds__(kMaxWarps * 32, 1) persistent_kernel(lc_persist_args a) {
  extern __shared__ __align__(128) char smem[];
  __shared__ float red[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const uint32_t warps = blockDim.x >> 5;
  /* Warp-major: a phase with fewer units than warps spreads them over
   * every multiprocessor. */
  const uint32_t gw = (uint32_t)warp * gridDim.x + blockIdx.x, n_warps = gridDim.x * warps;
  const uint32_t np = n_phases(a), stages = a.stages;
  uint2 *xs = reinterpret_cast<uint2 *>(smem);
  uint64_t *bars = reinterpret_cast<uint64_t *>(smem + xs_bytes(max_cols(a))) + warp * kMaxStages;
  PhaseGeo *table = reinterpret_cast<PhaseGeo *>(smem + xs_bytes(max_cols(a)) + kBarrierBytes);
  char *ring = smem + xs_bytes(max_cols(a)) + kBarrierBytes + table_bytes(a.n_layers) +
               (size_t)warp * stages * kStageBytes;
  for (uint32_t p = threadIdx.x; p < np; p += blockDim.x) table[p] = phase_geo(a, p);
  __syncthreads();
  uint32_t *head_counters = a.sync + heads_offset(a.n_layers);
  if (lane == 0) {
    for (uint32_t s = 0; s < stages; s++) mbar_init(&bars[s]);
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  __syncwarp();
  Cursor f, k;
  cursor_phase(a, table, f, 0, gw);
  k = f;
  for (uint32_t s = 0; s < stages && f.p < np; s++) {
    if (lane == 0) issue(f, ring + (size_t)s * kStageBytes, &bars[s]);
    cursor_next(a, table, f, gw, n_warps);
  }
  const uint32_t pos = a.step->pos;
  const int32_t token = a.step->token;
  const uint32_t half = a.head_dim / 2;
  float best = -INFINITY;
  uint32_t best_i = 0xffffffffu;
  uint32_t slot = 0, parity = 0;
  for (uint32_t p = 0; p < np; p++) {
    KvBatch<D> kb; /* within one phase only: not held across the GEMVs */
    const uint32_t kind = kind_of(a, p), layer = p / 5;
    const uint32_t n_items = a.n_heads * a.splits;
    if (kind == kAttn && gw < n_items)
      attention_preload<D>(a, layer, gw / a.splits, gw % a.splits, pos, kb);
    const lc_persist_layer *L = kind == kLm ? nullptr : &a.layers[layer];
    const float *norm = kind == kQkv ? L->attn_norm : kind == kGateUp ? L->mlp_norm
                        : kind == kLm ? a.final_norm : nullptr;
    /* The norm's weights depend on nothing: read them before the wait. */
    const bool early = (a.barrier & kEarlyNorm) != 0 && norm != nullptr;
    float4 g_early[4];
#pragma unroll
    for (int m = 0; m < 4; m++) {
      const uint32_t i = threadIdx.x + (uint32_t)m * blockDim.x;
      g_early[m] = early && i < a.d / 4 ? reinterpret_cast<const float4 *>(norm)[i]
                                        : make_float4(0, 0, 0, 0);
    }
    if (p > 0)
      grid_sync(a.sync + (size_t)(p - 1) * kLine, a.barrier,
                a.stamps == nullptr ? nullptr
                                : a.stamps + (size_t)(np + p - 1) * gridDim.x + blockIdx.x);
    if (a.stamps != nullptr && threadIdx.x == 0)
      a.stamps[(size_t)p * gridDim.x + blockIdx.x] = globaltimer();
    if (kind == kAttn) {
      for (uint32_t it = gw; it < n_items; it += n_warps)
        attention_item<D>(a, layer, it / a.splits, it % a.splits, pos, head_counters, kb,
                          it == gw, (a.barrier & kLightSync) != 0);
      continue;
    }
    if (norm != nullptr)
      load_norm(a, kind == kQkv && layer == 0, token, norm, g_early, early, xs, red);
    else if (kind == kOproj)
      load_copy(a.attn, a.n_heads * a.head_dim, xs);
    else
      load_copy(a.h, a.ff, xs);
    /* What finishing a unit needs, read as it starts. */
    float pa = 0.0f, pb = 0.0f;
    auto prepare = [&]() {
      if (lane != 0) return;
      if (kind == kQkv) {
        const uint32_t hh = k.u / half, i = k.u - hh * half;
        if (hh < a.n_heads + a.n_kv_heads) {
          pa = a.cos[(size_t)pos * half + i];
          pb = a.sin[(size_t)pos * half + i];
        }
      } else if (kind == kOproj || kind == kDown) {
        pa = __ldcg(a.x + k.a);
        pb = k.b_valid ? __ldcg(a.x + k.b) : 0.0f;
      }
    };
    if (k.p == p) prepare();
    float acc_a = 0.0f, acc_b = 0.0f;
    while (k.p == p) {
      const char *stage = ring + (size_t)slot * kStageBytes;
      mbar_wait(&bars[slot], (parity >> slot) & 1u);
      parity ^= 1u << slot;
#pragma unroll
      for (uint32_t j = 0; j < kPerLane; j++) {
        const uint32_t e = j * 256u + (uint32_t)lane * 8u;
        if (k.c0 + e < k.cols) {
          const uint4 x = reinterpret_cast<const uint4 *>(xs)[(k.c0 + e) / 8];
          acc_a = dot8_bf16(*reinterpret_cast<const uint4 *>(stage + e * 2), x, acc_a);
          if (k.b_valid)
            acc_b = dot8_bf16(*reinterpret_cast<const uint4 *>(stage + kChunkBytes + e * 2), x,
                              acc_b);
        }
      }
      const Cursor done = k;
      if (cursor_next(a, table, k, gw, n_warps)) {
        const float ya = lc_warp_sum(acc_a), yb = lc_warp_sum(acc_b);
        if (lane == 0) {
          if (kind == kQkv) {
            const uint32_t hh = done.u / half, i = done.u - hh * half;
            if (hh < a.n_heads + a.n_kv_heads) {
              const float r1 = ya * pa - yb * pb, r2 = yb * pa + ya * pb;
              if (hh < a.n_heads) {
                a.q[hh * a.head_dim + i] = r1;
                a.q[hh * a.head_dim + i + half] = r2;
              } else {
                __nv_bfloat16 *row = reinterpret_cast<__nv_bfloat16 *>(L->k) +
                                     ((size_t)(hh - a.n_heads) * a.max_context + pos) * a.head_dim;
                row[i] = lc_bf16(r1);
                row[i + half] = lc_bf16(r2);
              }
            } else {
              __nv_bfloat16 *row =
                  reinterpret_cast<__nv_bfloat16 *>(L->v) +
                  ((size_t)(hh - a.n_heads - a.n_kv_heads) * a.max_context + pos) * a.head_dim;
              row[i] = lc_bf16(ya);
              row[i + half] = lc_bf16(yb);
            }
          } else if (kind == kGateUp) {
            reinterpret_cast<__nv_bfloat16 *>(a.h)[done.u] = lc_bf16(lc_silu_mul(ya, yb));
          } else if (kind == kLm) {
            a.logits[done.a] = ya;
            if (better(ya, done.a, best, best_i)) best = ya, best_i = done.a;
            if (done.b_valid) {
              a.logits[done.b] = yb;
              if (better(yb, done.b, best, best_i)) best = yb, best_i = done.b;
            }
          } else {
            a.x[done.a] = pa + ya;
            if (done.b_valid) a.x[done.b] = pb + yb;
          }
        }
        if (k.p == p) prepare();
        acc_a = acc_b = 0.0f;
      }
      __syncwarp(); /* every lane is done with the stage */
      if (f.p < np) {
        if (lane == 0) issue(f, ring + (size_t)slot * kStageBytes, &bars[slot]);
        cursor_next(a, table, f, gw, n_warps);
      }
      slot = slot + 1 == stages ? 0 : slot + 1;
    }
    if (kind == kLm)
      argmax_done(a, best, best_i, a.sync + heads_offset(a.n_layers) + a.n_heads * kLine);
  }
  /* The last block to get here clears the barriers: every other block
   * has passed all of them. */
  __syncthreads();
  if (threadIdx.x == 0) {
    if (a.stamps != nullptr)
      a.stamps[(size_t)(2 * np - 1) * gridDim.x + blockIdx.x] = globaltimer();
    __threadfence();
    if (atomicAdd(a.sync + (size_t)(np - 1) * kLine, 1u) == gridDim.x - 1) {
      for (uint32_t i = 0; i < np; i++) a.sync[(size_t)i * kLine] = 0;
      __threadfence();
    }
  }
}

/* The launch for tuning t: grid, threads, ring stages and dynamic shared
 * memory; false when t cannot be met.  No CUDA call. */
bool plan(const lc_decode_tuning *t, const lc_device *dev, const lc_persist_args *a,
          uint32_t *grid, uint32_t *threads, uint32_t *stages, size_t *smem) {
  if (a->head_dim != 64 && a->head_dim != 128) return false;
  const uint32_t warps = t->warps == 0 ? 8 : t->warps;
  const uint32_t bps = t->blocks_per_sm == 2 ? 2 : 1;
  if (warps > kMaxWarps || warps < 1) return false;
  const size_t budget = dev->smem_per_block / bps;
  const size_t fixed = xs_bytes(max_cols(*a)) + kBarrierBytes + table_bytes(a->n_layers) + 1024;
  if (budget < fixed) return false;
  size_t s = (budget - fixed) / ((size_t)warps * kStageBytes);
  const uint32_t asked = t->stages < kMaxStages ? t->stages : kMaxStages;
  if (s > asked) s = asked;
  if (s < 2) return false;
  *stages = (uint32_t)s;
  *threads = warps * 32;
  *smem = xs_bytes(max_cols(*a)) + kBarrierBytes + table_bytes(a->n_layers) +
          (size_t)warps * s * kStageBytes;
  *grid = dev->sm_count * bps;
  return true;
}

const void *kernel_for(uint32_t head_dim) {
  return head_dim == 64 ? reinterpret_cast<const void *>(persistent_kernel<64>)
                        : reinterpret_cast<const void *>(persistent_kernel<128>);
}

} // namespace

extern "C" uint32_t lc_decode_persistent_sync_words(uint32_t n_layers, uint32_t n_heads) {
  return heads_offset(n_layers) + (n_heads + 1) * kLine;
}

extern "C" cudaError_t lc_decode_persistent_prepare(const lc_decode_tuning *t,
                                                    const lc_device *dev,
                                                    const lc_persist_args *a) {
  uint32_t grid, threads, stages;
  size_t smem;
  if (!plan(t, dev, a, &grid, &threads, &stages, &smem)) return cudaErrorInvalidValue;
  const void *fn = kernel_for(a->head_dim);
  cudaError_t e = cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  if (e != cudaSuccess) return e;
  int fit = 0;
  e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&fit, fn, (int)threads, smem);
  if (e != cudaSuccess) return e;
  return (uint32_t)fit * dev->sm_count < grid ? cudaErrorCooperativeLaunchTooLarge : cudaSuccess;
}

extern "C" cudaError_t lc_decode_persistent(cudaStream_t s, const lc_decode_tuning *t,
                                            const lc_device *dev, const lc_persist_args *in) {
  lc_persist_args a = *in;
  uint32_t grid, threads;
  size_t smem;
  if (!plan(t, dev, &a, &grid, &threads, &a.stages, &smem)) return cudaErrorInvalidValue;
  a.splits = t->attn_splits;
  a.barrier = t->barrier;
  /* Attention items (query head, split) are warps: no more splits than
   * the grid has warps for. */
  while (a.splits > 1 && a.n_heads * a.splits > grid * (threads / 32)) a.splits /= 2;
  cudaLaunchConfig_t cfg = {};
  cudaLaunchAttribute attr[1];
  cfg.gridDim = dim3(grid);
  cfg.blockDim = dim3(threads);
  cfg.dynamicSmemBytes = smem;
  cfg.stream = s;
  /* Every block must be resident for the barriers: a cooperative launch
   * fails rather than hang when they cannot be. */
  attr[0].id = cudaLaunchAttributeCooperative;
  attr[0].val.cooperative = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  if (a.head_dim == 64) return cudaLaunchKernelEx(&cfg, persistent_kernel<64>, a);
  return cudaLaunchKernelEx(&cfg, persistent_kernel<128>, a);
}
