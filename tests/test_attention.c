/* tests/test_attention.c — the tiled causal attention on every path this
 * CPU runs against a naive double-precision softmax attention written
 * here: MHA, GQA, MQA, key and value heads of different sizes in one
 * shared cache row (absorbed MLA), prefill over many tiles, decode split
 * over positions, sliding windows, chunks, sinks and soft-cap; the same bits for
 * any thread count; and the argument checks. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/attention.h"

static uint64_t rng_state;

static float rand_unit(void) { /* uniform in [-1, 1) */
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(rng_state >> 40) / (double)(1ull << 23) - 1.0);
}

/* One test case: shapes, positions, options; buffers made by setup(). */
typedef struct cas {
  pio_attention_shape shape;
  uint32_t n_tokens, start, window;
  uint32_t chunk; /* Llama 4's chunked attention */
  float softcap;
  int with_sinks;
  int mla;        /* value = the first v_dim floats of the key row */
  float q_range;  /* |q| up to this: large gives peaked softmaxes */
} cas;

typedef struct bufs {
  pio_attention_args a;
  float *q, *k, *v, *out, *sinks;
  void *scratch;
} bufs;

static void setup(const cas *c, uint32_t n_threads, bufs *b) {
  const pio_attention_shape *s = &c->shape;
  const uint32_t positions = c->start + c->n_tokens;
  memset(b, 0, sizeof *b);
  /* Padding between heads and rows, so strides are not the dense ones. */
  const size_t q_head = s->k_dim + 3, q_token = s->n_heads * q_head + 5;
  const size_t k_head = s->k_dim + (c->mla ? 0 : 2), k_pos = s->n_kv_heads * k_head + 1;
  const size_t v_head = s->v_dim + 1, v_pos = s->n_kv_heads * v_head + 4;
  const size_t o_head = s->v_dim + 2, o_token = s->n_heads * o_head + 1;
  b->q = malloc(q_token * c->n_tokens * sizeof(float));
  b->k = malloc(k_pos * positions * sizeof(float));
  b->v = c->mla ? NULL : malloc(v_pos * positions * sizeof(float));
  b->out = malloc(o_token * c->n_tokens * sizeof(float));
  for (size_t i = 0; i < q_token * c->n_tokens; i++) b->q[i] = rand_unit() * c->q_range;
  for (size_t i = 0; i < k_pos * positions; i++) b->k[i] = rand_unit();
  if (!c->mla)
    for (size_t i = 0; i < v_pos * positions; i++) b->v[i] = rand_unit();
  for (size_t i = 0; i < o_token * c->n_tokens; i++) b->out[i] = NAN;
  if (c->with_sinks) {
    b->sinks = malloc(s->n_heads * sizeof(float));
    for (uint32_t h = 0; h < s->n_heads; h++) b->sinks[h] = rand_unit() * 3;
  }
  pio_attention_args *a = &b->a;
  a->shape = *s;
  a->n_tokens = c->n_tokens;
  a->start = c->start;
  a->q = b->q;
  a->q_token_stride = q_token;
  a->q_head_stride = q_head;
  a->k = b->k;
  a->k_pos_stride = k_pos;
  a->k_head_stride = k_head;
  a->v = c->mla ? b->k : b->v;
  a->v_pos_stride = c->mla ? k_pos : v_pos;
  a->v_head_stride = c->mla ? k_head : v_head;
  a->out = b->out;
  a->out_token_stride = o_token;
  a->out_head_stride = o_head;
  a->scale = 1.0f / sqrtf((float)s->k_dim);
  a->window = c->window;
  a->chunk = c->chunk;
  a->sinks = b->sinks;
  a->softcap = c->softcap;
  a->scratch_size = pio_attention_scratch_size(s, n_threads);
  b->scratch = aligned_alloc(64, (a->scratch_size + 63) / 64 * 64);
  a->scratch = b->scratch;
}

static void teardown(bufs *b) {
  free(b->q);
  free(b->k);
  free(b->v);
  free(b->out);
  free(b->sinks);
  free(b->scratch);
}

/* The naive attention of one (token, head) in double; *scale_out is
 * sum_p w_p |v_p| (the size of what the output sums), for the tolerance. */
static void reference(const pio_attention_args *a, uint32_t t, uint32_t h, double *out,
                      double *scale_out) {
  const pio_attention_shape *s = &a->shape;
  const uint32_t g = h / (s->n_heads / s->n_kv_heads), pos = a->start + t;
  uint32_t lo = a->window && pos + 1 > a->window ? pos + 1 - a->window : 0;
  if (a->chunk && pos / a->chunk * a->chunk > lo) lo = pos / a->chunk * a->chunk;
  const float *q = a->q + t * a->q_token_stride + h * a->q_head_stride;
  double *logit = malloc((pos + 1) * sizeof *logit), top = -INFINITY;
  for (uint32_t p = lo; p <= pos; p++) {
    const float *k = a->k + p * a->k_pos_stride + g * a->k_head_stride;
    double dot = 0;
    for (uint32_t i = 0; i < s->k_dim; i++) dot += (double)q[i] * k[i];
    dot *= a->scale;
    if (a->softcap > 0) dot = a->softcap * tanh(dot / a->softcap);
    logit[p] = dot;
    top = fmax(top, dot);
  }
  if (a->sinks) top = fmax(top, a->sinks[h]);
  double sum = a->sinks ? exp(a->sinks[h] - top) : 0;
  for (uint32_t p = lo; p <= pos; p++) sum += exp(logit[p] - top);
  for (uint32_t i = 0; i < s->v_dim; i++) out[i] = 0;
  *scale_out = 0;
  for (uint32_t p = lo; p <= pos; p++) {
    const double w = exp(logit[p] - top) / sum;
    const float *v = a->v + p * a->v_pos_stride + g * a->v_head_stride;
    for (uint32_t i = 0; i < s->v_dim; i++) {
      out[i] += w * v[i];
      *scale_out += w * fabs(v[i]) / s->v_dim;
    }
  }
  free(logit);
}

static void check_against_reference(const pio_attention_args *a) {
  const pio_attention_shape *s = &a->shape;
  double *want = malloc(s->v_dim * sizeof *want);
  for (uint32_t t = 0; t < a->n_tokens; t++)
    for (uint32_t h = 0; h < s->n_heads; h++) {
      double size;
      reference(a, t, h, want, &size);
      const float *got = a->out + t * a->out_token_stride + h * a->out_head_stride;
      for (uint32_t i = 0; i < s->v_dim; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 2e-6 * (size + 1e-3),
                      "token %u head %u [%u]: %.8g, want %.8g", t, h, i, (double)got[i],
                      want[i]);
      /* Padding between output heads is untouched. */
      if (h + 1 < s->n_heads)
        ck_assert(isnan(got[s->v_dim]));
    }
  free(want);
}

/* Runs c on path with n_threads and checks it; returns the output for
 * comparisons (caller frees). */
static float *run_case(const cas *c, pio_kernel_path path, uint32_t n_threads) {
  bufs b;
  rng_state = 42;
  setup(c, n_threads, &b);
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  if (n_threads > 1) ck_assert_int_eq(pio_threadpool_create(n_threads, &pool, &err), PIO_OK);
  ck_assert_msg(pio_attention_check(&b.a, n_threads, &err) == PIO_OK, "%s", err.message);
  pio_attention_on(path, pool, &b.a);
  check_against_reference(&b.a);
  pio_threadpool_destroy(pool);
  const size_t n = b.a.out_token_stride * c->n_tokens;
  float *out = malloc(n * sizeof *out);
  memcpy(out, b.out, n * sizeof *out);
  teardown(&b);
  return out;
}

static const cas cases[] = {
    /* MHA decode, short context: one split. */
    {.shape = {4, 4, 16, 16}, .n_tokens = 1, .start = 9, .q_range = 1},
    /* GQA prefill from 0: causal masks on every diagonal block, odd dims. */
    {.shape = {8, 2, 24, 24}, .n_tokens = 37, .start = 0, .q_range = 1},
    /* Llama-3.2-1B's heads, a prefill chunk after a long prefix: many tiles. */
    {.shape = {32, 8, 64, 64}, .n_tokens = 40, .start = 300, .q_range = 2},
    /* Llama decode at a long context: split over positions and merged. */
    {.shape = {32, 8, 64, 64}, .n_tokens = 1, .start = 3000, .q_range = 3},
    /* Seven query heads a KV head (Qwen2.5-7B's ratio), split decode. */
    {.shape = {7, 1, 24, 24}, .n_tokens = 1, .start = 600, .q_range = 2},
    /* Two tokens of decode (speculative) with a split. */
    {.shape = {8, 1, 64, 64}, .n_tokens = 2, .start = 1500, .q_range = 2},
    /* Absorbed MLA: MQA over [c_kv ; k_rope], the value the first 32. */
    {.shape = {16, 1, 40, 32}, .n_tokens = 5, .start = 70, .mla = 1, .q_range = 1},
    {.shape = {16, 1, 40, 32}, .n_tokens = 1, .start = 2000, .mla = 1, .q_range = 1},
    /* Sliding window, prefill and split decode. */
    {.shape = {4, 2, 16, 16}, .n_tokens = 70, .start = 10, .window = 33, .q_range = 1},
    {.shape = {4, 2, 16, 16}, .n_tokens = 1, .start = 2500, .window = 700, .q_range = 1},
    {.shape = {4, 2, 16, 16}, .n_tokens = 3, .start = 5, .window = 1, .q_range = 1},
    /* GPT-OSS sinks, prefill and split decode. */
    {.shape = {8, 2, 64, 64}, .n_tokens = 20, .start = 4, .with_sinks = 1, .q_range = 1},
    {.shape = {8, 2, 64, 64}, .n_tokens = 1, .start = 1800, .with_sinks = 1, .window = 128,
     .q_range = 1},
    /* Llama 4 chunks: prefill across chunk starts, split decode late in a
     * chunk, a decode at a chunk's first position, a window inside chunks. */
    {.shape = {4, 2, 16, 16}, .n_tokens = 70, .start = 10, .chunk = 32, .q_range = 1},
    {.shape = {8, 2, 64, 64}, .n_tokens = 1, .start = 2999, .chunk = 1024, .q_range = 1},
    {.shape = {8, 2, 64, 64}, .n_tokens = 1, .start = 2048, .chunk = 1024, .q_range = 1},
    {.shape = {4, 2, 16, 16}, .n_tokens = 40, .start = 30, .chunk = 24, .window = 9, .q_range = 1},
    /* Gemma 2 soft-cap, peaked logits. */
    {.shape = {4, 2, 32, 32}, .n_tokens = 17, .start = 3, .softcap = 5.0f, .q_range = 8},
    /* A value head wider than the key (v_dim over 64: several column groups). */
    {.shape = {2, 1, 8, 150}, .n_tokens = 6, .start = 100, .q_range = 1},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

START_TEST(test_attention_matches_reference_on_every_path) {
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++) {
    if (!pio_kernel_path_available((pio_kernel_path)p)) continue;
    free(run_case(&cases[_i], (pio_kernel_path)p, 1));
  }
}
END_TEST

START_TEST(test_attention_thread_count_does_not_change_the_bits) {
  const cas *c = &cases[_i];
  const pio_kernel_path path = pio_kernel_best();
  float *one = run_case(c, path, 1), *three = run_case(c, path, 3);
  bufs b;
  setup(c, 1, &b); /* for the output's size only */
  ck_assert_int_eq(memcmp(one, three, b.a.out_token_stride * c->n_tokens * sizeof(float)), 0);
  teardown(&b);
  free(one);
  free(three);
}
END_TEST

START_TEST(test_attention_decode_agrees_with_prefill_of_the_same_rows) {
  /* The last token of a prefill and the same token decoded alone (split)
   * see the same keys: equal within rounding. */
  cas prefill = {.shape = {32, 8, 64, 64}, .n_tokens = 64, .start = 1000, .q_range = 2};
  bufs b;
  rng_state = 7;
  setup(&prefill, 1, &b);
  pio_attention(NULL, &b.a);
  pio_attention_args one = b.a;
  float *alone = malloc(b.a.out_token_stride * sizeof(float));
  one.n_tokens = 1;
  one.start = prefill.start + 63;
  one.q = b.q + 63 * b.a.q_token_stride;
  one.out = alone;
  pio_attention(NULL, &one);
  const float *last = b.out + 63 * b.a.out_token_stride;
  for (uint32_t h = 0; h < 32; h++)
    for (uint32_t i = 0; i < 64; i++)
      ck_assert_float_eq_tol(alone[h * b.a.out_head_stride + i], last[h * b.a.out_head_stride + i],
                             2e-6f);
  free(alone);
  teardown(&b);
}
END_TEST

static void expect_refused(pio_attention_args a, const char *fragment) {
  pio_error err = {0};
  ck_assert_int_eq(pio_attention_check(&a, 1, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(err.message, fragment) != NULL, "'%s' not in '%s'", fragment,
                err.message);
}

START_TEST(test_attention_check_names_what_is_wrong) {
  const cas c = {.shape = {8, 2, 16, 16}, .n_tokens = 3, .start = 4, .q_range = 1};
  bufs b;
  rng_state = 1;
  setup(&c, 1, &b);
  pio_error err = {0};
  ck_assert_int_eq(pio_attention_check(&b.a, 1, &err), PIO_OK);
  pio_attention_args a = b.a;
  a.shape.n_kv_heads = 3;
  expect_refused(a, "divide n_heads");
  a = b.a;
  a.shape.v_dim = 0;
  expect_refused(a, "v_dim");
  a = b.a;
  a.n_tokens = 0;
  expect_refused(a, "0 tokens");
  a = b.a;
  a.k = NULL;
  expect_refused(a, "NULL");
  a = b.a;
  a.q_head_stride = 8;
  expect_refused(a, "query head stride");
  a = b.a;
  a.k_pos_stride = 17;
  expect_refused(a, "key row stride");
  a = b.a;
  a.out_token_stride = 10;
  expect_refused(a, "output row stride");
  a = b.a;
  a.scale = INFINITY;
  expect_refused(a, "scale");
  a = b.a;
  a.softcap = -1;
  expect_refused(a, "softcap");
  a = b.a;
  a.scratch_size -= 1;
  expect_refused(a, "scratch");
  ck_assert_int_eq(pio_attention_check(&b.a, 2, &err), PIO_ERR_INVALID_ARGUMENT); /* for 2 */
  teardown(&b);
}
END_TEST

START_TEST(test_attention_scratch_grows_with_threads_and_heads) {
  const pio_attention_shape llama = {32, 8, 64, 64}, mla = {16, 1, 576, 512};
  ck_assert_uint_gt(pio_attention_scratch_size(&llama, 2), pio_attention_scratch_size(&llama, 1));
  ck_assert_uint_gt(pio_attention_scratch_size(&mla, 1), pio_attention_scratch_size(&llama, 1));
  ck_assert_uint_eq(pio_attention_scratch_size(&llama, 1) % 64, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("attention");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_attention_matches_reference_on_every_path, 0, N_CASES);
  tcase_add_loop_test(tc, test_attention_thread_count_does_not_change_the_bits, 0, N_CASES);
  tcase_add_test(tc, test_attention_decode_agrees_with_prefill_of_the_same_rows);
  tcase_add_test(tc, test_attention_check_names_what_is_wrong);
  tcase_add_test(tc, test_attention_scratch_grows_with_threads_and_heads);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
