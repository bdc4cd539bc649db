/* sdk/src/template_filters.c — the chat-template engine's filters, tests
 * and global functions, as Jinja2 gives them, with Transformers' own
 * tojson (json.dumps, ensure_ascii false), raise_exception and strftime_now. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "template_builtins.h"

static int length_of(tpl_render *r, const tpl_node *at, const tpl_value *v, int64_t *n) {
  switch (v->kind) {
    case TV_STR: {
      int64_t k = 0;
      for (size_t i = 0; i < v->u.s->len; i++) k += ((unsigned char)v->u.s->data[i] & 0xC0) != 0x80;
      *n = k;
      return 0;
    }
    case TV_LIST:
    case TV_TUPLE:
      *n = (int64_t)v->u.list->count;
      return 0;
    case TV_DICT:
    case TV_NAMESPACE:
      *n = (int64_t)v->u.dict->count;
      return 0;
    case TV_UNDEFINED:
      *n = 0;
      return 0;
    case TV_LOOP:
      *n = (int64_t)v->u.loop->items->count;
      return 0;
    default:
      return tpl_fail(r, at, PIO_ERR_INVALID, "object of type '%s' has no len()", tpl_type_name(v));
  }
}

/* The items of a sequence a filter walks (a dict's keys, a string's characters). */
static int items_of(tpl_render *r, const tpl_node *at, const tpl_value *v, tpl_list **out) {
  if (v->kind == TV_LIST || v->kind == TV_TUPLE) {
    *out = v->u.list;
    return 0;
  }
  tpl_list *l = tpl_new_list(r);
  if (l == NULL) return -1;
  *out = l;
  if (v->kind == TV_UNDEFINED) return 0;
  if (v->kind == TV_DICT) {
    for (size_t i = 0; i < v->u.dict->count; i++)
      if (tpl_list_push(r, l, v->u.dict->entries[i].key) != 0) return -1;
    return 0;
  }
  if (v->kind == TV_STR) {
    for (size_t i = 0; i < v->u.s->len;) {
      size_t n = tok_utf8_len((unsigned char)v->u.s->data[i]);
      if (tpl_list_push(r, l, tpl_make_str(r, v->u.s->data + i, n)) != 0) return -1;
      i += n;
    }
    return 0;
  }
  return tpl_fail(r, at, PIO_ERR_INVALID, "'%s' object is not iterable", tpl_type_name(v));
}

static int to_str(tpl_render *r, const tpl_value *v, tpl_value *out) {
  if (v->kind == TV_STR) {
    *out = *v;
    return 0;
  }
  tok_buf b = {0};
  if (tpl_value_str(r, v, &b) != 0) return -1;
  return tb_ret_buf(r, &b, out);
}

/* select/reject/selectattr/rejectattr: keep items whose test (or truth) is want. */
static int select_items(tpl_render *r, const tpl_node *at, const tpl_value *seq, const tpl_args *a,
                        int by_attr, int want, tpl_value *out) {
  tpl_list *items, *kept = tpl_new_list(r);
  if (kept == NULL || items_of(r, at, seq, &items) != 0) return -1;
  size_t next = 0;
  const char *attr = NULL;
  if (by_attr) {
    const tpl_value *name = tb_arg(a, next++, NULL);
    if (tb_need_str(r, at, name, "selectattr")) return -1;
    attr = name->u.s->data;
  }
  const tpl_value *test_name = tb_arg(a, next++, NULL);
  int test = -1;
  if (test_name) {
    if (tb_need_str(r, at, test_name, "select")) return -1;
    if ((test = tpl_test_index(test_name->u.s->data)) < 0)
      return tpl_fail(r, at, PIO_ERR_UNSUPPORTED, "test '%s' is not supported",
                      test_name->u.s->data);
  }
  size_t n_rest = a->n_pos > next ? a->n_pos - next : 0;
  for (size_t i = 0; i < items->count; i++) {
    tpl_value v = items->items[i];
    if (attr) {
      tpl_value key = tpl_make_str(r, attr, strlen(attr));
      if (v.kind == TV_DICT) {
        tpl_value *found = tpl_dict_get(v.u.dict, attr, strlen(attr));
        v = found ? *found : (tpl_value){TV_UNDEFINED, {0}};
      } else if (tpl_getattr(r, at, &v, key.u.s->data, &v) != 0) {
        return -1;
      }
    }
    int keep;
    if (test >= 0) {
      if (tpl_run_test(r, at, test, &v, a->pos + next, n_rest, &keep) != 0) return -1;
    } else {
      keep = tpl_truthy(&v);
    }
    if (keep == want && tpl_list_push(r, kept, items->items[i]) != 0) return -1;
  }
  *out = (tpl_value){TV_LIST, {.list = kept}};
  return 0;
}

static int to_int(tpl_render *r, const tpl_value *v, const tpl_args *a, tpl_value *out) {
  const tpl_value *def = tb_arg(a, 0, "default");
  int64_t fallback = def && def->kind == TV_INT ? def->u.i : 0;
  switch (v->kind) {
    case TV_INT:
      *out = *v;
      return 0;
    case TV_BOOL:
      *out = (tpl_value){TV_INT, {.i = v->u.b}};
      return 0;
    case TV_FLOAT:
      *out = (tpl_value){
          TV_INT, {.i = isfinite(v->u.f) && fabs(v->u.f) < 9e18 ? (int64_t)v->u.f : fallback}};
      return 0;
    case TV_STR: {
      char *end;
      long long i = strtoll(v->u.s->data, &end, 10);
      if (end != v->u.s->data && *end == '\0') {
        *out = (tpl_value){TV_INT, {.i = i}};
        return 0;
      }
      double f = strtod(v->u.s->data, &end);
      *out = (tpl_value){
          TV_INT,
          {.i = end != v->u.s->data && *end == '\0' && fabs(f) < 9e18 ? (int64_t)f : fallback}};
      return 0;
    }
    default:
      *out = (tpl_value){TV_INT, {.i = fallback}};
      return 0;
  }
}

static int tojson(tpl_render *r, const tpl_node *at, const tpl_value *v, const tpl_args *a,
                  tpl_value *out) {
  const tpl_value *indent = tb_arg(a, 0, "indent"), *seps = tb_arg(a, 1, "separators"),
                  *sort = tb_arg(a, 2, "sort_keys"), *ascii = tb_arg(a, 3, "ensure_ascii");
  long ind = -1;
  if (indent && indent->kind == TV_INT)
    ind = indent->u.i < 0 ? 0 : (long)(indent->u.i > 64 ? 64 : indent->u.i);
  else if (indent && indent->kind != TV_NONE)
    return tpl_fail(r, at, PIO_ERR_UNSUPPORTED, "tojson: indent must be an integer or none");
  if (ascii && tpl_truthy(ascii))
    return tpl_fail(r, at, PIO_ERR_UNSUPPORTED, "tojson: ensure_ascii=true is not supported");
  const char *item_sep = NULL, *key_sep = NULL;
  if (seps && seps->kind != TV_NONE) {
    if ((seps->kind != TV_TUPLE && seps->kind != TV_LIST) || seps->u.list->count != 2 ||
        seps->u.list->items[0].kind != TV_STR || seps->u.list->items[1].kind != TV_STR)
      return tpl_fail(r, at, PIO_ERR_INVALID, "tojson: separators must be two strings");
    item_sep = seps->u.list->items[0].u.s->data;
    key_sep = seps->u.list->items[1].u.s->data;
  }
  tok_buf b = {0};
  if (tpl_tojson(r, at, v, ind, item_sep, key_sep, sort && tpl_truthy(sort), &b) != 0) {
    tok_buf_free(&b);
    return -1;
  }
  return tb_ret_buf(r, &b, out);
}

static int reduce(tpl_render *r, const tpl_node *at, int filter, const tpl_value *v,
                  tpl_value *out) {
  tpl_list *items;
  if (items_of(r, at, v, &items) != 0) return -1;
  if (filter == F_SUM) {
    tpl_value acc = {TV_INT, {.i = 0}};
    for (size_t i = 0; i < items->count; i++) {
      const tpl_value *x = &items->items[i];
      if (x->kind == TV_FLOAT || acc.kind == TV_FLOAT) {
        double s = (acc.kind == TV_FLOAT ? acc.u.f : (double)acc.u.i) +
                   (x->kind == TV_FLOAT ? x->u.f
                    : x->kind == TV_INT ? (double)x->u.i
                                        : x->u.b);
        if (x->kind != TV_FLOAT && x->kind != TV_INT && x->kind != TV_BOOL) goto bad;
        acc = (tpl_value){TV_FLOAT, {.f = s}};
      } else if (x->kind == TV_INT || x->kind == TV_BOOL) {
        acc.u.i += x->kind == TV_INT ? x->u.i : x->u.b;
      } else {
        goto bad;
      }
    }
    *out = acc;
    return 0;
  bad:
    return tpl_fail(r, at, PIO_ERR_INVALID, "sum: the items must be numbers");
  }
  if (items->count == 0) {
    *out = tpl_undefined(r, "%s of an empty sequence", filter == F_MIN ? "min" : "max", NULL);
    return 0;
  }
  size_t best = 0;
  for (size_t i = 1; i < items->count; i++) {
    const tpl_value *x = &items->items[i], *y = &items->items[best];
    int less;
    if ((x->kind == TV_INT || x->kind == TV_FLOAT) && (y->kind == TV_INT || y->kind == TV_FLOAT))
      less = (x->kind == TV_INT ? (double)x->u.i : x->u.f) <
             (y->kind == TV_INT ? (double)y->u.i : y->u.f);
    else if (x->kind == TV_STR && y->kind == TV_STR)
      less = strcmp(x->u.s->data, y->u.s->data) < 0;
    else
      return tpl_fail(r, at, PIO_ERR_INVALID, "%s: items that do not compare",
                      filter == F_MIN ? "min" : "max");
    if (filter == F_MIN ? less : (!less && !tpl_equal(x, y))) best = i;
  }
  *out = items->items[best];
  return 0;
}

int tpl_run_filter(tpl_render *r, const tpl_node *at, int filter, const tpl_value *v,
                   const tpl_args *a, tpl_value *out) {
  const tpl_value *x = tb_arg(a, 0, NULL), *y = tb_arg(a, 1, NULL);
  tpl_value s;
  int64_t n = 0;
  switch (filter) {
    case F_TRIM:
      if (to_str(r, v, &s) != 0) return -1;
      return tb_strip(r, s.u.s, x && x->kind == TV_STR ? x->u.s : NULL, 1, 1, out);
    case F_LENGTH:
    case F_COUNT:
      if (length_of(r, at, v, &n) != 0) return -1;
      *out = (tpl_value){TV_INT, {.i = n}};
      return 0;
    case F_TOJSON:
      return tojson(r, at, v, a, out);
    case F_STRING:
      return to_str(r, v, out);
    case F_SAFE:
      *out = *v;
      return 0;
    case F_LOWER:
    case F_UPPER:
    case F_CAPITALIZE:
    case F_TITLE:
      if (to_str(r, v, &s) != 0) return -1;
      return tb_recase(r, s.u.s,
                       filter == F_LOWER        ? 0
                       : filter == F_UPPER      ? 1
                       : filter == F_CAPITALIZE ? 2
                                                : 3,
                       out);
    case F_REPLACE: {
      const tpl_value *c = tb_arg(a, 2, "count");
      if (to_str(r, v, &s) != 0 || tb_need_str(r, at, x, "replace") ||
          tb_need_str(r, at, y, "replace"))
        return -1;
      return tb_replace(r, s.u.s, x->u.s, y->u.s, c && c->kind == TV_INT ? c->u.i : -1, out);
    }
    case F_LIST:
    case F_UNIQUE:
    case F_REVERSE: {
      tpl_list *items, *l = tpl_new_list(r);
      if (l == NULL || items_of(r, at, v, &items) != 0) return -1;
      for (size_t i = 0; i < items->count; i++) {
        const tpl_value *item = &items->items[filter == F_REVERSE ? items->count - 1 - i : i];
        int seen = 0;
        for (size_t k = 0; filter == F_UNIQUE && k < l->count && !seen; k++)
          seen = tpl_equal(&l->items[k], item);
        if (!seen && tpl_list_push(r, l, *item) != 0) return -1;
      }
      if (filter == F_REVERSE && v->kind == TV_STR) {
        tok_buf b = {0};
        for (size_t i = 0; i < l->count; i++)
          if (tok_buf_append(&b, l->items[i].u.s->data, l->items[i].u.s->len))
            return tpl_no_memory(r);
        return tb_ret_buf(r, &b, out);
      }
      *out = (tpl_value){TV_LIST, {.list = l}};
      return 0;
    }
    case F_SELECTATTR:
      return select_items(r, at, v, a, 1, 1, out);
    case F_REJECTATTR:
      return select_items(r, at, v, a, 1, 0, out);
    case F_SELECT:
      return select_items(r, at, v, a, 0, 1, out);
    case F_REJECT:
      return select_items(r, at, v, a, 0, 0, out);
    case F_JOIN: {
      const tpl_value *sep = tb_arg(a, 0, "d"), *attr = tb_arg(a, 1, "attribute");
      if (sep && sep->kind != TV_STR) return tb_need_str(r, at, sep, "join");
      tpl_list *items;
      if (items_of(r, at, v, &items) != 0) return -1;
      tpl_value seq = {TV_LIST, {.list = items}};
      return tb_join(r, at, &seq, sep ? sep->u.s : NULL,
                     attr && attr->kind == TV_STR ? attr->u.s->data : NULL, out);
    }
    case F_FIRST:
    case F_LAST: {
      tpl_list *items;
      if (items_of(r, at, v, &items) != 0) return -1;
      if (items->count == 0)
        *out = tpl_undefined(r, "No %s item, sequence was empty.",
                             filter == F_FIRST ? "first" : "last", NULL);
      else
        *out = items->items[filter == F_FIRST ? 0 : items->count - 1];
      return 0;
    }
    case F_ITEMS: {
      if (v->kind == TV_UNDEFINED) {
        tpl_list *l = tpl_new_list(r);
        if (l == NULL) return -1;
        *out = (tpl_value){TV_LIST, {.list = l}};
        return 0;
      }
      if (v->kind != TV_DICT)
        return tpl_fail(r, at, PIO_ERR_INVALID, "items: expected a mapping, found %s",
                        tpl_type_name(v));
      tpl_method m = {*v, M_ITEMS};
      tpl_args none = {0};
      return tpl_call_method(r, at, &m, &none, out);
    }
    case F_DEFAULT:
    case F_D: {
      const tpl_value *def = tb_arg(a, 0, "default_value"), *boolean = tb_arg(a, 1, "boolean");
      int use = v->kind == TV_UNDEFINED || (boolean && tpl_truthy(boolean) && !tpl_truthy(v));
      if (!use)
        *out = *v;
      else if (def)
        *out = *def;
      else
        *out = tpl_make_str(r, "", 0);
      return 0;
    }
    case F_INT:
      return to_int(r, v, a, out);
    case F_FLOAT:
      if (v->kind == TV_FLOAT)
        *out = *v;
      else if (v->kind == TV_INT || v->kind == TV_BOOL)
        *out = (tpl_value){TV_FLOAT, {.f = v->kind == TV_INT ? (double)v->u.i : v->u.b}};
      else if (v->kind == TV_STR) {
        char *end;
        double f = strtod(v->u.s->data, &end);
        *out = (tpl_value){TV_FLOAT, {.f = end != v->u.s->data && *end == '\0' ? f : 0.0}};
      } else {
        *out = (tpl_value){TV_FLOAT, {.f = 0.0}};
      }
      return 0;
    case F_ABS:
      if (v->kind == TV_INT)
        *out = (tpl_value){TV_INT, {.i = v->u.i < 0 ? -v->u.i : v->u.i}};
      else if (v->kind == TV_FLOAT)
        *out = (tpl_value){TV_FLOAT, {.f = fabs(v->u.f)}};
      else
        return tpl_fail(r, at, PIO_ERR_INVALID, "bad operand type for abs(): '%s'",
                        tpl_type_name(v));
      return 0;
    case F_MAP: {
      const tpl_value *attr = tb_arg(a, a->n_pos, "attribute");
      tpl_list *items, *l = tpl_new_list(r);
      if (l == NULL || items_of(r, at, v, &items) != 0) return -1;
      int f = -1;
      if (attr == NULL) {
        if (tb_need_str(r, at, x, "map")) return -1;
        if ((f = tpl_filter_index(x->u.s->data)) < 0)
          return tpl_fail(r, at, PIO_ERR_UNSUPPORTED, "filter '%s' is not supported", x->u.s->data);
      } else if (tb_need_str(r, at, attr, "map")) {
        return -1;
      }
      tpl_args rest = {a->pos + (a->n_pos ? 1 : 0), a->n_pos ? a->n_pos - 1 : 0, NULL, NULL, 0};
      for (size_t i = 0; i < items->count; i++) {
        tpl_value item;
        if (attr) {
          const tpl_value *d = tb_arg(a, a->n_pos + 1, "default");
          if (tpl_getattr(r, at, &items->items[i], attr->u.s->data, &item) != 0) return -1;
          if (item.kind == TV_UNDEFINED && d) item = *d;
        } else if (tpl_run_filter(r, at, f, &items->items[i], &rest, &item) != 0) {
          return -1;
        }
        if (tpl_list_push(r, l, item) != 0) return -1;
      }
      *out = (tpl_value){TV_LIST, {.list = l}};
      return 0;
    }
    case F_SUM:
    case F_MIN:
    case F_MAX:
      return reduce(r, at, filter, v, out);
  }
  return tpl_fail(r, at, PIO_ERR_INTERNAL, "unknown filter");
}

static int is_lower_or_upper(const tpl_value *v, int upper) {
  if (v->kind != TV_STR) return 0;
  int cased = 0;
  for (size_t i = 0; i < v->u.s->len;) {
    size_t n;
    utf8proc_category_t c =
        utf8proc_category((utf8proc_int32_t)tok_utf8_decode(v->u.s->data, i, &n));
    if (c == (upper ? UTF8PROC_CATEGORY_LL : UTF8PROC_CATEGORY_LU) || c == UTF8PROC_CATEGORY_LT)
      return 0;
    cased |= c == UTF8PROC_CATEGORY_LL || c == UTF8PROC_CATEGORY_LU;
    i += n;
  }
  return cased;
}

int tpl_run_test(tpl_render *r, const tpl_node *at, int test, const tpl_value *v,
                 const tpl_value *args, size_t n_args, int *result) {
  const tpl_value *x = n_args ? &args[0] : NULL;
  switch (test) {
    case T_DEFINED:
      *result = v->kind != TV_UNDEFINED;
      return 0;
    case T_UNDEFINED:
      *result = v->kind == TV_UNDEFINED;
      return 0;
    case T_NONE:
      *result = v->kind == TV_NONE;
      return 0;
    case T_STRING:
      *result = v->kind == TV_STR;
      return 0;
    case T_NUMBER:
      *result = v->kind == TV_INT || v->kind == TV_FLOAT || v->kind == TV_BOOL;
      return 0;
    case T_INTEGER:
      *result = v->kind == TV_INT;
      return 0;
    case T_FLOAT:
      *result = v->kind == TV_FLOAT;
      return 0;
    case T_BOOLEAN:
      *result = v->kind == TV_BOOL;
      return 0;
    case T_TRUE:
      *result = v->kind == TV_BOOL && v->u.b;
      return 0;
    case T_FALSE:
      *result = v->kind == TV_BOOL && !v->u.b;
      return 0;
    case T_MAPPING:
      *result = v->kind == TV_DICT;
      return 0;
    case T_ITERABLE:
      *result = v->kind == TV_STR || v->kind == TV_LIST || v->kind == TV_TUPLE ||
                v->kind == TV_DICT || v->kind == TV_UNDEFINED;
      return 0;
    case T_SEQUENCE:
      *result =
          v->kind == TV_STR || v->kind == TV_LIST || v->kind == TV_TUPLE || v->kind == TV_DICT;
      return 0;
    case T_CALLABLE:
      *result = v->kind == TV_MACRO || v->kind == TV_BUILTIN || v->kind == TV_METHOD;
      return 0;
    case T_LOWER:
      *result = is_lower_or_upper(v, 0);
      return 0;
    case T_UPPER:
      *result = is_lower_or_upper(v, 1);
      return 0;
    case T_ODD:
    case T_EVEN:
      if (v->kind != TV_INT)
        return tpl_fail(r, at, PIO_ERR_INVALID, "test '%s' needs an integer", tb_tests[test]);
      *result = (v->u.i % 2 != 0) == (test == T_ODD);
      return 0;
    default:
      break;
  }
  if (x == NULL)
    return tpl_fail(r, at, PIO_ERR_INVALID, "test '%s' takes an argument", tb_tests[test]);
  switch (test) {
    case T_EQUALTO:
    case T_EQ:
      *result = tpl_equal(v, x);
      return 0;
    case T_SAMEAS:
      *result = tpl_equal(v, x) && v->kind == x->kind;
      return 0;
    case T_NE:
      *result = !tpl_equal(v, x);
      return 0;
    case T_IN: {
      if (x->kind == TV_STR && v->kind == TV_STR) {
        *result = memmem(x->u.s->data, x->u.s->len, v->u.s->data, v->u.s->len) != NULL ||
                  v->u.s->len == 0;
        return 0;
      }
      *result = 0;
      if (x->kind == TV_LIST || x->kind == TV_TUPLE)
        for (size_t i = 0; i < x->u.list->count && !*result; i++)
          *result = tpl_equal(v, &x->u.list->items[i]);
      else if (x->kind == TV_DICT)
        for (size_t i = 0; i < x->u.dict->count && !*result; i++)
          *result = tpl_equal(v, &x->u.dict->entries[i].key);
      return 0;
    }
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
    case T_ODD:
    case T_EVEN:
    case T_DIVISIBLEBY:
      break;
  }
  int num =
      (v->kind == TV_INT || v->kind == TV_FLOAT) && (x->kind == TV_INT || x->kind == TV_FLOAT);
  if (!num) return tpl_fail(r, at, PIO_ERR_INVALID, "test '%s' needs numbers", tb_tests[test]);
  double a = v->kind == TV_INT ? (double)v->u.i : v->u.f,
         b = x->kind == TV_INT ? (double)x->u.i : x->u.f;
  switch (test) {
    case T_LT:
      *result = a < b;
      return 0;
    case T_LE:
      *result = a <= b;
      return 0;
    case T_GT:
      *result = a > b;
      return 0;
    case T_GE:
      *result = a >= b;
      return 0;
    default:
      if (b == 0) return tpl_fail(r, at, PIO_ERR_INVALID, "divisibleby 0");
      *result = fmod(a, b) == 0;
      return 0;
  }
}

int tpl_call_global(tpl_render *r, const tpl_node *at, int global, const tpl_args *a,
                    tpl_value *out) {
  const tpl_value *x = tb_arg(a, 0, NULL);
  switch (global) {
    case G_RAISE: {
      tok_buf b = {0};
      if (x) tpl_value_str(r, x, &b);
      tpl_fail(r, at, PIO_ERR_INVALID, "raise_exception: %s", b.data ? b.data : "");
      tok_buf_free(&b);
      return -1;
    }
    case G_STRFTIME: {
      if (tb_need_str(r, at, x, "strftime_now")) return -1;
      char buf[256];
      time_t now = time(NULL);
      struct tm tm;
      localtime_r(&now, &tm);
      size_t n = strftime(buf, sizeof buf, x->u.s->data, &tm);
      *out = tpl_make_str(r, buf, n);
      return out->kind == TV_STR ? 0 : -1;
    }
    case G_NAMESPACE:
    case G_DICT: {
      tpl_dict *d = tpl_new_dict(r);
      if (d == NULL) return -1;
      if (x && x->kind == TV_DICT)
        for (size_t i = 0; i < x->u.dict->count; i++)
          if (tpl_dict_set(r, d, x->u.dict->entries[i].key, x->u.dict->entries[i].value) != 0)
            return -1;
      for (size_t i = 0; i < a->n_kw; i++)
        if (tpl_dict_set(r, d, tpl_make_str(r, a->kw_names[i], strlen(a->kw_names[i])), a->kw[i]) !=
            0)
          return -1;
      *out = (tpl_value){global == G_NAMESPACE ? TV_NAMESPACE : TV_DICT, {.dict = d}};
      return 0;
    }
    case G_RANGE: {
      int64_t start = 0, stop, stepv = 1;
      for (size_t i = 0; i < a->n_pos; i++)
        if (a->pos[i].kind != TV_INT)
          return tpl_fail(r, at, PIO_ERR_INVALID, "range() takes integers");
      if (a->n_pos == 1)
        stop = a->pos[0].u.i;
      else if (a->n_pos >= 2)
        start = a->pos[0].u.i, stop = a->pos[1].u.i, stepv = a->n_pos > 2 ? a->pos[2].u.i : 1;
      else
        return tpl_fail(r, at, PIO_ERR_INVALID, "range() takes 1 to 3 integers");
      if (stepv == 0) return tpl_fail(r, at, PIO_ERR_INVALID, "range() step must not be zero");
      tpl_list *l = tpl_new_list(r);
      if (l == NULL) return -1;
      for (int64_t i = start; stepv > 0 ? i < stop : i > stop; i += stepv) {
        if (l->count >= 1000000)
          return tpl_fail(r, at, PIO_ERR_LIMIT, "range() over a million items");
        if (tpl_list_push(r, l, (tpl_value){TV_INT, {.i = i}}) != 0) return -1;
      }
      *out = (tpl_value){TV_LIST, {.list = l}};
      return 0;
    }
  }
  return tpl_fail(r, at, PIO_ERR_INTERNAL, "unknown global");
}
