/* cuda/kernels/ring.cuh — the decode GEMVs' (gemv.cu) ring: its stage
 * sizes, the bulk copy engine and its mbarriers, the bf16 dot product of a
 * stage, and the argmax's order. */
#ifndef PIO_LLAMA3_1_CUDA_RING_CUH
#define PIO_LLAMA3_1_CUDA_RING_CUH

#include "common.cuh"

namespace {

constexpr uint32_t kChunkBytes = 2048;             /* of one row, a stage */
constexpr uint32_t kChunk = kChunkBytes / 2;       /* columns a stage covers */
constexpr uint32_t kStageBytes = 2 * kChunkBytes;  /* two rows */
constexpr uint32_t kMaxStages = 8;
constexpr uint32_t kPerLane = kChunk / (32 * 8);   /* 16-byte loads a row a lane a stage */

__host__ __device__ constexpr size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

__host__ __device__ inline size_t xs_bytes(uint32_t cols) { return align_up((size_t)cols * 2, 128); }

__device__ __forceinline__ uint2 pack4(float4 v) {
  return make_uint2(lc_pack_bf16(v.x, v.y), lc_pack_bf16(v.z, v.w));
}

/* ---- the bulk copy engine and its barriers ---------------------------- */

__device__ __forceinline__ uint32_t smem_addr(const void *p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void mbar_init(uint64_t *bar) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem_addr(bar)) : "memory");
}

/* One arrival that also expects `bytes` from the copy engine. */
__device__ __forceinline__ void mbar_expect(uint64_t *bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem_addr(bar)),
               "r"(bytes)
               : "memory");
}

__device__ __forceinline__ void mbar_wait(uint64_t *bar, uint32_t parity) {
  uint32_t done = 0;
  while (!done) {
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
        " selp.u32 %0, 1, 0, p;\n}"
        : "=r"(done)
        : "r"(smem_addr(bar)), "r"(parity)
        : "memory");
  }
}

/* bytes from global src to shared dst, completing on bar. */
__device__ __forceinline__ void bulk_copy(void *dst, const void *src, uint32_t bytes,
                                          uint64_t *bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
      ::"r"(smem_addr(dst)), "l"(src), "r"(bytes), "r"(smem_addr(bar))
      : "memory");
}

/* acc + 8 bf16 weights . 8 bf16 inputs. */
__device__ __forceinline__ float dot8_bf16(uint4 w, uint4 x, float acc) {
  acc = fmaf(lc_bf16_lo(w.x), lc_bf16_lo(x.x), acc);
  acc = fmaf(lc_bf16_hi(w.x), lc_bf16_hi(x.x), acc);
  acc = fmaf(lc_bf16_lo(w.y), lc_bf16_lo(x.y), acc);
  acc = fmaf(lc_bf16_hi(w.y), lc_bf16_hi(x.y), acc);
  acc = fmaf(lc_bf16_lo(w.z), lc_bf16_lo(x.z), acc);
  acc = fmaf(lc_bf16_hi(w.z), lc_bf16_hi(x.z), acc);
  acc = fmaf(lc_bf16_lo(w.w), lc_bf16_lo(x.w), acc);
  acc = fmaf(lc_bf16_hi(w.w), lc_bf16_hi(x.w), acc);
  return acc;
}

/* True when (v, i) should replace (best, best_i): larger, or equal with
 * a lower index. */
__device__ __forceinline__ bool better(float v, uint32_t i, float best, uint32_t best_i) {
  return v > best || (v == best && i < best_i);
}

} // namespace

#endif
