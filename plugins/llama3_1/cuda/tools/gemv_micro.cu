/* cuda/tools/gemv_micro.cu — the decode GEMVs alone (session 9): the TMA
 * ring GEMV of kernels/gemv.cu (its Residual epilogue, input copied from a
 * bf16 vector) against a register GEMV written like the read-bandwidth
 * kernel (many 16-byte weight loads in flight a thread, x in shared
 * memory), on the same weights, for llama-3.2-1b and llama-3.1-8b shapes.
 * Built as pio-cuda-gemv-micro when nvcc is found (not installed).
 * Times: "alone" = cudaEvents around one launch (median of 60, weights
 * rotated over >= 512 MB so L2 holds none), "chain" = 20 launches with PDL
 * back to back / 20 (median of 15).  The register GEMV's output is checked
 * against the ring's (f32 sums in another order).  `gemv_micro SUBSTRING`
 * runs only the shapes whose name holds it; `gemv_micro layers` times a
 * step's GEMVs (no attention) as one graph, each kind on the ring or on a
 * register GEMV.  Figures: docs/cuda.md, session 9. */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../kernels/gemv.cu"

#define CK(x)                                                                       \
  do {                                                                              \
    cudaError_t e_ = (x);                                                           \
    if (e_ != cudaSuccess) {                                                        \
      fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      exit(1);                                                                      \
    }                                                                               \
  } while (0)

namespace micro {

template <int LD> __device__ __forceinline__ uint4 ldw(const uint4 *p);
/* ldw<LD>: one 16-byte weight load with LD's cache hints. */
#define MICRO_LDW(LD, INSN)                                                          \
  template <> __device__ __forceinline__ uint4 ldw<LD>(const uint4 *p) {            \
    uint4 v;                                                                         \
    asm volatile(INSN " {%0, %1, %2, %3}, [%4];"                                     \
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)                        \
                 : "l"(p));                                                          \
    return v;                                                                        \
  }
MICRO_LDW(0, "ld.global.nc.L1::no_allocate.L2::256B.v4.u32")
MICRO_LDW(1, "ld.global.v4.u32")
MICRO_LDW(2, "ld.global.nc.L1::no_allocate.v4.u32")

/* A warp takes R rows and a KS-th of their columns; a block of WPB warps
 * takes WPB / KS row groups (the KS warps of a group sum through shared
 * memory).  Each lane loads UB 16-byte words a row a batch (R * UB in
 * flight; DB: the next batch is issued before the current one is summed,
 * 2 R UB in flight).  Blocks go over the block units grid-stride.
 * x[row] += W[row] . xin (as the ring's Residual epilogue). */
template <int UB, int R, int KS, int WPB, int LD, int DB>
__global__ void __launch_bounds__(WPB * 32)
    reg_gemv(const uint16_t *__restrict__ w, uint32_t rows, uint32_t cols,
             const uint16_t *__restrict__ xin, float *__restrict__ x) {
  extern __shared__ __align__(16) uint4 xs[];
  __shared__ float red[WPB][R];
  constexpr int RG = WPB / KS;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int ks = warp % KS, rg = warp / KS;
  const uint32_t c8 = cols / 8;
  const uint32_t slice = ((c8 + KS - 1) / KS + 31) / 32 * 32; /* uint4 a warp a row */
  const uint32_t s0 = ks * slice, s1 = min(c8, s0 + slice);
  const uint32_t J = slice / 32; /* loads a lane a row, same for every warp */
  const uint32_t rows_bu = RG * R;
  const uint32_t n_bu = (rows + rows_bu - 1) / rows_bu;
  const uint4 *w4 = reinterpret_cast<const uint4 *>(w);

  uint32_t bu = blockIdx.x, jb = 0;
  uint4 va[R][UB], vb[R][UB];
  auto issue = [&](uint4 (&v)[R][UB], uint32_t b, uint32_t j0) {
#pragma unroll
    for (int r = 0; r < R; r++) {
      const uint32_t row = b * rows_bu + rg * R + r;
#pragma unroll
      for (int u = 0; u < UB; u++) {
        const uint32_t i = s0 + lane + 32u * (j0 + u);
        v[r][u] = (row < rows && j0 + u < J && i < s1) ? ldw<LD>(w4 + (size_t)row * c8 + i)
                                                        : make_uint4(0, 0, 0, 0);
      }
    }
  };
  float acc[R];
#pragma unroll
  for (int r = 0; r < R; r++) acc[r] = 0.0f;
  auto consume = [&](uint4 (&v)[R][UB], uint32_t j0) {
#pragma unroll
    for (int u = 0; u < UB; u++) {
      const uint32_t i = s0 + lane + 32u * (j0 + u);
      if (j0 + u < J && i < s1) {
        const uint4 xv = xs[i];
#pragma unroll
        for (int r = 0; r < R; r++) acc[r] = dot8_bf16(v[r][u], xv, acc[r]);
      }
    }
  };
  auto finish = [&](uint32_t b) {
#pragma unroll
    for (int r = 0; r < R; r++) {
      const float y = lc_warp_sum(acc[r]);
      acc[r] = 0.0f;
      if (KS == 1) {
        const uint32_t row = b * rows_bu + rg * R + r;
        if (lane == 0 && row < rows) x[row] += y;
      } else if (lane == 0) {
        red[warp][r] = y;
      }
    }
    if (KS > 1) {
      __syncthreads();
      if (ks == 0 && lane < R) {
        float y = 0.0f;
        for (int k = 0; k < KS; k++) y += red[rg * KS + k][lane];
        const uint32_t row = b * rows_bu + rg * R + lane;
        if (row < rows) x[row] += y;
      }
      __syncthreads();
    }
  };

  if (bu < n_bu) issue(va, bu, 0);
  lc_start_next();
  lc_wait_previous();
  const uint4 *x4 = reinterpret_cast<const uint4 *>(xin);
  for (uint32_t i = threadIdx.x; i < c8; i += blockDim.x) xs[i] = x4[i];
  __syncthreads();
  while (bu < n_bu) {
    uint32_t nb = bu, nj = jb + UB;
    if (nj >= J) nb += gridDim.x, nj = 0;
    if (DB) {
      if (nb < n_bu) issue(vb, nb, nj);
      consume(va, jb);
      if (nj == 0) finish(bu);
#pragma unroll
      for (int r = 0; r < R; r++)
#pragma unroll
        for (int u = 0; u < UB; u++) va[r][u] = vb[r][u];
    } else {
      consume(va, jb);
      if (nj == 0) finish(bu);
      if (nb < n_bu) issue(va, nb, nj);
    }
    bu = nb;
    jb = nj;
  }
}

/* The read-bandwidth kernel (benchmarks/cuda/read_bandwidth.cu) over the
 * same bytes: what a pure read of that size takes. */
__global__ void __launch_bounds__(512) read_kernel(const uint4 *buf, size_t n, unsigned *sum) {
  const size_t stride = (size_t)gridDim.x * blockDim.x;
  size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  unsigned acc = 0;
  for (; i + 7 * stride < n; i += 8 * stride) {
    uint4 v[8];
#pragma unroll
    for (int u = 0; u < 8; u++) v[u] = ldw<1>(buf + i + u * stride);
#pragma unroll
    for (int u = 0; u < 8; u++) acc += v[u].x + v[u].y + v[u].z + v[u].w;
  }
  for (; i < n; i += stride) {
    const uint4 v = ldw<1>(buf + i);
    acc += v.x + v.y + v.z + v.w;
  }
  if (acc == 0x12345678u) atomicAdd(sum, acc);
}

__device__ __forceinline__ uint32_t hash(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return (uint32_t)x;
}
__global__ void fill_bf16(uint16_t *dst, size_t n, uint64_t seed) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    const uint32_t h = hash(i + seed);
    dst[i] = (uint16_t)(((h & 1u) << 15) | ((120u + ((h >> 1) & 7u)) << 7) | ((h >> 4) & 0x7fu));
  }
}

struct Cfg {
  const char *name;
  void (*fn)(const uint16_t *, uint32_t, uint32_t, const uint16_t *, float *);
  int wpb;
  int rows_bu;
};

#define CFG(UB, R, KS, WPB, LD, DB)                                                  \
  Cfg{"ub" #UB " r" #R " ks" #KS " w" #WPB " ld" #LD " db" #DB,                       \
      reg_gemv<UB, R, KS, WPB, LD, DB>, WPB, (WPB / KS) * R}

const Cfg kCfgs[] = {
    CFG(4, 1, 1, 8, 0, 0),  CFG(8, 1, 1, 8, 0, 0),  CFG(16, 1, 1, 8, 0, 0),
    CFG(4, 2, 1, 8, 0, 0),  CFG(8, 2, 1, 8, 0, 0),  CFG(4, 1, 1, 8, 0, 1),
    CFG(8, 1, 1, 8, 0, 1),  CFG(4, 2, 1, 8, 0, 1),  CFG(2, 2, 1, 8, 0, 1),
    CFG(8, 1, 1, 8, 1, 0),  CFG(16, 1, 1, 8, 1, 0), CFG(8, 1, 1, 8, 1, 1),
    CFG(8, 1, 1, 8, 2, 0),  CFG(8, 1, 1, 8, 2, 1),  CFG(8, 1, 1, 4, 0, 0),
    CFG(16, 1, 1, 4, 0, 0), CFG(8, 1, 1, 4, 0, 1),  CFG(8, 1, 1, 16, 0, 0),
    CFG(16, 1, 1, 16, 0, 0), CFG(8, 1, 1, 16, 0, 1), CFG(4, 1, 1, 16, 0, 1),
    CFG(8, 1, 2, 8, 0, 0),  CFG(16, 1, 2, 8, 0, 0), CFG(8, 1, 2, 8, 0, 1),
    CFG(8, 1, 4, 8, 0, 0),  CFG(16, 1, 4, 8, 0, 0), CFG(8, 1, 4, 8, 0, 1),
    CFG(8, 2, 2, 8, 0, 0),  CFG(8, 1, 2, 16, 0, 0), CFG(8, 1, 4, 16, 0, 0),
    CFG(16, 1, 2, 16, 0, 0), CFG(8, 1, 8, 8, 0, 0), CFG(4, 1, 8, 8, 0, 1),
    CFG(8, 1, 2, 8, 1, 0),  CFG(8, 1, 4, 8, 1, 0),  CFG(8, 1, 2, 8, 1, 1),
    CFG(4, 1, 1, 16, 0, 0), CFG(4, 1, 1, 4, 0, 0),  CFG(4, 1, 1, 8, 1, 0),
    CFG(4, 1, 2, 8, 0, 0),  CFG(4, 1, 4, 8, 0, 0),  CFG(4, 1, 2, 16, 0, 0),
    CFG(4, 2, 2, 8, 0, 0),  CFG(4, 1, 4, 16, 1, 0),
};

struct Shape {
  const char *name;
  uint32_t rows, cols;
};
const Shape kShapes[] = {
    {"8B qkv", 6144, 4096},        {"8B o_proj", 4096, 4096},  {"8B gate_up", 28672, 4096},
    {"8B down", 4096, 14336},      {"8B lm_head", 128256, 4096}, {"1B qkv", 3072, 2048},
    {"1B o_proj", 2048, 2048},     {"1B gate_up", 16384, 2048}, {"1B down", 2048, 8192},
    {"1B lm_head", 128256, 2048},
};

float median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}


/* "layers": a decode step's GEMVs without attention, captured as one graph
 * with PDL (qkv, o_proj, gate_up, down for each layer, each layer its own
 * weights, then lm_head), every kind on the ring or on a register GEMV
 * (all 32 choices, replays interleaved). */
struct Kind {
  uint32_t rows, cols, ring_blocks, ring_stages;
  const char *reg; /* config name */
  int reg_all;     /* grid: 1 = a block a unit, 0 = persistent */
};
struct Model {
  const char *name;
  int layers;
  Kind k[5];
};
const Model kModels[] = {
    {"8B", 32,
     {{6144, 4096, 1, 4, "ub4 r1 ks2 w16 ld0 db0", 1},
      {4096, 4096, 1, 4, "ub4 r2 ks2 w8 ld0 db0", 0},
      {28672, 4096, 1, 4, "ub8 r1 ks1 w8 ld2 db1", 1},
      {4096, 14336, 1, 4, "ub8 r1 ks1 w8 ld2 db0", 0},
      {128256, 4096, 1, 4, "ub8 r1 ks2 w8 ld1 db0", 1}}},
    {"1B", 16,
     {{3072, 2048, 2, 8, "ub8 r1 ks1 w16 ld0 db0", 0},
      {2048, 2048, 2, 8, "ub8 r1 ks1 w8 ld1 db1", 0},
      {16384, 2048, 2, 8, "ub8 r1 ks1 w8 ld2 db1", 0},
      {2048, 8192, 1, 4, "ub8 r1 ks4 w16 ld0 db0", 0},
      {128256, 2048, 2, 8, "ub4 r1 ks1 w8 ld1 db0", 1}}},
};

int run_layers(const lc_device &dev, uint16_t *xin, float *xo, cudaStream_t s) {
  const char *kn[5] = {"qkv", "o_proj", "gate_up", "down", "lm_head"};
  for (const Model &m : kModels) {
    size_t off[5], per_layer = 0;
    for (int k = 0; k < 4; k++) {
      off[k] = per_layer;
      per_layer += ((size_t)m.k[k].rows * m.k[k].cols * 2 + 4095) / 4096 * 4096;
    }
    const size_t total = per_layer * m.layers + (size_t)m.k[4].rows * m.k[4].cols * 2;
    uint16_t *w;
    CK(cudaMalloc(&w, total));
    fill_bf16<<<8192, 256, 0, s>>>(w, total / 2, 777);
    CK(cudaStreamSynchronize(s));
    const Cfg *cfg[5];
    for (int k = 0; k < 5; k++) {
      cfg[k] = nullptr;
      for (const Cfg &c : kCfgs)
        if (!strcmp(c.name, m.k[k].reg)) cfg[k] = &c;
      if (!cfg[k]) {
        printf("no config %s\n", m.k[k].reg);
        return 1;
      }
    }
    lc_gemv_input in = {};
    in.mode = LC_INPUT_COPY;
    in.x_bf16 = xin;
    auto one = [&](int k, const uint16_t *wk, int reg) -> cudaError_t {
      const Kind &kd = m.k[k];
      if (!reg) {
        lc_decode_tuning t = {};
        t.pdl = 1;
        t.blocks_per_sm = kd.ring_blocks;
        t.stages = kd.ring_stages;
        return lc_decode_residual(s, &t, &dev, wk, kd.rows, kd.cols, &in, xo);
      }
      const Cfg &c = *cfg[k];
      int occ = 0;
      cudaError_t e =
          cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, c.fn, c.wpb * 32, kd.cols * 2);
      if (e != cudaSuccess) return e;
      const uint32_t n_bu = (kd.rows + c.rows_bu - 1) / c.rows_bu;
      const uint32_t grid = kd.reg_all ? n_bu : std::min<uint32_t>(n_bu, occ * dev.sm_count);
      const LcLaunch l(dim3(grid), dim3(c.wpb * 32), (size_t)kd.cols * 2, s, 1);
      return cudaLaunchKernelEx(&l.cfg, c.fn, wk, kd.rows, kd.cols, (const uint16_t *)xin, xo);
    };
    unsigned *sum;
    CK(cudaMalloc(&sum, 4));
    auto rd = [&](int k, const uint16_t *wk) -> cudaError_t {
      read_kernel<<<dev.sm_count * 4, 512, 0, s>>>((const uint4 *)wk,
                                                   (size_t)m.k[k].rows * m.k[k].cols / 8, sum);
      return cudaGetLastError();
    };
    std::vector<cudaGraphExec_t> ex(33);
    for (int mask = 0; mask < 33; mask++) {
      cudaGraph_t g;
      CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
      for (int l = 0; l < m.layers; l++)
        for (int k = 0; k < 4; k++)
          CK(mask == 32 ? rd(k, w + (per_layer * l + off[k]) / 2)
                        : one(k, w + (per_layer * l + off[k]) / 2, (mask >> k) & 1));
      CK(mask == 32 ? rd(4, w + per_layer * m.layers / 2)
                    : one(4, w + per_layer * m.layers / 2, (mask >> 4) & 1));
      CK(cudaStreamEndCapture(s, &g));
      CK(cudaGraphInstantiate(&ex[mask], g, 0));
      CK(cudaGraphDestroy(g));
    }
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    std::vector<std::vector<float>> t(33);
    for (int rep = 0; rep < 33; rep++)
      for (int mask = 0; mask < 33; mask++) {
        CK(cudaEventRecord(a, s));
        CK(cudaGraphLaunch(ex[mask], s));
        CK(cudaEventRecord(b, s));
        CK(cudaEventSynchronize(b));
        float ms;
        CK(cudaEventElapsedTime(&ms, a, b));
        if (rep >= 3) t[mask].push_back(ms * 1000.0f);
      }
    const double bytes = (double)total;
    printf("\n== %s GEMVs of a step (no attention), %d layers, %.2f GB, graph replays, median of 30\n",
           m.name, m.layers, bytes / 1e9);
    const float base = median(t[0]);
    for (int mask = 0; mask < 33; mask++) {
      char on[64] = "";
      for (int k = 0; k < 5; k++)
        if ((mask >> k) & 1) strcat(on, kn[k]), strcat(on, " ");
      const float v = median(t[mask]);
      printf("LAYERS %s mask %2d  %9.1f us  %5.0f GB/s  %+6.2f %%  reg: %s\n", m.name, mask, v,
             bytes / (v * 1e-6) / 1e9, (v / base - 1) * 100, mask == 32 ? "(read kernel over the same bytes, no PDL)" : mask ? on : "(none: ring)");
    }
    for (auto &e : ex) CK(cudaGraphExecDestroy(e));
    CK(cudaFree(w));
    CK(cudaFree(sum));
    fflush(stdout);
  }
  return 0;
}

} // namespace micro

using namespace micro;

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : nullptr;
  int dev_id = 0;
  CK(cudaSetDevice(dev_id));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, dev_id));
  int smem_optin = 0;
  CK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev_id));
  lc_device dev = {(uint32_t)prop.multiProcessorCount, (uint32_t)smem_optin};
  printf("device %s, %d SMs, L2 %d MB, smem optin %d\n", prop.name, prop.multiProcessorCount,
         prop.l2CacheSize >> 20, smem_optin);
  CK(lc_gemv_prepare(smem_optin));
  for (const Cfg &c : kCfgs)
    CK(cudaFuncSetAttribute(c.fn, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024));

  const size_t pool_bytes = (size_t)2304 << 20;
  uint16_t *pool;
  CK(cudaMalloc(&pool, pool_bytes));
  fill_bf16<<<4096, 256>>>(pool, pool_bytes / 2, 12345);
  uint16_t *xin;
  float *xo, *xref;
  unsigned *sum;
  CK(cudaMalloc(&xin, 16384 * 2));
  CK(cudaMalloc(&xo, 130000 * 4));
  CK(cudaMalloc(&xref, 130000 * 4));
  CK(cudaMalloc(&sum, 4));
  fill_bf16<<<64, 256>>>(xin, 16384, 999);
  CK(cudaDeviceSynchronize());
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t ev[64];
  for (auto &e : ev) CK(cudaEventCreate(&e));

  if (only && !strcmp(only, "layers")) return run_layers(dev, xin, xo, s);
  for (const Shape &sh : kShapes) {
    if (only && !strstr(sh.name, only)) continue;
    const size_t bytes = (size_t)sh.rows * sh.cols * 2;
    const size_t stride = (bytes + 4095) / 4096 * 4096;
    int copies = (int)std::max<size_t>(1, ((size_t)512 << 20) / stride + 1);
    if ((size_t)copies * stride > pool_bytes) copies = (int)(pool_bytes / stride);
    if (copies < 1) {
      printf("%s: does not fit\n", sh.name);
      continue;
    }
    auto wcopy = [&](int i) { return pool + (size_t)(i % copies) * (stride / 2); };
    printf("\n== %s: %u x %u, %.1f MB, %d copies\n", sh.name, sh.rows, sh.cols, bytes / 1e6,
           copies);
    /* time(launch(i)): alone and chained. */
    auto timeit = [&](auto &&launch, float &alone, float &chain) {
      for (int i = 0; i < 3; i++) CK(launch(i, 0));
      std::vector<float> a, c;
      for (int r = 0; r < 60; r++) {
        CK(cudaEventRecord(ev[0], s));
        CK(launch(r, 0));
        CK(cudaEventRecord(ev[1], s));
        CK(cudaEventSynchronize(ev[1]));
        float ms;
        CK(cudaEventElapsedTime(&ms, ev[0], ev[1]));
        a.push_back(ms * 1000.0f);
      }
      for (int r = 0; r < 15; r++) {
        CK(cudaEventRecord(ev[0], s));
        for (int k = 0; k < 20; k++) CK(launch(r * 20 + k, 1));
        CK(cudaEventRecord(ev[1], s));
        CK(cudaEventSynchronize(ev[1]));
        float ms;
        CK(cudaEventElapsedTime(&ms, ev[0], ev[1]));
        c.push_back(ms * 1000.0f / 20);
      }
      alone = median(a);
      chain = median(c);
    };
    auto gbs = [&](float us) { return bytes / (us * 1e-6) / 1e9; };
    float ra, rc;
    timeit(
        [&](int i, int) -> cudaError_t {
          read_kernel<<<dev.sm_count * 4, 512, 0, s>>>((const uint4 *)wcopy(i), bytes / 16, sum);
          return cudaGetLastError();
        },
        ra, rc);
    printf("%-34s alone %8.2f us %6.0f GB/s   back-to-back %8.2f us %6.0f GB/s\n",
           "read kernel", ra, gbs(ra), rc, gbs(rc));

    lc_gemv_input in = {};
    in.mode = LC_INPUT_COPY;
    in.x_bf16 = xin;
    float best_ring = 1e30f, best_ring_chain = 1e30f;
    const uint32_t ring_set[][2] = {{1, 4}, {1, 5}, {2, 8}};
    for (auto &rs : ring_set) {
      lc_decode_tuning t = {};
      t.blocks_per_sm = rs[0];
      t.stages = rs[1];
      float a, c;
      timeit(
          [&](int i, int pdl) -> cudaError_t {
            t.pdl = pdl;
            return lc_decode_residual(s, &t, &dev, wcopy(i), sh.rows, sh.cols, &in, xo);
          },
          a, c);
      printf("ring %u blk %u stg (%u used)            alone %8.2f us %6.0f GB/s   chain %8.2f us %6.0f GB/s\n",
             rs[0], rs[1], stages_for(sh.cols, &t, &dev), a, gbs(a), c, gbs(c));
      best_ring = std::min(best_ring, a);
      best_ring_chain = std::min(best_ring_chain, c);
    }
    /* The reference: the ring once on copy 0 into zeroed x. */
    {
      lc_decode_tuning t = {};
      t.blocks_per_sm = 1;
      t.stages = 4;
      CK(cudaMemsetAsync(xref, 0, sh.rows * 4, s));
      CK(lc_decode_residual(s, &t, &dev, wcopy(0), sh.rows, sh.cols, &in, xref));
    }
    std::vector<float> ref(sh.rows), got(sh.rows);
    CK(cudaMemcpyAsync(ref.data(), xref, sh.rows * 4, cudaMemcpyDeviceToHost, s));
    CK(cudaStreamSynchronize(s));
    double ref_max = 0;
    for (float v : ref) ref_max = std::max(ref_max, (double)fabsf(v));

    float best = 1e30f, best_chain = 1e30f;
    std::string best_name, best_chain_name;
    for (const Cfg &c : kCfgs) {
      cudaFuncAttributes fa;
      CK(cudaFuncGetAttributes(&fa, c.fn));
      const size_t smem = (size_t)sh.cols * 2;
      int occ = 0;
      CK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, c.fn, c.wpb * 32, smem));
      const uint32_t n_bu = (sh.rows + c.rows_bu - 1) / c.rows_bu;
      for (int gm = 0; gm < 2; gm++) {
        const uint32_t grid =
            gm == 0 ? std::min<uint32_t>(n_bu, (uint32_t)occ * dev.sm_count) : n_bu;
        if (gm == 1 && grid == std::min<uint32_t>(n_bu, (uint32_t)occ * dev.sm_count)) continue;
        auto launch = [&](int i, int pdl, float *out) -> cudaError_t {
          const LcLaunch l(dim3(grid), dim3(c.wpb * 32), smem, s, pdl);
          return cudaLaunchKernelEx(&l.cfg, c.fn, (const uint16_t *)wcopy(i), sh.rows, sh.cols,
                                    (const uint16_t *)xin, out);
        };
        CK(cudaMemsetAsync(xo, 0, sh.rows * 4, s));
        CK(launch(0, 0, xo));
        CK(cudaMemcpyAsync(got.data(), xo, sh.rows * 4, cudaMemcpyDeviceToHost, s));
        CK(cudaStreamSynchronize(s));
        double err = 0;
        for (uint32_t r = 0; r < sh.rows; r++) err = std::max(err, (double)fabsf(got[r] - ref[r]));
        float a, ch;
        timeit([&](int i, int pdl) { return launch(i, pdl, xo); }, a, ch);
        char name[96];
        snprintf(name, sizeof name, "%s %s", c.name, gm == 0 ? "pers" : "all");
        printf("%-26s %3d reg %2d blk/SM  alone %8.2f us %6.0f GB/s   chain %8.2f us %6.0f GB/s  err %.1e%s\n",
               name, fa.numRegs, occ, a, gbs(a), ch, gbs(ch), err / ref_max,
               err / ref_max > 1e-4 ? "  WRONG" : "");
        if (err / ref_max <= 1e-4) {
          if (a < best) best = a, best_name = name;
          if (ch < best_chain) best_chain = ch, best_chain_name = name;
        }
      }
    }
    printf("SUMMARY %-11s read %7.2f | ring alone %7.2f chain %7.2f | reg alone %7.2f (%s) chain %7.2f (%s) | reg/ring alone %.3f chain %.3f\n",
           sh.name, ra, best_ring, best_ring_chain, best, best_name.c_str(), best_chain, best_chain_name.c_str(),
           best / best_ring, best_chain / best_ring_chain);
    fflush(stdout);
  }
  return 0;
}
