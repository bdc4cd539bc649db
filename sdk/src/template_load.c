/* sdk/src/template_load.c — a model folder's chat template and special
 * tokens, found where Transformers looks: chat_template.jinja, else
 * tokenizer_config.json's chat_template (a string, or a list of named
 * templates of which "default" is used). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "template_internal.h"

#define CONFIG_MAX_BYTES (64u << 20)

static int join_path(char *out, size_t size, const char *dir, const char *name) {
  int n = snprintf(out, size, "%s/%s", dir, name);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static pio_status read_file(const char *path, char **text, size_t *len, pio_error *err) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return pio_error_set(err, errno == ENOENT ? PIO_ERR_NOT_FOUND : PIO_ERR_IO, "%s: %s", path,
                         strerror(errno));
  tok_buf b = {0};
  char chunk[65536];
  size_t n;
  int rc = 0;
  while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b.len + n > PIO_TEMPLATE_MAX_SOURCE) {
      fclose(f);
      tok_buf_free(&b);
      return pio_error_set(err, PIO_ERR_LIMIT, "%s: over %u bytes", path, PIO_TEMPLATE_MAX_SOURCE);
    }
    rc = tok_buf_append(&b, chunk, n);
  }
  int bad = ferror(f);
  fclose(f);
  if (rc != 0 || bad || tok_buf_reserve(&b, 0) != 0) {
    tok_buf_free(&b);
    return pio_error_set(err, bad ? PIO_ERR_IO : PIO_ERR_NO_MEMORY, "%s: cannot be read", path);
  }
  *text = b.data;
  *len = b.len;
  return PIO_OK;
}

/* tokenizer_config.json's template: a string, or [{name, template}, ...]. */
static pio_status config_template(const char *path, json_object *root, const char **text,
                                  size_t *len, pio_error *err) {
  json_object *t = NULL;
  if (!json_object_object_get_ex(root, "chat_template", &t) || t == NULL)
    return pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "%s: no chat_template (and no chat_template.jinja beside it)", path);
  if (json_object_is_type(t, json_type_string)) {
    *text = json_object_get_string(t);
    *len = (size_t)json_object_get_string_len(t);
    return PIO_OK;
  }
  if (json_object_is_type(t, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(t); i++) {
      json_object *e = json_object_array_get_idx(t, i), *name = NULL, *body = NULL;
      if (json_object_object_get_ex(e, "name", &name) &&
          json_object_object_get_ex(e, "template", &body) &&
          json_object_is_type(body, json_type_string) &&
          strcmp(json_object_get_string(name), "default") == 0) {
        *text = json_object_get_string(body);
        *len = (size_t)json_object_get_string_len(body);
        return PIO_OK;
      }
    }
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "%s: chat_template: no template named \"default\"",
                         path);
  }
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: chat_template: expected a string or a list of {name, template}", path);
}

/* The special tokens Transformers passes: strings, or AddedToken objects. */
static pio_status specials_of(const char *path, json_object *root, json_object *out,
                              pio_error *err) {
  static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "pad_token"};
  for (size_t k = 0; k < 4; k++) {
    json_object *v = NULL, *content = NULL;
    if (root == NULL || !json_object_object_get_ex(root, keys[k], &v) || v == NULL) continue;
    if (json_object_is_type(v, json_type_object) &&
        json_object_object_get_ex(v, "content", &content))
      v = content;
    if (!json_object_is_type(v, json_type_string))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: %s: expected a string or {\"content\": ...}",
                           path, keys[k]);
    pio_json_build b = {0};
    pio_json_set(&b, out, keys[k], pio_json_text(&b, json_object_get_string(v)));
    if (b.failed) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  }
  return PIO_OK;
}

pio_status pio_chat_template_load_dir(const char *dir, pio_chat_template **tmpl,
                                      json_object **specials, pio_error *err) {
  *tmpl = NULL;
  *specials = NULL;
  char config_path[4096], jinja_path[4096];
  if (join_path(config_path, sizeof config_path, dir, "tokenizer_config.json") != 0 ||
      join_path(jinja_path, sizeof jinja_path, dir, "chat_template.jinja") != 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: path too long", dir);
  json_object *root = NULL;
  pio_status st = pio_json_parse_file(config_path, CONFIG_MAX_BYTES, PIO_JSON_DEFAULT_MAX_DEPTH,
                                      &root, NULL, err);
  if (st == PIO_OK && !json_object_is_type(root, json_type_object)) {
    json_object_put(root);
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top",
                         config_path);
  }
  int have_config = st == PIO_OK;
  if (st != PIO_OK && st != PIO_ERR_NOT_FOUND) return st;
  char *source = NULL;
  size_t len = 0;
  const char *name = jinja_path;
  st = read_file(jinja_path, &source, &len, err);
  if (st == PIO_ERR_NOT_FOUND) {
    const char *text = NULL;
    if (!have_config) {
      st = pio_error_set(err, PIO_ERR_NOT_FOUND,
                         "%s: neither tokenizer_config.json nor chat_template.jinja", dir);
    } else if ((st = config_template(config_path, root, &text, &len, err)) == PIO_OK) {
      if ((source = malloc(len + 1)) == NULL)
        st = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
      else
        memcpy(source, text, len + 1);
      name = config_path;
    }
  }
  json_object *sp = json_object_new_object();
  if (st == PIO_OK && sp == NULL) st = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  if (st == PIO_OK) st = specials_of(config_path, have_config ? root : NULL, sp, err);
  if (st == PIO_OK) {
    char label[4200];
    snprintf(label, sizeof label, "%s%s", name, name == config_path ? ": chat_template" : "");
    st = pio_chat_template_compile(label, source, len, tmpl, err);
  }
  free(source);
  json_object_put(root);
  if (st != PIO_OK) {
    json_object_put(sp);
    return st;
  }
  *specials = sp;
  return PIO_OK;
}
