/* sdk/src/template_value.c — the chat-template engine's values: the arena
 * they live in, lists and dicts, and how Python shows them (str, repr,
 * truth, equality) and json.dumps writes them (Transformers' tojson). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "template_internal.h"

/* ---- the arena ---- */
struct tpl_arena_block {
  tpl_arena_block *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

void *tpl_alloc(tpl_arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (a->limit && a->used_total + size > a->limit) return NULL;
  tpl_arena_block *b = a->blocks;
  if (b == NULL || b->size - b->used < size) {
    size_t want = size > 60000 ? size : 65536 - sizeof *b;
    b = malloc(sizeof *b + want);
    if (b == NULL) return NULL;
    b->size = want;
    b->used = 0;
    b->next = a->blocks;
    a->blocks = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  a->used_total += size;
  memset(p, 0, size);
  return p;
}

void tpl_arena_free(tpl_arena *a) {
  while (a->blocks) {
    tpl_arena_block *next = a->blocks->next;
    free(a->blocks);
    a->blocks = next;
  }
  a->used_total = 0;
}

int tpl_no_memory(tpl_render *r) {
  if (!r->failed)
    pio_error_set(r->err, PIO_ERR_LIMIT, "%s: the rendering ran out of memory (limit %u MiB)",
                  r->t->name, (unsigned)(r->arena.limit >> 20));
  r->failed = 1;
  return -1;
}

/* ---- containers ---- */
tpl_value tpl_make_str(tpl_render *r, const char *s, size_t len) {
  tpl_str *str = tpl_alloc(&r->arena, sizeof *str + len + 1);
  if (str == NULL) {
    tpl_no_memory(r);
    return (tpl_value){TV_UNDEFINED, {0}};
  }
  str->len = len;
  if (len) memcpy(str->data, s, len);
  str->data[len] = '\0';
  return (tpl_value){TV_STR, {.s = str}};
}

tpl_list *tpl_new_list(tpl_render *r) {
  tpl_list *l = tpl_alloc(&r->arena, sizeof *l);
  if (l == NULL) tpl_no_memory(r);
  return l;
}

int tpl_list_push(tpl_render *r, tpl_list *l, tpl_value v) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 4;
    tpl_value *grown = tpl_alloc(&r->arena, cap * sizeof *grown);
    if (grown == NULL) return tpl_no_memory(r);
    if (l->count) memcpy(grown, l->items, l->count * sizeof *grown);
    l->items = grown;
    l->capacity = cap;
  }
  l->items[l->count++] = v;
  return 0;
}

tpl_dict *tpl_new_dict(tpl_render *r) {
  tpl_dict *d = tpl_alloc(&r->arena, sizeof *d);
  if (d == NULL) tpl_no_memory(r);
  return d;
}

static tpl_value *dict_find(const tpl_dict *d, const tpl_value *key) {
  for (size_t i = 0; i < d->count; i++)
    if (tpl_equal(&d->entries[i].key, key)) return &d->entries[i].value;
  return NULL;
}

tpl_value *tpl_dict_get(const tpl_dict *d, const char *key, size_t len) {
  for (size_t i = d->count; i-- > 0;) {
    const tpl_value *k = &d->entries[i].key;
    if (k->kind == TV_STR && k->u.s->len == len && memcmp(k->u.s->data, key, len) == 0)
      return &d->entries[i].value;
  }
  return NULL;
}

int tpl_dict_set(tpl_render *r, tpl_dict *d, tpl_value key, tpl_value value) {
  tpl_value *slot = dict_find(d, &key);
  if (slot != NULL) {
    *slot = value;
    return 0;
  }
  if (d->count == d->capacity) {
    size_t cap = d->capacity ? d->capacity * 2 : 4;
    tpl_dict_entry *grown = tpl_alloc(&r->arena, cap * sizeof *grown);
    if (grown == NULL) return tpl_no_memory(r);
    if (d->count) memcpy(grown, d->entries, d->count * sizeof *grown);
    d->entries = grown;
    d->capacity = cap;
  }
  d->entries[d->count++] = (tpl_dict_entry){key, value};
  return 0;
}

/* ---- truth, equality, names ---- */
int tpl_truthy(const tpl_value *v) {
  switch (v->kind) {
    case TV_UNDEFINED:
    case TV_NONE:
      return 0;
    case TV_BOOL:
      return v->u.b;
    case TV_INT:
      return v->u.i != 0;
    case TV_FLOAT:
      return v->u.f != 0.0;
    case TV_STR:
      return v->u.s->len > 0;
    case TV_LIST:
    case TV_TUPLE:
      return v->u.list->count > 0;
    case TV_DICT:
      return v->u.dict->count > 0;
    default:
      return 1;
  }
}

static int is_number(const tpl_value *v) {
  return v->kind == TV_BOOL || v->kind == TV_INT || v->kind == TV_FLOAT;
}
static double as_double(const tpl_value *v) {
  return v->kind == TV_FLOAT ? v->u.f : v->kind == TV_INT ? (double)v->u.i : (double)v->u.b;
}

int tpl_equal(const tpl_value *a, const tpl_value *b) {
  if (is_number(a) && is_number(b)) {
    if (a->kind != TV_FLOAT && b->kind != TV_FLOAT)
      return (a->kind == TV_INT ? a->u.i : a->u.b) == (b->kind == TV_INT ? b->u.i : b->u.b);
    return as_double(a) == as_double(b);
  }
  int seq_a = a->kind == TV_LIST || a->kind == TV_TUPLE,
      seq_b = b->kind == TV_LIST || b->kind == TV_TUPLE;
  if (seq_a && seq_b) {
    if (a->kind != b->kind || a->u.list->count != b->u.list->count) return 0;
    for (size_t i = 0; i < a->u.list->count; i++)
      if (!tpl_equal(&a->u.list->items[i], &b->u.list->items[i])) return 0;
    return 1;
  }
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
    case TV_UNDEFINED:
    case TV_NONE:
      return 1;
    case TV_STR:
      return a->u.s->len == b->u.s->len && memcmp(a->u.s->data, b->u.s->data, a->u.s->len) == 0;
    case TV_DICT: {
      if (a->u.dict->count != b->u.dict->count) return 0;
      for (size_t i = 0; i < a->u.dict->count; i++) {
        const tpl_value *other = dict_find(b->u.dict, &a->u.dict->entries[i].key);
        if (other == NULL || !tpl_equal(&a->u.dict->entries[i].value, other)) return 0;
      }
      return 1;
    }
    case TV_NAMESPACE:
      return a->u.dict == b->u.dict;
    case TV_LOOP:
      return a->u.loop == b->u.loop;
    case TV_MACRO:
      return a->u.macro == b->u.macro;
    case TV_BUILTIN:
      return a->u.builtin == b->u.builtin;
    default:
      return 0;
  }
}

const char *tpl_type_name(const tpl_value *v) {
  static const char *const names[] = {"Undefined",
                                      "NoneType",
                                      "bool",
                                      "int",
                                      "float",
                                      "str",
                                      "list",
                                      "tuple",
                                      "dict",
                                      "Namespace",
                                      "LoopContext",
                                      "Macro",
                                      "builtin_function_or_method",
                                      "method"};
  return names[v->kind];
}

/* ---- how Python writes numbers and strings ---- */

/* float.__repr__: the shortest digits that read back the same, in fixed
 * notation for exponents -4..15 and scientific (1e+20) otherwise. */
static int float_repr(double f, tok_buf *out) {
  char buf[64];
  if (isnan(f)) return tok_buf_append(out, "nan", 3);
  if (isinf(f)) return tok_buf_append(out, f < 0 ? "-inf" : "inf", f < 0 ? 4 : 3);
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
    if (strtod(buf, NULL) == f) break;
  }
  snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
  /* buf: [-]d.ddde[+-]XX */
  char *e = strchr(buf, 'e');
  int exp = atoi(e + 1);
  *e = '\0';
  char digits[32];
  size_t nd = 0;
  int neg = buf[0] == '-';
  for (const char *c = buf + neg; *c; c++)
    if (*c != '.') digits[nd++] = *c;
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  char text[80];
  size_t w = 0;
  if (neg) text[w++] = '-';
  if (exp < -4 || exp >= 16) {
    text[w++] = digits[0];
    if (nd > 1) {
      text[w++] = '.';
      for (size_t i = 1; i < nd; i++) text[w++] = digits[i];
    }
    w += (size_t)snprintf(text + w, sizeof text - w, "e%c%02d", exp < 0 ? '-' : '+',
                          exp < 0 ? -exp : exp);
  } else if (exp < 0) {
    text[w++] = '0';
    text[w++] = '.';
    for (int i = 0; i < -exp - 1; i++) text[w++] = '0';
    for (size_t i = 0; i < nd; i++) text[w++] = digits[i];
  } else {
    for (int i = 0; i <= exp; i++) text[w++] = (size_t)i < nd ? digits[i] : '0';
    text[w++] = '.';
    if ((size_t)exp + 1 < nd)
      for (size_t i = (size_t)exp + 1; i < nd; i++) text[w++] = digits[i];
    else
      text[w++] = '0';
  }
  return tok_buf_append(out, text, w);
}

static int int_str(int64_t i, tok_buf *out) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%lld", (long long)i);
  return tok_buf_append(out, buf, (size_t)n);
}

/* str.isprintable for one code point. */
static int printable(uint32_t cp) {
  if (cp == ' ') return 1;
  utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
  return !(c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CS ||
           c == UTF8PROC_CATEGORY_CO || c == UTF8PROC_CATEGORY_CN || c == UTF8PROC_CATEGORY_ZL ||
           c == UTF8PROC_CATEGORY_ZP || c == UTF8PROC_CATEGORY_ZS);
}

static int str_repr(const tpl_str *s, tok_buf *out) {
  char quote = memchr(s->data, '\'', s->len) && !memchr(s->data, '"', s->len) ? '"' : '\'';
  if (tok_buf_append(out, &quote, 1) != 0) return -1;
  for (size_t i = 0; i < s->len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(s->data, i, &n);
    char esc[16];
    const char *rep = NULL;
    if (cp == (uint32_t)quote || cp == '\\') {
      esc[0] = '\\';
      esc[1] = (char)cp;
      esc[2] = '\0';
      rep = esc;
    } else if (cp == '\n')
      rep = "\\n";
    else if (cp == '\r')
      rep = "\\r";
    else if (cp == '\t')
      rep = "\\t";
    else if (!printable(cp)) {
      snprintf(esc, sizeof esc,
               cp < 0x100     ? "\\x%02x"
               : cp < 0x10000 ? "\\u%04x"
                              : "\\U%08x",
               (unsigned)cp);
      rep = esc;
    }
    if ((rep ? tok_buf_append(out, rep, strlen(rep)) : tok_buf_append(out, s->data + i, n)) != 0)
      return -1;
    i += n;
  }
  return tok_buf_append(out, &quote, 1);
}

static int repr_any(tpl_render *r, const tpl_value *v, tok_buf *out, int as_str);

static int repr_items(tpl_render *r, const tpl_list *l, const char *open, const char *close,
                      int one_comma, tok_buf *out) {
  if (tok_buf_append(out, open, 1) != 0) return -1;
  for (size_t i = 0; i < l->count; i++) {
    if (i && tok_buf_append(out, ", ", 2) != 0) return -1;
    if (repr_any(r, &l->items[i], out, 0) != 0) return -1;
  }
  if (one_comma && l->count == 1 && tok_buf_append(out, ",", 1) != 0) return -1;
  return tok_buf_append(out, close, 1);
}

static int repr_dict(tpl_render *r, const tpl_dict *d, tok_buf *out) {
  if (tok_buf_append(out, "{", 1) != 0) return -1;
  for (size_t i = 0; i < d->count; i++) {
    if ((i && tok_buf_append(out, ", ", 2) != 0) || repr_any(r, &d->entries[i].key, out, 0) != 0 ||
        tok_buf_append(out, ": ", 2) != 0 || repr_any(r, &d->entries[i].value, out, 0) != 0)
      return -1;
  }
  return tok_buf_append(out, "}", 1);
}

static int repr_any(tpl_render *r, const tpl_value *v, tok_buf *out, int as_str) {
  switch (v->kind) {
    case TV_UNDEFINED:
      return 0;
    case TV_NONE:
      return tok_buf_append(out, "None", 4);
    case TV_BOOL:
      return v->u.b ? tok_buf_append(out, "True", 4) : tok_buf_append(out, "False", 5);
    case TV_INT:
      return int_str(v->u.i, out);
    case TV_FLOAT:
      return float_repr(v->u.f, out);
    case TV_STR:
      return as_str ? tok_buf_append(out, v->u.s->data, v->u.s->len) : str_repr(v->u.s, out);
    case TV_LIST:
      return repr_items(r, v->u.list, "[", "]", 0, out);
    case TV_TUPLE:
      return repr_items(r, v->u.list, "(", ")", 1, out);
    case TV_DICT:
      return repr_dict(r, v->u.dict, out);
    case TV_NAMESPACE:
      return tok_buf_append(out, "<Namespace ", 11) || repr_dict(r, v->u.dict, out) ||
             tok_buf_append(out, ">", 1);
    case TV_MACRO: {
      char buf[256];
      int n = snprintf(buf, sizeof buf, "<Macro '%s'>", v->u.macro->name);
      return tok_buf_append(out, buf, (size_t)n);
    }
    default: {
      char buf[64];
      int n = snprintf(buf, sizeof buf, "<%s>", tpl_type_name(v));
      return tok_buf_append(out, buf, (size_t)n);
    }
  }
}

int tpl_value_str(tpl_render *r, const tpl_value *v, tok_buf *out) {
  return repr_any(r, v, out, 1) == 0 ? 0 : tpl_no_memory(r);
}

int tpl_value_repr(tpl_render *r, const tpl_value *v, tok_buf *out) {
  return repr_any(r, v, out, 0) == 0 ? 0 : tpl_no_memory(r);
}

/* ---- json.dumps(ensure_ascii=False, indent, separators, sort_keys) ---- */
static int json_string(const char *s, size_t len, tok_buf *out) {
  if (tok_buf_append(out, "\"", 1) != 0) return -1;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    const char *rep = NULL;
    switch (c) {
      case '"':
        rep = "\\\"";
        break;
      case '\\':
        rep = "\\\\";
        break;
      case '\n':
        rep = "\\n";
        break;
      case '\r':
        rep = "\\r";
        break;
      case '\t':
        rep = "\\t";
        break;
      case '\b':
        rep = "\\b";
        break;
      case '\f':
        rep = "\\f";
        break;
      default:
        if (c < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", c);
          rep = esc;
        }
    }
    if ((rep ? tok_buf_append(out, rep, strlen(rep)) : tok_buf_append(out, s + i, 1)) != 0)
      return -1;
  }
  return tok_buf_append(out, "\"", 1);
}

typedef struct json_style {
  long indent; /* < 0: none */
  const char *item_sep, *key_sep;
  int sort_keys;
} json_style;

static int newline_indent(const json_style *st, int level, tok_buf *out) {
  if (st->indent < 0) return 0;
  if (tok_buf_append(out, "\n", 1) != 0) return -1;
  for (long k = 0; k < st->indent * level; k++)
    if (tok_buf_append(out, " ", 1) != 0) return -1;
  return 0;
}

static int cmp_keys(const void *a, const void *b) {
  const tpl_dict_entry *x = *(const tpl_dict_entry *const *)a,
                       *y = *(const tpl_dict_entry *const *)b;
  if (x->key.kind != TV_STR || y->key.kind != TV_STR) return 0;
  return strcmp(x->key.u.s->data, y->key.u.s->data);
}

static int json_any(tpl_render *r, const tpl_node *at, const tpl_value *v, const json_style *st,
                    int level, tok_buf *out) {
  if (level > 200) return tpl_fail(r, at, PIO_ERR_LIMIT, "tojson: nested too deeply");
  switch (v->kind) {
    case TV_NONE:
      return tok_buf_append(out, "null", 4);
    case TV_BOOL:
      return v->u.b ? tok_buf_append(out, "true", 4) : tok_buf_append(out, "false", 5);
    case TV_INT:
      return int_str(v->u.i, out);
    case TV_FLOAT:
      if (isnan(v->u.f)) return tok_buf_append(out, "NaN", 3);
      if (isinf(v->u.f))
        return v->u.f < 0 ? tok_buf_append(out, "-Infinity", 9)
                          : tok_buf_append(out, "Infinity", 8);
      return float_repr(v->u.f, out);
    case TV_STR:
      return json_string(v->u.s->data, v->u.s->len, out);
    case TV_LIST:
    case TV_TUPLE: {
      const tpl_list *l = v->u.list;
      if (l->count == 0) return tok_buf_append(out, "[]", 2);
      if (tok_buf_append(out, "[", 1) != 0) return -1;
      for (size_t i = 0; i < l->count; i++) {
        if (i && tok_buf_append(out, st->item_sep, strlen(st->item_sep)) != 0) return -1;
        if (newline_indent(st, level + 1, out) != 0 ||
            json_any(r, at, &l->items[i], st, level + 1, out) != 0)
          return -1;
      }
      return newline_indent(st, level, out) == 0 ? tok_buf_append(out, "]", 1) : -1;
    }
    case TV_DICT:
    case TV_NAMESPACE: {
      const tpl_dict *d = v->u.dict;
      if (d->count == 0) return tok_buf_append(out, "{}", 2);
      const tpl_dict_entry **order = tpl_alloc(&r->arena, d->count * sizeof *order);
      if (order == NULL) return tpl_no_memory(r);
      for (size_t i = 0; i < d->count; i++) order[i] = &d->entries[i];
      if (st->sort_keys) qsort(order, d->count, sizeof *order, cmp_keys);
      if (tok_buf_append(out, "{", 1) != 0) return -1;
      for (size_t i = 0; i < d->count; i++) {
        const tpl_value *k = &order[i]->key;
        if (i && tok_buf_append(out, st->item_sep, strlen(st->item_sep)) != 0) return -1;
        if (newline_indent(st, level + 1, out) != 0) return -1;
        if (k->kind == TV_STR) {
          if (json_string(k->u.s->data, k->u.s->len, out) != 0) return -1;
        } else if (k->kind == TV_INT || k->kind == TV_FLOAT || k->kind == TV_BOOL ||
                   k->kind == TV_NONE) {
          tok_buf key = {0};
          int rc = k->kind == TV_BOOL
                       ? tok_buf_append(&key, k->u.b ? "true" : "false", k->u.b ? 4 : 5)
                   : k->kind == TV_NONE ? tok_buf_append(&key, "null", 4)
                                        : repr_any(r, k, &key, 1);
          rc = rc || json_string(key.data, key.len, out);
          tok_buf_free(&key);
          if (rc) return -1;
        } else {
          return tpl_fail(r, at, PIO_ERR_INVALID,
                          "tojson: keys must be str, int, float, bool or None, not %s",
                          tpl_type_name(k));
        }
        if (tok_buf_append(out, st->key_sep, strlen(st->key_sep)) != 0 ||
            json_any(r, at, &order[i]->value, st, level + 1, out) != 0)
          return -1;
      }
      return newline_indent(st, level, out) == 0 ? tok_buf_append(out, "}", 1) : -1;
    }
    default:
      return tpl_fail(r, at, PIO_ERR_INVALID, "tojson: Object of type %s is not JSON serializable",
                      tpl_type_name(v));
  }
}

int tpl_tojson(tpl_render *r, const tpl_node *at, const tpl_value *v, long indent,
               const char *item_sep, const char *key_sep, int sort_keys, tok_buf *out) {
  json_style st = {indent,
                   item_sep      ? item_sep
                   : indent >= 0 ? ","
                                 : ", ",
                   key_sep ? key_sep : ": ", sort_keys};
  if (json_any(r, at, v, &st, 0, out) != 0) return r->failed ? -1 : tpl_no_memory(r);
  return 0;
}
