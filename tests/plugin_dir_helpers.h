/* tests/plugin_dir_helpers.h — temporary plugin folders made from copies of
 * the built fixtures, for the hostile cases that only exist at test time
 * (symlink escapes, writable files, shadowing).  Header-only: each test
 * program includes it once. */
#ifndef PIO_TEST_PLUGIN_DIR_HELPERS_H
#define PIO_TEST_PLUGIN_DIR_HELPERS_H

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PIO_TEST_FIXTURE_DIR
#error "PIO_TEST_FIXTURE_DIR must name build/tests/fixtures"
#endif

/* snprintf into a path buffer, asserting that the path fits. */
static void helper_path(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void helper_path(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  ck_assert_msg(n >= 0 && (size_t)n < size, "path too long: %s", buf);
}

static void helper_copy_file(const char *from, const char *to, mode_t mode) {
  FILE *in = fopen(from, "rb");
  ck_assert_msg(in != NULL, "cannot open %s", from);
  int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  ck_assert_msg(fd >= 0, "cannot create %s", to);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
  fclose(in);
  close(fd);
  chmod(to, mode); /* the umask must not decide */
}

/* Makes a fresh temporary folder (0755) into buf. */
static void helper_temp_dir(char *buf, size_t size) {
  helper_path(buf, size, "/tmp/pio-test-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(buf));
  chmod(buf, 0755);
}

/* Copies the built fixture `name` (manifest and module, when it has one)
 * into parent/as; returns nothing, asserts on failure. */
static void helper_copy_fixture(const char *name, const char *parent, const char *as) {
  char dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
  helper_path(dir, sizeof dir, "%s/%s", parent, as);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  chmod(dir, 0755);
  helper_path(from, sizeof from, "%s/%s/plugin_manifest.json", PIO_TEST_FIXTURE_DIR, name);
  helper_path(to, sizeof to, "%s/plugin_manifest.json", dir);
  helper_copy_file(from, to, 0644);
  helper_path(from, sizeof from, "%s/%s/fixture_%s.so", PIO_TEST_FIXTURE_DIR, name, name);
  if (access(from, F_OK) == 0) {
    helper_path(to, sizeof to, "%s/fixture_%s.so", dir, name);
    helper_copy_file(from, to, 0755);
  }
}

/* rm -rf path, for the temporary folders above. */
static void helper_remove_tree(const char *path) {
  char cmd[PATH_MAX + 32];
  if (strncmp(path, "/tmp/pio-test-", 14) != 0) return; /* never anything else */
  helper_path(cmd, sizeof cmd, "rm -rf '%s'", path);
  ck_assert_int_eq(system(cmd), 0);
}

#endif
