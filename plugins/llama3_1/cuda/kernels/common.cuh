/* cuda/kernels/common.cuh — what every kernel of the CUDA variant shares:
 * programmatic dependent launch (PDL) controls, streaming 16-byte loads,
 * bf16 unpacking and warp reductions.  Built for sm_90 only. */
#ifndef PIO_LLAMA3_1_CUDA_COMMON_CUH
#define PIO_LLAMA3_1_CUDA_COMMON_CUH

#include <cuda_bf16.h>
#include <stdint.h>

#define LC_DEVICE __device__ __forceinline__

/* Waits until the kernel this one depends on (PDL) has finished and its
 * writes are visible.  Everything before it may only read what no earlier
 * kernel of the step writes: weights, the cache's older positions, the
 * step's token and position.  A no-op when launched without PDL. */
LC_DEVICE void lc_wait_previous(void) { asm volatile("griddepcontrol.wait;" ::: "memory"); }

/* Lets the next kernel's blocks start (and issue their weight loads) while
 * this one runs; they still wait for this one to finish before reading
 * its outputs (lc_wait_previous). */
LC_DEVICE void lc_start_next(void) { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }

/* 16 bytes of weights read once per step: not kept in L1, L2 fetches 256
 * bytes at a time (the next lanes' bytes come with the same DRAM burst). */
LC_DEVICE uint4 lc_load_stream(const void *p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

/* Asks L2 to fetch bytes [p, p + bytes) (bytes a multiple of 16, p 16-byte
 * aligned) without waiting: the bulk copy engine's prefetch. */
LC_DEVICE void lc_prefetch_l2(const void *p, uint32_t bytes) {
  if (bytes == 0) return;
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bytes) : "memory");
}

/* The two bf16 of a 32-bit word as floats: element 2i is the low half. */
LC_DEVICE float lc_bf16_lo(uint32_t w) { return __uint_as_float(w << 16); }
LC_DEVICE float lc_bf16_hi(uint32_t w) { return __uint_as_float(w & 0xffff0000u); }

/* acc + w[0..8) . x[0..8) with w eight packed bf16. */
LC_DEVICE float lc_dot8(uint4 w, float4 xa, float4 xb, float acc) {
  acc = fmaf(lc_bf16_lo(w.x), xa.x, acc);
  acc = fmaf(lc_bf16_hi(w.x), xa.y, acc);
  acc = fmaf(lc_bf16_lo(w.y), xa.z, acc);
  acc = fmaf(lc_bf16_hi(w.y), xa.w, acc);
  acc = fmaf(lc_bf16_lo(w.z), xb.x, acc);
  acc = fmaf(lc_bf16_hi(w.z), xb.y, acc);
  acc = fmaf(lc_bf16_lo(w.w), xb.z, acc);
  acc = fmaf(lc_bf16_hi(w.w), xb.w, acc);
  return acc;
}

LC_DEVICE __nv_bfloat16 lc_bf16(float v) { return __float2bfloat16_rn(v); }

/* Two floats as packed bf16, lo in the low half (element order in memory). */
LC_DEVICE uint32_t lc_pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t *>(&v);
}

/* Sum over the warp, every lane gets it. */
LC_DEVICE float lc_warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

LC_DEVICE float lc_warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/* Sum over the block (blockDim.x a multiple of 32, at most 1024); every
 * thread gets it.  scratch: 32 floats of shared memory. */
LC_DEVICE float lc_block_sum(float v, float *scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int n_warps = blockDim.x >> 5;
  v = lc_warp_sum(v);
  __syncthreads(); /* scratch may still be read from an earlier call */
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < n_warps ? scratch[lane] : 0.0f;
  return lc_warp_sum(v);
}

/* SiLU(g) * u as the CPU path writes it (pio_silu_mul). */
LC_DEVICE float lc_silu_mul(float g, float u) { return g / (1.0f + expf(-g)) * u; }

/* A launch on stream s, with programmatic dependent launch when pdl. */
struct LcLaunch {
  cudaLaunchConfig_t cfg;
  cudaLaunchAttribute attr[1];
  LcLaunch(dim3 grid, dim3 block, size_t smem, cudaStream_t s, int pdl) : cfg(), attr() {
    cfg.gridDim = grid;
    cfg.blockDim = block;
    cfg.dynamicSmemBytes = smem;
    cfg.stream = s;
    attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = attr;
    cfg.numAttrs = pdl ? 1 : 0;
  }
  LcLaunch(const LcLaunch &) = delete; /* cfg points into attr */
};

#endif
