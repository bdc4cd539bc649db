/* sdk/src/template_builtins.c — the chat-template engine's filters, tests,
 * name lookups and the methods of str and dict, as Python gives them
 * (template_filters.c has the filters, tests and globals). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "template_builtins.h"

const char *const tb_filters[F_N] = {
    "trim",  "length",     "count",      "tojson",     "string", "lower", "upper", "replace",
    "list",  "selectattr", "rejectattr", "select",     "reject", "join",  "first", "last",
    "items", "default",    "d",          "capitalize", "title",  "int",   "float", "abs",
    "safe",  "map",        "unique",     "reverse",    "sum",    "min",   "max"};
const char *const tb_tests[T_N] = {
    "defined", "undefined", "none",   "string",  "number",      "integer",  "float",
    "boolean", "true",      "false",  "mapping", "iterable",    "sequence", "callable",
    "equalto", "eq",        "sameas", "ne",      "lt",          "le",       "gt",
    "ge",      "in",        "odd",    "even",    "divisibleby", "lower",    "upper"};
const char *const tb_globals[G_N] = {"raise_exception", "strftime_now", "namespace", "range",
                                     "dict"};
const char *const tb_str_methods[M_STR_N] = {
    "strip", "lstrip",  "rstrip", "split",      "startswith", "endswith", "upper",
    "lower", "replace", "title",  "capitalize", "join",       "find",     "count"};
static const char *const dict_methods[4] = {"items", "keys", "values", "get"};

static int find_name(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], name)) return i;
  return -1;
}

int tpl_filter_index(const char *name) { return find_name(tb_filters, F_N, name); }
int tpl_test_index(const char *name) { return find_name(tb_tests, T_N, name); }
int tpl_global_index(const char *name) { return find_name(tb_globals, G_N, name); }

int tpl_method_id(const tpl_value *self, const char *name) {
  if (self->kind == TV_STR) return find_name(tb_str_methods, M_STR_N, name);
  if (self->kind == TV_DICT) {
    int i = find_name(dict_methods, 4, name);
    return i < 0 ? -1 : M_ITEMS + i;
  }
  return -1;
}

/* ---- argument helpers ---- */
const tpl_value *tb_arg(const tpl_args *a, size_t i, const char *name) {
  for (size_t k = 0; k < a->n_kw; k++)
    if (name && !strcmp(a->kw_names[k], name)) return &a->kw[k];
  return i < a->n_pos ? &a->pos[i] : NULL;
}

int tb_ret_buf(tpl_render *r, tok_buf *b, tpl_value *out) {
  *out = tpl_make_str(r, b->data ? b->data : "", b->len);
  tok_buf_free(b);
  return out->kind == TV_STR ? 0 : -1;
}

int tb_need_str(tpl_render *r, const tpl_node *at, const tpl_value *v, const char *what) {
  if (v && v->kind == TV_STR) return 0;
  if (v && v->kind == TV_UNDEFINED) return tpl_undefined_error(r, at, v);
  return tpl_fail(r, at, PIO_ERR_INVALID, "%s: expected a string, found %s", what,
                  v ? tpl_type_name(v) : "nothing");
}

/* ---- strings ---- */
int tb_in_chars(uint32_t cp, const tpl_str *chars) {
  if (chars == NULL)
    return utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS ||
           (cp >= 9 && cp <= 13) || (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 || cp == 0x2028 ||
           cp == 0x2029;
  for (size_t i = 0; i < chars->len;) {
    size_t n;
    if (tok_utf8_decode(chars->data, i, &n) == cp) return 1;
    i += n;
  }
  return 0;
}

int tb_strip(tpl_render *r, const tpl_str *s, const tpl_str *chars, int left, int right,
             tpl_value *out) {
  size_t b = 0, e = s->len, n;
  while (left && b < e && tb_in_chars(tok_utf8_decode(s->data, b, &n), chars)) b += n;
  while (right && e > b) {
    size_t p = e - 1;
    while (p > b && ((unsigned char)s->data[p] & 0xC0) == 0x80) p--;
    if (!tb_in_chars(tok_utf8_decode(s->data, p, &n), chars)) break;
    e = p;
  }
  *out = tpl_make_str(r, s->data + b, e - b);
  return out->kind == TV_STR ? 0 : -1;
}

int tb_recase(tpl_render *r, const tpl_str *s, int mode, tpl_value *out) {
  /* mode 0 lower, 1 upper, 2 capitalize, 3 title */
  tok_buf b = {0};
  int prev_cased = 0, first = 1;
  for (size_t i = 0; i < s->len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(s->data, i, &n);
    int up = mode == 1 || (mode == 2 && first) || (mode == 3 && !prev_cased);
    uint32_t m = (uint32_t)(up ? utf8proc_toupper((utf8proc_int32_t)cp)
                               : utf8proc_tolower((utf8proc_int32_t)cp));
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    prev_cased =
        c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LT;
    first = 0;
    if (tok_buf_append_cp(&b, m) != 0) {
      tok_buf_free(&b);
      return tpl_no_memory(r);
    }
    i += n;
  }
  return tb_ret_buf(r, &b, out);
}

int tb_replace(tpl_render *r, const tpl_str *s, const tpl_str *old, const tpl_str *new_s,
               int64_t count, tpl_value *out) {
  tok_buf b = {0};
  size_t i = 0;
  int64_t done = 0;
  int rc = 0;
  if (old->len == 0) { /* Python inserts new between every character */
    while (rc == 0 && (count < 0 || done < count) && i <= s->len) {
      rc = tok_buf_append(&b, new_s->data, new_s->len);
      done++;
      if (i == s->len) {
        i++;
        break;
      }
      size_t n = tok_utf8_len((unsigned char)s->data[i]);
      rc = rc || tok_buf_append(&b, s->data + i, n);
      i += n;
    }
    if (rc == 0 && i < s->len) rc = tok_buf_append(&b, s->data + i, s->len - i);
  } else {
    while (rc == 0) {
      const char *hit =
          (count < 0 || done < count) ? memmem(s->data + i, s->len - i, old->data, old->len) : NULL;
      if (hit == NULL) break;
      rc = tok_buf_append(&b, s->data + i, (size_t)(hit - (s->data + i))) ||
           tok_buf_append(&b, new_s->data, new_s->len);
      i = (size_t)(hit - s->data) + old->len;
      done++;
    }
    if (rc == 0) rc = tok_buf_append(&b, s->data + i, s->len - i);
  }
  if (rc) {
    tok_buf_free(&b);
    return tpl_no_memory(r);
  }
  return tb_ret_buf(r, &b, out);
}

static int split(tpl_render *r, const tpl_node *at, const tpl_str *s, const tpl_value *sep,
                 int64_t maxsplit, tpl_value *out) {
  tpl_list *l = tpl_new_list(r);
  if (l == NULL) return -1;
  *out = (tpl_value){TV_LIST, {.list = l}};
  if (sep == NULL || sep->kind == TV_NONE) { /* runs of whitespace; no empty strings */
    size_t i = 0, n;
    int64_t done = 0;
    for (;;) {
      while (i < s->len && tb_in_chars(tok_utf8_decode(s->data, i, &n), NULL)) i += n;
      if (i >= s->len) return 0;
      size_t start = i;
      if (maxsplit >= 0 && done >= maxsplit) {
        size_t e = s->len;
        while (e > start) {
          size_t p = e - 1;
          while (p > start && ((unsigned char)s->data[p] & 0xC0) == 0x80) p--;
          if (!tb_in_chars(tok_utf8_decode(s->data, p, &n), NULL)) break;
          e = p;
        }
        return tpl_list_push(r, l, tpl_make_str(r, s->data + start, e - start));
      }
      while (i < s->len && !tb_in_chars(tok_utf8_decode(s->data, i, &n), NULL)) i += n;
      if (tpl_list_push(r, l, tpl_make_str(r, s->data + start, i - start)) != 0) return -1;
      done++;
    }
  }
  /* The whitespace branch above returns on every path, so sep is set here. */
  // cppcheck-suppress nullPointerRedundantCheck
  if (sep->kind != TV_STR) return tb_need_str(r, at, sep, "split");
  if (sep->u.s->len == 0) return tpl_fail(r, at, PIO_ERR_INVALID, "split: empty separator");
  size_t i = 0;
  int64_t done = 0;
  for (;;) {
    const char *hit = (maxsplit < 0 || done < maxsplit)
                          ? memmem(s->data + i, s->len - i, sep->u.s->data, sep->u.s->len)
                          : NULL;
    size_t end = hit ? (size_t)(hit - s->data) : s->len;
    if (tpl_list_push(r, l, tpl_make_str(r, s->data + i, end - i)) != 0) return -1;
    if (hit == NULL) return 0;
    i = end + sep->u.s->len;
    done++;
  }
}

static int affix(const tpl_str *s, const tpl_value *p, int end, int *result) {
  const tpl_value *list = p->kind == TV_TUPLE || p->kind == TV_LIST ? p->u.list->items : p;
  size_t n = p->kind == TV_TUPLE || p->kind == TV_LIST ? p->u.list->count : 1;
  *result = 0;
  for (size_t k = 0; k < n && !*result; k++) {
    if (list[k].kind != TV_STR) return -1;
    const tpl_str *a = list[k].u.s;
    *result =
        a->len <= s->len && memcmp(s->data + (end ? s->len - a->len : 0), a->data, a->len) == 0;
  }
  return 0;
}

int tb_join(tpl_render *r, const tpl_node *at, const tpl_value *seq, const tpl_str *sep,
            const char *attribute, tpl_value *out) {
  tpl_list *items = NULL;
  if (seq->kind == TV_LIST || seq->kind == TV_TUPLE)
    items = seq->u.list;
  else if (seq->kind == TV_UNDEFINED)
    items = NULL;
  else
    return tpl_fail(r, at, PIO_ERR_INVALID, "join: expected a list, found %s", tpl_type_name(seq));
  tok_buf b = {0};
  for (size_t i = 0; items && i < items->count; i++) {
    tpl_value v = items->items[i];
    if (attribute && tpl_getattr(r, at, &v, attribute, &v) != 0) return -1;
    if ((i && sep && tok_buf_append(&b, sep->data, sep->len)) || tpl_value_str(r, &v, &b)) {
      tok_buf_free(&b);
      return tpl_no_memory(r);
    }
  }
  return tb_ret_buf(r, &b, out);
}

int tpl_call_method(tpl_render *r, const tpl_node *at, const tpl_method *m, const tpl_args *a,
                    tpl_value *out) {
  const tpl_value *self = &m->self, *x = tb_arg(a, 0, NULL), *y = tb_arg(a, 1, NULL);
  if (self->kind == TV_DICT) {
    const tpl_dict *d = self->u.dict;
    if (m->id == M_GET) {
      if (x == NULL) return tpl_fail(r, at, PIO_ERR_INVALID, "get() takes a key");
      for (size_t i = 0; i < d->count; i++)
        if (tpl_equal(&d->entries[i].key, x)) return *out = d->entries[i].value, 0;
      *out = y ? *y : (tpl_value){TV_NONE, {0}};
      return 0;
    }
    tpl_list *l = tpl_new_list(r);
    if (l == NULL) return -1;
    for (size_t i = 0; i < d->count; i++) {
      tpl_value v = m->id == M_KEYS ? d->entries[i].key : d->entries[i].value;
      if (m->id == M_ITEMS) {
        tpl_list *pair = tpl_new_list(r);
        if (pair == NULL || tpl_list_push(r, pair, d->entries[i].key) ||
            tpl_list_push(r, pair, d->entries[i].value))
          return -1;
        v = (tpl_value){TV_TUPLE, {.list = pair}};
      }
      if (tpl_list_push(r, l, v) != 0) return -1;
    }
    *out = (tpl_value){TV_LIST, {.list = l}};
    return 0;
  }
  const tpl_str *s = self->u.s;
  switch (m->id) {
    case M_STRIP:
    case M_LSTRIP:
    case M_RSTRIP: {
      const tpl_str *chars = x && x->kind == TV_STR ? x->u.s : NULL;
      if (x && x->kind != TV_STR && x->kind != TV_NONE)
        return tb_need_str(r, at, x, tb_str_methods[m->id]);
      return tb_strip(r, s, chars, m->id != M_RSTRIP, m->id != M_LSTRIP, out);
    }
    case M_SPLIT: {
      const tpl_value *sep = tb_arg(a, 0, "sep"), *max = tb_arg(a, 1, "maxsplit");
      return split(r, at, s, sep, max && max->kind == TV_INT ? max->u.i : -1, out);
    }
    case M_STARTSWITH:
    case M_ENDSWITH: {
      int result;
      if (x == NULL || affix(s, x, m->id == M_ENDSWITH, &result) != 0)
        return tpl_fail(r, at, PIO_ERR_INVALID, "%s: expected a string or a tuple of strings",
                        tb_str_methods[m->id]);
      *out = (tpl_value){TV_BOOL, {.b = result}};
      return 0;
    }
    case M_UPPER:
      return tb_recase(r, s, 1, out);
    case M_LOWER:
      return tb_recase(r, s, 0, out);
    case M_TITLE:
      return tb_recase(r, s, 3, out);
    case M_CAPITALIZE:
      return tb_recase(r, s, 2, out);
    case M_REPLACE: {
      const tpl_value *c = tb_arg(a, 2, "count");
      if (tb_need_str(r, at, x, "replace") || tb_need_str(r, at, y, "replace")) return -1;
      return tb_replace(r, s, x->u.s, y->u.s, c && c->kind == TV_INT ? c->u.i : -1, out);
    }
    case M_JOIN:
      if (x == NULL) return tpl_fail(r, at, PIO_ERR_INVALID, "join() takes a list");
      return tb_join(r, at, x, s, NULL, out);
    case M_FIND:
    case M_COUNT: {
      if (tb_need_str(r, at, x, tb_str_methods[m->id])) return -1;
      int64_t found = -1, count = 0;
      for (size_t i = 0, cps = 0; i + x->u.s->len <= s->len;
           cps += ((unsigned char)s->data[i] & 0xC0) != 0x80, i++) {
        if (((unsigned char)s->data[i] & 0xC0) == 0x80 ||
            memcmp(s->data + i, x->u.s->data, x->u.s->len))
          continue;
        if (found < 0) found = (int64_t)cps;
        count++;
        if (x->u.s->len) i += x->u.s->len - 1;
      }
      *out = (tpl_value){TV_INT, {.i = m->id == M_FIND ? found : count}};
      return 0;
    }
  }
  return tpl_fail(r, at, PIO_ERR_INTERNAL, "unknown method");
}
