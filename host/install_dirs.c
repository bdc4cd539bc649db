/* host/install_dirs.c — the build tree and the installed tree of this pio,
 * found from where its code runs (see install_dirs.h). */
#include "install_dirs.h"

#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio_host_config.h"
#include "registry/plugin_path.h"

static install_dirs dirs;
static char plugins_dir[PATH_MAX], models_dir[PATH_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Looks for the loaded object whose segments hold want. */
typedef struct code_search {
  const void *want;
  int found, is_program;
  char name[PATH_MAX];
} code_search;

static int holds_code(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size;
  code_search *s = ctx;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type != PT_LOAD || (uintptr_t)s->want < start ||
        (uintptr_t)s->want >= start + ph->p_memsz)
      continue;
    s->found = 1;
    s->is_program = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
    snprintf(s->name, sizeof s->name, "%s", s->is_program ? "" : info->dlpi_name);
    return 1;
  }
  return 0;
}

/* The real path of the file holding this code, and whether it is the
 * running program itself (libpio-host linked in statically).  The loader's
 * list of objects says which; dladdr would name the program by argv[0]. */
static int code_file(char *out, int *is_program) {
  code_search s;
  memset(&s, 0, sizeof s);
  s.want = &dirs; /* data of this file: in the same object as its code */
  if (dl_iterate_phdr(holds_code, &s) == 0 || !s.found) return -1;
  *is_program = s.is_program;
  return realpath(s.is_program ? "/proc/self/exe" : s.name, out) != NULL ? 0 : -1;
}

/* prefix/sub into out[PATH_MAX], the prefix being the folder of file
 * climbed up by up ("..", "../..": the configured folder's depth below the
 * prefix).  -1 when it does not fit. */
static int below_prefix(const char *file, const char *up, const char *sub, char *out) {
  const char *slash = strrchr(file, '/');
  int folder_len = slash != NULL ? (int)(slash - file) : 0;
  char joined[PATH_MAX];
  int n = snprintf(joined, sizeof joined, "%.*s/%s/%s", folder_len, file, up, sub);
  if (n < 0 || (size_t)n >= sizeof joined) return -1;
  if (realpath(joined, out) == NULL) memcpy(out, joined, (size_t)n + 1); /* not there (yet) */
  return 0;
}

static void find_dirs(void) {
  char exe[PATH_MAX], root[PATH_MAX], code[PATH_MAX];
  dirs.build_tree = realpath("/proc/self/exe", exe) != NULL &&
                    realpath(PIO_BUILD_ROOT, root) != NULL && plugin_path_is_inside(exe, root);
  dirs.plugins = PIO_INSTALLED_PLUGIN_DIR;
  dirs.models = PIO_INSTALLED_MODELS_DIR;
  int is_program = 0;
  if (dirs.build_tree || !PIO_INSTALL_RELOCATABLE || code_file(code, &is_program) != 0) return;
  const char *up = is_program ? PIO_INSTALL_BINDIR_UP : PIO_INSTALL_LIBDIR_UP;
  if (below_prefix(code, up, PIO_INSTALL_PLUGIN_SUBDIR, plugins_dir) != 0 ||
      below_prefix(code, up, PIO_INSTALL_MODELS_SUBDIR, models_dir) != 0)
    return;
  dirs.plugins = plugins_dir;
  dirs.models = models_dir;
}

const install_dirs *install_dirs_get(void) {
  pthread_once(&once, find_dirs);
  return &dirs;
}
