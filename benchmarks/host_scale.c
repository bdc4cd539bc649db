/* benchmarks/host_scale.c — scratch plugin folders, timed child processes
 * and cleanup for `pio-bench host` (see host_scale.h). */
#include "host_scale.h"
#include "pio/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* Plugin folders.                                                     */

static pio_status copy_file(const char *from, const char *to, pio_error *err) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return pio_error_set(err, PIO_ERR_IO, "%s: cannot open: %s", from, strerror(errno));
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (out < 0) {
    close(in);
    return pio_error_set(err, PIO_ERR_IO, "%s: cannot create: %s", to, strerror(errno));
  }
  char buf[65536];
  ssize_t got;
  pio_status s = PIO_OK;
  while ((got = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)got) != got) {
      s = pio_error_set(err, PIO_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
      break;
    }
  if (got < 0) s = pio_error_set(err, PIO_ERR_IO, "%s: cannot read: %s", from, strerror(errno));
  close(in);
  if (close(out) != 0 && s == PIO_OK)
    s = pio_error_set(err, PIO_ERR_IO, "%s: cannot write: %s", to, strerror(errno));
  return s;
}

/* The module file of source_dir: the one regular file that is not the
 * manifest (a built plugin folder holds the two). */
static pio_status find_module(const char *source_dir, char *name, size_t size, pio_error *err) {
  json_object *m = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/plugin_manifest.json", source_dir);
  m = json_object_from_file(path);
  json_object *entry = NULL, *module = NULL;
  if (m == NULL || !json_object_object_get_ex(m, "entry_point", &entry) ||
      !json_object_object_get_ex(entry, "module", &module) ||
      !json_object_is_type(module, json_type_string)) {
    json_object_put(m);
    return pio_error_set(err, PIO_ERR_INVALID, "%s: no entry_point.module to copy", path);
  }
  snprintf(name, size, "%s.so", json_object_get_string(module));
  json_object_put(m);
  snprintf(path, sizeof path, "%s/%s", source_dir, name);
  if (access(path, R_OK) != 0)
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "%s: the plugin's module is not there", path);
  return PIO_OK;
}

/* Writes source's manifest to path with "name" replaced (NULL: unchanged). */
static pio_status write_manifest(const char *source_dir, const char *path, const char *name,
                                 pio_error *err) {
  char from[4096];
  snprintf(from, sizeof from, "%s/plugin_manifest.json", source_dir);
  json_object *m = json_object_from_file(from);
  if (m == NULL) return pio_error_set(err, PIO_ERR_PARSE, "%s: cannot read", from);
  pio_json_build b = {0};
  if (name != NULL) pio_json_set(&b, m, "name", pio_json_text(&b, name));
  if (b.failed) {
    json_object_put(m);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  }
  int rc = json_object_to_file_ext(path, m, JSON_C_TO_STRING_PRETTY);
  json_object_put(m);
  if (rc != 0) return pio_error_set(err, PIO_ERR_IO, "%s: cannot write", path);
  return PIO_OK;
}

static pio_status make_one(const char *source_dir, const char *module, const char *base_name,
                           const char *plugins_dir, size_t i, pio_error *err) {
  char folder_name[160], dir[4096], path[4200], from[4200];
  if (i == 0) snprintf(folder_name, sizeof folder_name, "%s", base_name);
  else snprintf(folder_name, sizeof folder_name, "%s_copy_%05zu", base_name, i);
  snprintf(dir, sizeof dir, "%s/%s", plugins_dir, folder_name);
  if (mkdir(dir, 0755) != 0) {
    if (errno == EEXIST) return PIO_OK; /* made for a smaller N before */
    return pio_error_set(err, PIO_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
  }
  snprintf(path, sizeof path, "%s/plugin_manifest.json", dir);
  pio_status s = write_manifest(source_dir, path, i == 0 ? NULL : folder_name, err);
  if (s != PIO_OK) return s;
  snprintf(path, sizeof path, "%s/%s", dir, module);
  snprintf(from, sizeof from, "%s/%s", source_dir, module);
  if (link(from, path) == 0) return PIO_OK;
  return copy_file(from, path, err);
}

pio_status pio_host_scale_make_plugins(const char *source_dir, const char *plugins_dir, size_t n,
                                       pio_error *err) {
  char module[256];
  pio_status s = find_module(source_dir, module, sizeof module, err);
  if (s != PIO_OK) return s;
  if (mkdir(plugins_dir, 0755) != 0 && errno != EEXIST)
    return pio_error_set(err, PIO_ERR_IO, "%s: cannot create: %s", plugins_dir, strerror(errno));
  const char *slash = strrchr(source_dir, '/');
  const char *base_name = slash != NULL ? slash + 1 : source_dir;
  for (size_t i = 0; i < n && s == PIO_OK; i++)
    s = make_one(source_dir, module, base_name, plugins_dir, i, err);
  return s;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

int pio_host_scale_remove_tree(const char *path) {
  return nftw(path, remove_entry, 64, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ */
/* Environment and children.                                           */

static int is_dropped(const char *entry) {
  static const char *const dropped[] = {"PIO_PLUGIN_PATH=", "PIO_REGISTRY=", "GST_REGISTRY=",
                                        "GST_PLUGIN_PATH=", "XDG_DATA_HOME=", "XDG_CACHE_HOME="};
  for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
    if (strncmp(entry, dropped[i], strlen(dropped[i])) == 0) return 1;
  return 0;
}

char **pio_host_scale_env(const char *scratch) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **env = calloc(n + 3, sizeof *env);
  if (env == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!is_dropped(environ[i])) env[k++] = strdup(environ[i]);
  if (asprintf(&env[k++], "XDG_DATA_HOME=%s/data", scratch) < 0) env[k - 1] = NULL;
  if (asprintf(&env[k++], "XDG_CACHE_HOME=%s/cache", scratch) < 0) env[k - 1] = NULL;
  for (size_t i = 0; i < k; i++)
    if (env[i] == NULL) {
      pio_host_scale_env_free(env);
      return NULL;
    }
  return env;
}

char **pio_host_scale_env_with(char *const *env, const char *name, const char *value) {
  size_t n = 0, len = strlen(name);
  while (env[n] != NULL) n++;
  char **out = calloc(n + 2, sizeof *out);
  if (out == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!(strncmp(env[i], name, len) == 0 && env[i][len] == '=')) out[k++] = strdup(env[i]);
  if (asprintf(&out[k++], "%s=%s", name, value) < 0) out[k - 1] = NULL;
  for (size_t i = 0; i < k; i++)
    if (out[i] == NULL) {
      pio_host_scale_env_free(out);
      return NULL;
    }
  return out;
}

void pio_host_scale_env_free(char **env) {
  if (env == NULL) return;
  for (size_t i = 0; env[i] != NULL; i++) free(env[i]);
  free(env);
}

double pio_host_scale_time_command(char *const argv[], char *const env[],
                                   const char *stdout_path, int *exit_status, double *cpu) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
                                   stdout_path != NULL ? stdout_path : "/dev/null",
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  double start = pio_bench_now();
  int rc = posix_spawnp(&pid, argv[0], &actions, NULL, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return -1.0;
  }
  int status = 0;
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  double seconds = pio_bench_now() - start;
  if (cpu != NULL)
    *cpu = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec * 1e-6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec * 1e-6;
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return seconds;
}

void pio_host_scale_let_files_age(double seconds) {
  struct timespec t = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

/* The three stat() calls a listing must make for folder name: the folder,
 * its manifest and its module (each can change on its own). */
static void stat_folder(int dir_fd, const char *name, const char *module) {
  char path[4200];
  struct stat st;
  fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW);
  snprintf(path, sizeof path, "%s/plugin_manifest.json", name);
  fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW);
  snprintf(path, sizeof path, "%s/%s", name, module);
  fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW);
}

double pio_host_scale_time_stat_floor(const char *source_dir, const char *plugins_dir) {
  char module[256];
  pio_error ignored;
  if (find_module(source_dir, module, sizeof module, &ignored) != PIO_OK) return -1;
  double start = pio_bench_now();
  DIR *d = opendir(plugins_dir);
  if (d == NULL) return -1;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL)
    if (ent->d_name[0] != '.') stat_folder(dirfd(d), ent->d_name, module);
  closedir(d);
  return pio_bench_now() - start;
}
