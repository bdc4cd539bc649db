/* tests/test_kernels_amx.c — the AMX tile path against a double reference
 * on shapes the tiles do not divide: rows and columns off multiples of 16
 * and 32, one token, 1,000 tokens, several column panels and row chunks.
 *
 * Built twice (tests/meson.build):
 * - test_kernels_amx: pio_matmul on PIO_KERNEL_AMX_BF16 through libpio-sdk,
 *   on one thread and on three, where the CPU has AMX and the kernel grants
 *   tile data (else exit 77, saying why); and, where the CPU has AMX, the
 *   refusal path: a child process whose arch_prctl(ARCH_REQ_XCOMP_PERM) a
 *   seccomp filter makes fail must see the path unavailable, with the
 *   reason, and plans that fall back.
 * - test_kernels_amx_emulated (PIO_AMX_EMULATE): sdk/src/kernels_amx.c
 *   compiled with the tile instructions emulated in C, its pack and row
 *   functions called directly over ranges of rows as threads take them, so
 *   the layouts and every edge are checked on CPUs without AMX (CI's);
 *   exit 77 without AVX-512 BF16, which the packing uses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/cpu.h"
#include "pio/kernels.h"

#if defined(PIO_AMX_EMULATE)
#include "kernels_internal.h"
#else
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#define SKIP 77

static uint64_t rng_state = 12345;

static float rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

/* rows, cols, n: tails of every tile dimension, one token, 1,000 tokens,
 * more than one panel of 16 k-steps (cols > 512, the last panel partial),
 * ranges of rows longer than a chunk (256 rows) with a partial last block,
 * and exact multiples for the straight-from-weights loads. */
static const size_t shapes[][3] = {
    {1, 1, 1},     {15, 31, 1},    {17, 33, 1},     {16, 32, 16},   {33, 65, 17},
    {47, 1000, 3}, {64, 512, 16},  {100, 96, 31},   {31, 2050, 33}, {257, 300, 1000},
    {96, 8200, 40}, {300, 4096, 128}, {128, 2048, 64}, {800, 96, 40},  {600, 600, 100},
};

/* Shapes for weights in tile order or pairs (rows and cols multiples of
 * 32): one block, one token, an odd count of token blocks, several panels
 * of 16 k-steps and row chunks of 256 rows, 1,000 tokens. */
static const size_t laid_out_shapes[][3] = {
    {32, 32, 1}, {64, 512, 16}, {128, 2048, 64}, {800, 96, 40}, {96, 8192, 33}, {320, 640, 1000},
};

typedef void (*matmul_fn)(const pio_matrix *w, const float *x, size_t n, float *y, void *ctx);

/* Fails (returns 1, printing the first bad element) unless y matches the
 * double dot of the stored bf16 weights with x rounded to bf16, within the
 * bound docs/kernels.md states for the bf16 paths. */
static int check_shape(matmul_fn run, void *ctx, size_t rows, size_t cols, size_t n,
                       pio_matrix_layout layout) {
  uint16_t *w = malloc(rows * cols * sizeof *w);
  float *exact = malloc(rows * cols * sizeof *exact), *x = malloc(n * cols * sizeof *x);
  float *y = malloc(n * rows * sizeof *y);
  for (size_t i = 0; i < rows * cols; i++) {
    w[i] = pio_f32_to_bf16(rand_unit());
    exact[i] = pio_bf16_to_f32(w[i]);
  }
  for (size_t i = 0; i < n * cols; i++) x[i] = rand_unit();
  for (size_t i = 0; i < n * rows; i++) y[i] = NAN;
  pio_matrix m = {.data = w, .dtype = PIO_DTYPE_BF16, .rows = (uint32_t)rows,
                  .cols = (uint32_t)cols};
  pio_error err = {0};
  if (layout != PIO_LAYOUT_ROWS && pio_matrix_set_layout(NULL, &m, layout, w, &err) != PIO_OK) {
    fprintf(stderr, "FAIL: %s\n", err.message);
    return 1;
  }
  run(&m, x, n, y, ctx);
  int bad = 0;
  for (size_t t = 0; t < n && !bad; t++) {
    for (size_t r = 0; r < rows && !bad; r++) {
      double ref = 0, mag = 0;
      for (size_t k = 0; k < cols; k++) {
        double term = (double)pio_bf16_to_f32(pio_f32_to_bf16(x[t * cols + k])) * exact[r * cols + k];
        ref += term;
        mag += fabs(term);
      }
      double got = y[t * rows + r], tol = 1e-5 * mag + 1e-6;
      if (!(fabs(got - ref) <= tol)) {
        fprintf(stderr, "FAIL %s rows=%zu cols=%zu n=%zu: y[%zu][%zu] = %.9g, expected %.9g "
                "(tol %g)\n", pio_matrix_layout_name(layout), rows, cols, n, t, r, got, ref, tol);
        bad = 1;
      }
    }
  }
  free(w);
  free(exact);
  free(x);
  free(y);
  return bad;
}

/* Every shape with row-major weights, then the laid-out shapes in tile
 * order (A operand) and in pairs (B operand). */
static int check_all_shapes(matmul_fn run, void *ctx, const char *how) {
  int failed = 0;
  const size_t n_rows = sizeof shapes / sizeof shapes[0];
  const size_t n_laid = sizeof laid_out_shapes / sizeof laid_out_shapes[0];
  for (size_t s = 0; s < n_rows; s++)
    failed += check_shape(run, ctx, shapes[s][0], shapes[s][1], shapes[s][2], PIO_LAYOUT_ROWS);
  for (pio_matrix_layout l = PIO_LAYOUT_TILES; l <= PIO_LAYOUT_PAIRS; l++)
    for (size_t s = 0; s < n_laid; s++) {
      const size_t *shape = laid_out_shapes[s];
      failed += check_shape(run, ctx, shape[0], shape[1], shape[2], l);
    }
  fprintf(stderr, "%s: %zu row-major shapes and %zu in each of tiles and pairs, %d failed\n", how,
          n_rows, n_laid, failed);
  return failed;
}

#if defined(PIO_AMX_EMULATE)

/* The dispatcher's work by hand: pack x, then rows in ranges that start at
 * multiples of 32, as threads take them (three ranges here). */
static void emulated_matmul(const pio_matrix *w, const float *x, size_t n, float *y, void *ctx) {
  (void)ctx;
  size_t units = pio_k_amx_pack_units(n, w->cols), bytes = pio_k_amx_packed_bytes(n, w->cols);
  void *packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
  pio_k_amx_pack(x, w->cols, n, w->cols, w->layout, packed, 0, units / 2);
  pio_k_amx_pack(x, w->cols, n, w->cols, w->layout, packed, units / 2, units);
  void *scratch = aligned_alloc(64, (pio_k_amx_scratch_bytes(n, w->cols) + 63) / 64 * 64);
  size_t cut1 = w->rows / 3 / 32 * 32, cut2 = 2 * w->rows / 3 / 32 * 32;
  pio_k_amx_matmul_rows(w, packed, n, y, 0, cut1, scratch);
  pio_k_amx_matmul_rows(w, packed, n, y, cut1, cut2, scratch);
  pio_k_amx_matmul_rows(w, packed, n, y, cut2, w->rows, scratch);
  free(packed);
  free(scratch);
}

int main(void) {
  if (!pio_cpu_has(PIO_CPU_AVX512F) || !pio_cpu_has(PIO_CPU_AVX512_BF16)) {
    printf("skipped: the emulated tile path packs activations with AVX-512 BF16, which this "
           "CPU lacks\n");
    return SKIP;
  }
  int failed = check_all_shapes(emulated_matmul, NULL, "emulated tiles");
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else

static void real_matmul(const pio_matrix *w, const float *x, size_t n, float *y, void *ctx) {
  pio_matmul(ctx, PIO_KERNEL_AMX_BF16, w, x, n, y);
}

/* In a child whose arch_prctl(ARCH_REQ_XCOMP_PERM, ...) fails with EPERM:
 * the path is unavailable with the kernel's refusal as the reason, auto
 * plans fall back, and asking for amx_bf16 is refused with it. */
static int refused_child(void) {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    fprintf(stderr, "cannot install the seccomp filter: %s\n", strerror(errno));
    return 2;
  }
  if (pio_kernel_path_available(PIO_KERNEL_AMX_BF16)) return 10;
  const char *why = pio_kernel_path_unavailable_reason(PIO_KERNEL_AMX_BF16);
  if (why == NULL || strstr(why, "refused") == NULL || strstr(why, "not permitted") == NULL) {
    fprintf(stderr, "reason: %s\n", why ? why : "(none)");
    return 11;
  }
  pio_kernel_plan plan;
  pio_error err = {0};
  if (pio_kernel_plan_choose(NULL, PIO_DTYPE_BF16, &plan, &err) != PIO_OK) return 12;
  if (plan.prefill == PIO_KERNEL_AMX_BF16 || strstr(plan.why, "amx_bf16 not used") == NULL) {
    fprintf(stderr, "plan %s: %s\n", plan.name, plan.why);
    return 13;
  }
  if (pio_kernel_plan_choose("amx_bf16", PIO_DTYPE_BF16, &plan, &err) != PIO_ERR_UNSUPPORTED ||
      strstr(err.message, "refused") == NULL) {
    fprintf(stderr, "forced amx_bf16: %s\n", err.message);
    return 14;
  }
  return 0;
}

static int check_refusal(void) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) _exit(refused_child());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
  fprintf(stderr, "refusal of tile data: %s (child exit %d)\n", code == 0 ? "ok" : "FAIL", code);
  return code != 0;
}

int main(void) {
  if (!pio_cpu_has(PIO_CPU_AMX_TILE) || !pio_cpu_has(PIO_CPU_AMX_BF16)) {
    printf("skipped: %s\n", pio_kernel_path_unavailable_reason(PIO_KERNEL_AMX_BF16));
    return SKIP;
  }
  int failed = check_refusal();
  if (!pio_kernel_path_available(PIO_KERNEL_AMX_BF16)) {
    printf("skipped (refusal path %s): %s\n", failed ? "FAILED" : "ok",
           pio_kernel_path_unavailable_reason(PIO_KERNEL_AMX_BF16));
    return failed ? EXIT_FAILURE : SKIP;
  }
  failed += check_all_shapes(real_matmul, NULL, "amx_bf16, one thread");
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  if (pio_threadpool_create(3, &pool, &err) != PIO_OK) return EXIT_FAILURE;
  failed += check_all_shapes(real_matmul, pool, "amx_bf16, three threads");
  pio_threadpool_destroy(pool);
  pio_kernel_plan plan;
  if (pio_kernel_plan_choose(NULL, PIO_DTYPE_BF16, &plan, &err) != PIO_OK) return EXIT_FAILURE;
  fprintf(stderr, "auto plan for bf16: %s (%s)\n", plan.name, plan.why);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
