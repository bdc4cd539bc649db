/* host/load/module_check.c — module file security: plain name, resolved inside
 * the plugin folder, regular file, not writable by others nor by a group
 * other than the user's or root's, trusted owner; for a load, those checks
 * made on the open file that is then loaded. */
#include "load/module_check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/plugin_path.h"

pio_status module_check_name(const char *module, pio_error *err) {
  if (module == NULL || module[0] == '\0')
    return pio_error_set(err, PIO_ERR_INVALID,
                         "entry_point.module: expected a file name, found \"\"");
  if (strchr(module, '/') != NULL)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "entry_point.module: expected a plain file name inside the plugin "
                         "folder, found \"%s\" (contains '/')",
                         module);
  if (strstr(module, "..") != NULL)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "entry_point.module: expected a plain file name inside the plugin "
                         "folder, found \"%s\" (contains \"..\")",
                         module);
  if (strlen(module) > NAME_MAX - 3)
    return pio_error_set(err, PIO_ERR_INVALID, "entry_point.module: name longer than %d bytes",
                         NAME_MAX - 3);
  return PIO_OK;
}

/* A group whose members are only people the user already trusts: the
 * user's own effective group (with user-private groups, a umask of 002
 * makes every file group-writable by that group alone) or root's. */
static int trusted_group(gid_t gid) { return gid == getegid() || gid == 0; }

/* Refuses what another local user could have replaced: writable by others
 * (a sticky folder still lets others add files), writable by a group that
 * is not trusted_group(), owned by someone other than root or the user. */
static pio_status check_trust(const char *what, const char *path, const struct stat *st,
                              pio_error *err) {
  if (st->st_mode & S_IWOTH)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s %s is writable by others (mode %04o); run chmod o-w on it", what, path,
                         (unsigned)(st->st_mode & 07777));
  if ((st->st_mode & S_IWGRP) && !trusted_group(st->st_gid))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s %s is writable by its group, gid %u (mode %04o), which is neither "
                         "the current user's group (gid %u) nor root's; run chmod g-w on it",
                         what, path, (unsigned)st->st_gid, (unsigned)(st->st_mode & 07777),
                         (unsigned)getegid());
  if (st->st_uid != 0 && st->st_uid != geteuid())
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s %s is owned by uid %u, expected root or uid %u (the current user)",
                         what, path, (unsigned)st->st_uid, (unsigned)geteuid());
  return PIO_OK;
}

/* What check_file does with the file it accepts. */
typedef enum { CHECK_STAT, CHECK_OPEN } check_mode;

/* The resolved file, stat'ed or opened: opened, the checks look at the
 * descriptor, so that what passed them is what is loaded.  O_NOFOLLOW: a
 * link put at the resolved path after realpath is refused, not followed;
 * O_NONBLOCK: a FIFO there does not block. */
static pio_status take_file(const char *resolved, check_mode mode, module_file *out,
                            pio_error *err) {
  out->fd = -1;
  if (mode == CHECK_STAT) {
    if (stat(resolved, &out->st) == 0) return PIO_OK;
  } else {
    out->fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (out->fd >= 0 && fstat(out->fd, &out->st) == 0) return PIO_OK;
  }
  pio_status st = pio_error_set(err, PIO_ERR_IO, "module %s: %s", resolved, strerror(errno));
  if (out->fd >= 0) close(out->fd);
  out->fd = -1;
  return st;
}

/* Checks one candidate file.  PIO_ERR_NOT_FOUND when it does not exist. */
static pio_status check_file(const char *real_dir, const char *file_name, check_mode mode,
                             module_file *out, pio_error *err) {
  char *candidate = NULL;
  if (asprintf(&candidate, "%s/%s", real_dir, file_name) < 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "module check: out of memory");
  struct stat lst;
  if (lstat(candidate, &lst) != 0) {
    int e = errno;
    free(candidate);
    return pio_error_set(err, e == ENOENT ? PIO_ERR_NOT_FOUND : PIO_ERR_IO, "module %s/%s: %s",
                         real_dir, file_name, strerror(e));
  }
  char resolved[PATH_MAX];
  if (realpath(candidate, resolved) == NULL) {
    pio_status st = pio_error_set(err, PIO_ERR_INVALID, "module %s is a dangling symlink: %s",
                                  candidate, strerror(errno));
    free(candidate);
    return st;
  }
  if (!plugin_path_is_inside(resolved, real_dir) || strcmp(resolved, real_dir) == 0) {
    pio_status st = pio_error_set(err, PIO_ERR_INVALID,
                                  "module %s resolves to %s, outside the plugin folder %s",
                                  candidate, resolved, real_dir);
    free(candidate);
    return st;
  }
  free(candidate);
  module_file file = {NULL, NULL, -1, {0}};
  pio_status status = take_file(resolved, mode, &file, err);
  if (status != PIO_OK) return status;
  if (!S_ISREG(file.st.st_mode))
    status = pio_error_set(err, PIO_ERR_INVALID, "module %s is not a regular file", resolved);
  if (status == PIO_OK) status = check_trust("module", resolved, &file.st, err);
  if (status == PIO_OK && (file.path = strdup(resolved)) == NULL)
    status = pio_error_set(err, PIO_ERR_NO_MEMORY, "module check: out of memory");
  if (status != PIO_OK) {
    module_file_close(&file);
    return status;
  }
  *out = file;
  return PIO_OK;
}

/* The dlname='...' line of a libtool archive: the shared object libltdl
 * would open.  Returns a malloc'd name, or NULL with err filled. */
static char *libtool_dlname(const char *la_path, pio_error *err) {
  FILE *f = fopen(la_path, "r");
  if (f == NULL) {
    pio_error_set(err, PIO_ERR_IO, "module %s: %s", la_path, strerror(errno));
    return NULL;
  }
  char line[1024];
  char *name = NULL;
  while (name == NULL && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "dlname='", 8) != 0) continue;
    char *end = strchr(line + 8, '\'');
    if (end != NULL && end > line + 8) name = strndup(line + 8, (size_t)(end - (line + 8)));
  }
  fclose(f);
  if (name == NULL)
    pio_error_set(err, PIO_ERR_INVALID, "libtool archive %s names no dlname", la_path);
  return name;
}

/* A .la file: check the archive itself, then the object it names, which
 * must also be a plain name in the same folder.  The object is what gets
 * opened, so that libltdl cannot follow the archive's libdir elsewhere. */
static pio_status resolve_libtool_archive(const char *real_dir, const char *la_path,
                                          check_mode mode, module_file *out, pio_error *err) {
  char *dlname = libtool_dlname(la_path, err);
  if (dlname == NULL) return err != NULL ? err->code : PIO_ERR_INVALID;
  pio_status st = module_check_name(dlname, err);
  if (st != PIO_OK) {
    pio_error_prefix(err, "libtool archive %s: dlname", la_path);
  } else {
    st = check_file(real_dir, dlname, mode, out, err);
  }
  free(dlname);
  return st;
}

static pio_status check_folder(const char *dir, char *real_dir, pio_error *err) {
  if (realpath(dir, real_dir) == NULL)
    return pio_error_set(err, PIO_ERR_IO, "plugin folder %s: %s", dir, strerror(errno));
  struct stat st;
  if (stat(real_dir, &st) != 0)
    return pio_error_set(err, PIO_ERR_IO, "plugin folder %s: %s", real_dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return pio_error_set(err, PIO_ERR_INVALID, "plugin folder %s is not a folder", real_dir);
  return check_trust("plugin folder", real_dir, &st, err);
}

static pio_status find_module(const char *dir, const char *module, check_mode mode,
                              module_file *out, pio_error *err) {
  *out = (module_file){NULL, NULL, -1, {0}};
  pio_status st = module_check_name(module, err);
  if (st != PIO_OK) return st;
  char real_dir[PATH_MAX];
  st = check_folder(dir, real_dir, err);
  if (st != PIO_OK) return st;

  char so_name[NAME_MAX + 1];
  snprintf(so_name, sizeof so_name, "%s.so", module);
  st = check_file(real_dir, so_name, mode, out, err);
  if (st != PIO_ERR_NOT_FOUND) return st;

  char la_name[NAME_MAX + 1];
  snprintf(la_name, sizeof la_name, "%s.la", module);
  module_file la;
  st = check_file(real_dir, la_name, CHECK_STAT, &la, err);
  if (st == PIO_ERR_NOT_FOUND)
    return pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "module not found: looked for %s and %s in %s (is the plugin built?)",
                         so_name, la_name, real_dir);
  if (st != PIO_OK) return st;
  st = resolve_libtool_archive(real_dir, la.path, mode, out, err);
  if (st == PIO_OK) {
    out->archive = la.path; /* the archive is keyed too: editing it changes the module */
    la.path = NULL;
  }
  module_file_close(&la);
  return st;
}

pio_status module_resolve(const char *dir, const char *module, module_file *out, pio_error *err) {
  return find_module(dir, module, CHECK_STAT, out, err);
}

pio_status module_open(const char *dir, const char *module, module_file *out, pio_error *err) {
  return find_module(dir, module, CHECK_OPEN, out, err);
}

void module_file_close(module_file *m) {
  if (m == NULL) return;
  free(m->path);
  free(m->archive);
  if (m->fd >= 0) close(m->fd);
  *m = (module_file){NULL, NULL, -1, {0}};
}
