/* sdk/src/tokenizer_normalize.c — tokenizer.json's normalisers: Unicode
 * forms (utf8proc), Lowercase, Replace, Prepend, Strip, StripAccents and
 * their Sequence, each as Hugging Face's Rust code applies it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer_internal.h"

#define NORMALIZERS_KNOWN \
  "NFC, NFD, NFKC, NFKD, Lowercase, Replace, Prepend, Strip, StripAccents, Sequence"

static pio_status no_memory(const char *name, pio_error *err) {
  return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
}

static pio_status load_one(const char *name, const char *path, json_object *json,
                           tok_normalizer **out, pio_error *err);

static pio_status load_sequence(const char *name, const char *path, json_object *json,
                                tok_normalizer *n, pio_error *err) {
  json_object *list = NULL;
  if (!json_object_object_get_ex(json, "normalizers", &list) ||
      !json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.normalizers: expected an array", name, path);
  size_t count = json_object_array_length(list);
  n->children = calloc(count ? count : 1, sizeof *n->children);
  if (n->children == NULL) return no_memory(name, err);
  for (size_t i = 0; i < count; i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s.normalizers[%zu]", path, i);
    pio_status st = load_one(name, sub, json_object_array_get_idx(list, i), &n->children[i], err);
    n->n_children = i + 1; /* a child that failed half-read is freed with the rest */
    if (st != PIO_OK) return st;
  }
  return PIO_OK;
}

static pio_status copy_string(const char *name, const char *path, json_object *json,
                              const char *key, tok_normalizer *n, pio_error *err) {
  const char *s = NULL;
  size_t len = 0;
  pio_status st = tok_json_string(name, path, json, key, 1, &s, &len, err);
  if (st != PIO_OK) return st;
  n->content = malloc(len + 1);
  if (n->content == NULL) return no_memory(name, err);
  memcpy(n->content, s, len + 1);
  n->content_len = len;
  return PIO_OK;
}

static pio_status load_one(const char *name, const char *path, json_object *json,
                           tok_normalizer **out, pio_error *err) {
  const char *type = NULL;
  pio_status st = tok_json_type(name, path, json, &type, err);
  if (st != PIO_OK) return st;
  static const struct {
    const char *type;
    tok_norm_kind kind;
  } kinds[] = {
      {"Sequence", TOK_NORM_SEQUENCE}, {"NFC", TOK_NORM_NFC},
      {"NFD", TOK_NORM_NFD},           {"NFKC", TOK_NORM_NFKC},
      {"NFKD", TOK_NORM_NFKD},         {"Lowercase", TOK_NORM_LOWERCASE},
      {"Replace", TOK_NORM_REPLACE},   {"Prepend", TOK_NORM_PREPEND},
      {"Strip", TOK_NORM_STRIP},       {"StripAccents", TOK_NORM_STRIP_ACCENTS},
  };
  size_t k = 0;
  while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].type, type) != 0) k++;
  if (k == sizeof kinds / sizeof kinds[0])
    return tok_unsupported(name, path, "normalizer", type, NORMALIZERS_KNOWN, err);
  tok_normalizer *n = calloc(1, sizeof *n);
  if (n == NULL) return no_memory(name, err);
  *out = n;
  n->kind = kinds[k].kind;
  switch (n->kind) {
    case TOK_NORM_SEQUENCE:
      return load_sequence(name, path, json, n, err);
    case TOK_NORM_REPLACE:
      st = tok_json_pattern(name, path, json, &n->pattern, err);
      return st != PIO_OK ? st : copy_string(name, path, json, "content", n, err);
    case TOK_NORM_PREPEND:
      return copy_string(name, path, json, "prepend", n, err);
    case TOK_NORM_STRIP:
      n->strip_left = n->strip_right = 1;
      st = tok_json_bool(name, path, json, "strip_left", &n->strip_left, err);
      return st != PIO_OK ? st
                          : tok_json_bool(name, path, json, "strip_right", &n->strip_right, err);
    default:
      return PIO_OK;
  }
}

pio_status tok_normalizer_load(const char *name, const char *path, json_object *json,
                               tok_normalizer **out, pio_error *err) {
  *out = NULL;
  if (json == NULL) return PIO_OK;
  pio_status st = load_one(name, path, json, out, err);
  if (st != PIO_OK) {
    tok_normalizer_free(*out);
    *out = NULL;
  }
  return st;
}

void tok_normalizer_free(tok_normalizer *n) {
  if (n == NULL) return;
  for (size_t i = 0; i < n->n_children; i++) tok_normalizer_free(n->children[i]);
  free(n->children);
  tok_pattern_free(&n->pattern);
  free(n->content);
  free(n);
}

static int all_ascii(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)text[i] >= 0x80) return 0;
  return 1;
}

static pio_status unicode_form(tok_norm_kind kind, const char *text, size_t len, tok_buf *out,
                               pio_error *err) {
  if (all_ascii(text, len)) /* every form leaves ASCII as it is */
    return tok_buf_append(out, text, len) == 0
               ? PIO_OK
               : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  int options = UTF8PROC_STABLE;
  options |=
      (kind == TOK_NORM_NFC || kind == TOK_NORM_NFKC) ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE;
  if (kind == TOK_NORM_NFKC || kind == TOK_NORM_NFKD) options |= UTF8PROC_COMPAT;
  utf8proc_uint8_t *mapped = NULL;
  utf8proc_ssize_t n =
      utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &mapped, options);
  if (n < 0)
    return pio_error_set(err, n == UTF8PROC_ERROR_NOMEM ? PIO_ERR_NO_MEMORY : PIO_ERR_INVALID,
                         "normalisation failed: %s", utf8proc_errmsg(n));
  int rc = tok_buf_append(out, (const char *)mapped, (size_t)n);
  free(mapped);
  return rc == 0 ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
}

/* Rust's char::to_lowercase: the simple mapping, but for U+0130, whose full
 * mapping is two characters. */
static int lowercase(const char *text, size_t len, tok_buf *out) {
  for (size_t i = 0; i < len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(text, i, &n);
    i += n;
    int rc;
    if (cp < 0x80) {
      char c = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      rc = tok_buf_append(out, &c, 1);
    } else if (cp == 0x130) {
      rc = tok_buf_append(out, "i\xCC\x87", 3);
    } else {
      rc = tok_buf_append_cp(out, (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp));
    }
    if (rc != 0) return -1;
  }
  return 0;
}

static pio_status replace(const tok_normalizer *n, const char *text, size_t len, tok_buf *out,
                          pio_error *err) {
  tok_matcher m;
  if (tok_matcher_init(&m) != 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  tok_match_iter it;
  tok_match_iter_start(&it, &n->pattern, &m, text, len);
  size_t prev = 0, s, e;
  int rc, bad = 0;
  while ((rc = tok_match_next(&it, &s, &e, err)) == 1) {
    if (tok_buf_append(out, text + prev, s - prev) != 0 ||
        tok_buf_append(out, n->content, n->content_len) != 0)
      bad = 1;
    prev = e;
  }
  if (tok_buf_append(out, text + prev, len - prev) != 0) bad = 1;
  tok_matcher_free(&m);
  if (rc < 0) return err->code;
  return bad ? pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory") : PIO_OK;
}

static int strip(const tok_normalizer *n, const char *text, size_t len, tok_buf *out) {
  size_t b = 0, e = len;
  while (n->strip_left && b < e) {
    size_t k;
    if (!tok_cp_is_whitespace(tok_utf8_decode(text, b, &k))) break;
    b += k;
  }
  while (n->strip_right && e > b) {
    size_t p = e - 1;
    while (p > b && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
    size_t k;
    if (!tok_cp_is_whitespace(tok_utf8_decode(text, p, &k))) break;
    e = p;
  }
  return tok_buf_append(out, text + b, e - b);
}

static int strip_accents(const char *text, size_t len, tok_buf *out) {
  for (size_t i = 0; i < len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(text, i, &n);
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    if ((c < UTF8PROC_CATEGORY_MN || c > UTF8PROC_CATEGORY_ME) &&
        tok_buf_append(out, text + i, n) != 0)
      return -1;
    i += n;
  }
  return 0;
}

pio_status tok_normalize(const tok_normalizer *n, const char *text, size_t len, tok_buf *out,
                         pio_error *err) {
  tok_buf_clear(out);
  int rc = 0;
  switch (n->kind) {
    case TOK_NORM_SEQUENCE: {
      if (tok_buf_append(out, text, len) != 0)
        return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
      tok_buf tmp = {0};
      for (size_t i = 0; i < n->n_children; i++) {
        pio_status st = tok_normalize(n->children[i], out->data, out->len, &tmp, err);
        if (st != PIO_OK) {
          tok_buf_free(&tmp);
          return st;
        }
        tok_buf swap = *out;
        *out = tmp;
        tmp = swap;
      }
      tok_buf_free(&tmp);
      return PIO_OK;
    }
    case TOK_NORM_NFC:
    case TOK_NORM_NFD:
    case TOK_NORM_NFKC:
    case TOK_NORM_NFKD:
      return unicode_form(n->kind, text, len, out, err);
    case TOK_NORM_LOWERCASE:
      rc = lowercase(text, len, out);
      break;
    case TOK_NORM_REPLACE:
      return replace(n, text, len, out, err);
    case TOK_NORM_PREPEND:
      if (len > 0) rc = tok_buf_append(out, n->content, n->content_len);
      if (rc == 0) rc = tok_buf_append(out, text, len);
      break;
    case TOK_NORM_STRIP:
      rc = strip(n, text, len, out);
      break;
    case TOK_NORM_STRIP_ACCENTS:
      rc = strip_accents(text, len, out);
      break;
  }
  return rc == 0 ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
}
