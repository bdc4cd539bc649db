/* tests/test_io_engine.c — kvio's IO engine: IOs whose buffer and file
 * places differ land where they are told, at any queue depth and through
 * io_uring and psync alike; a read past the end and a write to a read-only
 * descriptor fail naming the offset after the IOs in flight are done; what
 * cannot be registered is said, not hidden.  Where io_uring cannot be set
 * up here the io_uring cases check the fallback's note instead. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_engine.h"

#define N_IOS 64u
#define IO_BYTES 4096u

/* IO i: buffer slot i, file slot (i * 7) % N_IOS (a permutation: 7 and 64
 * are coprime), so a mixed-up offset shows. */
static void scattered(const void *ctx, uint64_t i, uint64_t *mem, uint64_t *file,
                      uint64_t *len) {
  (void)ctx;
  *mem = i * IO_BYTES;
  *file = (i * 7 % N_IOS) * IO_BYTES;
  *len = IO_BYTES;
}

static int temp_file(char *path, size_t size) {
  snprintf(path, size, "/tmp/pio-io-engine-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  return fd;
}

static uint8_t *filled(uint64_t len) {
  uint8_t *b = NULL;
  ck_assert_int_eq(posix_memalign((void **)&b, 4096, len), 0);
  for (uint64_t i = 0; i < len; i++) b[i] = (uint8_t)(i * 131 + i / IO_BYTES);
  return b;
}

static void round_trip(pio_bench_io_kind kind, uint32_t qd) {
  char path[64];
  int fd = temp_file(path, sizeof path);
  uint64_t len = (uint64_t)N_IOS * IO_BYTES;
  uint8_t *buf = filled(len), *copy = malloc(len);
  memcpy(copy, buf, len);
  pio_bench_io_engine e;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_io_engine_open(kind, qd, buf, len, IO_BYTES, &e, &err), PIO_OK);
  pio_bench_io_list list = {N_IOS, scattered, NULL, NULL, NULL};
  ck_assert_int_eq(pio_bench_io_engine_run(&e, fd, 1, &list, &err), PIO_OK);
  /* The file holds buffer slot i at file slot (7 i) % 64. */
  uint8_t *page = malloc(IO_BYTES);
  for (uint64_t i = 0; i < N_IOS; i++) {
    ck_assert_int_eq(pread(fd, page, IO_BYTES, (off_t)((i * 7 % N_IOS) * IO_BYTES)), IO_BYTES);
    ck_assert_int_eq(memcmp(page, copy + i * IO_BYTES, IO_BYTES), 0);
  }
  memset(buf, 0, len);
  ck_assert_int_eq(pio_bench_io_engine_run(&e, fd, 0, &list, &err), PIO_OK);
  ck_assert_int_eq(memcmp(buf, copy, len), 0);
  if (kind == PIO_BENCH_IO_URING && e.kind == PIO_BENCH_IO_URING)
    ck_assert_uint_eq(e.queue_depth, qd);
  if (kind == PIO_BENCH_IO_URING && e.kind != PIO_BENCH_IO_URING)
    ck_assert_ptr_nonnull(strstr(e.note, "io_uring unavailable"));
  pio_bench_io_engine_close(&e);
  close(fd);
  unlink(path);
  free(page);
  free(copy);
  free(buf);
}

START_TEST(test_scattered_ios_land_where_told_through_io_uring) {
  /* 13: refills of 3 (a quarter) that do not divide the 64 IOs. */
  static const uint32_t depths[] = {1, 3, 13, 64, 1024};
  round_trip(PIO_BENCH_IO_URING, depths[_i]);
}
END_TEST

START_TEST(test_scattered_ios_land_where_told_through_psync) {
  round_trip(PIO_BENCH_IO_PSYNC, 1);
}
END_TEST

static pio_status failing_run(pio_bench_io_kind kind, int write, int open_flags, pio_error *err) {
  char path[64];
  int fd = temp_file(path, sizeof path);
  uint64_t len = (uint64_t)N_IOS * IO_BYTES;
  uint8_t *buf = filled(len);
  /* Half the file: reads of the second half find its end. */
  ck_assert_int_eq(pwrite(fd, buf, len / 2, 0), (ssize_t)(len / 2));
  int use = open(path, open_flags);
  ck_assert_int_ge(use, 0);
  pio_bench_io_engine e;
  ck_assert_int_eq(pio_bench_io_engine_open(kind, 8, buf, len, IO_BYTES, &e, err), PIO_OK);
  pio_bench_io_list list = {N_IOS, scattered, NULL, NULL, NULL};
  pio_status s = pio_bench_io_engine_run(&e, use, write, &list, err);
  pio_bench_io_engine_close(&e);
  close(use);
  close(fd);
  unlink(path);
  free(buf);
  return s;
}

START_TEST(test_a_read_past_the_end_names_its_offset) {
  pio_bench_io_kind kind = _i ? PIO_BENCH_IO_PSYNC : PIO_BENCH_IO_URING;
  pio_error err = {0};
  ck_assert_int_eq(failing_run(kind, 0, O_RDONLY, &err), PIO_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "unexpected end of file"));
  ck_assert_ptr_nonnull(strstr(err.message, "offset"));
}
END_TEST

START_TEST(test_a_write_to_a_read_only_file_fails_naming_the_error) {
  pio_bench_io_kind kind = _i ? PIO_BENCH_IO_PSYNC : PIO_BENCH_IO_URING;
  pio_error err = {0};
  ck_assert_int_eq(failing_run(kind, 1, O_RDONLY, &err), PIO_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "write of 4096 bytes at offset"));
  ck_assert_ptr_nonnull(strstr(err.message, "Bad file descriptor"));
}
END_TEST

START_TEST(test_an_io_larger_than_a_registered_buffer_is_said) {
  uint8_t *buf = filled(IO_BYTES);
  pio_bench_io_engine e;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_io_engine_open(PIO_BENCH_IO_URING, 4, buf, IO_BYTES,
                                            (2ull << 30), &e, &err),
                   PIO_OK);
  if (e.kind == PIO_BENCH_IO_URING) {
    ck_assert_uint_eq(e.n_fixed, 0);
    ck_assert_ptr_nonnull(strstr(e.note, "1 GiB"));
  }
  pio_bench_io_engine_close(&e);
  free(buf);
}
END_TEST

START_TEST(test_bad_queue_depths_are_refused) {
  uint8_t b[16];
  pio_bench_io_engine e;
  pio_error err = {0};
  ck_assert_int_eq(pio_bench_io_engine_open(PIO_BENCH_IO_URING, 0, b, 16, 16, &e, &err),
                   PIO_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(pio_bench_io_engine_open(PIO_BENCH_IO_URING, PIO_BENCH_IO_MAX_QUEUE_DEPTH + 1,
                                            b, 16, 16, &e, &err),
                   PIO_ERR_INVALID_ARGUMENT);
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("io_engine");
  TCase *t = tcase_create("engine");
  tcase_add_loop_test(t, test_scattered_ios_land_where_told_through_io_uring, 0, 5);
  tcase_add_test(t, test_scattered_ios_land_where_told_through_psync);
  tcase_add_loop_test(t, test_a_read_past_the_end_names_its_offset, 0, 2);
  tcase_add_loop_test(t, test_a_write_to_a_read_only_file_fails_naming_the_error, 0, 2);
  tcase_add_test(t, test_an_io_larger_than_a_registered_buffer_is_said);
  tcase_add_test(t, test_bad_queue_depths_are_refused);
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
