/* host/models/models.c — resolving a model name (a preset, or a Hugging Face model
 * folder) to its config.json, its architecture and the plugin that serves
 * it (pio/models.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/model_presets.h"
#include "pio/json.h"
#include "pio/models.h"

/* config.json is small; these bound what a hostile file can cost. */
#define CONFIG_MAX_BYTES (4u << 20)
#define CONFIG_MAX_DEPTH 64

void pio_resolved_model_clear(pio_resolved_model *m) {
  if (m == NULL) return;
  free(m->name);
  free(m->config_path);
  free(m->weights_dir);
  free(m->architecture);
  memset(m, 0, sizeof *m);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A name is a path when it says so (a '/', or "." / ".."); a bare name is
 * a preset first, and a folder of that name only when no preset has it, so
 * `./llama-3.1-8b` reaches a folder that shadows a preset. */
static int looks_like_path(const char *model) {
  return strchr(model, '/') != NULL || strcmp(model, ".") == 0 || strcmp(model, "..") == 0;
}

/* The first entry of config.json's "architectures", copied into *out. */
static pio_status read_architecture(const char *path, char **out, pio_error *err) {
  json_object *root = NULL;
  pio_json_positions *positions = NULL;
  pio_status s =
      pio_json_parse_file(path, CONFIG_MAX_BYTES, CONFIG_MAX_DEPTH, &root, &positions, err);
  if (s != PIO_OK) return s;
  json_object *list = NULL;
  int line = 0, column = 0;
  if (!json_object_is_type(root, json_type_object)) {
    s = pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top, found %s", path,
                      pio_json_type_phrase(json_object_get_type(root)));
  } else if (!json_object_object_get_ex(root, "architectures", &list)) {
    s = pio_error_set(err, PIO_ERR_INVALID,
                      "%s: missing required field 'architectures' "
                      "(the model class, e.g. [\"LlamaForCausalLM\"]; it picks the plugin)",
                      path);
  } else if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0 ||
             !json_object_is_type(json_object_array_get_idx(list, 0), json_type_string)) {
    pio_json_position(positions, root, "architectures", &line, &column);
    s = pio_error_set(
        err, PIO_ERR_INVALID,
        "%s:%d:%d: field 'architectures': expected a "
        "non-empty array of strings, found %s",
        path, line, column,
        json_object_is_type(list, json_type_array)
            ? (json_object_array_length(list) == 0 ? "an empty array" : "an array not of strings")
            : pio_json_type_phrase(json_object_get_type(list)));
  } else if ((*out = strdup(json_object_get_string(json_object_array_get_idx(list, 0)))) == NULL) {
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  }
  json_object_put(root);
  pio_json_positions_free(positions);
  return s;
}

/* "a (Arch), b (Arch)" for the plugins a registry found. */
static void plugins_text(const pio_registry *registry, char *out, size_t size) {
  size_t used = 0, n = pio_registry_count(registry);
  out[0] = '\0';
  for (size_t i = 0; i < n && used + 8 < size; i++) {
    const pio_plugin_record *r = pio_registry_at(registry, i);
    if (r->state == PIO_PLUGIN_SHADOWED) continue;
    int w = snprintf(out + used, size - used, "%s%s (%s)", used ? ", " : "", r->name,
                     r->model_architecture[0] ? r->model_architecture : "?");
    if (w < 0 || (size_t)w >= size - used) break;
    used += (size_t)w;
  }
  if (used == 0) snprintf(out, size, "none");
}

/* The record serving architecture, or an error that says why none can. */
static pio_status find_plugin(const pio_registry *registry, const char *architecture,
                              const char *config_path, const pio_plugin_record **out,
                              pio_error *err) {
  const pio_plugin_record *r = pio_registry_find_architecture(registry, architecture);
  if (r != NULL) {
    *out = r;
    return PIO_OK;
  }
  char arch[256];
  pio_json_quote(architecture, arch, sizeof arch);
  /* A plugin that would serve it but cannot run: say which and why. */
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    r = pio_registry_at(registry, i);
    if (r->state == PIO_PLUGIN_SHADOWED || !pio_plugin_record_serves(r, architecture)) continue;
    return pio_error_set(
        err, r->state == PIO_PLUGIN_INCOMPATIBLE ? PIO_ERR_INCOMPATIBLE : PIO_ERR_LOAD,
        "%s: architecture %s is served by plugin '%s' (%s), which is %s: %s", config_path, arch,
        r->name, r->dir, pio_plugin_state_name(r->state), r->reason);
  }
  /* A folder that could not be read may hold it: say why it was not. */
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    r = pio_registry_at(registry, i);
    if (pio_plugin_record_unread(r))
      return pio_error_set(err, PIO_ERR_IO,
                           "%s: no plugin read serves architecture %s; the plugin folder %s "
                           "could not be read: %s",
                           config_path, arch, r->dir, r->reason);
  }
  char found[512];
  plugins_text(registry, found, sizeof found);
  return pio_error_set(err, PIO_ERR_NOT_FOUND,
                       "%s: no plugin serves architecture %s "
                       "(plugins found: %s); add a plugin folder whose manifest has "
                       "\"model_architecture\": %s",
                       config_path, arch, found, arch);
}

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A config file named where a folder may be: its folder holds the weights
 * when the file is that folder's config.json (a Hugging Face folder named
 * by its config); any other JSON file is a config alone, like a preset. */
static pio_status resolve_config_file(const char *model, const char *real,
                                      pio_resolved_model *out, pio_error *err) {
  if ((out->config_path = strdup(real)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
  const char *slash = strrchr(real, '/');
  if (slash != NULL && strcmp(slash + 1, "config.json") == 0 &&
      (out->weights_dir = strndup(real, (size_t)(slash - real))) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
  return PIO_OK;
}

/* Fills the name, config and weights fields of out for a folder, or for a
 * config file named instead of its folder. */
static pio_status resolve_folder(const char *model, pio_resolved_model *out, pio_error *err) {
  char dir[PATH_MAX];
  if (realpath(model, dir) == NULL)
    return pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "model '%s': %s; a model is a preset name, "
                         "a Hugging Face model folder holding config.json, or that config.json",
                         model, strerror(errno));
  if (is_file(dir)) return resolve_config_file(model, dir, out, err);
  if (!is_dir(dir))
    return pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "model '%s': neither a folder nor a file; a model is a "
                         "preset name, a Hugging Face model folder holding config.json, or "
                         "that config.json",
                         model);
  if (asprintf(&out->config_path, "%s/config.json", dir) < 0) {
    out->config_path = NULL;
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
  }
  if (!is_file(out->config_path))
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "model '%s': folder %s holds no config.json",
                         model, dir);
  if ((out->weights_dir = strdup(dir)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
  return PIO_OK;
}

/* "; did you mean 'NAME'?" for the preset nearest to model, or "". */
static void nearest_preset(const preset_dirs *dirs, const char *model, char *out, size_t size) {
  char **names = NULL;
  size_t count = 0;
  out[0] = '\0';
  if (preset_names_in(dirs, &names, &count, NULL) != PIO_OK) return;
  const char *near = pio_suggest(model, (const char *const *)names, count);
  if (near != NULL) snprintf(out, size, " (did you mean '%s'?)", near);
  pio_model_preset_names_free(names, count);
}

/* Finds the preset, or reports every place searched and every preset. */
static pio_status resolve_preset(const char *model, pio_resolved_model *out, pio_error *err) {
  preset_dirs dirs = {NULL, 0};
  pio_status s = preset_dirs_get(&dirs, err);
  if (s != PIO_OK) return s;
  char *path = preset_name_valid(model) ? preset_find(&dirs, model) : NULL;
  if (path != NULL) {
    char real[PATH_MAX];
    out->config_path = realpath(path, real) ? strdup(real) : strdup(path);
    free(path);
    preset_dirs_free(&dirs);
    if (out->config_path == NULL)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
    return PIO_OK;
  }
  if (is_dir(model) || is_file(model)) { /* a folder (or config) named like no preset */
    preset_dirs_free(&dirs);
    return resolve_folder(model, out, err);
  }
  char names[512], searched[512] = "", hint[200] = "";
  preset_list_text(&dirs, names, sizeof names);
  nearest_preset(&dirs, model, hint, sizeof hint);
  for (size_t i = 0, used = 0; i < dirs.count; i++) {
    int w = snprintf(searched + used, sizeof searched - used, "%s%s", i ? ":" : "", dirs.dirs[i]);
    if (w < 0 || (size_t)w >= sizeof searched - used) break;
    used += (size_t)w;
  }
  preset_dirs_free(&dirs);
  char quoted[200];
  return pio_error_set(err, PIO_ERR_NOT_FOUND,
                       "unknown model %s%s: not a preset (known "
                       "presets: %s; searched %s, PIO_MODELS_PATH adds folders) and not a "
                       "folder holding config.json",
                       pio_json_quote(model, quoted, sizeof quoted), hint, names, searched);
}

pio_status pio_model_resolve(const pio_registry *registry, const char *model,
                             pio_resolved_model *out, pio_error *err) {
  if (registry == NULL || model == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model resolve: NULL argument");
  memset(out, 0, sizeof *out);
  if (model[0] == '\0') return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model name is empty");
  pio_status s;
  if ((out->name = strdup(model)) == NULL)
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "model '%s': out of memory", model);
  else if (looks_like_path(model))
    s = resolve_folder(model, out, err);
  else
    s = resolve_preset(model, out, err);
  if (s == PIO_OK) s = read_architecture(out->config_path, &out->architecture, err);
  if (s == PIO_OK)
    s = find_plugin(registry, out->architecture, out->config_path, &out->record, err);
  if (s != PIO_OK) pio_resolved_model_clear(out);
  return s;
}
