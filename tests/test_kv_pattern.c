/* tests/test_kv_pattern.c — the checks behind `pio-bench kvio`: the page
 * pattern depends on every byte's offset and a corrupted byte read back is
 * found at its place; the page layout taken from a plugin's figures is
 * refused when block and layer IO sizes disagree. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kv_pattern.h"
#include "kvio_bench.h"

START_TEST(test_filled_pattern_verifies) {
  uint8_t buf[4096];
  pio_bench_pattern_fill(buf, sizeof buf, 0, 7);
  ck_assert_int_eq(pio_bench_pattern_verify(buf, sizeof buf, 0, 7, NULL), -1);
}
END_TEST

START_TEST(test_corrupted_byte_is_found_at_its_offset) {
  uint8_t buf[4096];
  pio_bench_pattern_fill(buf, sizeof buf, 0, 7);
  for (size_t at = 0; at < sizeof buf; at += 397) {
    uint8_t saved = buf[at], expected = 0;
    buf[at] ^= 0x10;
    ck_assert_int_eq(pio_bench_pattern_verify(buf, sizeof buf, 0, 7, &expected), (int64_t)at);
    ck_assert_uint_eq(expected, saved);
    buf[at] = saved;
  }
}
END_TEST

START_TEST(test_page_from_the_wrong_offset_is_caught) {
  uint8_t a[1024], b[1024];
  pio_bench_pattern_fill(a, sizeof a, 0, 7);
  pio_bench_pattern_fill(b, sizeof b, 1024, 7);
  ck_assert_int_ne(memcmp(a, b, sizeof a), 0);
  /* b read back where a belongs: a page moved in the file. */
  ck_assert_int_eq(pio_bench_pattern_verify(b, sizeof b, 0, 7, NULL), 0);
}
END_TEST

START_TEST(test_zeroed_read_is_caught) {
  uint8_t buf[256];
  memset(buf, 0, sizeof buf);
  ck_assert_int_ge(pio_bench_pattern_verify(buf, sizeof buf, 0, 7, NULL), 0);
}
END_TEST

/* Filling a range in pieces at odd offsets gives the bytes of one fill. */
START_TEST(test_unaligned_pieces_match_one_fill) {
  uint8_t whole[1000], pieces[1000];
  pio_bench_pattern_fill(whole, sizeof whole, 13, 99);
  size_t cuts[] = {0, 3, 8, 11, 500, 501, 999, 1000};
  for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++)
    pio_bench_pattern_fill(pieces + cuts[i], cuts[i + 1] - cuts[i], 13 + cuts[i], 99);
  ck_assert_int_eq(memcmp(whole, pieces, sizeof whole), 0);
  ck_assert_int_eq(pio_bench_pattern_verify(whole + 5, 990, 18, 99, NULL), -1);
  whole[997] ^= 1;
  ck_assert_int_eq(pio_bench_pattern_verify(whole + 5, 995, 18, 99, NULL), 992);
}
END_TEST

static pio_kv_figures figs(uint64_t io, uint32_t layers) {
  pio_kv_figures f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  f.io_bytes_per_page = io;
  f.layers_per_rank = layers;
  return f;
}

START_TEST(test_layout_from_consistent_figures) {
  pio_kv_figures block = figs(16 * 32768, 16), layer = figs(32768, 16);
  pio_bench_kv_layout l;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_kv_layout_from(&block, &layer, 100, 16, &l, &err), PIO_OK);
  ck_assert_uint_eq(l.pages, 7); /* ceil(100 / 16) */
  ck_assert_uint_eq(l.total_bytes, 7u * 16 * 32768);
}
END_TEST

START_TEST(test_layout_from_inconsistent_figures_is_refused) {
  pio_kv_figures block = figs(1000, 16), layer = figs(32768, 16);
  pio_bench_kv_layout l;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_kv_layout_from(&block, &layer, 100, 16, &l, &err),
                   PIO_ERR_INVALID);
  ck_assert_ptr_nonnull(strstr(err.message, "do not describe one layout"));
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("kv_pattern");
  TCase *t = tcase_create("pattern");
  tcase_add_test(t, test_filled_pattern_verifies);
  tcase_add_test(t, test_corrupted_byte_is_found_at_its_offset);
  tcase_add_test(t, test_page_from_the_wrong_offset_is_caught);
  tcase_add_test(t, test_zeroed_read_is_caught);
  tcase_add_test(t, test_unaligned_pieces_match_one_fill);
  tcase_add_test(t, test_layout_from_consistent_figures);
  tcase_add_test(t, test_layout_from_inconsistent_figures_is_refused);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *r = srunner_create(suite());
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
