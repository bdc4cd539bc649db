/* sdk/src/tokenizer_decode.c — ids to text: each id's token text through
 * tokenizer.json's decoder chain (ByteLevel, ByteFallback, Fuse, Strip,
 * Replace, Metaspace, Sequence), as Hugging Face's decode does, with bytes
 * that do not form UTF-8 turned into U+FFFD as Rust's from_utf8_lossy does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

#define DECODERS_KNOWN "ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, Sequence"

static const char replacement_char[] = "\xEF\xBF\xBD";

typedef struct step_list {
  tok_decoder *items;
  size_t count, capacity;
} step_list;

static pio_status read_step(const char *name, const char *path, json_object *json, step_list *list,
                            pio_error *err);

static pio_status read_char(const char *name, const char *path, json_object *json, const char *key,
                            uint32_t *out, pio_error *err) {
  const char *s = NULL;
  size_t len = 0, n = 0;
  pio_status st = tok_json_string(name, path, json, key, 1, &s, &len, err);
  if (st != PIO_OK) return st;
  if (len == 0 || tok_utf8_check(s, len) != len || (tok_utf8_decode(s, 0, &n), n != len))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: expected one character", name, path,
                         key);
  *out = tok_utf8_decode(s, 0, &n);
  return PIO_OK;
}

static pio_status read_count(const char *name, const char *path, json_object *json, const char *key,
                             size_t *out, pio_error *err) {
  json_object *v = NULL;
  if (!json_object_object_get_ex(json, key, &v) || !json_object_is_type(v, json_type_int) ||
      json_object_get_int64(v) < 0 || json_object_get_int64(v) > 1000000)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: expected a count", name, path, key);
  *out = (size_t)json_object_get_int64(v);
  return PIO_OK;
}

static pio_status read_fields(const char *name, const char *path, json_object *json, tok_decoder *d,
                              pio_error *err) {
  pio_status st = PIO_OK;
  switch (d->kind) {
    case TOK_DEC_STRIP:
      if ((st = read_char(name, path, json, "content", &d->strip_char, err)) != PIO_OK) return st;
      if ((st = read_count(name, path, json, "start", &d->strip_start, err)) != PIO_OK) return st;
      return read_count(name, path, json, "stop", &d->strip_stop, err);
    case TOK_DEC_REPLACE: {
      const char *s = NULL;
      size_t len = 0;
      if ((st = tok_json_pattern(name, path, json, &d->pattern, err)) != PIO_OK) return st;
      if ((st = tok_json_string(name, path, json, "content", 1, &s, &len, err)) != PIO_OK)
        return st;
      d->content = malloc(len + 1);
      if (d->content == NULL)
        return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
      memcpy(d->content, s, len + 1);
      d->content_len = len;
      return PIO_OK;
    }
    case TOK_DEC_METASPACE: {
      if ((st = read_char(name, path, json, "replacement", &d->replacement, err)) != PIO_OK)
        return st;
      const char *scheme = NULL;
      int add_prefix_space = 1;
      if ((st = tok_json_string(name, path, json, "prepend_scheme", 0, &scheme, NULL, err)) !=
              PIO_OK ||
          (st = tok_json_bool(name, path, json, "add_prefix_space", &add_prefix_space, err)) !=
              PIO_OK)
        return st;
      d->prepend_never = (scheme != NULL && strcmp(scheme, "never") == 0) || !add_prefix_space;
      return PIO_OK;
    }
    default:
      return PIO_OK;
  }
}

static pio_status read_step(const char *name, const char *path, json_object *json, step_list *list,
                            pio_error *err) {
  const char *type = NULL;
  pio_status st = tok_json_type(name, path, json, &type, err);
  if (st != PIO_OK) return st;
  if (strcmp(type, "Sequence") == 0) {
    json_object *arr = NULL;
    if (!json_object_object_get_ex(json, "decoders", &arr) ||
        !json_object_is_type(arr, json_type_array))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.decoders: expected an array", name, path);
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
      char sub[256];
      snprintf(sub, sizeof sub, "%s.decoders[%zu]", path, i);
      if ((st = read_step(name, sub, json_object_array_get_idx(arr, i), list, err)) != PIO_OK)
        return st;
    }
    return PIO_OK;
  }
  static const struct {
    const char *type;
    tok_dec_kind kind;
  } kinds[] = {{"ByteLevel", TOK_DEC_BYTE_LEVEL},
               {"ByteFallback", TOK_DEC_BYTE_FALLBACK},
               {"Fuse", TOK_DEC_FUSE},
               {"Strip", TOK_DEC_STRIP},
               {"Replace", TOK_DEC_REPLACE},
               {"Metaspace", TOK_DEC_METASPACE}};
  size_t k = 0;
  while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].type, type) != 0) k++;
  if (k == sizeof kinds / sizeof kinds[0])
    return tok_unsupported(name, path, "decoder", type, DECODERS_KNOWN, err);
  if (list->count == list->capacity) {
    size_t cap = list->capacity ? list->capacity * 2 : 4;
    tok_decoder *grown = realloc(list->items, cap * sizeof *grown);
    if (grown == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
    list->items = grown;
    list->capacity = cap;
  }
  tok_decoder *d = &list->items[list->count++];
  memset(d, 0, sizeof *d);
  d->kind = kinds[k].kind;
  return read_fields(name, path, json, d, err);
}

pio_status tok_decoder_load(const char *name, json_object *json, tok_decoder **steps,
                            size_t *n_steps, pio_error *err) {
  *steps = NULL;
  *n_steps = 0;
  if (json == NULL) return PIO_OK;
  step_list list = {0};
  pio_status st = read_step(name, "decoder", json, &list, err);
  if (st != PIO_OK) {
    tok_decoder_free(list.items, list.count);
    return st;
  }
  *steps = list.items;
  *n_steps = list.count;
  return PIO_OK;
}

void tok_decoder_free(tok_decoder *steps, size_t n_steps) {
  for (size_t i = 0; i < n_steps; i++) {
    tok_pattern_free(&steps[i].pattern);
    free(steps[i].content);
  }
  free(steps);
}

/* ---- running the chain over a list of token texts ---- */

/* Token texts as ranges of one buffer. */
typedef struct tokens {
  tok_buf text;
  tok_range_list list;
} tokens;

static int tokens_add(tokens *t, const char *s, size_t len) {
  size_t off = t->text.len;
  if (tok_buf_append(&t->text, s, len) != 0) return -1;
  tok_range_list *l = &t->list;
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 64;
    tok_range *grown = realloc(l->items, cap * sizeof *grown);
    if (grown == NULL) return -1;
    l->items = grown;
    l->capacity = cap;
  }
  l->items[l->count++] = (tok_range){off, len, 0};
  return 0;
}

static void tokens_free(tokens *t) {
  tok_buf_free(&t->text);
  tok_range_list_free(&t->list);
}

/* Rust's String::from_utf8_lossy: each maximal invalid subpart → U+FFFD. */
static int utf8_lossy(const unsigned char *s, size_t len, tok_buf *out) {
  size_t i = 0;
  while (i < len) {
    size_t good = i + tok_utf8_check((const char *)s + i, len - i);
    if (tok_buf_append(out, (const char *)s + i, good - i) != 0) return -1;
    if (good == len) break;
    i = good;
    unsigned char c = s[i];
    size_t need = c >= 0xC2 && c <= 0xDF   ? 2
                  : c >= 0xE0 && c <= 0xEF ? 3
                  : c >= 0xF0 && c <= 0xF4 ? 4
                                           : 1;
    size_t k = 1;
    for (; k < need && i + k < len; k++) {
      unsigned char x = s[i + k];
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && c == 0xE0) lo = 0xA0;
      if (k == 1 && c == 0xED) hi = 0x9F;
      if (k == 1 && c == 0xF0) lo = 0x90;
      if (k == 1 && c == 0xF4) hi = 0x8F;
      if (x < lo || x > hi) break;
    }
    if (tok_buf_append(out, replacement_char, 3) != 0) return -1;
    i += k;
  }
  return 0;
}

static int byte_level(tokens *in, tokens *out) {
  tok_buf bytes = {0};
  int rc = tok_buf_reserve(&bytes, in->text.len);
  for (size_t t = 0; t < in->list.count && rc == 0; t++) {
    const char *s = in->text.data + in->list.items[t].off;
    size_t len = in->list.items[t].len, start = bytes.len;
    for (size_t i = 0; i < len && rc == 0;) {
      size_t n;
      int b = tok_byte_of_char(tok_utf8_decode(s, i, &n));
      if (b < 0) { /* not all byte-level: the token's own UTF-8 */
        bytes.len = start;
        rc = tok_buf_append(&bytes, s, len);
        break;
      }
      char c = (char)b;
      rc = tok_buf_append(&bytes, &c, 1);
      i += n;
    }
  }
  tok_buf joined = {0};
  if (rc == 0)
    rc = utf8_lossy((const unsigned char *)(bytes.data ? bytes.data : ""), bytes.len, &joined);
  if (rc == 0) rc = tokens_add(out, joined.data ? joined.data : "", joined.len);
  tok_buf_free(&bytes);
  tok_buf_free(&joined);
  return rc;
}

static int hex_byte(const char *s, size_t len, unsigned char *out) {
  if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return 0;
  unsigned v = 0;
  for (int i = 3; i < 5; i++) {
    char c = s[i];
    unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                        : 16u;
    if (d > 15) return 0;
    v = v * 16 + d;
  }
  *out = (unsigned char)v;
  return 1;
}

static int flush_bytes(tok_buf *pending, tokens *out) {
  if (pending->len == 0) return 0;
  int rc = 0;
  if (tok_utf8_check(pending->data, pending->len) == pending->len)
    rc = tokens_add(out, pending->data, pending->len);
  else
    for (size_t i = 0; i < pending->len && rc == 0; i++) rc = tokens_add(out, replacement_char, 3);
  tok_buf_clear(pending);
  return rc;
}

static int byte_fallback(tokens *in, tokens *out) {
  tok_buf pending = {0};
  int rc = 0;
  for (size_t t = 0; t < in->list.count && rc == 0; t++) {
    const char *s = in->text.data + in->list.items[t].off;
    size_t len = in->list.items[t].len;
    unsigned char b;
    if (hex_byte(s, len, &b)) {
      rc = tok_buf_append(&pending, (const char *)&b, 1);
      continue;
    }
    rc = flush_bytes(&pending, out);
    if (rc == 0) rc = tokens_add(out, s, len);
  }
  if (rc == 0) rc = flush_bytes(&pending, out);
  tok_buf_free(&pending);
  return rc;
}

static int strip(const tok_decoder *d, const char *s, size_t len, tokens *out) {
  size_t b = 0, e = len;
  for (size_t k = 0; k < d->strip_start && b < len; k++) {
    size_t n;
    if (tok_utf8_decode(s, b, &n) != d->strip_char) break;
    b += n;
  }
  for (size_t k = 0; k < d->strip_stop && e > b; k++) {
    size_t p = e - 1, n;
    while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) p--;
    if (tok_utf8_decode(s, p, &n) != d->strip_char) break;
    e = p;
  }
  return tokens_add(out, s + b, e - b);
}

static int replace(const tok_decoder *d, tok_matcher *m, const char *s, size_t len, tokens *out,
                   tok_buf *tmp, pio_error *err) {
  tok_buf_clear(tmp);
  tok_match_iter it;
  tok_match_iter_start(&it, &d->pattern, m, s, len);
  size_t prev = 0, a, b;
  int rc;
  while ((rc = tok_match_next(&it, &a, &b, err)) == 1) {
    if (tok_buf_append(tmp, s + prev, a - prev) != 0 ||
        tok_buf_append(tmp, d->content, d->content_len) != 0)
      return -1;
    prev = b;
  }
  if (rc < 0) return -2;
  if (tok_buf_append(tmp, s + prev, len - prev) != 0) return -1;
  return tokens_add(out, tmp->data, tmp->len);
}

static int metaspace(const tok_decoder *d, size_t index, const char *s, size_t len, tokens *out,
                     tok_buf *tmp) {
  tok_buf_clear(tmp);
  for (size_t i = 0; i < len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(s, i, &n);
    int rc = 0;
    if (cp != d->replacement)
      rc = tok_buf_append(tmp, s + i, n);
    else if (index > 0 || d->prepend_never)
      rc = tok_buf_append(tmp, " ", 1);
    if (rc != 0) return -1;
    i += n;
  }
  return tokens_add(out, tmp->data ? tmp->data : "", tmp->len);
}

/* One decoder over in, into out (cleared first). */
static pio_status run_step(const tok_decoder *d, tok_matcher *m, tokens *in, tokens *out,
                           pio_error *err) {
  tok_buf_clear(&out->text);
  out->list.count = 0;
  tok_buf tmp = {0};
  int rc = 0;
  if (d->kind == TOK_DEC_BYTE_LEVEL)
    rc = byte_level(in, out);
  else if (d->kind == TOK_DEC_BYTE_FALLBACK)
    rc = byte_fallback(in, out);
  else if (d->kind == TOK_DEC_FUSE)
    rc = tokens_add(out, in->text.data ? in->text.data : "", in->text.len);
  else
    for (size_t t = 0; t < in->list.count && rc == 0; t++) {
      const char *s = in->text.data + in->list.items[t].off;
      size_t len = in->list.items[t].len;
      if (d->kind == TOK_DEC_STRIP)
        rc = strip(d, s, len, out);
      else if (d->kind == TOK_DEC_REPLACE)
        rc = replace(d, m, s, len, out, &tmp, err);
      else
        rc = metaspace(d, t, s, len, out, &tmp);
    }
  tok_buf_free(&tmp);
  if (rc == -2) return err->code;
  return rc == 0 ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
}

/* The text decode gives an id: an added token's normalised form (what the
 * decoder must invert) or content, else the vocabulary's. */
static void token_text(const pio_tokenizer *tok, int32_t id, const char **s, size_t *len) {
  int32_t k = tok->id_added[id];
  if (k >= 0 && tok->added[k].normalized != NULL) {
    *s = tok->added[k].normalized;
    *len = tok->added[k].normalized_len;
    return;
  }
  *s = tok->id_text[id];
  *len = tok->id_len[id];
}

pio_status pio_tokenizer_decode(const pio_tokenizer *tok, const int32_t *ids, size_t n,
                                unsigned flags, char **text, size_t *len, pio_error *err) {
  *text = NULL;
  *len = 0;
  tokens a = {0}, b = {0};
  pio_status st = PIO_OK;
  for (size_t i = 0; i < n && st == PIO_OK; i++) {
    int32_t id = ids[i];
    if (id < 0 || (uint32_t)id >= tok->n_ids || tok->id_text[id] == NULL) {
      st = pio_error_set(err, PIO_ERR_INVALID, "token %zu: id %ld is not in the vocabulary (%s)", i,
                         (long)id, tok->name);
      break;
    }
    if ((flags & PIO_DECODE_SKIP_SPECIAL) && (tok->id_flags[id] & TOK_ID_SPECIAL)) continue;
    const char *s;
    size_t l;
    token_text(tok, id, &s, &l);
    if (!tok->has_decoder && a.list.count > 0 && tokens_add(&a, " ", 1) != 0)
      st = PIO_ERR_NO_MEMORY;
    if (st == PIO_OK && tokens_add(&a, s, l) != 0) st = PIO_ERR_NO_MEMORY;
    if (st == PIO_ERR_NO_MEMORY) st = pio_error_set(err, st, "out of memory");
  }
  tok_matcher m = {0};
  if (st == PIO_OK && tok->n_decoder > 0 && tok_matcher_init(&m) != 0)
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  for (size_t k = 0; k < tok->n_decoder && st == PIO_OK; k++) {
    st = run_step(&tok->decoder[k], &m, &a, &b, err);
    tokens swap = a;
    a = b;
    b = swap;
  }
  tok_matcher_free(&m);
  if (st == PIO_OK) {
    if (tok_buf_reserve(&a.text, 0) != 0) {
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
    } else {
      *text = a.text.data;
      *len = a.text.len;
      a.text.data = NULL;
    }
  }
  tokens_free(&a);
  tokens_free(&b);
  return st;
}
