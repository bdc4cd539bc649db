/* sdk/src/safetensors_index.c — the weights of a model folder: the shards
 * that model.safetensors.index.json names (each must exist, stay inside the
 * folder and hold the tensors the index places there), else
 * model.safetensors, else the folder's only *.safetensors file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pio/json.h"
#include "safetensors_internal.h"

#define INDEX_NAME "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"
#define INDEX_MAX_BYTES (64u << 20)
#define QUOTE_MAX 160

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  if (path != NULL) snprintf(path, n, "%s/%s", dir, name);
  return path;
}

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A shard must be a plain file name inside the folder: no separator, no
 * "." or "..", so an index cannot point outside the model. */
static int is_plain_name(const char *name) {
  return name[0] != '\0' && strchr(name, '/') == NULL && strchr(name, '\\') == NULL &&
         strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static pio_status weight_map_of(const char *index_path, json_object *root, json_object **map,
                                pio_error *err) {
  if (!json_object_is_type(root, json_type_object) ||
      !json_object_object_get_ex(root, "weight_map", map) ||
      !json_object_is_type(*map, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected an object with a 'weight_map' object",
                         index_path);
  if (json_object_object_length(*map) == 0)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: weight_map is empty: the index names no tensor and no shard",
                         index_path);
  char qt[QUOTE_MAX], qs[QUOTE_MAX];
  json_object_object_foreach(*map, tensor, shard) {
    if (!json_object_is_type(shard, json_type_string))
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: weight_map: tensor %s: expected a shard file name, found %s",
                           index_path, pio_json_quote(tensor, qt, sizeof qt),
                           pio_json_type_phrase(json_object_get_type(shard)));
    if (!is_plain_name(json_object_get_string(shard)))
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: weight_map: tensor %s: shard %s is not a plain file name in the "
                           "model folder",
                           index_path, pio_json_quote(tensor, qt, sizeof qt),
                           pio_json_quote(json_object_get_string(shard), qs, sizeof qs));
  }
  return PIO_OK;
}

/* Opens every distinct shard the map names, in the order first named. */
static pio_status open_shards(pio_safetensors *set, const char *dir, const char *index_path,
                              json_object *map, pio_error *err) {
  char qt[QUOTE_MAX], qs[QUOTE_MAX];
  json_object_object_foreach(map, tensor, shard_value) {
    const char *shard = json_object_get_string(shard_value);
    char *path = join(dir, shard);
    if (path == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", dir);
    int seen = 0;
    for (size_t i = 0; i < set->n_files && !seen; i++) seen = strcmp(set->files[i].path, path) == 0;
    pio_status status = seen ? PIO_OK : pio_st_add_file(set, path, err);
    free(path);
    if (status != PIO_OK)
      return pio_error_prefix(err, "%s names shard %s for tensor %s", index_path,
                              pio_json_quote(shard, qs, sizeof qs),
                              pio_json_quote(tensor, qt, sizeof qt));
  }
  return PIO_OK;
}

/* Every tensor of the map is in the shard the map says. */
static pio_status check_placement(pio_safetensors *set, const char *dir, const char *index_path,
                                  json_object *map, pio_error *err) {
  char qt[QUOTE_MAX];
  json_object_object_foreach(map, tensor, shard_value) {
    char *path = join(dir, json_object_get_string(shard_value));
    if (path == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", dir);
    const pio_tensor_info *info = pio_safetensors_find(set, tensor);
    int placed = info != NULL && strcmp(info->file, path) == 0;
    pio_status status = PIO_OK;
    if (!placed)
      status = pio_error_set(err, PIO_ERR_NOT_FOUND, "%s: tensor %s: the index places it in %s, %s",
                             index_path, pio_json_quote(tensor, qt, sizeof qt), path,
                             info == NULL ? "but no shard holds it" : "but it is elsewhere");
    free(path);
    if (status != PIO_OK) return status;
  }
  return PIO_OK;
}

static pio_status open_index(pio_safetensors *set, const char *dir, const char *index_path,
                             pio_error *err) {
  json_object *root = NULL, *map = NULL;
  pio_status status = pio_json_parse_file(index_path, INDEX_MAX_BYTES, 16, &root, NULL, err);
  if (status != PIO_OK) return status;
  status = weight_map_of(index_path, root, &map, err);
  if (status == PIO_OK) status = open_shards(set, dir, index_path, map, err);
  if (status == PIO_OK) status = pio_st_complete(set, err);
  if (status == PIO_OK) status = check_placement(set, dir, index_path, map, err);
  json_object_put(root);
  return status;
}

static int has_suffix(const char *name, const char *suffix) {
  size_t n = strlen(name), s = strlen(suffix);
  return n > s && strcmp(name + n - s, suffix) == 0;
}

/* The folder's only *.safetensors file, as a new path (caller frees). */
static pio_status only_safetensors(const char *dir, char **out, pio_error *err) {
  *out = NULL;
  DIR *d = opendir(dir);
  if (d == NULL)
    return pio_error_set(err, errno == ENOENT ? PIO_ERR_NOT_FOUND : PIO_ERR_IO,
                         "%s: cannot open the model folder: %s", dir, strerror(errno));
  size_t found = 0;
  char first[256] = "", second[256] = "";
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (!has_suffix(e->d_name, ".safetensors")) continue;
    snprintf(found == 0 ? first : second, sizeof first, "%s", e->d_name);
    found++;
  }
  closedir(d);
  if (found == 0)
    return pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "%s: no " INDEX_NAME ", no " SINGLE_NAME " and no other *.safetensors file",
                         dir);
  if (found > 1)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: %zu *.safetensors files (%s, %s, ...) but no " INDEX_NAME
                         " to say which to use",
                         dir, found, first, second);
  *out = join(dir, first);
  return *out != NULL ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", dir);
}

static pio_status open_dir_into(pio_safetensors *set, const char *dir, pio_error *err) {
  char *index_path = join(dir, INDEX_NAME), *single = join(dir, SINGLE_NAME);
  pio_status status = PIO_OK;
  if (index_path == NULL || single == NULL) {
    status = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", dir);
  } else if (is_file(index_path)) {
    status = open_index(set, dir, index_path, err);
  } else {
    char *path = NULL;
    if (is_file(single)) path = strdup(single);
    else status = only_safetensors(dir, &path, err);
    if (status == PIO_OK && path == NULL)
      status = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", dir);
    if (status == PIO_OK) status = pio_st_add_file(set, path, err);
    if (status == PIO_OK) status = pio_st_complete(set, err);
    free(path);
  }
  free(index_path);
  free(single);
  return status;
}

pio_status pio_safetensors_open_dir(const char *dir, pio_safetensors **out, pio_error *err) {
  return pio_safetensors_open_dir_with(dir, PIO_SAFETENSORS_MAP, out, err);
}

pio_status pio_safetensors_open_dir_with(const char *dir, pio_safetensors_load load,
                                         pio_safetensors **out, pio_error *err) {
  if (dir == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "safetensors: dir or out is NULL");
  *out = NULL;
  if (load != PIO_SAFETENSORS_MAP && load != PIO_SAFETENSORS_READ)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "safetensors: unknown load %d",
                         (int)load);
  pio_safetensors *set = NULL;
  pio_status status = pio_st_create(dir, load, &set, err);
  if (status == PIO_OK) status = open_dir_into(set, dir, err);
  if (status != PIO_OK) {
    pio_safetensors_close(set);
    return status;
  }
  *out = set;
  return PIO_OK;
}
