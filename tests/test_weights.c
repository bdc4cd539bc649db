/* tests/test_weights.c — the SDK's model-building helpers: weight sets
 * (pio/weights.h) on safetensors files this test writes and synthetic,
 * the forward-pass plumbing (pio/forward.h) and the instance plumbing
 * (pio/instance.h). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pio/forward.h"
#include "pio/instance.h"
#include "pio/weights.h"

static char tmpdir[256];

static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pio_weights_XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

/* One tensor to write: name, rows x cols (cols 0: a vector), F32 or BF16;
 * element i holds base + i. */
typedef struct tensor {
  const char *name;
  uint32_t rows, cols;
  const char *dtype;
  float base;
} tensor;

/* Writes model.safetensors holding tensors[n] in the order given. */
static void write_model(const tensor *tensors, size_t n) {
  char header[4096] = "{", *h = header + 1;
  size_t offset = 0;
  for (size_t i = 0; i < n; i++) {
    const tensor *t = &tensors[i];
    const size_t count = (size_t)t->rows * (t->cols ? t->cols : 1);
    const size_t bytes = count * (strcmp(t->dtype, "F32") == 0 ? 4 : 2);
    char shape[64];
    if (t->cols) snprintf(shape, sizeof shape, "[%u,%u]", t->rows, t->cols);
    else snprintf(shape, sizeof shape, "[%u]", t->rows);
    h += sprintf(h, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                 i ? "," : "", t->name, t->dtype, shape, offset, offset + bytes);
    offset += bytes;
  }
  strcat(header, "}");
  while (strlen(header) % 8) strcat(header, " ");
  char path[512];
  snprintf(path, sizeof path, "%s/model.safetensors", tmpdir);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  const uint64_t hlen = strlen(header);
  fwrite(&hlen, 8, 1, f);
  fwrite(header, 1, hlen, f);
  for (size_t i = 0; i < n; i++) {
    const tensor *t = &tensors[i];
    const size_t count = (size_t)t->rows * (t->cols ? t->cols : 1);
    for (size_t k = 0; k < count; k++) {
      const float v = t->base + (float)k;
      if (strcmp(t->dtype, "F32") == 0) {
        fwrite(&v, 4, 1, f);
      } else {
        const uint16_t b = pio_f32_to_bf16(v);
        fwrite(&b, 2, 1, f);
      }
    }
  }
  fclose(f);
}

static void open_ok(pio_weights *w) {
  pio_error err = {0};
  if (pio_weights_open(w, tmpdir, PIO_WEIGHTS_MAP, &err) != PIO_OK)
    ck_abort_msg("open: %s", err.message);
}

static float at(const pio_matrix *m, size_t i) {
  float v;
  pio_to_f32((const unsigned char *)m->data + i * pio_dtype_size(m->dtype), m->dtype, 1, &v);
  return v;
}

START_TEST(test_matrix_is_viewed_in_place_and_counted) {
  const tensor t[] = {{"w", 3, 4, "BF16", 0.0f}};
  write_model(t, 1);
  pio_weights w = {0};
  open_ok(&w);
  pio_matrix m;
  ck_assert_int_eq(pio_weights_matrix(&w, "w", 3, 4, &m, NULL), PIO_OK);
  ck_assert_ptr_eq(m.data, pio_weights_find(&w, "w")->data);
  ck_assert_int_eq(m.dtype, PIO_DTYPE_BF16);
  ck_assert_uint_eq(w.bytes, 24);
  ck_assert_uint_eq(w.n_owned, 0);
  pio_weights_free(&w);
}
END_TEST

START_TEST(test_adjacent_parts_stack_in_place) {
  const tensor t[] = {{"gate", 2, 3, "F32", 0.0f}, {"up", 2, 3, "F32", 100.0f}};
  write_model(t, 2);
  pio_weights w = {0};
  open_ok(&w);
  const char *names[] = {"gate", "up"};
  const uint32_t rows[] = {2, 2};
  pio_matrix m;
  ck_assert_int_eq(pio_weights_stacked(&w, names, rows, 2, 3, &m, NULL), PIO_OK);
  ck_assert_ptr_eq(m.data, pio_weights_find(&w, "gate")->data);
  ck_assert_uint_eq(m.rows, 4);
  ck_assert_uint_eq(w.n_owned, 0);
  ck_assert_uint_eq(w.bytes, 48);
  ck_assert_float_eq(at(&m, 6), 100.0f);
  pio_weights_free(&w);
}
END_TEST

START_TEST(test_parts_apart_or_of_two_dtypes_are_copied_in_order) {
  const tensor t[] = {{"up", 1, 2, "BF16", 10.0f}, {"mid", 1, 2, "F32", 0.0f},
                      {"gate", 1, 2, "F32", 20.0f}};
  write_model(t, 3);
  pio_weights w = {0};
  open_ok(&w);
  const char *names[] = {"gate", "up"};
  const uint32_t rows[] = {1, 1};
  pio_matrix m;
  ck_assert_int_eq(pio_weights_stacked(&w, names, rows, 2, 2, &m, NULL), PIO_OK);
  ck_assert_int_eq(m.dtype, PIO_DTYPE_F32); /* bf16 and f32 meet in f32 */
  ck_assert_uint_eq(m.rows, 2);
  const float want[] = {20.0f, 21.0f, 10.0f, 11.0f};
  for (int i = 0; i < 4; i++) ck_assert_float_eq(at(&m, (size_t)i), want[i]);
  ck_assert_uint_eq(w.bytes, 16); /* the copy, in f32 */
  pio_error err = {0};
  ck_assert_int_eq(pio_weights_check_unused(&w, "TestForCausalLM", NULL, NULL, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "1 tensor that TestForCausalLM"));
  ck_assert_ptr_nonnull(strstr(err.message, "'mid'"));
  ck_assert_ptr_nonnull(strstr(err.message, tmpdir));
  pio_weights_free(&w);
}
END_TEST

/* Element (r, c) of a matrix in the tiles or pairs layout (pio/kernels.h's
 * formulas), as f32. */
static float laid_out_at(const pio_matrix *m, size_t r, size_t c) {
  const size_t at = m->layout == PIO_LAYOUT_TILES
                        ? ((r / 16 * m->cols / 32 + c / 32) * 16 + r % 16) * 32 + c % 32
                        : ((r / 16 * m->cols / 2 + c / 2) * 16 + r % 16) * 2 + c % 2;
  return pio_bf16_to_f32(((const uint16_t *)m->data)[at]);
}

/* What the file's bf16 holds for the value v. */
static float as_bf16(float v) { return pio_bf16_to_f32(pio_f32_to_bf16(v)); }

START_TEST(test_layouts_copy_a_view_and_rewrite_an_owned_matrix_in_place) {
  /* "gate" and "up" lie apart, so their stack is a copy the set owns. */
  const tensor t[] = {{"view", 32, 64, "BF16", 0.0f}, {"gate", 16, 32, "BF16", 0.0f},
                      {"mid", 1, 2, "F32", 0.0f}, {"up", 16, 32, "BF16", 1000.0f}};
  write_model(t, 4);
  pio_weights w = {0};
  open_ok(&w);
  pio_matrix view, stack, odd;
  const char *names[] = {"gate", "up"};
  const uint32_t rows[] = {16, 16};
  pio_error err = {0};
  ck_assert_int_eq(pio_weights_matrix(&w, "view", 32, 64, &view, NULL), PIO_OK);
  ck_assert_int_eq(pio_weights_stacked(&w, names, rows, 2, 32, &stack, NULL), PIO_OK);
  const void *mapped = view.data, *stacked = stack.data;
  const uint64_t bytes = w.bytes;
  const size_t owned = w.n_owned;
  ck_assert_int_eq(pio_weights_set_layout(&w, NULL, &view, PIO_LAYOUT_TILES, &err), PIO_OK);
  ck_assert_ptr_ne(view.data, mapped); /* the mapping is read-only: a copy */
  /* its pages given back, the mapping still reads the file's values */
  const pio_matrix as_mapped = {.data = mapped, .dtype = PIO_DTYPE_BF16, .rows = 32, .cols = 64};
  for (size_t i = 0; i < 32 * 64; i += 97) ck_assert_float_eq(at(&as_mapped, i), as_bf16((float)i));
  ck_assert_uint_eq(w.n_owned, owned + 1);
  ck_assert_int_eq(pio_weights_set_layout(&w, NULL, &stack, PIO_LAYOUT_PAIRS, &err), PIO_OK);
  ck_assert_ptr_eq(stack.data, stacked); /* the set's own buffer: in place */
  ck_assert_uint_eq(w.n_owned, owned + 1);
  ck_assert_uint_eq(w.bytes, bytes);
  ck_assert_int_eq(view.layout, PIO_LAYOUT_TILES);
  ck_assert_int_eq(stack.layout, PIO_LAYOUT_PAIRS);
  for (size_t r = 0; r < 32; r++)
    for (size_t c = 0; c < 64; c++) {
      ck_assert_float_eq(laid_out_at(&view, r, c), as_bf16((float)(r * 64 + c)));
      if (c < 32)
        ck_assert_float_eq(laid_out_at(&stack, r, c),
                           as_bf16((r < 16 ? 0.0f : 1000.0f) + (float)(r % 16 * 32 + c)));
    }
  ck_assert_int_eq(pio_weights_matrix(&w, "mid", 1, 2, &odd, NULL), PIO_OK);
  ck_assert_int_eq(pio_weights_set_layout(&w, NULL, &odd, PIO_LAYOUT_TILES, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "matrix 1x2 (fp32, rows): the tiles layout"));
  ck_assert_int_eq(odd.layout, PIO_LAYOUT_ROWS);
  pio_weights_free(&w);
}
END_TEST

static int mid_is_ignorable(const char *name, const void *ctx) {
  return strcmp(name, ctx) == 0;
}

START_TEST(test_vectors_are_widened_and_ignorable_tensors_pass) {
  const tensor t[] = {{"norm", 5, 0, "BF16", 1.0f}, {"mid", 1, 1, "F32", 0.0f}};
  write_model(t, 2);
  pio_weights w = {0};
  open_ok(&w);
  const float *v = NULL;
  ck_assert_int_eq(pio_weights_vector(&w, "norm", 5, 0.0f, 0.0f, &v, NULL), PIO_OK);
  for (int i = 0; i < 5; i++) ck_assert_float_eq(v[i], 1.0f + (float)i);
  ck_assert_uint_eq(w.bytes, 10); /* as stored */
  ck_assert_int_eq(pio_weights_check_unused(&w, "X", mid_is_ignorable, "mid", NULL), PIO_OK);
  pio_weights_free(&w);
}
END_TEST

START_TEST(test_missing_and_misshapen_tensors_name_tensor_and_place) {
  const tensor t[] = {{"w", 3, 4, "F32", 0.0f}};
  write_model(t, 1);
  pio_weights w = {0};
  open_ok(&w);
  pio_matrix m;
  pio_error err = {0};
  ck_assert_int_eq(pio_weights_matrix(&w, "absent", 3, 4, &m, &err), PIO_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull(strstr(err.message, "\"absent\" is missing"));
  ck_assert_ptr_nonnull(strstr(err.message, tmpdir));
  ck_assert_int_eq(pio_weights_matrix(&w, "w", 4, 3, &m, &err), PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "model.safetensors"));
  ck_assert_ptr_nonnull(strstr(err.message, "[3, 4], expected [4, 3]"));
  pio_weights_free(&w);
  ck_assert_int_ne(pio_weights_open(&w, "/nonexistent/pio", PIO_WEIGHTS_MAP, &err), PIO_OK);
  ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/pio"));
  ck_assert_int_eq(pio_weights_open(&w, tmpdir, 7, &err), PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_synthetic_values_are_deterministic_and_scaled) {
  pio_weights a = {0}, b = {0};
  ck_assert_int_eq(pio_weights_synthetic(&a, PIO_DTYPE_F32, 7, NULL, NULL), PIO_OK);
  ck_assert_int_eq(pio_weights_synthetic(&b, PIO_DTYPE_F32, 7, NULL, NULL), PIO_OK);
  pio_matrix ma, mb, other;
  ck_assert_int_eq(pio_weights_matrix(&a, "x", 64, 400, &ma, NULL), PIO_OK);
  ck_assert_int_eq(pio_weights_matrix(&b, "x", 64, 400, &mb, NULL), PIO_OK);
  ck_assert_int_eq(pio_weights_matrix(&b, "y", 64, 400, &other, NULL), PIO_OK);
  ck_assert_int_eq(memcmp(ma.data, mb.data, 64 * 400 * 4), 0);
  ck_assert_int_ne(memcmp(ma.data, other.data, 64 * 400 * 4), 0);
  double sq = 0;
  for (size_t i = 0; i < 64 * 400; i++) sq += (double)at(&ma, i) * at(&ma, i);
  ck_assert_double_eq_tol(sqrt(sq / (64 * 400)), 1.0 / sqrt(400.0), 0.002);
  const float *ones = NULL;
  ck_assert_int_eq(pio_weights_vector(&a, "norm", 9, 1.0f, 0.0f, &ones, NULL), PIO_OK);
  for (int i = 0; i < 9; i++) ck_assert_float_eq(ones[i], 1.0f);
  ck_assert_uint_eq(a.bytes, 64 * 400 * 4 + 9 * 4);
  ck_assert_ptr_null(pio_weights_find(&a, "x"));
  ck_assert_int_eq(pio_weights_check_unused(&a, "X", NULL, NULL, NULL), PIO_OK);
  pio_error err = {0};
  pio_weights c = {0};
  ck_assert_int_eq(pio_weights_synthetic(&c, PIO_DTYPE_INT8, 0, NULL, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  pio_weights_free(&a);
  pio_weights_free(&b);
}
END_TEST

/* ---- pio/forward.h, pio/instance.h ----------------------------------- */

START_TEST(test_forward_check_names_each_bad_call) {
  const int32_t ok[3] = {0, 5, 9}, bad[2] = {1, 10};
  float logits[10] = {0};
  pio_error err = {0};
  ck_assert_int_eq(pio_forward_check(ok, 3, logits, 10, 0, 8, &err), PIO_OK);
  ck_assert_int_eq(pio_forward_check(bad, 2, logits, 10, 0, 8, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "token 1 is 10, outside the vocabulary [0, 10)"));
  ck_assert_int_eq(pio_forward_check(ok, 3, logits, 10, 6, 8, &err), PIO_ERR_LIMIT);
  ck_assert_ptr_nonnull(strstr(err.message, "3 new tokens after 6"));
  ck_assert_int_eq(pio_forward_check(ok, 0, logits, 10, 0, 8, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pio_forward_check(NULL, 1, logits, 10, 0, 8, &err), PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

typedef struct chunk_log {
  uint32_t sizes[8], n_calls;
  const int32_t *first[8];
  float *logits[8];
  int last[8];
} chunk_log;

static void log_chunk(void *model, const int32_t *tokens, uint32_t n, float *logits,
                      int all_logits, int last) {
  chunk_log *l = model;
  (void)all_logits;
  l->first[l->n_calls] = tokens;
  l->logits[l->n_calls] = logits;
  l->last[l->n_calls] = last;
  l->sizes[l->n_calls++] = n;
}

START_TEST(test_forward_chunks_split_the_prompt_and_its_logits) {
  int32_t tokens[10] = {0};
  float logits[10 * 3];
  chunk_log l = {0};
  pio_forward_chunks(&l, log_chunk, tokens, 10, 4, 3, logits, 1);
  ck_assert_uint_eq(l.n_calls, 3);
  const uint32_t sizes[3] = {4, 4, 2};
  for (int i = 0; i < 3; i++) {
    ck_assert_uint_eq(l.sizes[i], sizes[i]);
    ck_assert_ptr_eq(l.first[i], tokens + 4 * i);
    ck_assert_ptr_eq(l.logits[i], logits + 12 * i);
    ck_assert_int_eq(l.last[i], i == 2);
  }
  chunk_log last_only = {0};
  pio_forward_chunks(&last_only, log_chunk, tokens, 10, 4, 3, logits, 0);
  for (int i = 0; i < 3; i++) ck_assert_ptr_eq(last_only.logits[i], logits);
}
END_TEST

START_TEST(test_embed_rows_widen_the_chosen_rows) {
  uint16_t table[3 * 2];
  for (int i = 0; i < 6; i++) table[i] = pio_f32_to_bf16((float)i);
  const pio_matrix e = {.data = table, .dtype = PIO_DTYPE_BF16, .rows = 3, .cols = 2};
  const int32_t ids[2] = {2, 0};
  float x[4];
  pio_embed_rows(&e, ids, 2, x);
  const float want[4] = {4, 5, 0, 1};
  for (int i = 0; i < 4; i++) ck_assert_float_eq(x[i], want[i]);
}
END_TEST

START_TEST(test_instance_options_context_and_stats) {
  const pio_model_options old = {.struct_size = offsetof(pio_model_options, weights_load),
                                 .synthetic = 1, .n_threads = 3};
  pio_model_options o = pio_model_options_read(&old);
  ck_assert_int_eq(o.synthetic, 1);
  ck_assert_uint_eq(o.n_threads, 3);
  ck_assert_uint_eq(o.weights_load, PIO_WEIGHTS_MAP);
  ck_assert_int_eq(pio_model_options_read(NULL).weight_dtype, PIO_DTYPE_BF16);
  uint32_t ctx = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_model_context_size(300, 0, 4096, &ctx, &err), PIO_OK);
  ck_assert_uint_eq(ctx, 300);
  ck_assert_int_eq(pio_model_context_size(300, 301, 4096, &ctx, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "max_context 301 exceeds"));
  const pio_model_stats s = {.n_params = 5, .kernel = "scalar", .weights_note = "note"};
  pio_model_stats old_out = {.struct_size = offsetof(pio_model_stats, weights_note)};
  ck_assert_int_eq(pio_model_stats_copy(&s, &old_out, &err), PIO_OK);
  ck_assert_uint_eq(old_out.struct_size, offsetof(pio_model_stats, weights_note));
  ck_assert_ptr_null(old_out.weights_note); /* beyond the caller's table: untouched */
  pio_model_stats full = {.struct_size = sizeof full};
  ck_assert_int_eq(pio_model_stats_copy(&s, &full, &err), PIO_OK);
  ck_assert_str_eq(full.weights_note, "note");
  pio_model_stats tiny = {.struct_size = 8};
  ck_assert_int_eq(pio_model_stats_copy(&s, &tiny, &err), PIO_ERR_ABI);
}
END_TEST

int main(void) {
  Suite *s = suite_create("weights");
  TCase *files = tcase_create("files");
  tcase_add_checked_fixture(files, setup, teardown);
  tcase_add_test(files, test_matrix_is_viewed_in_place_and_counted);
  tcase_add_test(files, test_adjacent_parts_stack_in_place);
  tcase_add_test(files, test_parts_apart_or_of_two_dtypes_are_copied_in_order);
  tcase_add_test(files, test_layouts_copy_a_view_and_rewrite_an_owned_matrix_in_place);
  tcase_add_test(files, test_vectors_are_widened_and_ignorable_tensors_pass);
  tcase_add_test(files, test_missing_and_misshapen_tensors_name_tensor_and_place);
  suite_add_tcase(s, files);
  TCase *other = tcase_create("other");
  tcase_add_test(other, test_synthetic_values_are_deterministic_and_scaled);
  tcase_add_test(other, test_forward_check_names_each_bad_call);
  tcase_add_test(other, test_forward_chunks_split_the_prompt_and_its_logits);
  tcase_add_test(other, test_embed_rows_widen_the_chosen_rows);
  tcase_add_test(other, test_instance_options_context_and_stats);
  suite_add_tcase(s, other);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
