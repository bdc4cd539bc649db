/* tests/test_cpu.c — CPU feature detection agrees with what the kernel
 * reports in /proc/cpuinfo, and the manifest spellings round-trip. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/cpu.h"

/* The kernel's name for each feature in /proc/cpuinfo (x86 "flags",
 * arm64 "Features"); these are the features it lets processes use. */
static const char *kernel_flag(pio_cpu_feature f) {
  switch (f) {
    case PIO_CPU_NEON: return "asimd";
    default: return pio_cpu_feature_name(f);
  }
}

/* Reads the first processor's line named key (or alt, which may be NULL)
 * into buf, its value space padded on both sides; returns 0 when found. */
static int read_cpuinfo_line(const char *key, const char *alt, char *buf, size_t size) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return -1;
  char *line = NULL;
  size_t cap = 0;
  int found = -1;
  while (getline(&line, &cap, f) > 0) {
    const int named = strncmp(line, key, strlen(key)) == 0 ||
                      (alt != NULL && strncmp(line, alt, strlen(alt)) == 0);
    if (named) {
      char *colon = strchr(line, ':');
      if (colon == NULL) continue;
      line[strcspn(line, "\n")] = '\0';
      snprintf(buf, size, " %s ", colon + 1);
      found = 0;
      break;
    }
  }
  free(line);
  fclose(f);
  return found;
}

START_TEST(test_detected_features_match_proc_cpuinfo) {
  static char flags[16384];
  if (read_cpuinfo_line("flags", "Features", flags, sizeof flags) != 0)
    return; /* not Linux: nothing to compare */
#if !defined(__x86_64__) && !defined(__i386__) && !defined(__aarch64__)
  return;
#endif
  for (int i = 0; i < PIO_CPU_FEATURE_COUNT; i++) {
    char needle[64];
    snprintf(needle, sizeof needle, " %s ", kernel_flag((pio_cpu_feature)i));
    int kernel = strstr(flags, needle) != NULL;
#if defined(__x86_64__) || defined(__i386__)
    if (i >= PIO_CPU_NEON) kernel = 0;
#else
    if (i < PIO_CPU_NEON) kernel = 0;
#endif
    ck_assert_msg(pio_cpu_has((pio_cpu_feature)i) == kernel, "%s: pio says %d, kernel says %d",
                  pio_cpu_feature_name((pio_cpu_feature)i), pio_cpu_has((pio_cpu_feature)i),
                  kernel);
  }
}
END_TEST

START_TEST(test_intel_is_what_proc_cpuinfo_says) {
  char vendor[256];
  const int listed = read_cpuinfo_line("vendor_id", NULL, vendor, sizeof vendor) == 0;
  const int intel = listed && strstr(vendor, " GenuineIntel ") != NULL;
#if !defined(__x86_64__) && !defined(__i386__)
  ck_assert_int_eq(pio_cpu_is_intel(), 0);
  return;
#endif
  if (!listed) return; /* not Linux: nothing to compare */
  ck_assert_msg(pio_cpu_is_intel() == intel, "pio says Intel %d, /proc/cpuinfo says%s",
                pio_cpu_is_intel(), vendor);
  ck_assert_int_eq(pio_cpu_is_intel(), intel); /* the cached answer */
}
END_TEST

START_TEST(test_wider_features_imply_narrower_ones) {
  if (pio_cpu_has(PIO_CPU_AVX2)) ck_assert(pio_cpu_has(PIO_CPU_AVX));
  if (pio_cpu_has(PIO_CPU_AVX512BW)) ck_assert(pio_cpu_has(PIO_CPU_AVX512F));
  if (pio_cpu_has(PIO_CPU_AVX512F)) ck_assert(pio_cpu_has(PIO_CPU_AVX));
  if (pio_cpu_has(PIO_CPU_SVE2)) ck_assert(pio_cpu_has(PIO_CPU_SVE));
}
END_TEST

START_TEST(test_features_of_the_other_architecture_are_absent) {
  pio_cpu_features f = pio_cpu_detect();
#if defined(__x86_64__) || defined(__i386__)
  ck_assert(!(f & (1ull << PIO_CPU_NEON)));
  ck_assert(!(f & (1ull << PIO_CPU_SVE)));
#elif defined(__aarch64__)
  ck_assert(!(f & (1ull << PIO_CPU_AVX)));
#endif
  ck_assert((f >> PIO_CPU_FEATURE_COUNT) == 0);
}
END_TEST

static void *detect_in_thread(void *out) {
  *(pio_cpu_features *)out = pio_cpu_detect();
  return NULL;
}

START_TEST(test_detection_is_stable_across_threads) {
  pio_cpu_features seen[4];
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) ck_assert_int_eq(pthread_create(&threads[i], NULL, detect_in_thread, &seen[i]), 0);
  for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
  for (int i = 0; i < 4; i++) ck_assert(seen[i] == pio_cpu_detect());
}
END_TEST

START_TEST(test_feature_names_round_trip) {
  for (int i = 0; i < PIO_CPU_FEATURE_COUNT; i++) {
    pio_cpu_feature f;
    ck_assert_int_eq(pio_cpu_feature_parse(pio_cpu_feature_name((pio_cpu_feature)i), &f), 0);
    ck_assert_int_eq(f, i);
  }
  ck_assert_str_eq(pio_cpu_feature_name(PIO_CPU_AVX512_BF16), "avx512_bf16");
  ck_assert_str_eq(pio_cpu_feature_name(PIO_CPU_FEATURE_COUNT), "unknown");
}
END_TEST

START_TEST(test_amx_is_accepted_for_amx_tile) {
  pio_cpu_feature f;
  ck_assert_int_eq(pio_cpu_feature_parse("amx", &f), 0);
  ck_assert_int_eq(f, PIO_CPU_AMX_TILE);
}
END_TEST

START_TEST(test_unknown_feature_names_are_refused) {
  pio_cpu_feature f = PIO_CPU_AVX;
  ck_assert_int_eq(pio_cpu_feature_parse("avx9", &f), -1);
  ck_assert_int_eq(pio_cpu_feature_parse("AVX2", &f), -1);
  ck_assert_int_eq(pio_cpu_feature_parse("", &f), -1);
  ck_assert_int_eq(pio_cpu_feature_parse(NULL, &f), -1);
  ck_assert_int_eq(f, PIO_CPU_AVX);
}
END_TEST

START_TEST(test_out_of_range_feature_is_absent) {
  ck_assert_int_eq(pio_cpu_has(PIO_CPU_FEATURE_COUNT), 0);
  ck_assert_int_eq(pio_cpu_has((pio_cpu_feature)-1), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cpu");
  TCase *t = tcase_create("cpu");
  tcase_add_test(t, test_detected_features_match_proc_cpuinfo);
  tcase_add_test(t, test_intel_is_what_proc_cpuinfo_says);
  tcase_add_test(t, test_wider_features_imply_narrower_ones);
  tcase_add_test(t, test_features_of_the_other_architecture_are_absent);
  tcase_add_test(t, test_detection_is_stable_across_threads);
  tcase_add_test(t, test_feature_names_round_trip);
  tcase_add_test(t, test_amx_is_accepted_for_amx_tile);
  tcase_add_test(t, test_unknown_feature_names_are_refused);
  tcase_add_test(t, test_out_of_range_feature_is_absent);
  suite_add_tcase(s, t);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
