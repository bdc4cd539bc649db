/* sdk/src/generation_config.c — EOS ids and default sampling of a model
 * folder, as Transformers' GenerationConfig reads them. */
#include <stdio.h>
#include <string.h>

#include "pio/generation_config.h"
#include "pio/json.h"

static pio_status read_ids(const char *path, json_object *root, const char *key, int32_t *ids,
                           size_t *n, size_t max, pio_error *err) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(root, key, &v) || v == NULL) return PIO_OK;
  size_t count = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
  if (count > max)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: %s: more than %zu ids", path, key, max);
  *n = 0;
  for (size_t i = 0; i < count; i++) {
    json_object *x = json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v;
    int64_t id = json_object_get_int64(x);
    if (!json_object_is_type(x, json_type_int) || id < 0 || id > INT32_MAX)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: %s: expected a token id or a list of them, found %s", path, key,
                           pio_json_type_phrase(json_object_get_type(x)));
    ids[(*n)++] = (int32_t)id;
  }
  return PIO_OK;
}

static pio_status read_number(const char *path, json_object *root, const char *key, double min,
                              double max, double *out, pio_error *err) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(root, key, &v) || v == NULL) return PIO_OK;
  if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s: expected a number, found %s", path, key,
                         pio_json_type_phrase(json_object_get_type(v)));
  double x = json_object_get_double(v);
  if (!(x >= min && x <= max))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s: %g is outside [%g, %g]", path, key, x, min,
                         max);
  *out = x;
  return PIO_OK;
}

/* Opens dir/name when it is there: *root NULL when it is not. */
static pio_status open_json(const char *dir, const char *name, char *path, size_t size,
                            json_object **root, pio_error *err) {
  *root = NULL;
  snprintf(path, size, "%s/%s", dir, name);
  pio_status st = pio_json_parse_file(path, 4u << 20, 0, root, NULL, err);
  if (st == PIO_ERR_NOT_FOUND) return PIO_OK;
  if (st == PIO_OK && !json_object_is_type(*root, json_type_object)) {
    json_object_put(*root);
    *root = NULL;
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top", path);
  }
  return st;
}

static pio_status read_sampling(const char *path, json_object *g, pio_sampling *s, pio_error *err) {
  json_object *v = NULL;
  int do_sample = 0;
  if (json_object_object_get_ex(g, "do_sample", &v) && v != NULL) {
    if (!json_object_is_type(v, json_type_boolean))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: do_sample: expected true or false", path);
    do_sample = json_object_get_boolean(v);
  }
  if (!do_sample) return PIO_OK; /* greedy, whatever else is written */
  double temperature = 1.0, top_k = 50, top_p = 1.0, min_p = 0, penalty = 1.0;
  pio_status st;
  if ((st = read_number(path, g, "temperature", 0, 1e6, &temperature, err)) != PIO_OK ||
      (st = read_number(path, g, "top_k", 0, 1e9, &top_k, err)) != PIO_OK ||
      (st = read_number(path, g, "top_p", 1e-9, 1, &top_p, err)) != PIO_OK ||
      (st = read_number(path, g, "min_p", 0, 1, &min_p, err)) != PIO_OK ||
      (st = read_number(path, g, "repetition_penalty", 1e-9, 1e6, &penalty, err)) != PIO_OK)
    return st;
  s->temperature = temperature;
  s->top_k = (uint32_t)top_k;
  s->top_p = top_p;
  s->min_p = min_p;
  s->repeat_penalty = penalty;
  return PIO_OK;
}

pio_status pio_generation_config_read(const char *dir, pio_generation_config *out, pio_error *err) {
  memset(out, 0, sizeof *out);
  out->bos = -1;
  pio_sampling_defaults(&out->sampling);
  char gpath[4200], cpath[4200];
  json_object *g = NULL, *c = NULL;
  pio_status st = open_json(dir, "generation_config.json", gpath, sizeof gpath, &g, err);
  if (st == PIO_OK) st = open_json(dir, "config.json", cpath, sizeof cpath, &c, err);
  int32_t bos[1];
  size_t n_bos = 0;
  if (st == PIO_OK && c)
    st = read_ids(cpath, c, "eos_token_id", out->eos, &out->n_eos, PIO_GENERATION_MAX_EOS, err);
  if (st == PIO_OK && c) st = read_ids(cpath, c, "bos_token_id", bos, &n_bos, 1, err);
  if (st == PIO_OK && g) { /* generation_config.json's ids, when it has them, are the ones used */
    int32_t ids[PIO_GENERATION_MAX_EOS];
    size_t n = 0;
    st = read_ids(gpath, g, "eos_token_id", ids, &n, PIO_GENERATION_MAX_EOS, err);
    if (st == PIO_OK && n > 0) {
      memcpy(out->eos, ids, n * sizeof *ids);
      out->n_eos = n;
    }
    if (st == PIO_OK) st = read_ids(gpath, g, "bos_token_id", bos, &n_bos, 1, err);
    if (st == PIO_OK) st = read_sampling(gpath, g, &out->sampling, err);
    out->has_generation_config = 1;
  }
  if (n_bos) out->bos = bos[0];
  json_object_put(g);
  json_object_put(c);
  return st;
}
