/* tests/test_fuzz_regressions.c — replays a fuzzer's seed corpus and its
 * kept crashing inputs (fuzz/regressions/TARGET/) through the fuzzer's own
 * harness, in the ordinary build (gcc, and the AddressSanitizer build), so
 * that a fixed bug stays fixed without clang or libFuzzer.  Built once per
 * target: FUZZ_TARGET names it, FUZZ_DIRS lists its folders (colon list),
 * and the harness fuzz/fuzz_TARGET.c is linked in.  Each input runs in its
 * own process (a Check loop test), so a crash names its file. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the fuzz target"
#endif
#ifndef FUZZ_DIRS
#error "FUZZ_DIRS must list the corpus folders"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char **files;
static size_t n_files;

static void add_file(const char *path) {
  char **grown = realloc(files, (n_files + 1) * sizeof *files);
  if (grown == NULL || (grown[n_files] = strdup(path)) == NULL) abort();
  files = grown;
  n_files++;
}

/* Every regular file of every folder in the colon list; a folder that does
 * not exist (no regressions kept yet) holds none. */
static void collect(const char *list) {
  char *copy = strdup(list);
  for (char *dir = strtok(copy, ":"); dir != NULL; dir = strtok(NULL, ":")) {
    DIR *d = opendir(dir);
    if (d == NULL) continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      add_file(path);
    }
    closedir(d);
  }
  free(copy);
}

START_TEST(test_input_replays_without_a_finding) {
  const char *path = files[_i];
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s: cannot open", path);
  uint8_t *data = malloc(1 << 22);
  size_t size = fread(data, 1, 1 << 22, f);
  fclose(f);
  fprintf(stderr, "replaying %s\n", path); /* the last one named crashed */
  ck_assert_int_eq(LLVMFuzzerTestOneInput(data, size), 0);
  free(data);
}
END_TEST

START_TEST(test_corpus_is_not_empty) {
  ck_assert_msg(n_files > 0, "no inputs found in %s", FUZZ_DIRS);
}
END_TEST

int main(void) {
  collect(FUZZ_DIRS);
  Suite *s = suite_create("fuzz_regressions_" FUZZ_TARGET);
  TCase *tc = tcase_create(FUZZ_TARGET);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_corpus_is_not_empty);
  tcase_add_loop_test(tc, test_input_replays_without_a_finding, 0, (int)n_files);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  for (size_t i = 0; i < n_files; i++) free(files[i]);
  free(files);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
