/* tests/test_arena.c — the registry's arena: pieces aligned, zeroed and
 * distinct, across chunks and past the largest chunk size, freed at once. */
#include <check.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

START_TEST(test_pieces_are_aligned_zeroed_and_distinct) {
  pio_arena *arena = pio_arena_new();
  ck_assert_ptr_nonnull(arena);
  static const unsigned char zeros[301];
  unsigned char *previous = NULL;
  /* Enough odd sizes (750 KiB) to fill four chunks. */
  for (size_t i = 0; i < 5000; i++) {
    size_t size = 1 + (i * 37) % 301;
    unsigned char *piece = pio_arena_alloc(arena, size);
    ck_assert_ptr_nonnull(piece);
    ck_assert_uint_eq((uintptr_t)piece % alignof(max_align_t), 0);
    ck_assert(memcmp(piece, zeros, size) == 0);
    memset(piece, 0xA5, size); /* would corrupt a neighbour that overlapped */
    ck_assert(piece != previous);
    previous = piece;
  }
  pio_arena_free(arena);
}
END_TEST

START_TEST(test_a_piece_larger_than_any_chunk_is_given) {
  pio_arena *arena = pio_arena_new();
  size_t big = (size_t)9 << 20; /* past the 4 MiB largest chunk */
  unsigned char *piece = pio_arena_alloc(arena, big);
  ck_assert_ptr_nonnull(piece);
  piece[0] = 1;
  piece[big - 1] = 2;
  ck_assert_ptr_nonnull(pio_arena_alloc(arena, 16));
  pio_arena_free(arena);
}
END_TEST

/* A block filled up to an unknown size: the unused end serves the next
 * pieces, zeroed again; only the last piece can give back. */
START_TEST(test_the_last_piece_gives_back_its_unused_end) {
  pio_arena *arena = pio_arena_new();
  unsigned char *first = pio_arena_alloc(arena, 64);
  unsigned char *block = pio_arena_alloc(arena, 4096);
  memset(block, 0x5A, 4096);
  pio_arena_give_back(arena, first, 1); /* not the last piece: ignored */
  pio_arena_give_back(arena, block, 100);
  unsigned char *next = pio_arena_alloc(arena, 256);
  ck_assert(next > block && next < block + 4096); /* inside the given-back end */
  ck_assert_uint_ge((size_t)(next - block), 100);
  static const unsigned char zeros[256];
  ck_assert(memcmp(next, zeros, 256) == 0);
  ck_assert_uint_eq(block[99], 0x5A); /* what was kept stays */
  unsigned char *after_first = pio_arena_alloc(arena, 16);
  ck_assert(after_first > next); /* first's space was not given back */
  pio_arena_give_back(NULL, block, 0);
  pio_arena_free(arena);
}
END_TEST

START_TEST(test_impossible_sizes_and_null_arenas_are_refused) {
  pio_arena *arena = pio_arena_new();
  ck_assert_ptr_null(pio_arena_alloc(arena, SIZE_MAX));
  ck_assert_ptr_null(pio_arena_alloc(arena, SIZE_MAX / 2));
  ck_assert_ptr_null(pio_arena_alloc(NULL, 16));
  ck_assert_ptr_nonnull(pio_arena_alloc(arena, 0));
  pio_arena_free(arena);
  pio_arena_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("arena");
  TCase *tc = tcase_create("arena");
  tcase_add_test(tc, test_pieces_are_aligned_zeroed_and_distinct);
  tcase_add_test(tc, test_a_piece_larger_than_any_chunk_is_given);
  tcase_add_test(tc, test_impossible_sizes_and_null_arenas_are_refused);
  tcase_add_test(tc, test_the_last_piece_gives_back_its_unused_end);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
