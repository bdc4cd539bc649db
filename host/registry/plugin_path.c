/* host/registry/plugin_path.c — the plugin path: --plugin-path, PIO_PLUGIN_PATH, the
 * build tree (uninstalled binaries only), the installed folder and the
 * user's $XDG_DATA_HOME/pio/plugins, in that order, first wins. */
#include "registry/plugin_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "install_dirs.h"
#include "pio_host_config.h"

const char *plugin_path_source_name(plugin_path_source source) {
  switch (source) {
    case PLUGIN_PATH_COMMAND_LINE:
      return "--plugin-path";
    case PLUGIN_PATH_ENVIRONMENT:
      return "PIO_PLUGIN_PATH";
    case PLUGIN_PATH_BUILD_TREE:
      return "build tree";
    case PLUGIN_PATH_INSTALLED:
      return "installed";
    case PLUGIN_PATH_USER:
      return "user";
  }
  return "unknown";
}

int plugin_path_is_inside(const char *path, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  if (strncmp(path, dir, n) != 0) return 0;
  if (n == 1 && dir[0] == '/') return path[0] == '/';
  return path[n] == '\0' || path[n] == '/';
}

void plugin_path_clear(plugin_path *path) {
  if (path == NULL) return;
  for (size_t i = 0; i < path->count; i++) free(path->entries[i].dir);
  free(path->entries);
  path->entries = NULL;
  path->count = 0;
}

/* Absolute form of dir: its real path when it exists (so that duplicates
 * compare equal), else cwd/dir as written. */
static char *absolute_dir(const char *dir, const char *cwd) {
  char resolved[PATH_MAX];
  if (realpath(dir, resolved) != NULL) return strdup(resolved);
  if (dir[0] == '/' || cwd == NULL) return strdup(dir);
  char *joined = NULL;
  if (asprintf(&joined, "%s/%s", cwd, dir) < 0) return NULL;
  return joined;
}

static pio_status path_add(plugin_path *path, const char *dir, size_t dir_len,
                           plugin_path_source source, const char *cwd, pio_error *err) {
  if (dir_len == 0) return PIO_OK;
  char *copy = strndup(dir, dir_len);
  if (copy == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin path: out of memory");
  char *abs = absolute_dir(copy, cwd);
  free(copy);
  if (abs == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin path: out of memory");
  for (size_t i = 0; i < path->count; i++) {
    if (strcmp(path->entries[i].dir, abs) == 0) {
      free(abs); /* named before: the first place wins */
      return PIO_OK;
    }
  }
  plugin_path_entry *grown = realloc(path->entries, (path->count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(abs);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin path: out of memory");
  }
  path->entries = grown;
  path->entries[path->count].dir = abs;
  path->entries[path->count].source = source;
  path->count++;
  return PIO_OK;
}

static pio_status add_colon_list(plugin_path *path, const char *list, const char *cwd,
                                 pio_error *err) {
  const char *p = list;
  while (*p != '\0') {
    const char *end = strchr(p, ':');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    pio_status st = path_add(path, p, len, PLUGIN_PATH_ENVIRONMENT, cwd, err);
    if (st != PIO_OK) return st;
    p += len;
    if (*p == ':') p++;
  }
  return PIO_OK;
}

/* The build tree's plugins count only for a binary that lives inside that
 * build tree; an installed copy must not pick up a stale build folder. */
static int running_from_build_tree(const char *exe_path, const char *build_root) {
  if (exe_path == NULL || build_root == NULL) return 0;
  char root[PATH_MAX];
  if (realpath(build_root, root) == NULL) return 0;
  return plugin_path_is_inside(exe_path, root);
}

static pio_status add_user_dir(plugin_path *path, const plugin_path_inputs *in, pio_error *err) {
  char *dir = NULL;
  int n;
  if (in->xdg_data_home != NULL && in->xdg_data_home[0] == '/')
    n = asprintf(&dir, "%s/pio/plugins", in->xdg_data_home);
  else if (in->home != NULL && in->home[0] == '/')
    n = asprintf(&dir, "%s/.local/share/pio/plugins", in->home);
  else
    return PIO_OK;
  if (n < 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "plugin path: out of memory");
  pio_status st = path_add(path, dir, strlen(dir), PLUGIN_PATH_USER, in->cwd, err);
  free(dir);
  return st;
}

pio_status plugin_path_build(const plugin_path_inputs *in, plugin_path *out, pio_error *err) {
  plugin_path path = {NULL, 0};
  pio_status st = PIO_OK;
  for (size_t i = 0; st == PIO_OK && i < in->n_cli_dirs; i++) {
    const char *dir = in->cli_dirs[i];
    st = path_add(&path, dir, strlen(dir), PLUGIN_PATH_COMMAND_LINE, in->cwd, err);
  }
  if (st == PIO_OK && in->env_path != NULL) st = add_colon_list(&path, in->env_path, in->cwd, err);
  if (st == PIO_OK && in->build_plugin_dir != NULL &&
      running_from_build_tree(in->exe_path, in->build_root))
    st = path_add(&path, in->build_plugin_dir, strlen(in->build_plugin_dir), PLUGIN_PATH_BUILD_TREE,
                  in->cwd, err);
  if (st == PIO_OK && in->installed_dir != NULL)
    st = path_add(&path, in->installed_dir, strlen(in->installed_dir), PLUGIN_PATH_INSTALLED,
                  in->cwd, err);
  if (st == PIO_OK) st = add_user_dir(&path, in, err);
  if (st != PIO_OK) {
    plugin_path_clear(&path);
    return st;
  }
  *out = path;
  return PIO_OK;
}

pio_status plugin_path_from_options(const pio_registry_options *opts, plugin_path *out,
                                    pio_error *err) {
  char exe[PATH_MAX];
  char cwd[PATH_MAX];
  plugin_path_inputs in;
  memset(&in, 0, sizeof in);
  in.cli_dirs = opts->plugin_paths;
  in.n_cli_dirs = opts->plugin_paths != NULL ? opts->n_plugin_paths : 0;
  in.cwd = getcwd(cwd, sizeof cwd);
  if (!opts->skip_environment) in.env_path = getenv("PIO_PLUGIN_PATH");
  if (!opts->skip_default_paths) {
    in.exe_path = realpath("/proc/self/exe", exe);
    in.build_root = PIO_BUILD_ROOT;
    in.build_plugin_dir = PIO_BUILD_PLUGIN_DIR;
    in.installed_dir = install_dirs_get()->plugins;
    in.xdg_data_home = getenv("XDG_DATA_HOME");
    in.home = getenv("HOME");
  }
  return plugin_path_build(&in, out, err);
}
