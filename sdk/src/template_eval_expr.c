/* sdk/src/template_eval_expr.c — a chat template's expressions with
 * Python's semantics: arithmetic and comparison of ints, floats and
 * strings, attribute access as Jinja2's getattr (methods first, then
 * items), subscripts and slices by code point, calls of macros, globals
 * and methods; an undefined value is an error wherever a value is needed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_eval.h"

#define MAX_MACRO_DEPTH 64

tpl_value tpl_undefined(tpl_render *r, const char *fmt, const char *a, const char *b) {
  char buf[400];
  /* fmt is the caller's, taking a and b; cppcheck judges it by one caller. */
  // cppcheck-suppress wrongPrintfScanfArgNum
  snprintf(buf, sizeof buf, fmt, a, b ? b : "");
  tpl_value s = tpl_make_str(r, buf, strlen(buf));
  return (tpl_value){TV_UNDEFINED, {.undefined = s.kind == TV_STR ? s.u.s->data : NULL}};
}

int tpl_undefined_error(tpl_render *r, const tpl_node *at, const tpl_value *v) {
  return tpl_fail(r, at, PIO_ERR_INVALID, "%s",
                  v->u.undefined ? v->u.undefined : "a value is undefined");
}

static const char *object_name(const tpl_value *v) {
  switch (v->kind) {
    case TV_DICT:
      return "dict object";
    case TV_LIST:
      return "list object";
    case TV_TUPLE:
      return "tuple object";
    case TV_STR:
      return "str object";
    case TV_NAMESPACE:
      return "Namespace object";
    case TV_LOOP:
      return "LoopContext object";
    case TV_NONE:
      return "None";
    default:
      return tpl_type_name(v);
  }
}

/* ---- attributes and items ---- */
static int loop_attr(tpl_render *r, const tpl_loop *l, const char *name, tpl_value *out) {
  size_t n = l->items->count, i = l->index;
  if (!strcmp(name, "index"))
    *out = (tpl_value){TV_INT, {.i = (int64_t)i + 1}};
  else if (!strcmp(name, "index0"))
    *out = (tpl_value){TV_INT, {.i = (int64_t)i}};
  else if (!strcmp(name, "revindex"))
    *out = (tpl_value){TV_INT, {.i = (int64_t)(n - i)}};
  else if (!strcmp(name, "revindex0"))
    *out = (tpl_value){TV_INT, {.i = (int64_t)(n - i - 1)}};
  else if (!strcmp(name, "first"))
    *out = (tpl_value){TV_BOOL, {.b = i == 0}};
  else if (!strcmp(name, "last"))
    *out = (tpl_value){TV_BOOL, {.b = i + 1 == n}};
  else if (!strcmp(name, "length"))
    *out = (tpl_value){TV_INT, {.i = (int64_t)n}};
  else if (!strcmp(name, "depth"))
    *out = (tpl_value){TV_INT, {.i = 1}};
  else if (!strcmp(name, "depth0"))
    *out = (tpl_value){TV_INT, {.i = 0}};
  else if (!strcmp(name, "previtem"))
    *out =
        i > 0 ? l->items->items[i - 1] : tpl_undefined(r, "there is no previous item", NULL, NULL);
  else if (!strcmp(name, "nextitem"))
    *out =
        i + 1 < n ? l->items->items[i + 1] : tpl_undefined(r, "there is no next item", NULL, NULL);
  else
    *out = tpl_undefined(r, "'LoopContext object' has no attribute '%s'", name, NULL);
  return 0;
}

int tpl_getattr(tpl_render *r, const tpl_node *at, const tpl_value *obj, const char *name,
                tpl_value *out) {
  if (obj->kind == TV_UNDEFINED) return tpl_undefined_error(r, at, obj);
  if (obj->kind == TV_LOOP) return loop_attr(r, obj->u.loop, name, out);
  int id = tpl_method_id(obj, name);
  if (id >= 0) {
    tpl_method *m = tpl_alloc(&r->arena, sizeof *m);
    if (m == NULL) return tpl_no_memory(r);
    m->self = *obj;
    m->id = id;
    *out = (tpl_value){TV_METHOD, {.method = m}};
    return 0;
  }
  if (obj->kind == TV_DICT || obj->kind == TV_NAMESPACE) {
    tpl_value *v = tpl_dict_get(obj->u.dict, name, strlen(name));
    if (v) {
      *out = *v;
      return 0;
    }
  }
  *out = tpl_undefined(r, "'%s' has no attribute '%s'", object_name(obj), name);
  return 0;
}

/* Byte offset of code point k of s (k <= its length). */
static size_t cp_offset(const tpl_str *s, size_t k) {
  size_t i = 0;
  while (k > 0 && i < s->len) {
    i += tok_utf8_len((unsigned char)s->data[i]);
    k--;
  }
  return i;
}

static size_t cp_count(const tpl_str *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->len; i++) n += ((unsigned char)s->data[i] & 0xC0) != 0x80;
  return n;
}

static int getitem(tpl_render *r, const tpl_node *at, const tpl_value *obj, const tpl_value *key,
                   tpl_value *out) {
  if (obj->kind == TV_UNDEFINED) return tpl_undefined_error(r, at, obj);
  if ((obj->kind == TV_LIST || obj->kind == TV_TUPLE || obj->kind == TV_STR) &&
      (key->kind == TV_INT || key->kind == TV_BOOL)) {
    int64_t i = key->kind == TV_INT ? key->u.i : key->u.b;
    int64_t n = obj->kind == TV_STR ? (int64_t)cp_count(obj->u.s) : (int64_t)obj->u.list->count;
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
      char index[32];
      snprintf(index, sizeof index, "%lld", (long long)(key->kind == TV_INT ? key->u.i : key->u.b));
      *out = tpl_undefined(r, "%s has no element %s", object_name(obj), index);
      return 0;
    }
    if (obj->kind != TV_STR) {
      *out = obj->u.list->items[i];
      return 0;
    }
    size_t b = cp_offset(obj->u.s, (size_t)i);
    *out = tpl_make_str(r, obj->u.s->data + b, tok_utf8_len((unsigned char)obj->u.s->data[b]));
    return out->kind == TV_STR ? 0 : -1;
  }
  if (obj->kind == TV_DICT || obj->kind == TV_NAMESPACE) {
    for (size_t i = 0; i < obj->u.dict->count; i++)
      if (tpl_equal(&obj->u.dict->entries[i].key, key)) {
        *out = obj->u.dict->entries[i].value;
        return 0;
      }
  }
  if (key->kind == TV_STR) return tpl_getattr(r, at, obj, key->u.s->data, out);
  *out = tpl_undefined(r, "'%s' has no item of that key", object_name(obj), NULL);
  return 0;
}

/* Python's slice.indices. */
static void slice_indices(int64_t n, const tpl_value *a, const tpl_value *b, int64_t step,
                          int64_t *start, int64_t *stop) {
  int64_t lo = step < 0 ? -1 : 0, hi = step < 0 ? n - 1 : n;
  if (a->kind == TV_INT) {
    *start = a->u.i < 0 ? a->u.i + n : a->u.i;
    if (*start < lo) *start = lo;
    if (*start > hi) *start = hi;
  } else {
    *start = step < 0 ? hi : lo;
  }
  if (b->kind == TV_INT) {
    *stop = b->u.i < 0 ? b->u.i + n : b->u.i;
    if (*stop < lo) *stop = lo;
    if (*stop > hi) *stop = hi;
  } else {
    *stop = step < 0 ? lo : hi;
  }
}

static int eval_slice(tpl_render *r, const tpl_node *n, tpl_value *out) {
  tpl_value obj, parts[3] = {{TV_NONE, {0}}, {TV_NONE, {0}}, {TV_NONE, {0}}};
  const tpl_node *nodes[3] = {n->a, n->b, n->c};
  if (tpl_eval(r, n->items[0], &obj) != 0) return -1;
  for (int k = 0; k < 3; k++) {
    if (nodes[k] && tpl_eval(r, nodes[k], &parts[k]) != 0) return -1;
    if (parts[k].kind != TV_NONE && parts[k].kind != TV_INT)
      return tpl_fail(r, n, PIO_ERR_INVALID, "slice indices must be integers or None");
  }
  int64_t step = parts[2].kind == TV_INT ? parts[2].u.i : 1;
  if (step == 0) return tpl_fail(r, n, PIO_ERR_INVALID, "slice step cannot be zero");
  if (obj.kind == TV_UNDEFINED) return tpl_undefined_error(r, n, &obj);
  int is_str = obj.kind == TV_STR;
  if (!is_str && obj.kind != TV_LIST && obj.kind != TV_TUPLE)
    return tpl_fail(r, n, PIO_ERR_INVALID, "'%s' object is not subscriptable", tpl_type_name(&obj));
  int64_t len = is_str ? (int64_t)cp_count(obj.u.s) : (int64_t)obj.u.list->count, start, stop;
  slice_indices(len, &parts[0], &parts[1], step, &start, &stop);
  tpl_list *l = is_str ? NULL : tpl_new_list(r);
  tok_buf b = {0};
  if (!is_str && l == NULL) return -1;
  size_t *offs = NULL;
  if (is_str) {
    offs = malloc(((size_t)len + 1) * sizeof *offs);
    if (offs == NULL) return tpl_no_memory(r);
    for (int64_t k = 0, i = 0; k <= len; k++) {
      offs[k] = (size_t)i;
      if (k < len) i += (int64_t)tok_utf8_len((unsigned char)obj.u.s->data[i]);
    }
  }
  int rc = 0;
  for (int64_t i = start; rc == 0 && (step > 0 ? i < stop : i > stop); i += step) {
    if (is_str)
      rc =
          tok_buf_append(&b, obj.u.s->data + offs[i], offs[i + 1] - offs[i]) ? tpl_no_memory(r) : 0;
    else
      rc = tpl_list_push(r, l, obj.u.list->items[i]);
  }
  free(offs);
  if (rc == 0 && is_str) {
    *out = tpl_make_str(r, b.data ? b.data : "", b.len);
    rc = out->kind == TV_STR ? 0 : -1;
  } else if (rc == 0) {
    *out = (tpl_value){obj.kind, {.list = l}};
  }
  tok_buf_free(&b);
  return rc;
}

/* ---- calls ---- */
typedef struct evaluated_args {
  tpl_value pos[16], kw[16];
  const char *names[16];
  tpl_args args;
} evaluated_args;

static int eval_args(tpl_render *r, const tpl_node *n, evaluated_args *e) {
  if (n->n_items > 16 || n->n_kwargs > 16)
    return tpl_fail(r, n, PIO_ERR_LIMIT, "too many arguments");
  for (size_t i = 0; i < n->n_items; i++)
    if (tpl_eval(r, n->items[i], &e->pos[i]) != 0) return -1;
  for (size_t i = 0; i < n->n_kwargs; i++) {
    if (tpl_eval(r, n->kwargs[i].value, &e->kw[i]) != 0) return -1;
    e->names[i] = n->kwargs[i].name;
  }
  e->args = (tpl_args){e->pos, n->n_items, e->names, e->kw, n->n_kwargs};
  return 0;
}

static int call_macro(tpl_render *r, const tpl_node *at, const tpl_node *m, const tpl_args *a,
                      tpl_value *out) {
  if (r->depth >= MAX_MACRO_DEPTH)
    return tpl_fail(r, at, PIO_ERR_LIMIT, "macros call each other more than %d deep",
                    MAX_MACRO_DEPTH);
  if (a->n_pos > m->n_names)
    return tpl_fail(r, at, PIO_ERR_INVALID, "macro '%s' takes %zu arguments, %zu given", m->name,
                    m->n_names, a->n_pos);
  size_t floor = r->floor, depth = r->n_scopes;
  if (tpl_push_scope(r) != 0) return -1;
  r->floor = r->n_scopes - 1;
  int rc = 0;
  for (size_t i = 0; i < m->n_names && rc == 0; i++) {
    tpl_value v =
        tpl_undefined(r, "parameter '%s' of macro '%s' was not given", m->names[i], m->name);
    int given = 0;
    if (i < a->n_pos) {
      v = a->pos[i];
      given = 1;
    }
    for (size_t k = 0; k < a->n_kw; k++)
      if (!strcmp(a->kw_names[k], m->names[i])) v = a->kw[k], given = 1;
    if (!given && m->kwargs[i].value && tpl_eval(r, m->kwargs[i].value, &v) != 0) rc = -1;
    if (rc == 0) rc = tpl_assign(r, m->names[i], v);
  }
  r->depth++;
  if (rc == 0) rc = tpl_capture(r, m->body, out);
  r->depth--;
  r->n_scopes = depth;
  r->floor = floor;
  return rc;
}

static int eval_call(tpl_render *r, const tpl_node *n, tpl_value *out) {
  tpl_value callee;
  if (tpl_eval(r, n->a, &callee) != 0) return -1;
  evaluated_args e;
  if (eval_args(r, n, &e) != 0) return -1;
  switch (callee.kind) {
    case TV_MACRO:
      return call_macro(r, n, callee.u.macro, &e.args, out);
    case TV_BUILTIN:
      return tpl_call_global(r, n, callee.u.builtin, &e.args, out);
    case TV_METHOD:
      return tpl_call_method(r, n, callee.u.method, &e.args, out);
    case TV_UNDEFINED:
      return tpl_undefined_error(r, n, &callee);
    default:
      return tpl_fail(r, n, PIO_ERR_INVALID, "'%s' object is not callable", tpl_type_name(&callee));
  }
}

/* ---- operators ---- */
static int is_num(const tpl_value *v) {
  return v->kind == TV_INT || v->kind == TV_FLOAT || v->kind == TV_BOOL;
}
static double num(const tpl_value *v) {
  return v->kind == TV_FLOAT ? v->u.f : v->kind == TV_INT ? (double)v->u.i : v->u.b;
}
static int64_t inum(const tpl_value *v) { return v->kind == TV_INT ? v->u.i : v->u.b; }

static int type_error(tpl_render *r, const tpl_node *n, const char *op, const tpl_value *a,
                      const tpl_value *b) {
  if (a->kind == TV_UNDEFINED) return tpl_undefined_error(r, n, a);
  if (b->kind == TV_UNDEFINED) return tpl_undefined_error(r, n, b);
  return tpl_fail(r, n, PIO_ERR_INVALID, "unsupported operand type(s) for %s: '%s' and '%s'", op,
                  tpl_type_name(a), tpl_type_name(b));
}

static int concat(tpl_render *r, const tpl_value *a, const tpl_value *b, tpl_value *out) {
  tok_buf s = {0};
  int rc = tpl_value_str(r, a, &s) || tpl_value_str(r, b, &s);
  if (rc == 0) {
    *out = tpl_make_str(r, s.data ? s.data : "", s.len);
    rc = out->kind == TV_STR ? 0 : -1;
  }
  tok_buf_free(&s);
  return rc;
}

static int arith(tpl_render *r, const tpl_node *n, const tpl_value *a, const tpl_value *b,
                 tpl_value *out) {
  const char *op = n->op;
  if (!strcmp(op, "~")) return concat(r, a, b, out);
  if (!strcmp(op, "+") && a->kind == TV_STR && b->kind == TV_STR) return concat(r, a, b, out);
  if (!strcmp(op, "+") && (a->kind == TV_LIST || a->kind == TV_TUPLE) && a->kind == b->kind) {
    tpl_list *l = tpl_new_list(r);
    if (l == NULL) return -1;
    for (size_t i = 0; i < a->u.list->count; i++)
      if (tpl_list_push(r, l, a->u.list->items[i])) return -1;
    for (size_t i = 0; i < b->u.list->count; i++)
      if (tpl_list_push(r, l, b->u.list->items[i])) return -1;
    *out = (tpl_value){a->kind, {.list = l}};
    return 0;
  }
  if (!strcmp(op, "*") &&
      ((a->kind == TV_STR && b->kind == TV_INT) || (a->kind == TV_INT && b->kind == TV_STR))) {
    const tpl_value *s = a->kind == TV_STR ? a : b;
    int64_t times = a->kind == TV_INT ? a->u.i : b->u.i;
    tok_buf buf = {0};
    if (times > 0 && (uint64_t)times * s->u.s->len > PIO_TEMPLATE_MAX_OUTPUT)
      return tpl_fail(r, n, PIO_ERR_LIMIT, "string repetition too large");
    for (int64_t k = 0; k < times; k++)
      if (tok_buf_append(&buf, s->u.s->data, s->u.s->len)) {
        tok_buf_free(&buf);
        return tpl_no_memory(r);
      }
    *out = tpl_make_str(r, buf.data ? buf.data : "", buf.len);
    tok_buf_free(&buf);
    return out->kind == TV_STR ? 0 : -1;
  }
  if (!is_num(a) || !is_num(b)) return type_error(r, n, op, a, b);
  int ints = a->kind != TV_FLOAT && b->kind != TV_FLOAT;
  double x = num(a), y = num(b);
  int64_t i = inum(a), j = inum(b);
  if (!strcmp(op, "/")) {
    if (y == 0) return tpl_fail(r, n, PIO_ERR_INVALID, "division by zero");
    *out = (tpl_value){TV_FLOAT, {.f = x / y}};
    return 0;
  }
  if (!strcmp(op, "//") || !strcmp(op, "%")) {
    if (y == 0) return tpl_fail(r, n, PIO_ERR_INVALID, "integer division or modulo by zero");
    if (ints) {
      if (i == INT64_MIN && j == -1) return tpl_fail(r, n, PIO_ERR_INVALID, "integer overflow");
      int64_t q = i / j, m = i % j;
      if (m != 0 && ((m < 0) != (j < 0))) q--, m += j;
      *out = (tpl_value){TV_INT, {.i = op[0] == '/' ? q : m}};
    } else {
      double q = floor(x / y), m = fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      *out = (tpl_value){TV_FLOAT, {.f = op[0] == '/' ? q : m}};
    }
    return 0;
  }
  if (!strcmp(op, "**")) {
    if (ints && j >= 0) {
      int64_t acc = 1;
      for (int64_t k = 0; k < j; k++)
        if (__builtin_mul_overflow(acc, i, &acc))
          return tpl_fail(r, n, PIO_ERR_INVALID, "integer overflow");
      *out = (tpl_value){TV_INT, {.i = acc}};
    } else {
      *out = (tpl_value){TV_FLOAT, {.f = pow(x, y)}};
    }
    return 0;
  }
  if (ints) {
    int64_t v;
    int overflow = op[0] == '+'   ? __builtin_add_overflow(i, j, &v)
                   : op[0] == '-' ? __builtin_sub_overflow(i, j, &v)
                                  : __builtin_mul_overflow(i, j, &v);
    if (overflow) return tpl_fail(r, n, PIO_ERR_INVALID, "integer overflow");
    *out = (tpl_value){TV_INT, {.i = v}};
  } else {
    *out = (tpl_value){TV_FLOAT, {.f = op[0] == '+' ? x + y : op[0] == '-' ? x - y : x * y}};
  }
  return 0;
}

static int contains(tpl_render *r, const tpl_node *n, const tpl_value *item, const tpl_value *in,
                    int *result) {
  switch (in->kind) {
    case TV_STR:
      if (item->kind != TV_STR)
        return tpl_fail(r, n, PIO_ERR_INVALID,
                        "'in <string>' requires string as left operand, not %s",
                        tpl_type_name(item));
      *result = item->u.s->len == 0 ||
                memmem(in->u.s->data, in->u.s->len, item->u.s->data, item->u.s->len) != NULL;
      return 0;
    case TV_LIST:
    case TV_TUPLE:
      *result = 0;
      for (size_t i = 0; i < in->u.list->count && !*result; i++)
        *result = tpl_equal(item, &in->u.list->items[i]);
      return 0;
    case TV_DICT:
    case TV_NAMESPACE:
      *result = 0;
      for (size_t i = 0; i < in->u.dict->count && !*result; i++)
        *result = tpl_equal(item, &in->u.dict->entries[i].key);
      return 0;
    case TV_UNDEFINED:
      *result = 0;
      return 0;
    default:
      return tpl_fail(r, n, PIO_ERR_INVALID, "argument of type '%s' is not iterable",
                      tpl_type_name(in));
  }
}

/* Python's <, <=, >, >= of numbers, strings and sequences: -1, 0, 1. */
static int order(tpl_render *r, const tpl_node *n, const char *op, const tpl_value *a,
                 const tpl_value *b, int *cmp) {
  if (is_num(a) && is_num(b)) {
    if (a->kind != TV_FLOAT && b->kind != TV_FLOAT)
      *cmp = inum(a) < inum(b) ? -1 : inum(a) > inum(b);
    else
      *cmp = num(a) < num(b) ? -1 : num(a) > num(b);
    return 0;
  }
  if (a->kind == TV_STR && b->kind == TV_STR) {
    size_t m = a->u.s->len < b->u.s->len ? a->u.s->len : b->u.s->len;
    int c = memcmp(a->u.s->data, b->u.s->data, m);
    *cmp = c ? (c < 0 ? -1 : 1) : (a->u.s->len < b->u.s->len ? -1 : a->u.s->len > b->u.s->len);
    return 0;
  }
  if ((a->kind == TV_LIST || a->kind == TV_TUPLE) && a->kind == b->kind) {
    size_t m = a->u.list->count < b->u.list->count ? a->u.list->count : b->u.list->count;
    for (size_t i = 0; i < m; i++) {
      if (tpl_equal(&a->u.list->items[i], &b->u.list->items[i])) continue;
      return order(r, n, op, &a->u.list->items[i], &b->u.list->items[i], cmp);
    }
    *cmp = a->u.list->count < b->u.list->count ? -1 : a->u.list->count > b->u.list->count;
    return 0;
  }
  if (a->kind == TV_UNDEFINED || b->kind == TV_UNDEFINED) return type_error(r, n, op, a, b);
  return tpl_fail(r, n, PIO_ERR_INVALID, "'%s' not supported between instances of '%s' and '%s'",
                  op, tpl_type_name(a), tpl_type_name(b));
}

static int compare(tpl_render *r, const tpl_node *n, tpl_value *out) {
  tpl_value left;
  if (tpl_eval(r, n->items[0], &left) != 0) return -1;
  int result = 1;
  for (size_t k = 0; k < n->n_names && result; k++) {
    tpl_value right;
    if (tpl_eval(r, n->items[k + 1], &right) != 0) return -1;
    const char *op = n->names[k];
    if (!strcmp(op, "=="))
      result = tpl_equal(&left, &right);
    else if (!strcmp(op, "!="))
      result = !tpl_equal(&left, &right);
    else if (!strcmp(op, "in") || !strcmp(op, "not in")) {
      if (contains(r, n, &left, &right, &result) != 0) return -1;
      if (op[0] == 'n') result = !result;
    } else {
      int c = 0;
      if (order(r, n, op, &left, &right, &c) != 0) return -1;
      result = !strcmp(op, "<")    ? c < 0
               : !strcmp(op, "<=") ? c <= 0
               : !strcmp(op, ">")  ? c > 0
                                   : c >= 0;
    }
    left = right;
  }
  *out = (tpl_value){TV_BOOL, {.b = result}};
  return 0;
}

static int build(tpl_render *r, const tpl_node *n, tpl_value *out) {
  if (n->kind == TN_DICT) {
    tpl_dict *d = tpl_new_dict(r);
    if (d == NULL) return -1;
    for (size_t i = 0; i + 1 < n->n_items; i += 2) {
      tpl_value k, v;
      if (tpl_eval(r, n->items[i], &k) != 0 || tpl_eval(r, n->items[i + 1], &v) != 0 ||
          tpl_dict_set(r, d, k, v) != 0)
        return -1;
    }
    *out = (tpl_value){TV_DICT, {.dict = d}};
    return 0;
  }
  tpl_list *l = tpl_new_list(r);
  if (l == NULL) return -1;
  for (size_t i = 0; i < n->n_items; i++) {
    tpl_value v;
    if (tpl_eval(r, n->items[i], &v) != 0 || tpl_list_push(r, l, v) != 0) return -1;
  }
  *out = (tpl_value){n->kind == TN_LIST ? TV_LIST : TV_TUPLE, {.list = l}};
  return 0;
}

int tpl_eval(tpl_render *r, const tpl_node *n, tpl_value *out) {
  tpl_value a, b;
  switch (n->kind) {
    case TN_LITERAL:
      *out = n->literal;
      return 0;
    case TN_LIST:
    case TN_TUPLE:
    case TN_DICT:
      return build(r, n, out);
    case TN_NAME: {
      tpl_value *v = tpl_lookup(r, n->name);
      if (v) {
        *out = *v;
        return 0;
      }
      int g = tpl_global_index(n->name);
      *out = g >= 0 ? (tpl_value){TV_BUILTIN, {.builtin = g}}
                    : tpl_undefined(r, "'%s' is undefined", n->name, NULL);
      return 0;
    }
    case TN_GETATTR:
      if (tpl_eval(r, n->items[0], &a) != 0) return -1;
      return tpl_getattr(r, n, &a, n->name, out);
    case TN_GETITEM:
      if (tpl_eval(r, n->items[0], &a) != 0 || tpl_eval(r, n->a, &b) != 0) return -1;
      return getitem(r, n, &a, &b, out);
    case TN_SLICE:
      return eval_slice(r, n, out);
    case TN_CALL:
      return eval_call(r, n, out);
    case TN_FILTER: {
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      evaluated_args e;
      if (eval_args(r, n, &e) != 0) return -1;
      return tpl_run_filter(r, n, n->builtin, &a, &e.args, out);
    }
    case TN_TEST: {
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      evaluated_args e;
      int result;
      if (eval_args(r, n, &e) != 0 ||
          tpl_run_test(r, n, n->builtin, &a, e.pos, n->n_items, &result) != 0)
        return -1;
      *out = (tpl_value){TV_BOOL, {.b = n->negated ? !result : result}};
      return 0;
    }
    case TN_NOT:
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      *out = (tpl_value){TV_BOOL, {.b = !tpl_truthy(&a)}};
      return 0;
    case TN_NEG:
    case TN_POS:
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      if (!is_num(&a)) return type_error(r, n, n->kind == TN_NEG ? "unary -" : "unary +", &a, &a);
      if (n->kind == TN_POS)
        *out = a.kind == TV_BOOL ? (tpl_value){TV_INT, {.i = a.u.b}} : a;
      else if (a.kind == TV_FLOAT)
        *out = (tpl_value){TV_FLOAT, {.f = -a.u.f}};
      else if (inum(&a) == INT64_MIN)
        return tpl_fail(r, n, PIO_ERR_INVALID, "integer overflow");
      else
        *out = (tpl_value){TV_INT, {.i = -inum(&a)}};
      return 0;
    case TN_AND:
    case TN_OR:
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      if (tpl_truthy(&a) == (n->kind == TN_OR)) {
        *out = a;
        return 0;
      }
      return tpl_eval(r, n->b, out);
    case TN_BINARY:
      if (tpl_eval(r, n->a, &a) != 0 || tpl_eval(r, n->b, &b) != 0) return -1;
      return arith(r, n, &a, &b, out);
    case TN_COMPARE:
      return compare(r, n, out);
    case TN_CONDEXPR:
      if (tpl_eval(r, n->a, &a) != 0) return -1;
      if (tpl_truthy(&a)) return tpl_eval(r, n->b, out);
      if (n->c) return tpl_eval(r, n->c, out);
      *out = tpl_undefined(r, "the conditional expression had no else", NULL, NULL);
      return 0;
    default:
      return tpl_fail(r, n, PIO_ERR_INTERNAL, "not an expression");
  }
}
