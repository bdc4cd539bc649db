/* cuda/cuda_gemm.c — cuBLASLt plans and runs for the prefill.  Row-major
 * y[n][m] = x[n][k] w[m][k]^T is, read column-major, Y[m][n] = W^T X with
 * W stored k x m: transa = T, transb = N, the layout cuBLAS runs fastest. */
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_gemm.h"
#include "cuda/cuda_status.h"

/* cuBLASLt's advice for Hopper: 32 MiB lets it pick split-K kernels. */
#define WORKSPACE_BYTES ((size_t)32 << 20)

struct lc_gemm_plan {
  uint32_t m, n, k;
  int accumulate;
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t a, b, c;
  cublasLtMatmulAlgo_t algo;
};

pio_status lc_gemm_init(lc_gemm *g, pio_error *err) {
  memset(g, 0, sizeof *g);
  pio_status s = lc_cublas_check(cublasLtCreate(&g->lt), err, "cublasLtCreate");
  if (s == PIO_OK)
    s = lc_cuda_check(cudaMalloc(&g->workspace, WORKSPACE_BYTES), err,
                      "cuBLASLt workspace of %zu bytes", WORKSPACE_BYTES);
  if (s != PIO_OK) {
    lc_gemm_free(g);
    return s;
  }
  g->workspace_bytes = WORKSPACE_BYTES;
  return PIO_OK;
}

static void plan_free(lc_gemm_plan *p) {
  if (p->a) cublasLtMatrixLayoutDestroy(p->a);
  if (p->b) cublasLtMatrixLayoutDestroy(p->b);
  if (p->c) cublasLtMatrixLayoutDestroy(p->c);
  if (p->desc) cublasLtMatmulDescDestroy(p->desc);
}

void lc_gemm_free(lc_gemm *g) {
  for (size_t i = 0; i < g->n_plans; i++) plan_free(&g->plans[i]);
  free(g->plans);
  if (g->workspace) cudaFree(g->workspace);
  if (g->lt) cublasLtDestroy(g->lt);
  memset(g, 0, sizeof *g);
}

static pio_status describe(lc_gemm_plan *p, pio_error *err) {
  const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
  pio_status s = lc_cublas_check(cublasLtMatmulDescCreate(&p->desc, CUBLAS_COMPUTE_32F,
                                                          CUDA_R_32F), err, "matmul descriptor");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                                       &ta, sizeof ta), err, "transa");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatmulDescSetAttribute(p->desc, CUBLASLT_MATMUL_DESC_TRANSB,
                                                       &tb, sizeof tb), err, "transb");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatrixLayoutCreate(&p->a, CUDA_R_16BF, p->k, p->m, p->k), err,
                        "layout of w");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatrixLayoutCreate(&p->b, CUDA_R_16BF, p->k, p->n, p->k), err,
                        "layout of x");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatrixLayoutCreate(&p->c, CUDA_R_32F, p->m, p->n, p->m), err,
                        "layout of y");
  return s;
}

static pio_status choose(lc_gemm *g, lc_gemm_plan *p, pio_error *err) {
  cublasLtMatmulPreference_t pref = NULL;
  const uint64_t ws = g->workspace_bytes;
  pio_status s = lc_cublas_check(cublasLtMatmulPreferenceCreate(&pref), err, "preference");
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatmulPreferenceSetAttribute(
                            pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws),
                        err, "workspace preference");
  cublasLtMatmulHeuristicResult_t result;
  int found = 0;
  if (s == PIO_OK)
    s = lc_cublas_check(cublasLtMatmulAlgoGetHeuristic(g->lt, p->desc, p->a, p->b, p->c, p->c,
                                                       pref, 1, &result, &found),
                        err, "algorithm heuristic");
  if (pref) cublasLtMatmulPreferenceDestroy(pref);
  if (s != PIO_OK) return s;
  if (found == 0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "cuBLASLt has no bf16 algorithm for this "
                         "shape");
  p->algo = result.algo;
  return PIO_OK;
}

/* The plan for a shape, made on first use. */
static pio_status plan_for(lc_gemm *g, uint32_t m, uint32_t n, uint32_t k, int accumulate,
                           lc_gemm_plan **out, pio_error *err) {
  for (size_t i = 0; i < g->n_plans; i++) {
    lc_gemm_plan *p = &g->plans[i];
    if (p->m == m && p->n == n && p->k == k && p->accumulate == accumulate) {
      *out = p;
      return PIO_OK;
    }
  }
  if (g->n_plans == g->cap_plans) {
    const size_t cap = g->cap_plans ? 2 * g->cap_plans : 16;
    lc_gemm_plan *grown = realloc(g->plans, cap * sizeof *grown);
    if (grown == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "gemm plans: out of memory");
    g->plans = grown;
    g->cap_plans = cap;
  }
  lc_gemm_plan p = {.m = m, .n = n, .k = k, .accumulate = accumulate};
  pio_status s = describe(&p, err);
  if (s == PIO_OK) s = choose(g, &p, err);
  if (s != PIO_OK) {
    plan_free(&p);
    return s;
  }
  g->plans[g->n_plans] = p;
  *out = &g->plans[g->n_plans++];
  return PIO_OK;
}

pio_status lc_gemm_run(lc_gemm *g, cudaStream_t s, const uint16_t *w, uint32_t m, uint32_t k,
                       const uint16_t *x, uint32_t n, float *y, int accumulate, pio_error *err) {
  lc_gemm_plan *p = NULL;
  pio_status st = plan_for(g, m, n, k, accumulate, &p, err);
  if (st == PIO_OK) {
    const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    st = lc_cublas_check(cublasLtMatmul(g->lt, p->desc, &alpha, w, p->a, x, p->b, &beta, y,
                                        p->c, y, p->c, &p->algo, g->workspace,
                                        g->workspace_bytes, s),
                         err, "matmul");
  }
  if (st != PIO_OK)
    return pio_error_prefix(err, "y[%u][%u] %s x[%u][%u] w[%u][%u]^T", n, m,
                            accumulate ? "+=" : "=", n, k, m, k);
  return PIO_OK;
}
