/* tests/test_threadpool.c — the SDK thread pool: every share runs once per
 * run, runs after the workers went to sleep, pio_split_range and
 * pio_chunks cover each item exactly once. */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pio/threadpool.h"

typedef struct count_ctx {
  atomic_uint calls[64];
  atomic_uint wrong_n;
  uint32_t expected_n;
} count_ctx;

static void count_task(void *ctx_ptr, uint32_t i, uint32_t n) {
  count_ctx *ctx = ctx_ptr;
  if (n != ctx->expected_n) atomic_fetch_add(&ctx->wrong_n, 1);
  atomic_fetch_add(&ctx->calls[i], 1);
}

static void reset(count_ctx *ctx, uint32_t n) {
  for (int i = 0; i < 64; i++) atomic_init(&ctx->calls[i], 0);
  atomic_init(&ctx->wrong_n, 0);
  ctx->expected_n = n;
}

START_TEST(test_threadpool_runs_every_index_once_per_run) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(4, &pool, &err), PIO_OK);
  ck_assert_uint_eq(pio_threadpool_size(pool), 4);
  count_ctx ctx;
  reset(&ctx, 4);
  for (int run = 0; run < 2000; run++) pio_threadpool_run(pool, count_task, &ctx);
  for (int i = 0; i < 4; i++) ck_assert_uint_eq(atomic_load(&ctx.calls[i]), 2000);
  ck_assert_uint_eq(atomic_load(&ctx.wrong_n), 0);
  pio_threadpool_destroy(pool);
}
END_TEST

START_TEST(test_threadpool_null_pool_runs_on_caller) {
  count_ctx ctx;
  reset(&ctx, 1);
  pio_threadpool_run(NULL, count_task, &ctx);
  ck_assert_uint_eq(atomic_load(&ctx.calls[0]), 1);
  ck_assert_uint_eq(atomic_load(&ctx.wrong_n), 0);
  ck_assert_uint_eq(pio_threadpool_size(NULL), 1);
}
END_TEST

START_TEST(test_threadpool_zero_threads_means_online_cores) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(0, &pool, &err), PIO_OK);
  ck_assert_uint_eq(pio_threadpool_size(pool), pio_online_cores());
  ck_assert_uint_ge(pio_online_cores(), 1);
  pio_threadpool_destroy(pool);
}
END_TEST

START_TEST(test_threadpool_too_many_threads_is_refused) {
  pio_threadpool *pool = (pio_threadpool *)&pool;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(100000, &pool, &err), PIO_ERR_LIMIT);
  ck_assert_ptr_null(pool);
  ck_assert_ptr_nonnull(strstr(err.message, "100000 threads"));
}
END_TEST

/* A pause longer than the spin window sends the workers to sleep on the
 * condition variable; the next run must wake them all. */
START_TEST(test_threadpool_wakes_sleeping_workers) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(3, &pool, &err), PIO_OK);
  count_ctx ctx;
  reset(&ctx, 3);
  for (int round = 0; round < 3; round++) {
    pio_threadpool_run(pool, count_task, &ctx);
    struct timespec pause = {0, 5 * 1000 * 1000};
    for (int i = 0; i < 20; i++) nanosleep(&pause, NULL);
  }
  for (int i = 0; i < 3; i++) ck_assert_uint_eq(atomic_load(&ctx.calls[i]), 3);
  pio_threadpool_destroy(pool);
}
END_TEST

typedef struct sum_ctx {
  const uint32_t *values;
  size_t n;
  uint64_t partial[8];
} sum_ctx;

static void sum_task(void *ctx_ptr, uint32_t i, uint32_t n_threads) {
  sum_ctx *ctx = ctx_ptr;
  size_t begin, end;
  pio_split_range(ctx->n, 16, i, n_threads, &begin, &end);
  uint64_t sum = 0;
  for (size_t k = begin; k < end; k++) sum += ctx->values[k];
  ctx->partial[i] = sum;
}

START_TEST(test_threadpool_shares_see_caller_data_and_results_come_back) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(5, &pool, &err), PIO_OK);
  enum { N = 10007 };
  uint32_t *values = malloc(N * sizeof *values);
  uint64_t expected = 0;
  for (uint32_t i = 0; i < N; i++) expected += values[i] = i * 7u + 1u;
  for (int run = 0; run < 50; run++) {
    sum_ctx ctx = {.values = values, .n = N};
    pio_threadpool_run(pool, sum_task, &ctx);
    uint64_t got = 0;
    for (int i = 0; i < 5; i++) got += ctx.partial[i];
    ck_assert_uint_eq(got, expected);
  }
  free(values);
  pio_threadpool_destroy(pool);
}
END_TEST

START_TEST(test_split_range_covers_every_item_once_in_aligned_blocks) {
  const size_t sizes[] = {0, 1, 5, 16, 17, 100, 1023, 4096};
  const size_t aligns[] = {1, 4, 16, 64};
  for (size_t a = 0; a < 4; a++) {
    for (size_t s = 0; s < 8; s++) {
      for (uint32_t threads = 1; threads <= 7; threads++) {
        size_t next = 0;
        for (uint32_t i = 0; i < threads; i++) {
          size_t b, e;
          pio_split_range(sizes[s], aligns[a], i, threads, &b, &e);
          ck_assert_uint_le(b, e);
          if (b == e) continue;
          ck_assert_uint_eq(b, next);
          ck_assert_uint_eq(b % aligns[a], 0);
          next = e;
        }
        ck_assert_uint_eq(next, sizes[s]);
      }
    }
  }
}
END_TEST

START_TEST(test_split_range_balances_blocks) {
  size_t b, e;
  pio_split_range(10, 1, 0, 3, &b, &e);
  ck_assert_uint_eq(e - b, 4);
  pio_split_range(10, 1, 2, 3, &b, &e);
  ck_assert_uint_eq(e - b, 3);
  pio_split_range(3, 1, 4, 6, &b, &e);
  ck_assert_uint_eq(e - b, 0);
}
END_TEST

/* Guided chunks: in order, whole blocks (the last may end at total), none
 * above 1/(8 n) of the total unless min_items asks more, every item once. */
START_TEST(test_chunks_cover_every_item_once_in_blocks) {
  const size_t totals[] = {0, 1, 15, 16, 100, 5000};
  for (size_t s = 0; s < sizeof totals / sizeof totals[0]; s++)
    for (uint32_t n = 1; n <= 4; n++) {
      pio_chunks chunks;
      pio_chunks_init(&chunks, totals[s], 16, 16, n);
      size_t next = 0, b, e;
      while (pio_chunks_take(&chunks, &b, &e)) {
        ck_assert_uint_eq(b, next);
        ck_assert_uint_eq(b % 16, 0);
        ck_assert(e == totals[s] || e % 16 == 0);
        ck_assert_uint_le(e - b, totals[s] / (8 * n) > 16 ? totals[s] / (8 * n) + 15 : 16);
        next = e;
      }
      ck_assert_uint_eq(next, totals[s]);
    }
}
END_TEST

typedef struct chunk_ctx {
  pio_chunks chunks;
  atomic_uint seen[3000];
} chunk_ctx;

static void chunk_task(void *ctx_ptr, uint32_t i, uint32_t n) {
  (void)i;
  (void)n;
  chunk_ctx *ctx = ctx_ptr;
  size_t b, e;
  while (pio_chunks_take(&ctx->chunks, &b, &e))
    for (size_t k = b; k < e; k++) atomic_fetch_add(&ctx->seen[k], 1);
}

START_TEST(test_chunks_taken_by_a_pool_cover_every_item_once) {
  pio_threadpool *pool = NULL;
  ck_assert_int_eq(pio_threadpool_create(4, &pool, NULL), PIO_OK);
  static chunk_ctx ctx;
  for (int run = 0; run < 50; run++) {
    for (size_t k = 0; k < 3000; k++) atomic_init(&ctx.seen[k], 0);
    pio_chunks_init(&ctx.chunks, 3000, 4, 1, 4);
    pio_threadpool_run(pool, chunk_task, &ctx);
    for (size_t k = 0; k < 3000; k++) ck_assert_uint_eq(atomic_load(&ctx.seen[k]), 1);
  }
  pio_threadpool_destroy(pool);
}
END_TEST

/* Kept scratch: the same 64-byte-aligned buffer while it is big enough, a
 * larger one when asked, one per share and one for the caller. */
START_TEST(test_scratch_is_kept_per_slot_and_grows_on_demand) {
  pio_threadpool *pool = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_threadpool_create(2, &pool, &err), PIO_OK);
  unsigned char *a = pio_threadpool_scratch(pool, 0, 1000);
  ck_assert_ptr_nonnull(a);
  ck_assert_uint_eq((uintptr_t)a % 64, 0);
  memset(a, 7, 1000);
  ck_assert_ptr_eq(pio_threadpool_scratch(pool, 0, 10), a);
  ck_assert_ptr_eq(pio_threadpool_scratch(pool, 0, 1024), a); /* rounded up to 64 */
  unsigned char *b = pio_threadpool_scratch(pool, 2, 100); /* slot size: the caller's */
  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_ne(a, b);
  unsigned char *big = pio_threadpool_scratch(pool, 0, 1 << 20);
  ck_assert_ptr_nonnull(big);
  big[(1 << 20) - 1] = 1;
  ck_assert_ptr_null(pio_threadpool_scratch(pool, 3, 8));
  ck_assert_ptr_null(pio_threadpool_scratch(NULL, 0, 8));
  pio_threadpool_destroy(pool);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("threadpool");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_scratch_is_kept_per_slot_and_grows_on_demand);
  tcase_add_test(tc, test_threadpool_runs_every_index_once_per_run);
  tcase_add_test(tc, test_threadpool_null_pool_runs_on_caller);
  tcase_add_test(tc, test_threadpool_zero_threads_means_online_cores);
  tcase_add_test(tc, test_threadpool_too_many_threads_is_refused);
  tcase_add_test(tc, test_threadpool_wakes_sleeping_workers);
  tcase_add_test(tc, test_threadpool_shares_see_caller_data_and_results_come_back);
  tcase_add_test(tc, test_split_range_covers_every_item_once_in_aligned_blocks);
  tcase_add_test(tc, test_split_range_balances_blocks);
  tcase_add_test(tc, test_chunks_cover_every_item_once_in_blocks);
  tcase_add_test(tc, test_chunks_taken_by_a_pool_cover_every_item_once);
  suite_add_tcase(suite, tc);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
