/* cuda/kernels/gemv.cu — the decode step's matrix-vector products, written
 * for HBM bandwidth.  Each warp streams its units (two weight rows) through
 * a ring of shared-memory stages that the bulk copy engine fills (TMA,
 * cp.async.bulk, completing on an mbarrier a stage), up to eight stages
 * deep: about 190 KB a multiprocessor in flight, which is what it takes to
 * keep HBM busy at its latency under load, without a register held.  The
 * input vector sits in shared memory as bf16; what follows each product
 * (RoPE and the KV write, the residual add, SwiGLU, the argmax) is done in
 * the same kernel.  A kernel fills its ring before waiting for the kernel
 * before it (PDL): it reads only weights there, so the launch and the
 * previous kernel's tail overlap with its reads. */
#include "common.cuh"
#include "launch.h"
#include "ring.cuh"

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = 32 * kWarps;

/* Shared memory: xs (bf16) | mbarriers | rings. */
constexpr size_t kBarrierBytes = (size_t)kWarps * kMaxStages * 8;

/* The input's 4 floats at slot i (of cols / 4), to normalise (NORM,
 * EMBED_NORM). */
__device__ __forceinline__ float4 input_at(const lc_gemv_input &in, uint32_t cols, uint32_t i) {
  if (in.mode == LC_INPUT_EMBED_NORM) {
    const uint2 raw = reinterpret_cast<const uint2 *>(in.embed + (size_t)in.step->token * cols)[i];
    return make_float4(lc_bf16_lo(raw.x), lc_bf16_hi(raw.x), lc_bf16_lo(raw.y), lc_bf16_hi(raw.y));
  }
  return reinterpret_cast<const float4 *>(in.x)[i];
}


/* xs[cols] (bf16) = the input vector, as lc_gemv_input says.  The first
 * four slots a thread reads stay in registers for the normalising pass
 * (cols <= 4096 reads the input once); later ones are read again. */
__device__ void load_input(const lc_gemv_input &in, uint32_t cols, uint2 *xs, float *red) {
  const uint32_t n4 = cols / 4;
  const bool copy = in.mode == LC_INPUT_COPY;
  float ss = 0.0f;
  float4 keep[4];
#pragma unroll
  for (int m = 0; m < 4; m++) {
    const uint32_t i = threadIdx.x + (uint32_t)m * kThreads;
    keep[m] = make_float4(0, 0, 0, 0);
    if (i < n4 && copy) {
      xs[i] = reinterpret_cast<const uint2 *>(in.x_bf16)[i];
    } else if (i < n4) {
      keep[m] = input_at(in, cols, i);
      if (in.mode == LC_INPUT_EMBED_NORM && blockIdx.x == 0)
        reinterpret_cast<float4 *>(in.x_out)[i] = keep[m];
    }
    ss += keep[m].x * keep[m].x + keep[m].y * keep[m].y + keep[m].z * keep[m].z +
          keep[m].w * keep[m].w;
  }
  for (uint32_t i = threadIdx.x + 4 * kThreads; i < n4; i += kThreads) {
    if (copy) {
      xs[i] = reinterpret_cast<const uint2 *>(in.x_bf16)[i];
      continue;
    }
    const float4 v = input_at(in, cols, i);
    if (in.mode == LC_INPUT_EMBED_NORM && blockIdx.x == 0)
      reinterpret_cast<float4 *>(in.x_out)[i] = v;
    ss += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
  }
  if (!copy) {
    ss = lc_block_sum(ss, red);
    const float inv = 1.0f / sqrtf(ss / (float)cols + in.eps);
    const float4 *w4 = reinterpret_cast<const float4 *>(in.norm);
#pragma unroll
    for (int m = 0; m < 4; m++) {
      const uint32_t i = threadIdx.x + (uint32_t)m * kThreads;
      if (i < n4) {
        const float4 v = keep[m], g = w4[i];
        xs[i] = pack4(make_float4((v.x * inv) * g.x, (v.y * inv) * g.y, (v.z * inv) * g.z,
                                  (v.w * inv) * g.w));
      }
    }
    for (uint32_t i = threadIdx.x + 4 * kThreads; i < n4; i += kThreads) {
      const float4 v = input_at(in, cols, i), g = w4[i];
      xs[i] = pack4(make_float4((v.x * inv) * g.x, (v.y * inv) * g.y, (v.z * inv) * g.z,
                                (v.w * inv) * g.w));
    }
  }
  __syncthreads();
}

__host__ __device__ inline uint32_t blocks_per_sm(const lc_decode_tuning *t) {
  return t->blocks_per_sm == 0 ? 1 : t->blocks_per_sm > 2 ? 2 : t->blocks_per_sm;
}

/* Where a warp is in its sequence of (unit, column chunk). */
struct Cursor {
  uint32_t u, c0, a, b;
  bool b_valid;
};

template <class E>
__device__ __forceinline__ void cursor_start(Cursor &k, const E &ep, uint32_t u,
                                             uint32_t n_units) {
  k.u = u;
  k.c0 = 0;
  k.a = k.b = 0;
  k.b_valid = false;
  if (u < n_units) ep.rows(u, k.a, k.b, k.b_valid);
}

/* To the next chunk; true when that finished the unit. */
template <class E>
__device__ __forceinline__ bool cursor_next(Cursor &k, const E &ep, uint32_t cols,
                                            uint32_t n_units, uint32_t n_warps) {
  k.c0 += kChunk;
  if (k.c0 < cols) return false;
  k.c0 = 0;
  k.u += n_warps;
  if (k.u < n_units) ep.rows(k.u, k.a, k.b, k.b_valid);
  return true;
}

/* Lane 0 asks the copy engine for cursor f's chunk of both rows into a
 * stage.  The stage was last read by this warp's lanes with ordinary
 * loads: the fence orders those before the engine's writes. */
__device__ __forceinline__ void issue(const uint16_t *__restrict__ w, uint32_t cols,
                                      const Cursor &f, char *stage, uint64_t *bar) {
  const uint32_t n = cols - f.c0 < kChunk ? cols - f.c0 : kChunk;
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  mbar_expect(bar, n * 2u * (f.b_valid ? 2u : 1u));
  bulk_copy(stage, w + (size_t)f.a * cols + f.c0, n * 2u, bar);
  if (f.b_valid) bulk_copy(stage + kChunkBytes, w + (size_t)f.b * cols + f.c0, n * 2u, bar);
}


/* The GEMV skeleton.  A unit is two rows (E::rows gives them); warps take
 * units in turn; E::finish gets both sums (every lane has them) and
 * E::done runs once per thread at the end.  `stages` ring stages a warp,
 * all in flight but the one being summed. */
template <class E>
__global__ void __launch_bounds__(kThreads, 1)
    gemv_kernel(const uint16_t *__restrict__ w, uint32_t cols, uint32_t n_units,
                uint32_t stages, lc_gemv_input in, E ep) {
  extern __shared__ __align__(128) char smem[];
  __shared__ float red[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  uint2 *xs = reinterpret_cast<uint2 *>(smem);
  uint64_t *bars = reinterpret_cast<uint64_t *>(smem + xs_bytes(cols)) + warp * kMaxStages;
  char *ring = smem + xs_bytes(cols) + kBarrierBytes + (size_t)warp * stages * kStageBytes;
  const uint32_t n_warps = gridDim.x * kWarps;
  typename E::State st;
  ep.begin(st);
  if (lane == 0) {
    for (uint32_t s = 0; s < stages; s++) mbar_init(&bars[s]);
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  }
  __syncwarp();

  Cursor f, k;
  cursor_start(f, ep, blockIdx.x * kWarps + warp, n_units);
  k = f;
  /* Fill the ring before the wait: weights only. */
  for (uint32_t s = 0; s < stages && f.u < n_units; s++) {
    if (lane == 0) issue(w, cols, f, ring + (size_t)s * kStageBytes, &bars[s]);
    cursor_next(f, ep, cols, n_units, n_warps);
  }
  lc_start_next();
  if (!in.no_wait) lc_wait_previous();
  if (k.u < n_units) ep.prepare(k.u, k.a, k.b, k.b_valid, lane, st);
  load_input(in, cols, xs, red);

  float acc_a = 0.0f, acc_b = 0.0f;
  uint32_t slot = 0, phases = 0;
  while (k.u < n_units) {
    const char *stage = ring + (size_t)slot * kStageBytes;
    mbar_wait(&bars[slot], (phases >> slot) & 1u);
    phases ^= 1u << slot;
#pragma unroll
    for (uint32_t j = 0; j < kPerLane; j++) {
      const uint32_t e = j * 256u + (uint32_t)lane * 8u; /* element in the chunk */
      if (k.c0 + e < cols) {
        const uint4 x = reinterpret_cast<const uint4 *>(xs)[(k.c0 + e) / 8];
        acc_a = dot8_bf16(*reinterpret_cast<const uint4 *>(stage + e * 2), x, acc_a);
        if (k.b_valid)
          acc_b = dot8_bf16(*reinterpret_cast<const uint4 *>(stage + kChunkBytes + e * 2), x,
                            acc_b);
      }
    }
    const Cursor done = k;
    if (cursor_next(k, ep, cols, n_units, n_warps)) { /* the unit is complete */
      const float ya = lc_warp_sum(acc_a), yb = lc_warp_sum(acc_b);
      ep.finish(done.u, done.a, done.b, done.b_valid, ya, yb, lane, st);
      if (k.u < n_units) ep.prepare(k.u, k.a, k.b, k.b_valid, lane, st);
      acc_a = acc_b = 0.0f;
    }
    __syncwarp(); /* every lane is done with the stage */
    if (f.u < n_units) {
      if (lane == 0) issue(w, cols, f, ring + (size_t)slot * kStageBytes, &bars[slot]);
      cursor_next(f, ep, cols, n_units, n_warps);
    }
    slot = slot + 1 == stages ? 0 : slot + 1;
  }
  ep.done(st, lane, red);
}

/* ---- epilogues ------------------------------------------------------- */

struct NoState {};

/* Rows (hh D + i, hh D + i + D/2) of head hh: a RoPE pair.  The position
 * is read at the start (the step is the host's, written before any
 * kernel) and a unit's cosine and sine as it starts, so finishing it
 * waits on no load. */
struct QkvRope {
  struct State {
    uint32_t pos;
    float c, s;
  };
  uint32_t half, head_dim, n_heads, n_kv_heads, max_context;
  const float *cos, *sin;
  const lc_step *step;
  float *q;
  __nv_bfloat16 *k, *v;
  __device__ void begin(State &st) const { st.pos = step->pos; }
  __device__ void rows(uint32_t u, uint32_t &a, uint32_t &b, bool &b_valid) const {
    const uint32_t hh = u / half, i = u - hh * half;
    a = hh * head_dim + i;
    b = a + half;
    b_valid = true;
  }
  __device__ void prepare(uint32_t u, uint32_t, uint32_t, bool, int lane, State &st) const {
    const uint32_t hh = u / half, i = u - hh * half;
    if (lane == 0 && hh < n_heads + n_kv_heads) {
      st.c = cos[(size_t)st.pos * half + i];
      st.s = sin[(size_t)st.pos * half + i];
    }
  }
  __device__ void finish(uint32_t u, uint32_t, uint32_t, bool, float ya, float yb, int lane,
                         State &st) const {
    if (lane != 0) return;
    const uint32_t hh = u / half, i = u - hh * half;
    const uint32_t pos = st.pos;
    if (hh < n_heads + n_kv_heads) {
      const float c = st.c, s = st.s;
      const float r1 = ya * c - yb * s, r2 = yb * c + ya * s;
      if (hh < n_heads) {
        q[hh * head_dim + i] = r1;
        q[hh * head_dim + i + half] = r2;
      } else {
        __nv_bfloat16 *row = k + ((size_t)(hh - n_heads) * max_context + pos) * head_dim;
        row[i] = lc_bf16(r1);
        row[i + half] = lc_bf16(r2);
      }
    } else {
      __nv_bfloat16 *row =
          v + ((size_t)(hh - n_heads - n_kv_heads) * max_context + pos) * head_dim;
      row[i] = lc_bf16(ya);
      row[i + half] = lc_bf16(yb);
    }
  }
  __device__ void done(State &, int, float *) const {}
};

/* Rows (2u, 2u + 1), added into x; the unit's two residuals are read as
 * it starts (only this warp writes them). */
struct Residual {
  struct State {
    float xa, xb;
  };
  uint32_t n_rows;
  float *x;
  __device__ void begin(State &) const {}
  __device__ void rows(uint32_t u, uint32_t &a, uint32_t &b, bool &b_valid) const {
    a = 2 * u;
    b = a + 1;
    b_valid = b < n_rows;
  }
  __device__ void prepare(uint32_t, uint32_t a, uint32_t b, bool b_valid, int lane,
                          State &st) const {
    if (lane != 0) return;
    st.xa = x[a];
    st.xb = b_valid ? x[b] : 0.0f;
  }
  __device__ void finish(uint32_t, uint32_t a, uint32_t b, bool b_valid, float ya, float yb,
                         int lane, State &st) const {
    if (lane != 0) return;
    x[a] = st.xa + ya;
    if (b_valid) x[b] = st.xb + yb;
  }
  __device__ void done(State &, int, float *) const {}
};

/* Rows (u, u + ff): gate and up of one hidden unit. */
struct SwiGlu {
  using State = NoState;
  uint32_t ff;
  __nv_bfloat16 *h;
  __device__ void begin(State &) const {}
  __device__ void rows(uint32_t u, uint32_t &a, uint32_t &b, bool &b_valid) const {
    a = u;
    b = u + ff;
    b_valid = true;
  }
  __device__ void prepare(uint32_t, uint32_t, uint32_t, bool, int, State &) const {}
  __device__ void finish(uint32_t u, uint32_t, uint32_t, bool, float ya, float yb, int lane,
                         State &) const {
    if (lane == 0) h[u] = lc_bf16(lc_silu_mul(ya, yb));
  }
  __device__ void done(State &, int, float *) const {}
};


/* Rows (2u, 2u + 1) of lm_head into logits, and the argmax over all rows:
 * each warp keeps its best, each block reduces its warps, the last block
 * to finish reduces the blocks. */
struct LmHead {
  struct State {
    float best;
    uint32_t best_i;
  };
  uint32_t n_rows;
  float *logits;
  int32_t *next;
  float *partial_value;
  uint32_t *partial_index;
  uint32_t *counter;
  __device__ void begin(State &st) const {
    st.best = -INFINITY;
    st.best_i = 0xffffffffu;
  }
  __device__ void rows(uint32_t u, uint32_t &a, uint32_t &b, bool &b_valid) const {
    a = 2 * u;
    b = a + 1;
    b_valid = b < n_rows;
  }
  __device__ void prepare(uint32_t, uint32_t, uint32_t, bool, int, State &) const {}
  __device__ void finish(uint32_t, uint32_t a, uint32_t b, bool b_valid, float ya, float yb,
                         int lane, State &st) const {
    if (lane != 0) return;
    logits[a] = ya;
    if (better(ya, a, st.best, st.best_i)) st.best = ya, st.best_i = a;
    if (b_valid) {
      logits[b] = yb;
      if (better(yb, b, st.best, st.best_i)) st.best = yb, st.best_i = b;
    }
  }
  __device__ void done(State &st, int lane, float *) const {
    __shared__ float wv[kWarps];
    __shared__ uint32_t wi[kWarps];
    __shared__ bool last;
    const int warp = threadIdx.x >> 5;
    if (lane == 0) {
      wv[warp] = st.best;
      wi[warp] = st.best_i;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      float bv = wv[0];
      uint32_t bi = wi[0];
      for (int i = 1; i < kWarps; i++)
        if (better(wv[i], wi[i], bv, bi)) bv = wv[i], bi = wi[i];
      partial_value[blockIdx.x] = bv;
      partial_index[blockIdx.x] = bi;
      __threadfence();
      last = atomicAdd(counter, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last) return;
    /* The last block: a thread a block's partial, then warps, then warp 0. */
    __threadfence();
    float bv = -INFINITY;
    uint32_t bi = 0xffffffffu;
    for (uint32_t i = threadIdx.x; i < gridDim.x; i += blockDim.x) {
      const float v = __ldcg(partial_value + i);
      const uint32_t ix = __ldcg(partial_index + i);
      if (better(v, ix, bv, bi)) bv = v, bi = ix;
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float v = __shfl_xor_sync(0xffffffffu, bv, o);
      const uint32_t ix = __shfl_xor_sync(0xffffffffu, bi, o);
      if (better(v, ix, bv, bi)) bv = v, bi = ix;
    }
    __syncthreads(); /* wv, wi are free again */
    if (lane == 0) {
      wv[warp] = bv;
      wi[warp] = bi;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;
    for (int i = 1; i < kWarps; i++)
      if (better(wv[i], wi[i], wv[0], wi[0])) wv[0] = wv[i], wi[0] = wi[i];
    *next = wi[0] == 0xffffffffu ? 0 : (int32_t)wi[0]; /* every logit NaN: token 0 */
    *counter = 0;
  }
};

/* Blocks for n_units spread evenly: as few units a warp as the grid limit
 * allows, and no more warps than that needs. */
uint32_t grid_for(uint32_t n_units, const lc_decode_tuning *t, const lc_device *dev) {
  const uint32_t max_blocks = dev->sm_count * blocks_per_sm(t);
  const uint32_t max_warps = max_blocks * kWarps;
  const uint32_t per_warp = (n_units + max_warps - 1) / max_warps;
  const uint32_t warps = (n_units + per_warp - 1) / per_warp;
  return (warps + kWarps - 1) / kWarps;
}

/* Ring stages for cols under t: as deep as asked and shared memory allows
 * (1 KiB a block left for the static arrays); 0 when not even two fit. */
uint32_t stages_for(uint32_t cols, const lc_decode_tuning *t, const lc_device *dev) {
  const size_t budget = dev->smem_per_block / blocks_per_sm(t);
  const size_t fixed = xs_bytes(cols) + kBarrierBytes + 1024;
  if (budget < fixed) return 0;
  size_t s = (budget - fixed) / ((size_t)kWarps * kStageBytes);
  const uint32_t asked = t->stages < kMaxStages ? t->stages : kMaxStages;
  if (s > asked) s = asked;
  return s >= 2 ? (uint32_t)s : 0;
}

template <class E>
cudaError_t launch(cudaStream_t s, const lc_decode_tuning *t, const lc_device *dev,
                   const uint16_t *w, uint32_t cols, uint32_t n_units,
                   const lc_gemv_input *in, const E &ep) {
  const uint32_t stages = stages_for(cols, t, dev);
  if (cols % 8 != 0 || n_units == 0 || stages == 0) return cudaErrorInvalidValue;
  const LcLaunch l(dim3(grid_for(n_units, t, dev)), dim3(kThreads),
                   lc_gemv_shared_bytes(cols, stages), s, t->pdl);
  return cudaLaunchKernelEx(&l.cfg, gemv_kernel<E>, w, cols, n_units, stages, *in, ep);
}

template <class E>
cudaError_t allow_shared(size_t bytes) {
  return cudaFuncSetAttribute(gemv_kernel<E>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              (int)bytes);
}

} // namespace

extern "C" uint32_t lc_gemv_max_stages(void) { return kMaxStages; }

extern "C" size_t lc_gemv_shared_bytes(uint32_t cols, uint32_t stages) {
  return xs_bytes(cols) + kBarrierBytes + (size_t)kWarps * stages * kStageBytes;
}

extern "C" cudaError_t lc_gemv_prepare(size_t smem_per_block) {
  const size_t bytes = smem_per_block - 1024; /* the static arrays */
  cudaError_t e;
  if ((e = allow_shared<QkvRope>(bytes)) != cudaSuccess) return e;
  if ((e = allow_shared<Residual>(bytes)) != cudaSuccess) return e;
  if ((e = allow_shared<SwiGlu>(bytes)) != cudaSuccess) return e;
  return allow_shared<LmHead>(bytes);
}

extern "C" cudaError_t lc_decode_qkv(cudaStream_t s, const lc_decode_tuning *t,
                                     const lc_device *dev, const uint16_t *w_qkv, uint32_t d,
                                     const lc_gemv_input *in, uint32_t n_heads,
                                     uint32_t n_kv_heads, uint32_t head_dim,
                                     uint32_t max_context, const float *cos, const float *sin,
                                     const lc_step *step, float *q, uint16_t *k_cache,
                                     uint16_t *v_cache) {
  QkvRope ep;
  ep.half = head_dim / 2;
  ep.head_dim = head_dim;
  ep.n_heads = n_heads;
  ep.n_kv_heads = n_kv_heads;
  ep.max_context = max_context;
  ep.cos = cos;
  ep.sin = sin;
  ep.step = step;
  ep.q = q;
  ep.k = reinterpret_cast<__nv_bfloat16 *>(k_cache);
  ep.v = reinterpret_cast<__nv_bfloat16 *>(v_cache);
  const uint32_t n_units = (n_heads + 2 * n_kv_heads) * ep.half;
  return launch(s, t, dev, w_qkv, d, n_units, in, ep);
}

extern "C" cudaError_t lc_decode_residual(cudaStream_t s, const lc_decode_tuning *t,
                                          const lc_device *dev, const uint16_t *w, uint32_t rows,
                                          uint32_t cols, const lc_gemv_input *in, float *x) {
  Residual ep;
  ep.n_rows = rows;
  ep.x = x;
  return launch(s, t, dev, w, cols, (rows + 1) / 2, in, ep);
}

extern "C" cudaError_t lc_decode_swiglu(cudaStream_t s, const lc_decode_tuning *t,
                                        const lc_device *dev, const uint16_t *w_gate_up,
                                        uint32_t ff, uint32_t d, const lc_gemv_input *in,
                                        uint16_t *h) {
  SwiGlu ep;
  ep.ff = ff;
  ep.h = reinterpret_cast<__nv_bfloat16 *>(h);
  return launch(s, t, dev, w_gate_up, d, ff, in, ep);
}

extern "C" uint32_t lc_decode_lm_head_partials(const lc_decode_tuning *t, const lc_device *dev) {
  return dev->sm_count * blocks_per_sm(t);
}

extern "C" cudaError_t lc_decode_lm_head(cudaStream_t s, const lc_decode_tuning *t,
                                         const lc_device *dev, const uint16_t *w, uint32_t vocab,
                                         uint32_t d, const lc_gemv_input *in, float *logits,
                                         int32_t *next, float *partial_value,
                                         uint32_t *partial_index, uint32_t *counter) {
  LmHead ep;
  ep.n_rows = vocab;
  ep.logits = logits;
  ep.next = next;
  ep.partial_value = partial_value;
  ep.partial_index = partial_index;
  ep.counter = counter;
  return launch(s, t, dev, w, d, (vocab + 1) / 2, in, ep);
}
