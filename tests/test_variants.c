/* tests/test_variants.c — choosing among a plugin's variants on this
 * machine, from the manifest alone: CPU features this CPU lacks, a module
 * not in the folder, a CUDA variant on a machine with no driver, a device
 * of too low a compute capability, too old a driver or too little memory
 * (a stand-in driver, tests/fake_cuda, answers as told), the first usable
 * one loaded, --variant's names refused when unknown or unusable.  The
 * variant modules are copies of the good fixture. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/cuda_probe.h"
#include "load/variant_choice.h"
#include "manifest/manifest.h"
#include "pio/host.h"
#include "plugin_dir_helpers.h"

#ifndef PIO_TEST_FAKE_CUDA
#error "PIO_TEST_FAKE_CUDA must name the stand-in driver"
#endif

#define ASSERT_HAS(text, fragment) \
  ck_assert_msg(strstr((text), (fragment)) != NULL, "no '%s' in: %s", (fragment), (text))

/* A plugin folder parent/plug holding the good fixture's module as
 * fixture_good.so and fixture_good_cuda.so, and a manifest with variants
 * (a JSON array); parent in parent[size]. */
static void make_plugin(char *parent, size_t size, const char *variants) {
  helper_temp_dir(parent, size);
  helper_copy_fixture("good", parent, "plug");
  char from[PATH_MAX], to[PATH_MAX], manifest[PATH_MAX];
  helper_path(from, sizeof from, "%s/plug/fixture_good.so", parent);
  helper_path(to, sizeof to, "%s/plug/fixture_good_cuda.so", parent);
  helper_copy_file(from, to, 0755);
  helper_path(manifest, sizeof manifest, "%s/plug/plugin_manifest.json", parent);
  FILE *f = fopen(manifest, "w");
  ck_assert_ptr_nonnull(f);
  fprintf(f,
          "{\"name\": \"fixture-good\", \"version\": \"1.0.0\", \"plugin_type\": \"model\",\n"
          " \"model_architecture\": \"FixtureForCausalLM\",\n"
          " \"entry_point\": {\"module\": \"fixture_good\", \"factory_function\": "
          "\"fixture_good_entry\"},\n"
          " \"compatibility\": {\"abi\": {\"min\": \"1.0\", \"max\": \"1\"}},\n"
          " \"variants\": %s}\n",
          variants);
  fclose(f);
}

#define CPU_VARIANT \
  "{\"name\": \"cpu\", \"module\": \"fixture_good\", \"factory_function\": \"fixture_good_entry\"}"
#define CUDA_VARIANT(needs)                                                                  \
  "{\"name\": \"cuda\", \"module\": \"fixture_good_cuda\", \"factory_function\": "          \
  "\"fixture_good_entry\", \"needs\": {\"cuda\": " needs "}}"

/* A CUDA variant needing compute capability 9.0, CUDA 12.4 and 40 GiB. */
#define EVERY_CUDA_NEED \
  "{\"compute_capability\": \"9.0\", \"driver\": \"12.4\", \"memory_gb\": 40}"

/* What the stand-in driver says of device 0: compute capability as 10 x
 * major + minor, the CUDA version as the driver encodes it, GiB. */
static void fake_device(const char *capability, const char *driver, const char *gib) {
  setenv("FAKE_CUDA_CAPABILITY", capability, 1);
  setenv("FAKE_CUDA_DRIVER", driver, 1);
  setenv("FAKE_CUDA_MEMORY_GIB", gib, 1);
}

static pio_manifest *read_manifest(const char *parent) {
  char path[PATH_MAX];
  helper_path(path, sizeof path, "%s/plug/plugin_manifest.json", parent);
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_msg(manifest_load(path, NULL, &m, &err) == PIO_OK, "%s", err.message);
  return m;
}

/* The manifest choose() read last: the verdicts' names point into it, so
 * it lives until the next choose() or the end of the test. */
static pio_manifest *judged;

static void forget_judged(void) {
  manifest_free(judged);
  judged = NULL;
}

/* The verdicts with the stand-in driver answering per env (NULL: no
 * driver at all); returns the chosen index or -1. */
static int choose(const char *parent, const char *forced, const char *driver,
                  pio_variant_verdict *v, pio_status *status, pio_error *err) {
  forget_judged();
  pio_manifest *m = judged = read_manifest(parent);
  cuda_machine cuda;
  cuda_machine_probe_library(driver != NULL ? driver : "/nonexistent/libcuda.so.1", 5000, &cuda);
  variant_machine machine = {.cuda = &cuda};
  compat_machine_probe(&machine.cpu);
  char dir[PATH_MAX];
  helper_path(dir, sizeof dir, "%s/plug", parent);
  size_t index = 99;
  *status = variant_choose(m, dir, forced, &machine, &index, v, err);
  return *status == PIO_OK ? (int)index : -1;
}

START_TEST(test_cuda_variant_without_a_driver_falls_back_to_the_next) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent, "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\"}") ", "
                                     CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, NULL, v, &s, &err), 1);
  ck_assert(!v[0].usable);
  ASSERT_HAS(v[0].reason, "needs a CUDA device: no CUDA driver");
  ck_assert(v[1].usable && v[1].chosen);
  ck_assert_str_eq(v[1].name, "cpu");
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_cuda_variant_is_chosen_when_the_driver_meets_its_needs) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[" CUDA_VARIANT(EVERY_CUDA_NEED) ", " CPU_VARIANT "]");
  fake_device("90", "13000", "80");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 0);
  ck_assert(v[0].usable && v[0].chosen);
  ck_assert(v[1].usable && !v[1].chosen);
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_cuda_needs_are_each_named_when_unmet) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[" CUDA_VARIANT(EVERY_CUDA_NEED) ", " CPU_VARIANT "]");
  fake_device("80", "12020", "24");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "needs compute capability 9.0, Fake GPU is 8.0");
  ASSERT_HAS(v[0].reason, "needs a driver for CUDA 12.4, this one supports CUDA 12.2");
  ASSERT_HAS(v[0].reason, "needs 40.0 GiB of device memory, Fake GPU has 24.0");
  setenv("FAKE_CUDA_DEVICES", "0", 1);
  ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "no CUDA device");
  unsetenv("FAKE_CUDA_DEVICES");
  setenv("FAKE_CUDA_INIT_ERROR", "100", 1);
  ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "cuInit error 100");
  unsetenv("FAKE_CUDA_INIT_ERROR");
  helper_remove_tree(parent);
}
END_TEST

/* A driver answering out-of-range figures, or a name with terminal escapes
 * or no NUL, is not believed: a negative version or capability would
 * otherwise meet any need. */
START_TEST(test_a_driver_answering_nonsense_is_not_believed) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\", \"driver\": \"12.4\"}") ", "
              CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  static const char *const nonsense[][2] = {
      {"FAKE_CUDA_DRIVER", "-1"},      {"FAKE_CUDA_DRIVER", "2000000000"},
      {"FAKE_CUDA_CAPABILITY", "-10"}, {"FAKE_CUDA_CAPABILITY", "0"},
      {"FAKE_CUDA_CAPABILITY", "1000"}};
  for (size_t i = 0; i < sizeof nonsense / sizeof nonsense[0]; i++) {
    setenv(nonsense[i][0], nonsense[i][1], 1);
    ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
    ASSERT_HAS(v[0].reason, "the CUDA driver reported nonsense");
    unsetenv(nonsense[i][0]);
  }
  cuda_machine cuda;
  setenv("FAKE_CUDA_NAME", "Evil\x1b]0;pwned\x07GPU\x7f", 1);
  cuda_machine_probe_library(PIO_TEST_FAKE_CUDA, 5000, &cuda);
  ck_assert(cuda.available);
  ck_assert_str_eq(cuda.device_name, "Evil?]0;pwned?GPU?");
  unsetenv("FAKE_CUDA_NAME");
  setenv("FAKE_CUDA_NAME_UNTERMINATED", "1", 1);
  cuda_machine_probe_library(PIO_TEST_FAKE_CUDA, 5000, &cuda);
  ck_assert(cuda.available);
  ck_assert_uint_eq(strlen(cuda.device_name), sizeof cuda.device_name - 1);
  unsetenv("FAKE_CUDA_NAME_UNTERMINATED");
  helper_remove_tree(parent);
}
END_TEST

/* The driver is asked in a child: one that crashes or hangs there rules
 * its variant out, saying so, and the host goes on to the next. */
START_TEST(test_a_driver_that_crashes_or_hangs_costs_only_its_variant) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\"}") ", " CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  setenv("FAKE_CUDA_CRASH", "1", 1);
  ck_assert_int_eq(choose(parent, NULL, PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "the CUDA driver crashed (SIGSEGV");
  ck_assert(v[1].chosen);
  unsetenv("FAKE_CUDA_CRASH");
  setenv("FAKE_CUDA_HANG", "1", 1);
  cuda_machine cuda;
  cuda_machine_probe_library(PIO_TEST_FAKE_CUDA, 300, &cuda);
  ck_assert(!cuda.available);
  ASSERT_HAS(cuda.reason, "the CUDA driver did not answer within 300 ms (killed)");
  unsetenv("FAKE_CUDA_HANG");
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_cpu_features_this_cpu_lacks_rule_a_variant_out) {
  char parent[PATH_MAX];
  /* sve is an Arm feature, neon too: no x86-64 CPU has both; on Arm,
   * avx512f rules it out. */
  make_plugin(parent, sizeof parent,
              "[{\"name\": \"wide\", \"module\": \"fixture_good_cuda\", \"factory_function\": "
              "\"fixture_good_entry\", \"needs\": {\"cpu_features\": [\"sve\", \"avx512f\"]}}, "
              CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, NULL, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "needs CPU features");
  ASSERT_HAS(v[0].reason, "which this CPU lacks");
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_a_variant_whose_module_is_missing_is_not_usable) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[{\"name\": \"absent\", \"module\": \"fixture_good_avx9\", \"factory_function\": "
              "\"fixture_good_entry\"}, " CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, NULL, v, &s, &err), 1);
  ASSERT_HAS(v[0].reason, "module fixture_good_avx9");
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_forced_variants_are_checked_by_name_and_needs) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent, "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\"}") ", "
                                     CPU_VARIANT "]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, "gpu", NULL, v, &s, &err), -1);
  ck_assert_int_eq(s, PIO_ERR_NOT_FOUND);
  ASSERT_HAS(err.message, "no variant 'gpu' (it has cuda, cpu)");
  ck_assert_int_eq(choose(parent, "cuda", NULL, v, &s, &err), -1);
  ck_assert_int_eq(s, PIO_ERR_INCOMPATIBLE);
  ASSERT_HAS(err.message, "variant cuda cannot run here: needs a CUDA device");
  setenv("FAKE_CUDA_CAPABILITY", "90", 1);
  ck_assert_int_eq(choose(parent, "cpu", PIO_TEST_FAKE_CUDA, v, &s, &err), 1);
  ck_assert(v[1].chosen && !v[0].chosen);
  helper_remove_tree(parent);
}
END_TEST

START_TEST(test_no_usable_variant_says_why_for_each) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent,
              "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\"}") ", {\"name\": \"cpu\", "
              "\"module\": \"fixture_good\", \"factory_function\": \"fixture_good_entry\", "
              "\"needs\": {\"cpu_features\": [\"sve\", \"avx512f\"]}}]");
  pio_variant_verdict v[2];
  pio_status s;
  pio_error err;
  ck_assert_int_eq(choose(parent, NULL, NULL, v, &s, &err), -1);
  ck_assert_int_eq(s, PIO_ERR_INCOMPATIBLE);
  ASSERT_HAS(err.message, "no variant runs here (cuda: needs a CUDA device");
  ASSERT_HAS(err.message, "; cpu: needs CPU features");
  helper_remove_tree(parent);
}
END_TEST

/* Through the public API, as pio-host and pio-bench use it: the registry
 * reads the folder, pio_plugin_variants judges, pio_plugin_load_variant
 * loads the chosen build (a copy of the good fixture). */
START_TEST(test_the_registry_loads_the_chosen_variant) {
  char parent[PATH_MAX];
  make_plugin(parent, sizeof parent, "[" CUDA_VARIANT("{\"compute_capability\": \"9.0\"}") ", "
                                     CPU_VARIANT "]");
  pio_registry *r = NULL;
  pio_error err;
  char dir[PATH_MAX];
  helper_path(dir, sizeof dir, "%s/plug", parent);
  /* With the trial load: it runs the chosen build in a child. */
  ck_assert_msg(pio_registry_open_folder(dir, 1, &r, &err) == PIO_OK, "%s", err.message);
  const pio_plugin_record *rec = pio_registry_find(r, "fixture-good");
  ck_assert_ptr_nonnull(rec);
  ck_assert_msg(rec->state == PIO_PLUGIN_OK, "%s", rec->reason);
  pio_variant_verdict v[16];
  size_t n = 0;
  ck_assert_int_eq(pio_plugin_variants(rec, v, 16, &n, &err), PIO_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert(v[1].chosen); /* this process never set PIO_CUDA_DRIVER to a working driver */
  pio_loaded_plugin *p = NULL;
  ck_assert_msg(pio_plugin_load(rec, &p, &err) == PIO_OK, "%s", err.message);
  ck_assert_str_eq(pio_loaded_plugin_table(p)->name, "fixture-good");
  pio_plugin_unload(p);
  ck_assert_int_eq(pio_plugin_load_variant(rec, "cuda", &p, &err), PIO_ERR_INCOMPATIBLE);
  ck_assert_int_eq(pio_plugin_load_variant(rec, "nope", &p, &err), PIO_ERR_NOT_FOUND);
  ck_assert_msg(pio_plugin_load_variant(rec, "cpu", &p, &err) == PIO_OK, "%s", err.message);
  pio_plugin_unload(p);
  pio_registry_close(r);
  helper_remove_tree(parent);
}
END_TEST

int main(void) {
  /* The registry test must see no driver: a machine with a GPU would
   * choose the CUDA variant there. */
  setenv("PIO_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  Suite *s = suite_create("variants");
  TCase *t = tcase_create("choice");
  tcase_add_checked_fixture(t, NULL, forget_judged);
  tcase_add_test(t, test_cuda_variant_without_a_driver_falls_back_to_the_next);
  tcase_add_test(t, test_cuda_variant_is_chosen_when_the_driver_meets_its_needs);
  tcase_add_test(t, test_cuda_needs_are_each_named_when_unmet);
  tcase_add_test(t, test_a_driver_answering_nonsense_is_not_believed);
  tcase_add_test(t, test_a_driver_that_crashes_or_hangs_costs_only_its_variant);
  tcase_add_test(t, test_cpu_features_this_cpu_lacks_rule_a_variant_out);
  tcase_add_test(t, test_a_variant_whose_module_is_missing_is_not_usable);
  tcase_add_test(t, test_forced_variants_are_checked_by_name_and_needs);
  tcase_add_test(t, test_no_usable_variant_says_why_for_each);
  tcase_add_test(t, test_the_registry_loads_the_chosen_variant);
  suite_add_tcase(s, t);
  SRunner *runner = srunner_create(s);
  srunner_run_all(runner, CK_NORMAL);
  const int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? 0 : 1;
}
