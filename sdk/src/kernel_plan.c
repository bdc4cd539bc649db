/* sdk/src/kernel_plan.c — which matmul path a model takes for prefill and
 * for decode: the path asked for, or the fastest here.  What is known is
 * taken as known: among the f32-FMA paths the widest vectors win (the same
 * instruction on more lanes), and f32 or f16 weights are widened to f32 on
 * every vector path.  What flags do not say is measured: whether the bf16
 * dot product (vdpbf16ps) beats widening bf16 weights for the f32 FMA — on
 * some Xeons it runs no faster, on Zen 5 half again as fast — and what AMX
 * tiles give. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pio/kernels.h"

/* The probe: a prefill-shaped matmul whose weights (1 MiB in bf16) stay in
 * L2 or L3, on the calling thread; the rows are many enough that rounding
 * the activations costs what it costs in a model (1/512 of the work). */
#define PROBE_ROWS 512u
#define PROBE_COLS 1024u
#define PROBE_TOKENS 32u
#define PROBE_REPS 5
/* A later path in pio_kernel_path order must beat the chosen one by this
 * factor: near-ties keep the earlier path, whose activations stay f32. */
#define MARGIN 1.25
/* AMX tiles take 16 tokens; fewer leave most of a tile empty. */
#define AMX_MIN_TOKENS 16u

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Rates (FLOP/s, 0: not timed) of the paths over bf16 weights, measured
 * once per process. */
typedef struct probe {
  int done;
  double rate[PIO_KERNEL_PATH_COUNT];
} probe;

static probe bf16_probe;
static pthread_mutex_t probes_lock = PTHREAD_MUTEX_INITIALIZER;

/* The widest f32-FMA path this CPU runs. */
static pio_kernel_path widest_f32(void) {
  if (pio_kernel_path_available(PIO_KERNEL_AVX512)) return PIO_KERNEL_AVX512;
  if (pio_kernel_path_available(PIO_KERNEL_AVX2)) return PIO_KERNEL_AVX2;
  return PIO_KERNEL_SCALAR;
}

/* Paths the probe of bf16 weights times: the widest f32 path and the two
 * bf16 ones, where available. */
static int timed(pio_kernel_path p) {
  if (!pio_kernel_path_available(p)) return 0;
  return p == widest_f32() || p == PIO_KERNEL_AVX512_BF16 || p == PIO_KERNEL_AMX_BF16;
}

static int run_probe(probe *out) {
  const size_t n_w = (size_t)PROBE_ROWS * PROBE_COLS;
  uint16_t *w = malloc(n_w * sizeof *w);
  float *x = malloc(sizeof(float) * PROBE_TOKENS * PROBE_COLS);
  float *y = malloc(sizeof(float) * PROBE_TOKENS * PROBE_ROWS);
  int ok = w != NULL && x != NULL && y != NULL;
  if (ok) {
    /* Small values of every sign; the timing does not depend on them. */
    for (size_t i = 0; i < n_w; i++) w[i] = pio_f32_to_bf16((float)((i * 37) % 101) / 512.0f - 0.1f);
    for (size_t i = 0; i < (size_t)PROBE_TOKENS * PROBE_COLS; i++)
      x[i] = (float)((i * 53) % 97) / 97.0f - 0.5f;
    pio_matrix m = {.data = w, .dtype = PIO_DTYPE_BF16, .rows = PROBE_ROWS, .cols = PROBE_COLS};
    double best[PIO_KERNEL_PATH_COUNT] = {0};
    /* Interleaved, best of PROBE_REPS after a warm-up call, so a time slice
     * lost to another process hurts one sample of one path only. */
    for (int rep = -1; rep < PROBE_REPS; rep++) {
      for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++) {
        if (!timed((pio_kernel_path)p)) continue;
        double t0 = seconds_now();
        pio_matmul(NULL, (pio_kernel_path)p, &m, x, PROBE_TOKENS, y);
        double dt = seconds_now() - t0;
        if (rep >= 0 && (best[p] == 0 || dt < best[p])) best[p] = dt;
      }
    }
    const double flop = 2.0 * PROBE_ROWS * PROBE_COLS * PROBE_TOKENS;
    for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++)
      out->rate[p] = best[p] > 0 ? flop / best[p] : 0.0;
  }
  free(w);
  free(x);
  free(y);
  return ok;
}

/* The probe, run on first use. */
static pio_status probe_bf16(probe *out, pio_error *err) {
  pthread_mutex_lock(&probes_lock);
  probe *p = &bf16_probe;
  int ok = p->done || run_probe(p);
  if (ok) p->done = 1;
  if (ok) *out = *p;
  pthread_mutex_unlock(&probes_lock);
  return ok ? PIO_OK
            : pio_error_set(err, PIO_ERR_NO_MEMORY, "kernel plan: cannot allocate the probe");
}

/* The fastest timed path up to `last`: the widest f32 one unless a bf16
 * path beats it by MARGIN (and amx_bf16 beats that by MARGIN). */
static pio_kernel_path fastest(const probe *pr, pio_kernel_path last) {
  pio_kernel_path best = widest_f32();
  for (int p = PIO_KERNEL_AVX512_BF16; p <= (int)last; p++)
    if (pr->rate[p] > MARGIN * pr->rate[best]) best = (pio_kernel_path)p;
  return best;
}

static void set_name(pio_kernel_plan *plan) {
  if (plan->prefill == plan->decode)
    snprintf(plan->name, sizeof plan->name, "%s", pio_kernel_path_name(plan->prefill));
  else
    snprintf(plan->name, sizeof plan->name, "%s+%s", pio_kernel_path_name(plan->prefill),
             pio_kernel_path_name(plan->decode));
}

/* "measured on this core (...): avx512 105, avx512bf16 150 GFLOP/s; prefill
 * ..., decode ...; amx_bf16 not used: why" */
static void explain(const probe *pr, pio_kernel_plan *plan) {
  char *w = plan->why;
  size_t size = sizeof plan->why, used = 0;
  used += (size_t)snprintf(w, size, "measured on this core (bf16 %ux%u weights, %u tokens):",
                           PROBE_ROWS, PROBE_COLS, PROBE_TOKENS);
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT && used < size; p++)
    if (pr->rate[p] > 0)
      used += (size_t)snprintf(w + used, size - used, " %s %.0f", pio_kernel_path_name(p),
                               pr->rate[p] / 1e9);
  if (used < size)
    used += (size_t)snprintf(w + used, size - used, " GFLOP/s; prefill %s",
                             pio_kernel_path_name(plan->prefill));
  if (plan->prefill != plan->decode && used < size)
    used += (size_t)snprintf(w + used, size - used,
                             " from %u tokens, decode %s (one token would fill 1/16 of a "
                             "tile)", plan->prefill_min_tokens,
                             pio_kernel_path_name(plan->decode));
  const char *no_amx = pio_kernel_path_unavailable_reason(PIO_KERNEL_AMX_BF16);
  if (no_amx != NULL && used < size)
    snprintf(w + used, size - used, "; amx_bf16 not used: %s", no_amx);
}

/* Why the avx512 one-token kernel prefetches as it does here. */
#ifdef PIO_ONE_TOKEN_PREFETCH
#define PREFETCH_REASON "as built"
#else
#define PREFETCH_REASON "an Intel CPU"
#endif

/* "; avx512 one-token rows prefetched 4096 bytes ahead (an Intel CPU)"
 * when the plan decodes there and this CPU takes the prefetch. */
static void note_prefetch(pio_kernel_plan *plan) {
  const size_t ahead = pio_kernel_one_token_prefetch();
  if (plan->decode != PIO_KERNEL_AVX512 || ahead == 0) return;
  const size_t used = strlen(plan->why);
  snprintf(plan->why + used, sizeof plan->why - used,
           "; avx512 one-token rows prefetched %zu bytes ahead (%s)", ahead, PREFETCH_REASON);
}

static pio_status forced(const char *request, pio_kernel_plan *out, pio_error *err) {
  pio_kernel_path p;
  if (pio_kernel_path_parse(request, &p) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "kernel path '%s' is unknown: expected auto, scalar, avx2, avx512, "
                         "avx512bf16 or amx_bf16", request);
  const char *no = pio_kernel_path_unavailable_reason(p);
  if (no != NULL)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "kernel path %s cannot run here: %s", request,
                         no);
  out->prefill = out->decode = p;
  out->prefill_min_tokens = 1;
  set_name(out);
  snprintf(out->why, sizeof out->why, "%s asked for, for every matmul", request);
  return PIO_OK;
}

/* The paths and why, before the prefetch note. */
static pio_status choose_paths(const char *request, pio_dtype dtype, pio_kernel_plan *out,
                               pio_error *err) {
  if (dtype != PIO_DTYPE_F32 && dtype != PIO_DTYPE_BF16 && dtype != PIO_DTYPE_F16)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED, "kernel plan: matmuls take f32, bf16 or f16 "
                         "weights, not %s", pio_dtype_name(dtype));
  if (request != NULL && request[0] != '\0' && strcmp(request, "auto") != 0)
    return forced(request, out, err);
  if (dtype != PIO_DTYPE_BF16) {
    out->prefill = out->decode = widest_f32();
    out->prefill_min_tokens = 1;
    set_name(out);
    snprintf(out->why, sizeof out->why, "%s weights are widened to f32 on every vector path "
             "(the bf16 paths run the f32 FMA code for them): %s, the widest here",
             pio_dtype_name(dtype), out->name);
    return PIO_OK;
  }
  probe pr;
  pio_status st = probe_bf16(&pr, err);
  if (st != PIO_OK) return st;
  out->prefill = fastest(&pr, PIO_KERNEL_AMX_BF16);
  out->decode = fastest(&pr, PIO_KERNEL_AVX512_BF16);
  out->prefill_min_tokens = out->prefill == out->decode ? 1 : AMX_MIN_TOKENS;
  set_name(out);
  explain(&pr, out);
  return PIO_OK;
}

pio_status pio_kernel_plan_choose(const char *request, pio_dtype dtype, pio_kernel_plan *out,
                                  pio_error *err) {
  memset(out, 0, sizeof *out);
  pio_status st = choose_paths(request, dtype, out, err);
  if (st == PIO_OK) note_prefetch(out);
  return st;
}

pio_kernel_path pio_kernel_plan_path(const pio_kernel_plan *plan, size_t n_tokens) {
  return n_tokens >= plan->prefill_min_tokens ? plan->prefill : plan->decode;
}

pio_kernel_path pio_kernel_plan_f32_path(const pio_kernel_plan *plan) {
  return plan->decode == PIO_KERNEL_AVX512_BF16 || plan->decode == PIO_KERNEL_AMX_BF16
             ? PIO_KERNEL_AVX512
             : plan->decode;
}

void pio_kernel_plan_note_layout(pio_kernel_plan *plan, pio_matrix_layout layout,
                                 uint64_t bytes) {
  const size_t used = strlen(plan->why);
  snprintf(plan->why + used, sizeof plan->why - used,
           "; %.1f MiB of weights in %s order, rewritten at load", (double)bytes / 1048576.0,
           pio_matrix_layout_name(layout));
}
