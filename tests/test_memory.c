/* tests/test_memory.c — page allocations: aligned, zeroed, writable to the
 * last byte, and refusals with a message; the memory budget read from
 * /proc and the cgroup files (a made-up tree), and a model's footprint
 * refused against it before anything is allocated. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pio/instance.h"
#include "pio/memory.h"

#define GIB ((uint64_t)1 << 30)

START_TEST(test_pages_alloc_is_aligned_zeroed_and_writable) {
  const size_t sizes[] = {1, 4096, PIO_PAGES_ALIGN, PIO_PAGES_ALIGN + 1, 5 * PIO_PAGES_ALIGN - 3};
  for (size_t s = 0; s < 5; s++) {
    unsigned char *p = NULL;
    pio_error err = {0};
    ck_assert_int_eq(pio_pages_alloc(sizes[s], (void **)&p, &err), PIO_OK);
    ck_assert_uint_eq((uintptr_t)p % PIO_PAGES_ALIGN, 0);
    size_t nonzero = 0;
    for (size_t i = 0; i < sizes[s]; i++) nonzero += p[i] != 0;
    ck_assert_uint_eq(nonzero, 0);
    memset(p, 0xab, sizes[s]);
    ck_assert_uint_eq(p[sizes[s] - 1], 0xab);
    pio_pages_free(p, sizes[s]);
  }
  pio_pages_free(NULL, 10);
}
END_TEST

START_TEST(test_pages_alloc_of_zero_bytes_is_refused) {
  void *p = &p;
  pio_error err = {0};
  ck_assert_int_eq(pio_pages_alloc(0, &p, &err), PIO_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "0 bytes"));
}
END_TEST

START_TEST(test_pages_alloc_too_large_is_no_memory) {
  void *p = &p;
  pio_error err = {0};
  ck_assert_int_eq(pio_pages_alloc(SIZE_MAX / 2, &p, &err), PIO_ERR_NO_MEMORY);
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(strstr(err.message, "failed"));
}
END_TEST

/* A made-up system root: root/PATH holding text, folders made. */
static char root[64];

static void put(const char *path, const char *text) {
  char full[512], cmd[600];
  snprintf(full, sizeof full, "%s%s", root, path);
  snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", full);
  ck_assert_int_eq(system(cmd), 0);
  FILE *f = fopen(full, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static void make_root(void) {
  snprintf(root, sizeof root, "/tmp/pio-test-memory-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(root));
  put("/proc/meminfo", "MemTotal:       24000000 kB\nMemFree:         1000 kB\n"
                       "MemAvailable:    8388608 kB\nBuffers:           12 kB\n");
}

static void remove_root(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_budget_is_mem_available_without_a_cgroup_limit) {
  put("/proc/self/cgroup", "0::/user.slice/session-1.scope\n");
  put("/sys/fs/cgroup/user.slice/session-1.scope/memory.max", "max\n");
  put("/sys/fs/cgroup/user.slice/session-1.scope/memory.current", "1234\n");
  pio_memory_budget b;
  pio_error err = {0};
  ck_assert_int_eq(pio_memory_budget_read_at(root, &b, &err), PIO_OK);
  ck_assert_int_eq(b.known, 1);
  ck_assert_uint_eq(b.mem_available, 8 * GIB);
  ck_assert_uint_eq(b.cgroup_limit, 0);
  ck_assert_uint_eq(b.available, 8 * GIB);
  char text[256];
  ck_assert_str_eq(pio_memory_budget_describe(&b, text, sizeof text),
                   "8.0 GiB is available (MemAvailable 8.0 GiB; no cgroup memory limit)");
}
END_TEST

/* The tightest group up the hierarchy counts, less what it holds but its
 * inactive file cache. */
START_TEST(test_budget_takes_the_tightest_cgroup_v2_limit_up_the_tree) {
  put("/proc/self/cgroup", "0::/pod/job\n");
  put("/sys/fs/cgroup/pod/job/memory.max", "6442450944\n"); /* 6 GiB */
  put("/sys/fs/cgroup/pod/job/memory.current", "1073741824\n");
  put("/sys/fs/cgroup/pod/job/memory.stat", "anon 1\nfile 2\n");
  put("/sys/fs/cgroup/pod/memory.max", "4294967296\n"); /* 4 GiB, above it */
  put("/sys/fs/cgroup/pod/memory.current", "3221225472\n"); /* 3 GiB used */
  put("/sys/fs/cgroup/pod/memory.stat", "anon 5\ninactive_file 1073741824\nactive_file 9\n");
  pio_memory_budget b;
  pio_error err = {0};
  ck_assert_int_eq(pio_memory_budget_read_at(root, &b, &err), PIO_OK);
  ck_assert_uint_eq(b.cgroup_limit, 4 * GIB);
  ck_assert_uint_eq(b.cgroup_used, 2 * GIB); /* 3 GiB less 1 GiB of inactive file cache */
  ck_assert_uint_eq(b.available, 2 * GIB);
}
END_TEST

START_TEST(test_budget_reads_a_cgroup_v1_memory_controller) {
  put("/proc/self/cgroup", "12:pids:/x\n4:memory:/docker/abc\n1:cpu:/y\n");
  put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
  put("/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "536870912\n");
  put("/sys/fs/cgroup/memory/docker/abc/memory.stat", "total_inactive_file 268435456\n");
  pio_memory_budget b;
  pio_error err = {0};
  ck_assert_int_eq(pio_memory_budget_read_at(root, &b, &err), PIO_OK);
  ck_assert_uint_eq(b.cgroup_limit, GIB);
  ck_assert_uint_eq(b.available, GIB - GIB / 4);
  /* v1's "no limit" is a number near 2^63. */
  put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
  ck_assert_int_eq(pio_memory_budget_read_at(root, &b, &err), PIO_OK);
  ck_assert_uint_eq(b.cgroup_limit, 0);
  ck_assert_uint_eq(b.available, 8 * GIB);
}
END_TEST

START_TEST(test_budget_of_a_system_that_hides_everything_is_unknown) {
  pio_memory_budget b;
  pio_error err = {0};
  ck_assert_int_eq(pio_memory_budget_read_at("/nonexistent/root", &b, &err), PIO_OK);
  ck_assert_int_eq(b.known, 0);
  ck_assert_uint_eq(b.available, UINT64_MAX);
}
END_TEST

/* On this machine: what it has fits, what none has is refused naming both
 * figures, and PIO_MEMORY_CHECK=off lets it through. */
START_TEST(test_check_refuses_what_would_not_fit_naming_both_figures) {
  pio_error err = {0};
  ck_assert_int_eq(pio_memory_check(4096, "a page", &err), PIO_OK);
  ck_assert_int_eq(pio_memory_check(UINT64_MAX / 2, "a model of the future", &err),
                   PIO_ERR_NO_MEMORY);
  ck_assert_ptr_nonnull(strstr(err.message, "a model of the future needs "));
  ck_assert_ptr_nonnull(strstr(err.message, "GiB is available (MemAvailable"));
  setenv("PIO_MEMORY_CHECK", "off", 1);
  ck_assert_int_eq(pio_memory_check(UINT64_MAX / 2, "a model of the future", &err), PIO_OK);
  unsetenv("PIO_MEMORY_CHECK");
}
END_TEST

/* Synthetic weights count as built, read weights as the folder's files,
 * mapped ones not at all. */
START_TEST(test_footprint_counts_weights_as_they_will_be_held) {
  char dir[128];
  snprintf(dir, sizeof dir, "%s/model", root);
  put("/model/model.safetensors", "");
  char file[192];
  snprintf(file, sizeof file, "%s/model.safetensors", dir);
  ck_assert_int_eq(truncate(file, (off_t)1 << 40), 0); /* a terabyte, sparse */
  pio_model_footprint f = {.synthetic_weights = (uint64_t)1 << 50, .kv_cache = 4096,
                           .scratch = 4096};
  pio_model_options o = {.struct_size = sizeof o, .synthetic = 1};
  pio_error err = {0};
  ck_assert_int_eq(pio_model_footprint_check(&o, &f, 8, &err), PIO_ERR_NO_MEMORY);
  ck_assert_ptr_nonnull(strstr(err.message, "model create: the model (weights 1048576.0 GiB as "
                                            "built, KV cache 0.0 GiB for 8 tokens"));
  o.synthetic = 0;
  o.weights_dir = dir;
  o.weights_load = PIO_WEIGHTS_READ;
  ck_assert_int_eq(pio_model_footprint_check(&o, &f, 8, &err), PIO_ERR_NO_MEMORY);
  ck_assert_ptr_nonnull(strstr(err.message, "read into memory"));
  o.weights_load = PIO_WEIGHTS_MAP;
  ck_assert_int_eq(pio_model_footprint_check(&o, &f, 8, &err), PIO_OK);
}
END_TEST

int main(void) {
  Suite *suite = suite_create("memory");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_pages_alloc_is_aligned_zeroed_and_writable);
  tcase_add_test(tc, test_pages_alloc_of_zero_bytes_is_refused);
  tcase_add_test(tc, test_pages_alloc_too_large_is_no_memory);
  suite_add_tcase(suite, tc);
  TCase *budget = tcase_create("budget");
  tcase_add_checked_fixture(budget, make_root, remove_root);
  tcase_add_test(budget, test_budget_is_mem_available_without_a_cgroup_limit);
  tcase_add_test(budget, test_budget_takes_the_tightest_cgroup_v2_limit_up_the_tree);
  tcase_add_test(budget, test_budget_reads_a_cgroup_v1_memory_controller);
  tcase_add_test(budget, test_budget_of_a_system_that_hides_everything_is_unknown);
  tcase_add_test(budget, test_check_refuses_what_would_not_fit_naming_both_figures);
  tcase_add_test(budget, test_footprint_counts_weights_as_they_will_be_held);
  suite_add_tcase(suite, budget);
  SRunner *runner = srunner_create(suite);
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
