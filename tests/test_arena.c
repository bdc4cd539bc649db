/* tests/test_arena.c — the registry's arena: pieces aligned, zeroed and
 * distinct, across chunks and past the largest chunk size, freed at once. */
#include <check.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "registry/arena.h"

START_TEST(test_pieces_are_aligned_zeroed_and_distinct) {
  struct arena *arena = arena_new();
  ck_assert_ptr_nonnull(arena);
  static const unsigned char zeros[301];
  unsigned char *previous = NULL;
  /* Enough odd sizes (750 KiB) to fill four chunks. */
  for (size_t i = 0; i < 5000; i++) {
    size_t size = 1 + (i * 37) % 301;
    unsigned char *piece = arena_alloc(arena, size);
    ck_assert_ptr_nonnull(piece);
    ck_assert_uint_eq((uintptr_t)piece % alignof(max_align_t), 0);
    ck_assert(memcmp(piece, zeros, size) == 0);
    memset(piece, 0xA5, size); /* would corrupt a neighbour that overlapped */
    ck_assert(piece != previous);
    previous = piece;
  }
  arena_free(arena);
}
END_TEST

START_TEST(test_a_piece_larger_than_any_chunk_is_given) {
  struct arena *arena = arena_new();
  size_t big = (size_t)9 << 20; /* past the 4 MiB largest chunk */
  unsigned char *piece = arena_alloc(arena, big);
  ck_assert_ptr_nonnull(piece);
  piece[0] = 1;
  piece[big - 1] = 2;
  ck_assert_ptr_nonnull(arena_alloc(arena, 16));
  arena_free(arena);
}
END_TEST

START_TEST(test_impossible_sizes_and_null_arenas_are_refused) {
  struct arena *arena = arena_new();
  ck_assert_ptr_null(arena_alloc(arena, SIZE_MAX));
  ck_assert_ptr_null(arena_alloc(arena, SIZE_MAX / 2));
  ck_assert_ptr_null(arena_alloc(NULL, 16));
  ck_assert_ptr_nonnull(arena_alloc(arena, 0));
  arena_free(arena);
  arena_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arena");
  TCase *tc = tcase_create("arena");
  tcase_add_test(tc, test_pieces_are_aligned_zeroed_and_distinct);
  tcase_add_test(tc, test_a_piece_larger_than_any_chunk_is_given);
  tcase_add_test(tc, test_impossible_sizes_and_null_arenas_are_refused);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
