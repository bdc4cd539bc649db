/* benchmarks/amx_micro.c — where one core's AMX tile loop loses time.  The
 * block of sdk/src/kernels_amx.c (32 weight rows x 32 tokens: 4
 * accumulators, 2 A and 2 B tiles a k-step, the same pipelined order) runs
 * over buffers laid out as the kernel lays them (A tiles of the chunk's
 * row blocks in tile order, B tiles of a pair of token blocks), with one
 * thing changed at a time: the panel's k-steps, the A loads' cache hint,
 * software prefetch of the next A tiles, A straight from a row-major
 * matrix.  Each is timed on the calling thread beside tdpbf16ps with no
 * loads at all, and printed as ns a tile product and the share of that
 * register-only rate: 100 % is the tile unit never waiting.
 *
 *   pio-amx-micro [--reps K]
 *
 * Not a test: timings depend on the machine and its load.  Needs AMX and
 * the kernel's grant of tile data; elsewhere it says so and exits 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute_kernels.h"
#include "stats.h"
#include "tool_number.h"
#include "pio/cpu.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define AMX_MICRO_X86 1
#else
#define AMX_MICRO_X86 0
#endif

#define TILE 1024u /* bytes of one 16 x 64-byte tile */

/* One layout of the block loop. */
typedef struct amx_case {
  const char *name;
  size_t blocks;     /* row blocks of 32 rows in the chunk */
  size_t pairs;      /* pairs of token blocks (passes) */
  size_t panel;      /* k-steps a pass covers before the accumulators go back */
  int keep_c;        /* accumulators never stored or reloaded (one block) */
  int stream_a;      /* A tiles loaded with tileloaddt1 */
  size_t prefetch;   /* prefetcht0 the A tiles this many k-steps ahead; 0: none */
  size_t a_stride;   /* 0: A from the tile-order copy; else from a row-major
                        matrix with rows this many bytes apart */
  size_t a_matrix_mib; /* size of that matrix (it cycles through it) */
} amx_case;

#if AMX_MICRO_X86
#define TARGET __attribute__((target("amx-tile,amx-bf16")))

static void prefetch_tiles(const unsigned char *p, size_t stride, size_t rows) {
  for (size_t r = 0; r < rows; r++) _mm_prefetch((const char *)(p + r * stride), _MM_HINT_T0);
}

/* A tiles of step s: from the copy (a + s * 2 KiB, A1 1 KiB on) or the
 * matrix (a + s * 64, A1 16 rows down). */
#define A_AT(s) (c->a_stride ? a + (s) * 64 : a + (s) * 2 * TILE)
#define A_HALF (c->a_stride ? 16 * c->a_stride : TILE)
#define A_STRIDE (c->a_stride ? c->a_stride : 64)
#define LOAD_A(t, p)                                       \
  do {                                                     \
    if (c->stream_a) _tile_stream_loadd(t, p, (long)A_STRIDE); \
    else _tile_loadd(t, p, (long)A_STRIDE);                \
  } while (0)

/* One pass's block: 4 accumulators over c->panel k-steps, pipelined as
 * steps_two in kernels_amx.c. */
TARGET static void block_steps(const amx_case *c, const unsigned char *a, const unsigned char *b) {
  const size_t steps = c->panel, b_gap = steps * TILE;
  LOAD_A(4, A_AT(0));
  _tile_loadd(6, b, 64);
  _tile_loadd(7, b + b_gap, 64);
  LOAD_A(5, A_AT(0) + A_HALF);
  for (size_t s = 0; s < steps; s++) {
    const int more = s + 1 < steps;
    if (c->prefetch && s + c->prefetch < steps) {
      prefetch_tiles(A_AT(s + c->prefetch), A_STRIDE, 16);
      prefetch_tiles(A_AT(s + c->prefetch) + A_HALF, A_STRIDE, 16);
    }
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    if (more) LOAD_A(4, A_AT(s + 1));
    _tile_dpbf16ps(2, 5, 6);
    if (more) _tile_loadd(6, b + (s + 1) * TILE, 64);
    _tile_dpbf16ps(3, 5, 7);
    if (more) {
      _tile_loadd(7, b + b_gap + (s + 1) * TILE, 64);
      LOAD_A(5, A_AT(s + 1) + A_HALF);
    }
  }
}

/* One chunk: every pass over every row block, the accumulators loaded and
 * stored around each (unless keep_c).  Returns the tile products done. */
TARGET static size_t run_chunk(const amx_case *c, const unsigned char *a_base, size_t a_offset,
                               const unsigned char *b_base, float *acc) {
  size_t products = 0;
  if (c->keep_c) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (size_t pass = 0; pass < c->pairs; pass++) {
    const unsigned char *b = b_base + pass * 2 * c->panel * TILE;
    for (size_t rb = 0; rb < c->blocks; rb++) {
      float *cb = acc + (rb * c->pairs + pass) * 1024;
      const unsigned char *a = c->a_stride ? a_base + a_offset + rb * 32 * c->a_stride
                                           : a_base + rb * c->panel * 2 * TILE;
      if (!c->keep_c) {
        _tile_loadd(0, cb, 64);
        _tile_loadd(1, cb + 256, 64);
        _tile_loadd(2, cb + 512, 64);
        _tile_loadd(3, cb + 768, 64);
      }
      block_steps(c, a, b);
      if (!c->keep_c) {
        _tile_stored(0, cb, 64);
        _tile_stored(1, cb + 256, 64);
        _tile_stored(2, cb + 512, 64);
        _tile_stored(3, cb + 768, 64);
      }
      products += 4 * c->panel;
    }
  }
  if (c->keep_c) _tile_stored(0, acc, 64);
  return products;
}

/* Median ns per tile product of case c over `reps` timed runs of ~5 ms. */
TARGET static double time_case(const amx_case *c, size_t reps) {
  const size_t a_bytes = c->a_stride ? c->a_matrix_mib << 20 : c->blocks * c->panel * 2 * TILE;
  const size_t b_bytes = c->pairs * 2 * c->panel * TILE;
  const size_t acc_bytes = c->blocks * c->pairs * 4 * TILE;
  unsigned char *a = aligned_alloc(64, a_bytes), *b = aligned_alloc(64, b_bytes);
  float *acc = aligned_alloc(64, acc_bytes);
  double *ns = malloc(reps * sizeof *ns);
  if (a == NULL || b == NULL || acc == NULL || ns == NULL) {
    free(a), free(b), free(acc), free(ns);
    return -1;
  }
  /* bf16 0.5 and 0.25 everywhere, accumulators 0: sums stay finite. */
  for (size_t i = 0; i < a_bytes / 2; i++) ((uint16_t *)a)[i] = 0x3f00;
  for (size_t i = 0; i < b_bytes / 2; i++) ((uint16_t *)b)[i] = 0x3e80;
  memset(acc, 0, acc_bytes);
  /* Row-major A: the chunk moves through the matrix, 256 rows x
   * panel steps at a time, as the first pass of the kernel does. */
  const size_t chunk_bytes = c->blocks * 32 * c->a_stride;
  const size_t positions = c->a_stride ? a_bytes / chunk_bytes : 1;
  pio_bench_amx_configure();
  size_t position = 0;
  for (size_t rep = 0; rep < reps + 1; rep++) { /* 1 warm-up */
    double t0 = pio_bench_now(), t;
    size_t products = 0;
    do {
      const size_t k_panels = c->a_stride ? c->a_stride / (64 * c->panel) : 1;
      const size_t offset = c->a_stride ? position % positions * chunk_bytes
                                              + position / positions % k_panels * c->panel * 64
                                        : 0;
      position++;
      products += run_chunk(c, a, offset, b, acc);
    } while ((t = pio_bench_now() - t0) < 5e-3);
    if (rep > 0) ns[rep - 1] = t * 1e9 / (double)products;
  }
  _tile_release();
  double median = pio_bench_median(ns, reps);
  free(a), free(b), free(acc), free(ns);
  return median;
}

/* ns per tile product of tdpbf16ps into 4 accumulators, no loads. */
static double register_rate(size_t reps) {
  const uint64_t rounds = 200000; /* 800k products, ~6 ms at 2 GHz */
  /* a product is 16 x 16 x 32 multiply-adds: 16384 FLOP */
  double *ns = malloc(reps * sizeof *ns);
  if (ns == NULL) return -1;
  for (size_t rep = 0; rep < reps + 1; rep++) {
    double t0 = pio_bench_now();
    (void)pio_bench_peak_run(PIO_BENCH_PEAK_AMX_BF16, 2, rounds); /* variant 2: 4 tiles */
    if (rep > 0) ns[rep - 1] = (pio_bench_now() - t0) * 1e9 / (double)(4 * rounds);
  }
  double median = pio_bench_median(ns, reps);
  free(ns);
  return median;
}
#endif

int main(int argc, char **argv) {
  uint64_t reps = 9;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      if (pio_tool_number("pio-amx-micro", "--reps", argv[++i], 1, 100000, &reps) != 0) return 2;
    } else {
      return fprintf(stderr, "usage: %s [--reps K]\n", argv[0]), 2;
    }
  }
  const char *why = NULL;
  if (!AMX_MICRO_X86 || !pio_cpu_has(PIO_CPU_AMX_BF16) || !pio_cpu_amx_granted(&why))
    return fprintf(stderr, "pio-amx-micro: no AMX here (%s)\n", why != NULL ? why : "no amx_bf16"),
           1;
#if AMX_MICRO_X86
  /* The kernel's chunk: 8 row blocks (256 rows); 16 pairs = 512 tokens,
   * 4 pairs = 128. */
  static const amx_case cases[] = {
      {"one block, 4 k-steps, accumulators kept (all in L1)", 1, 1, 4, 1, 0, 0, 0, 0},
      {"512 tokens, panel 16 (as built)", 8, 16, 16, 0, 0, 0, 0, 0},
      {"512 tokens, panel 8", 8, 16, 8, 0, 0, 0, 0, 0},
      {"512 tokens, panel 4", 8, 16, 4, 0, 0, 0, 0, 0},
      {"512 tokens, panel 32", 8, 16, 32, 0, 0, 0, 0, 0},
      {"512 tokens, panel 16, A tileloaddt1", 8, 16, 16, 0, 1, 0, 0, 0},
      {"512 tokens, panel 8, A tileloaddt1", 8, 16, 8, 0, 1, 0, 0, 0},
      {"512 tokens, panel 16, prefetch A +1 step", 8, 16, 16, 0, 0, 1, 0, 0},
      {"512 tokens, panel 16, prefetch A +2 steps", 8, 16, 16, 0, 0, 2, 0, 0},
      {"512 tokens, panel 8, prefetch A +1 step", 8, 16, 8, 0, 0, 1, 0, 0},
      {"512 tokens, panel 16, 4 row blocks", 4, 16, 16, 0, 0, 0, 0, 0},
      {"128 tokens, panel 16 (as built)", 8, 4, 16, 0, 0, 0, 0, 0},
      {"128 tokens, panel 8", 8, 4, 8, 0, 0, 0, 0, 0},
      {"first pass: A from 2048-col rows, 1 MiB (L2)", 8, 1, 16, 0, 0, 0, 4096, 1},
      {"first pass: A from 2048-col rows, 256 MiB (memory)", 8, 1, 16, 0, 0, 0, 4096, 256},
      {"first pass: A from 2048-col rows, 256 MiB, prefetch +2", 8, 1, 16, 0, 0, 2, 4096, 256},
  };
  const double peak = register_rate(reps);
  printf("tdpbf16ps, 4 accumulators, no loads: %.2f ns a tile product (%.0f GFLOP/s)\n", peak,
         16384.0 / peak);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double ns = time_case(&cases[i], reps);
    if (ns < 0) return fprintf(stderr, "pio-amx-micro: out of memory\n"), 1;
    printf("%-58s %6.2f ns a product  %5.0f GFLOP/s  %5.1f %% of no-loads\n", cases[i].name, ns,
           16384.0 / ns, 100.0 * peak / ns);
  }
#endif
  return 0;
}
