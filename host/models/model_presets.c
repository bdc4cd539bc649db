/* host/models/model_presets.c — where model presets live (PIO_MODELS_PATH, the
 * source tree for uninstalled binaries, the installed share/pio/models),
 * finding one by name, and listing them all. */
#include "models/model_presets.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "install_dirs.h"
#include "pio/models.h"
#include "pio_host_config.h"

#define PRESET_NAME_MAX 128
#define PRESET_SUFFIX ".json"

void preset_dirs_free(preset_dirs *dirs) {
  if (dirs == NULL) return;
  for (size_t i = 0; i < dirs->count; i++) free(dirs->dirs[i]);
  free(dirs->dirs);
  dirs->dirs = NULL;
  dirs->count = 0;
}

/* Appends a copy of dir[0..len) unless empty or already there. */
static int dirs_add(preset_dirs *d, const char *dir, size_t len) {
  if (len == 0) return 0;
  char *copy = strndup(dir, len);
  if (copy == NULL) return -1;
  for (size_t i = 0; i < d->count; i++)
    if (strcmp(d->dirs[i], copy) == 0) {
      free(copy);
      return 0;
    }
  char **grown = realloc(d->dirs, (d->count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(copy);
    return -1;
  }
  d->dirs = grown;
  d->dirs[d->count++] = copy;
  return 0;
}

pio_status preset_dirs_get(preset_dirs *out, pio_error *err) {
  preset_dirs d = {NULL, 0};
  int failed = 0;
  const char *env = getenv("PIO_MODELS_PATH");
  for (const char *p = env; p != NULL && !failed;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    failed = dirs_add(&d, p, len) != 0;
    p = colon ? colon + 1 : NULL;
  }
  /* The source tree's presets serve only programs built in this tree, so
   * an installed pio never reads a stale checkout. */
  const install_dirs *here = install_dirs_get();
  if (!failed && here->build_tree)
    failed = dirs_add(&d, PIO_SOURCE_MODELS_DIR, strlen(PIO_SOURCE_MODELS_DIR)) != 0;
  if (!failed) failed = dirs_add(&d, here->models, strlen(here->models)) != 0;
  if (failed) {
    preset_dirs_free(&d);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model presets: out of memory");
  }
  *out = d;
  return PIO_OK;
}

int preset_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > PRESET_NAME_MAX || name[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    if (!ok) return 0;
  }
  return 1;
}

static int is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *exact_preset(const preset_dirs *dirs, const char *name) {
  for (size_t i = 0; i < dirs->count; i++) {
    char *path = NULL;
    if (asprintf(&path, "%s/%s%s", dirs->dirs[i], name, PRESET_SUFFIX) < 0) return NULL;
    if (is_regular_file(path)) return path;
    free(path);
  }
  return NULL;
}

/* The next character that counts in a spelling, lowered; '\0' at the end. */
static char next_counted(const char **p) {
  while (**p == '-' || **p == '_') (*p)++;
  char c = (char)tolower((unsigned char)**p);
  if (**p != '\0') (*p)++;
  return c;
}

int preset_same_spelling(const char *a, const char *b) {
  for (;;) {
    char x = next_counted(&a), y = next_counted(&b);
    if (x != y) return 0;
    if (x == '\0') return 1;
  }
}

/* The one preset spelt like name but for case, '-' and '_' (kvbench's
 * "llama3.1-8b" for llama-3.1-8b); NULL when none, or several, are. */
static char *respelt_preset(const preset_dirs *dirs, const char *name) {
  char **names = NULL;
  size_t count = 0;
  if (preset_names_in(dirs, &names, &count, NULL) != PIO_OK) return NULL;
  const char *match = NULL;
  size_t matches = 0;
  for (size_t i = 0; i < count; i++)
    if (preset_same_spelling(names[i], name)) {
      match = names[i];
      matches++;
    }
  char *path = matches == 1 ? exact_preset(dirs, match) : NULL;
  pio_model_preset_names_free(names, count);
  return path;
}

char *preset_find(const preset_dirs *dirs, const char *name) {
  char *path = exact_preset(dirs, name);
  if (path == NULL) path = respelt_preset(dirs, name);
  if (path == NULL) errno = ENOENT;
  return path;
}

/* The preset name of a directory entry, or 0 when it is not one. */
static int entry_preset_name(const char *file, char *name, size_t size) {
  size_t n = strlen(file), suffix = strlen(PRESET_SUFFIX);
  if (n <= suffix || strcmp(file + n - suffix, PRESET_SUFFIX) != 0) return 0;
  if (n - suffix >= size) return 0;
  memcpy(name, file, n - suffix);
  name[n - suffix] = '\0';
  return preset_name_valid(name);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds name to the list unless there (a later folder's copy is shadowed). */
static int names_add(char ***names, size_t *count, const char *name) {
  for (size_t i = 0; i < *count; i++)
    if (strcmp((*names)[i], name) == 0) return 0;
  char **grown = realloc(*names, (*count + 1) * sizeof *grown);
  if (grown == NULL) return -1;
  *names = grown;
  if ((grown[*count] = strdup(name)) == NULL) return -1;
  (*count)++;
  return 0;
}

pio_status preset_names_in(const preset_dirs *dirs, char ***names_out, size_t *count_out,
                           pio_error *err) {
  char **names = NULL;
  size_t count = 0;
  int failed = 0;
  for (size_t i = 0; i < dirs->count && !failed; i++) {
    DIR *dir = opendir(dirs->dirs[i]);
    if (dir == NULL) continue; /* a folder on the path need not exist */
    struct dirent *e;
    char name[PRESET_NAME_MAX + 1];
    while (!failed && (e = readdir(dir)) != NULL) {
      if (!entry_preset_name(e->d_name, name, sizeof name)) continue;
      char *path = NULL;
      if (asprintf(&path, "%s/%s", dirs->dirs[i], e->d_name) < 0) {
        failed = 1;
        break;
      }
      if (is_regular_file(path)) failed = names_add(&names, &count, name) != 0;
      free(path);
    }
    closedir(dir);
  }
  if (failed) {
    pio_model_preset_names_free(names, count);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model presets: out of memory");
  }
  if (count > 1) qsort(names, count, sizeof *names, compare_names);
  *names_out = names;
  *count_out = count;
  return PIO_OK;
}

void preset_list_text(const preset_dirs *dirs, char *out, size_t size) {
  char **names = NULL;
  size_t count = 0;
  if (size == 0) return;
  out[0] = '\0';
  if (preset_names_in(dirs, &names, &count, NULL) != PIO_OK || count == 0) {
    snprintf(out, size, "none");
    return;
  }
  size_t used = 0;
  for (size_t i = 0; i < count; i++) {
    const char *sep = i ? ", " : "";
    size_t need = strlen(sep) + strlen(names[i]);
    if (used + need + 6 > size) { /* keep room for ", ..." and the terminator */
      snprintf(out + used, size - used, "%s...", sep);
      break;
    }
    used += (size_t)snprintf(out + used, size - used, "%s%s", sep, names[i]);
  }
  pio_model_preset_names_free(names, count);
}

pio_status pio_model_preset_names(char ***names, size_t *count, pio_error *err) {
  if (names == NULL || count == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model presets: NULL output");
  preset_dirs dirs = {NULL, 0};
  pio_status s = preset_dirs_get(&dirs, err);
  if (s != PIO_OK) return s;
  s = preset_names_in(&dirs, names, count, err);
  preset_dirs_free(&dirs);
  return s;
}

void pio_model_preset_names_free(char **names, size_t count) {
  if (names == NULL) return;
  for (size_t i = 0; i < count; i++) free(names[i]);
  free(names);
}
