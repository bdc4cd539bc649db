/* tests/test_mlp.c — the SwiGLU block (pio/mlp.h) alone against a double
 * reference, down(silu(gate x) * up x), on every matmul path this CPU runs,
 * with f32 weights (exact products on every path) and bf16 weights (the
 * avx512bf16 and amx paths round x to bf16 too); alone and on a pool of
 * threads, whose results must be the same bits; and pio_swiglu_pack, the
 * in-place form the MoE experts use. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/dtype.h"
#include "pio/mlp.h"

static uint64_t rng_state;

static float rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

static float *random_floats(size_t n, float scale) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = rand_unit() * scale;
  return p;
}

static double silu(double g) { return g / (1.0 + exp(-g)); }

/* out[n][d] in double from weights held as floats (the bf16 ones widened):
 * gate_up[2 d_ff][d], down[d][d_ff]. */
static void reference(const float *gate_up, const float *down, const float *x, size_t n,
                      size_t d, size_t d_ff, double *out) {
  double *h = malloc(d_ff * sizeof *h);
  for (size_t t = 0; t < n; t++) {
    for (size_t j = 0; j < d_ff; j++) {
      double g = 0, u = 0;
      for (size_t i = 0; i < d; i++) {
        g += (double)gate_up[j * d + i] * x[t * d + i];
        u += (double)gate_up[(d_ff + j) * d + i] * x[t * d + i];
      }
      h[j] = silu(g) * u;
    }
    for (size_t i = 0; i < d; i++) {
      double s = 0;
      for (size_t j = 0; j < d_ff; j++) s += (double)down[i * d_ff + j] * h[j];
      out[t * d + i] = s;
    }
  }
  free(h);
}

/* Weights of one shape in f32, and their bf16 copies (the f32 ones are the
 * bf16 values widened, so one reference serves both). */
typedef struct block {
  size_t d, d_ff;
  float *gate_up, *down;
  uint16_t *gate_up_bf16, *down_bf16;
} block;

static void round_to_bf16(float *w, uint16_t *bf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bf[i] = pio_f32_to_bf16(w[i]);
    w[i] = pio_bf16_to_f32(bf[i]);
  }
}

static block block_make(size_t d, size_t d_ff) {
  block b = {.d = d, .d_ff = d_ff};
  b.gate_up = random_floats(2 * d_ff * d, 1.0f / sqrtf((float)d));
  b.down = random_floats(d * d_ff, 1.0f / sqrtf((float)d_ff));
  b.gate_up_bf16 = malloc(2 * d_ff * d * sizeof *b.gate_up_bf16);
  b.down_bf16 = malloc(d * d_ff * sizeof *b.down_bf16);
  round_to_bf16(b.gate_up, b.gate_up_bf16, 2 * d_ff * d);
  round_to_bf16(b.down, b.down_bf16, d * d_ff);
  return b;
}

static pio_swiglu_weights block_weights(const block *b, pio_dtype dtype) {
  const int bf = dtype == PIO_DTYPE_BF16;
  pio_swiglu_weights w = {
      .gate_up = {.data = bf ? (const void *)b->gate_up_bf16 : b->gate_up, .dtype = dtype,
                  .rows = (uint32_t)(2 * b->d_ff), .cols = (uint32_t)b->d},
      .down = {.data = bf ? (const void *)b->down_bf16 : b->down, .dtype = dtype,
               .rows = (uint32_t)b->d, .cols = (uint32_t)b->d_ff}};
  return w;
}

static void block_free(block *b) {
  free(b->gate_up);
  free(b->down);
  free(b->gate_up_bf16);
  free(b->down_bf16);
}

/* Paths that round x to bf16 (for bf16 weights) lose ~3 significant digits
 * per product; the others only float sums. */
static double tolerance(pio_kernel_path path, pio_dtype dtype) {
  const int rounds_x = dtype == PIO_DTYPE_BF16 &&
                       (path == PIO_KERNEL_AVX512_BF16 || path == PIO_KERNEL_AMX_BF16);
  return rounds_x ? 2e-2 : 2e-5;
}

static const size_t shapes[][2] = {{8, 4}, {40, 24}, {64, 96}, {130, 70}};
static const size_t token_counts[] = {1, 3, 17};

static void check_block(pio_kernel_path path, pio_dtype dtype, pio_threadpool *pool) {
  rng_state = 11;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    block b = block_make(shapes[s][0], shapes[s][1]);
    const pio_swiglu_weights w = block_weights(&b, dtype);
    for (size_t c = 0; c < sizeof token_counts / sizeof token_counts[0]; c++) {
      const size_t n = token_counts[c], d = b.d;
      float *x = random_floats(n * d, 2.0f);
      float *scratch = malloc(pio_swiglu_scratch_floats(&w, n) * sizeof *scratch);
      float *out = malloc(n * d * sizeof *out);
      double *want = malloc(n * d * sizeof *want);
      pio_swiglu(pool, path, &w, x, n, scratch, out);
      reference(b.gate_up, b.down, x, n, d, b.d_ff, want);
      double scale = 0;
      for (size_t i = 0; i < n * d; i++) scale = fmax(scale, fabs(want[i]));
      for (size_t i = 0; i < n * d; i++)
        ck_assert_msg(fabs(out[i] - want[i]) <= tolerance(path, dtype) * scale,
                      "%s %s d=%zu d_ff=%zu n=%zu [%zu]: %.9g, want %.9g",
                      pio_kernel_path_name(path), pio_dtype_name(dtype), d, b.d_ff, n, i,
                      (double)out[i], want[i]);
      free(x);
      free(scratch);
      free(out);
      free(want);
    }
    block_free(&b);
  }
}

START_TEST(test_swiglu_matches_reference_f32) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (!pio_kernel_path_available(path)) return;
  check_block(path, PIO_DTYPE_F32, NULL);
}
END_TEST

START_TEST(test_swiglu_matches_reference_bf16) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (!pio_kernel_path_available(path)) return;
  check_block(path, PIO_DTYPE_BF16, NULL);
}
END_TEST

/* Threads split rows, never a sum: the same bits as one thread. */
START_TEST(test_swiglu_on_a_pool_gives_the_same_bits) {
  const pio_kernel_path path = (pio_kernel_path)_i;
  if (!pio_kernel_path_available(path)) return;
  pio_threadpool *pool = NULL;
  ck_assert_int_eq(pio_threadpool_create(3, &pool, NULL), PIO_OK);
  rng_state = 12;
  block b = block_make(96, 200);
  const pio_swiglu_weights w = block_weights(&b, PIO_DTYPE_BF16);
  const size_t n = 9, d = b.d;
  float *x = random_floats(n * d, 2.0f);
  float *scratch = malloc(pio_swiglu_scratch_floats(&w, n) * sizeof *scratch);
  float *alone = malloc(n * d * sizeof *alone), *threaded = malloc(n * d * sizeof *threaded);
  for (size_t count = 1; count <= n; count += n - 1) {
    pio_swiglu(NULL, path, &w, x, count, scratch, alone);
    pio_swiglu(pool, path, &w, x, count, scratch, threaded);
    ck_assert_int_eq(memcmp(alone, threaded, count * d * sizeof *alone), 0);
  }
  free(x);
  free(scratch);
  free(alone);
  free(threaded);
  block_free(&b);
  pio_threadpool_destroy(pool);
}
END_TEST

/* [n][gate | up] -> [n][d_ff] of silu(gate) * up, in place. */
START_TEST(test_swiglu_pack_matches_reference) {
  rng_state = 13;
  static const size_t widths[] = {1, 15, 16, 17, 100};
  for (size_t s = 0; s < sizeof widths / sizeof widths[0]; s++) {
    const size_t d_ff = widths[s], n = 5;
    float *gu = random_floats(n * 2 * d_ff, 6.0f), *copy = malloc(n * 2 * d_ff * sizeof *copy);
    memcpy(copy, gu, n * 2 * d_ff * sizeof *copy);
    pio_swiglu_pack(gu, n, d_ff);
    for (size_t t = 0; t < n; t++)
      for (size_t j = 0; j < d_ff; j++) {
        const double want = silu(copy[t * 2 * d_ff + j]) * copy[t * 2 * d_ff + d_ff + j];
        ck_assert_msg(fabs(gu[t * d_ff + j] - want) <= 1e-5 * fabs(want) + 1e-6,
                      "d_ff=%zu t=%zu j=%zu: %.9g, want %.9g", d_ff, t, j,
                      (double)gu[t * d_ff + j], want);
      }
    free(gu);
    free(copy);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("mlp");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_swiglu_matches_reference_f32, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_swiglu_matches_reference_bf16, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_loop_test(tc, test_swiglu_on_a_pool_gives_the_same_bits, 0, PIO_KERNEL_PATH_COUNT);
  tcase_add_test(tc, test_swiglu_pack_matches_reference);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
