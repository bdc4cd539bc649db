/* tests/test_compat.c — a manifest's compatibility block against machines
 * described by hand (so every failure is testable on any CPU), the probe of
 * this machine, and plugin dependencies against a lookup. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/compat.h"
#include "manifest/manifest.h"
#include "pio/version.h"

#define ASSERT_HAS(message, needle) \
  ck_assert_msg(strstr((message), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (message))

/* A manifest with the given compatibility block (JSON object text). */
static pio_manifest *manifest_with(const char *compatibility, const char *dependencies) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"name\": \"p\", \"version\": \"1.0.0\", \"plugin_type\": \"model\",\n"
           " \"model_architecture\": \"LlamaForCausalLM\",\n"
           " \"entry_point\": {\"module\": \"p\", \"factory_function\": \"p_entry\"},\n"
           " \"dependencies\": %s,\n"
           " \"compatibility\": %s}",
           dependencies ? dependencies : "[]", compatibility);
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_msg(manifest_parse_buffer("p.json", text, strlen(text), NULL, &m, &err) == PIO_OK, "%s",
                err.message);
  return m;
}

/* An x86-64 Linux machine with AVX2 and FMA, 32 GiB, host ABI 1.0. */
static compat_machine avx2_box(void) {
  compat_machine mc = {.abi_major = 1,
                       .abi_minor = 0,
                       .os = "linux",
                       .arch = "x86_64",
                       .cpu_features = (1ull << PIO_CPU_SSE4_2) | (1ull << PIO_CPU_AVX) |
                                       (1ull << PIO_CPU_AVX2) | (1ull << PIO_CPU_FMA),
                       .memory_gib = 32.0};
  return mc;
}

static pio_status check(const char *compatibility, const compat_machine *mc, pio_error *err) {
  pio_manifest *m = manifest_with(compatibility, NULL);
  pio_error_clear(err);
  pio_status s = compat_check(m, mc, err);
  manifest_free(m);
  return s;
}

START_TEST(test_matching_machine_is_compatible) {
  compat_machine mc = avx2_box();
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"os\": [\"linux\"], \"arch\": [\"x86_64\"],"
                         " \"cpu_features\": [\"avx2\", \"fma\"], \"min_memory_gb\": 16}", &mc, &err),
                   PIO_OK);
}
END_TEST

START_TEST(test_absent_lists_mean_any) {
  compat_machine mc = avx2_box();
  mc.os = "freebsd";
  mc.arch = "riscv64";
  mc.cpu_features = 0;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}}", &mc, &err), PIO_OK);
}
END_TEST

START_TEST(test_abi_major_above_range_is_incompatible) {
  compat_machine mc = avx2_box();
  mc.abi_major = 2;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}}", &mc, &err), PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message,
                   "p.json: compatibility.abi: needs pio ABI 1.0 to 1.x, this host has ABI 2.0");
}
END_TEST

START_TEST(test_abi_minor_below_min_is_incompatible) {
  compat_machine mc = avx2_box();
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.2\", \"max\": \"1\"}}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message,
                   "p.json: compatibility.abi: needs pio ABI 1.2 to 1.x, this host has ABI 1.0");
}
END_TEST

START_TEST(test_abi_minor_above_explicit_max_is_incompatible) {
  compat_machine mc = avx2_box();
  mc.abi_minor = 5;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\", \"max\": \"1.3\"}}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ASSERT_HAS(err.message, "needs pio ABI 1.0 to 1.3, this host has ABI 1.5");
}
END_TEST

START_TEST(test_newer_host_minor_works_with_bare_major_max) {
  compat_machine mc = avx2_box();
  mc.abi_minor = 7;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\", \"max\": \"1\"}}", &mc, &err), PIO_OK);
}
END_TEST

START_TEST(test_range_excluding_this_host_abi_is_incompatible) {
  /* The real host ABI, checked through the probe's values. */
  compat_machine mc;
  compat_machine_probe(&mc);
  char compat[128];
  snprintf(compat, sizeof compat, "{\"abi\": {\"min\": \"%d.0\"}}", PIO_ABI_MAJOR + 1);
  pio_error err;
  ck_assert_int_eq(check(compat, &mc, &err), PIO_ERR_INCOMPATIBLE);
  char expected[128];
  snprintf(expected, sizeof expected, "this host has ABI %d.%d", PIO_ABI_MAJOR, PIO_ABI_MINOR);
  ASSERT_HAS(err.message, expected);
}
END_TEST

START_TEST(test_other_os_is_incompatible) {
  compat_machine mc = avx2_box();
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"os\": [\"freebsd\", \"darwin\"]}", &mc,
                         &err), PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message,
                   "p.json: compatibility.os: needs one of freebsd, darwin, this machine is linux");
}
END_TEST

START_TEST(test_other_arch_is_incompatible) {
  compat_machine mc = avx2_box();
  mc.arch = "aarch64";
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"arch\": [\"x86_64\"]}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message,
                   "p.json: compatibility.arch: needs one of x86_64, this machine is aarch64");
}
END_TEST

START_TEST(test_missing_cpu_features_are_named) {
  compat_machine mc = avx2_box();
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"cpu_features\": [\"avx2\", \"avx512f\", "
                         "\"avx512_bf16\"]}", &mc, &err), PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message, "p.json: compatibility.cpu_features: needs avx512f avx512_bf16, "
                                "this machine's CPU has sse4_2 avx avx2 fma");
}
END_TEST

START_TEST(test_cpu_without_features_says_so) {
  compat_machine mc = avx2_box();
  mc.cpu_features = 0;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"cpu_features\": [\"neon\"]}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ASSERT_HAS(err.message, "needs neon, this machine's CPU has none of the known features");
}
END_TEST

START_TEST(test_memory_too_small_is_incompatible) {
  compat_machine mc = avx2_box();
  mc.memory_gib = 15.5;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"min_memory_gb\": 64}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message, "p.json: compatibility.min_memory_gb: needs 64 GiB of memory, "
                                "this machine has 15.5 GiB");
}
END_TEST

START_TEST(test_memory_exactly_enough_is_compatible) {
  compat_machine mc = avx2_box();
  mc.memory_gib = 64.0;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"min_memory_gb\": 64}", &mc, &err), PIO_OK);
}
END_TEST

START_TEST(test_unknown_memory_is_not_held_against_plugin) {
  compat_machine mc = avx2_box();
  mc.memory_gib = -1;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"min_memory_gb\": 64}", &mc, &err), PIO_OK);
}
END_TEST

START_TEST(test_every_failure_is_reported_together) {
  compat_machine mc = avx2_box();
  mc.abi_major = 3;
  mc.memory_gib = 1;
  pio_error err;
  ck_assert_int_eq(check("{\"abi\": {\"min\": \"1.0\"}, \"os\": [\"darwin\"], \"arch\": [\"aarch64\"],"
                         " \"cpu_features\": [\"sve\"], \"min_memory_gb\": 2}", &mc, &err),
                   PIO_ERR_INCOMPATIBLE);
  ASSERT_HAS(err.message, "p.json: compatibility.abi: needs pio ABI 1.0 to 1.x, this host has ABI 3.0; "
                          "compatibility.os: needs one of darwin, this machine is linux; "
                          "compatibility.arch: needs one of aarch64, this machine is x86_64; "
                          "compatibility.cpu_features: needs sve, ");
  ASSERT_HAS(err.message, "; compatibility.min_memory_gb: needs 2 GiB of memory, this machine has 1.0 GiB");
}
END_TEST

START_TEST(test_probe_describes_this_process) {
  compat_machine mc;
  compat_machine_probe(&mc);
  ck_assert_int_eq(mc.abi_major, PIO_ABI_MAJOR);
  ck_assert_int_eq(mc.abi_minor, PIO_ABI_MINOR);
  ck_assert(mc.cpu_features == pio_cpu_detect());
#if defined(__linux__)
  ck_assert_str_eq(mc.os, "linux");
  ck_assert(mc.memory_gib > 0);
#endif
#if defined(__x86_64__)
  ck_assert_str_eq(mc.arch, "x86_64");
#elif defined(__aarch64__)
  ck_assert_str_eq(mc.arch, "aarch64");
#endif
}
END_TEST

START_TEST(test_meminfo_is_parsed) {
  char path[] = "/tmp/pio-test-meminfo-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char text[] = "MemFree:         1000 kB\nMemTotal:       16777216 kB\n";
  ck_assert_int_eq(write(fd, text, sizeof text - 1), (int)(sizeof text - 1));
  close(fd);
  ck_assert_double_eq(compat_read_meminfo(path), 16.0);
  FILE *f = fopen(path, "w");
  fputs("Nothing: here\n", f);
  fclose(f);
  ck_assert_double_eq(compat_read_meminfo(path), -1.0);
  unlink(path);
  ck_assert_double_eq(compat_read_meminfo(path), -1.0);
}
END_TEST

/* ---- plugin dependencies ---- */

static const char *lookup(void *context, const char *name) {
  (void)context;
  if (strcmp(name, "tokenizer") == 0) return "1.4.0";
  return NULL;
}

static pio_status check_deps(const char *deps, pio_error *err) {
  pio_manifest *m = manifest_with("{\"abi\": {\"min\": \"1.0\"}}", deps);
  pio_error_clear(err);
  pio_status s = manifest_check_plugin_dependencies(m, lookup, NULL, err);
  manifest_free(m);
  return s;
}

START_TEST(test_present_plugin_dependency_is_satisfied) {
  pio_error err;
  ck_assert_int_eq(check_deps("[{\"name\": \"tokenizer\", \"kind\": \"plugin\", \"version\": \"^1.2.0\"},"
                              " {\"name\": \"tokenizer\", \"kind\": \"library\"}]", &err), PIO_OK);
}
END_TEST

START_TEST(test_missing_plugin_dependency_is_not_found) {
  pio_error err;
  ck_assert_int_eq(check_deps("[{\"name\": \"vision\", \"kind\": \"plugin\", \"version\": \">=2.0.0\"}]",
                              &err), PIO_ERR_NOT_FOUND);
  ck_assert_str_eq(err.message, "p.json: dependencies[0]: needs plugin vision >=2.0.0, which is not "
                                "installed or not usable");
}
END_TEST

START_TEST(test_plugin_dependency_with_wrong_version_is_incompatible) {
  pio_error err;
  ck_assert_int_eq(check_deps("[{\"name\": \"tokenizer\", \"kind\": \"plugin\", \"version\": \">=2.0.0\"}]",
                              &err), PIO_ERR_INCOMPATIBLE);
  ck_assert_str_eq(err.message,
                   "p.json: dependencies[0]: needs plugin tokenizer >=2.0.0, found version 1.4.0");
}
END_TEST

START_TEST(test_library_dependencies_are_left_to_the_loader) {
  pio_error err;
  ck_assert_int_eq(check_deps("[{\"name\": \"libnothere.so.1\", \"kind\": \"library\"}]", &err), PIO_OK);
}
END_TEST

int main(void) {
  Suite *s = suite_create("compat");
  TCase *t = tcase_create("compat");
  tcase_add_test(t, test_matching_machine_is_compatible);
  tcase_add_test(t, test_absent_lists_mean_any);
  tcase_add_test(t, test_abi_major_above_range_is_incompatible);
  tcase_add_test(t, test_abi_minor_below_min_is_incompatible);
  tcase_add_test(t, test_abi_minor_above_explicit_max_is_incompatible);
  tcase_add_test(t, test_newer_host_minor_works_with_bare_major_max);
  tcase_add_test(t, test_range_excluding_this_host_abi_is_incompatible);
  tcase_add_test(t, test_other_os_is_incompatible);
  tcase_add_test(t, test_other_arch_is_incompatible);
  tcase_add_test(t, test_missing_cpu_features_are_named);
  tcase_add_test(t, test_cpu_without_features_says_so);
  tcase_add_test(t, test_memory_too_small_is_incompatible);
  tcase_add_test(t, test_memory_exactly_enough_is_compatible);
  tcase_add_test(t, test_unknown_memory_is_not_held_against_plugin);
  tcase_add_test(t, test_every_failure_is_reported_together);
  tcase_add_test(t, test_probe_describes_this_process);
  tcase_add_test(t, test_meminfo_is_parsed);
  suite_add_tcase(s, t);
  TCase *d = tcase_create("dependencies");
  tcase_add_test(d, test_present_plugin_dependency_is_satisfied);
  tcase_add_test(d, test_missing_plugin_dependency_is_not_found);
  tcase_add_test(d, test_plugin_dependency_with_wrong_version_is_incompatible);
  tcase_add_test(d, test_library_dependencies_are_left_to_the_loader);
  suite_add_tcase(s, d);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
