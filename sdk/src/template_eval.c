/* sdk/src/template_eval.c — rendering a compiled chat template: statements
 * run with Jinja2's scoping (a for loop's body is a new scope each
 * iteration; a macro sees its parameters and the template's top level),
 * expressions computed with Python's semantics. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_eval.h"

#define MAX_STEPS 1000000ul
#define MAX_MACRO_DEPTH 64

enum { FLOW_NEXT = 0, FLOW_BREAK = 1, FLOW_CONTINUE = 2, FLOW_ERROR = -1 };

int tpl_fail(tpl_render *r, const tpl_node *at, pio_status code, const char *fmt, ...) {
  if (r->failed) return -1;
  char what[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (at)
    pio_error_set(r->err, code, "%s:%d:%d: %s", r->t->name, at->line, at->column, what);
  else
    pio_error_set(r->err, code, "%s: %s", r->t->name, what);
  r->failed = 1;
  return -1;
}

/* ---- scopes ---- */
int tpl_push_scope(tpl_render *r) {
  if (r->n_scopes == r->cap_scopes) {
    size_t cap = r->cap_scopes ? r->cap_scopes * 2 : 16;
    tpl_scope *grown = realloc(r->scopes, cap * sizeof *grown);
    if (grown == NULL) return tpl_no_memory(r);
    r->scopes = grown;
    r->cap_scopes = cap;
  }
  memset(&r->scopes[r->n_scopes++], 0, sizeof(tpl_scope));
  return 0;
}

void tpl_pop_scope(tpl_render *r) { r->n_scopes--; }

tpl_value *tpl_lookup(tpl_render *r, const char *name) {
  size_t len = strlen(name);
  for (size_t i = r->n_scopes; i-- > r->floor;) {
    tpl_value *v = tpl_dict_get(&r->scopes[i].vars, name, len);
    if (v) return v;
  }
  return r->floor > 0 ? tpl_dict_get(&r->scopes[0].vars, name, len) : NULL;
}

int tpl_assign(tpl_render *r, const char *name, tpl_value v) {
  tpl_value key = tpl_make_str(r, name, strlen(name));
  if (key.kind != TV_STR) return -1;
  return tpl_dict_set(r, &r->scopes[r->n_scopes - 1].vars, key, v);
}

/* ---- output ---- */
static int emit(tpl_render *r, const char *s, size_t len) {
  if (r->out.len + len > PIO_TEMPLATE_MAX_OUTPUT)
    return tpl_fail(r, NULL, PIO_ERR_LIMIT, "the rendering is over %u MiB",
                    PIO_TEMPLATE_MAX_OUTPUT >> 20);
  return tok_buf_append(&r->out, s, len) == 0 ? 0 : tpl_no_memory(r);
}

static int step(tpl_render *r, const tpl_node *at) {
  if (++r->steps > MAX_STEPS)
    return tpl_fail(r, at, PIO_ERR_LIMIT, "the template ran more than %lu steps", MAX_STEPS);
  return 0;
}

/* The items a for loop walks: a list's, a dict's keys, a string's characters. */
static int iterate(tpl_render *r, const tpl_node *at, const tpl_value *v, tpl_list **items) {
  static tpl_list empty;
  switch (v->kind) {
    case TV_LIST:
    case TV_TUPLE:
      *items = v->u.list;
      return 0;
    case TV_UNDEFINED:
      *items = &empty;
      return 0;
    case TV_DICT: {
      tpl_list *l = tpl_new_list(r);
      if (l == NULL) return -1;
      for (size_t i = 0; i < v->u.dict->count; i++)
        if (tpl_list_push(r, l, v->u.dict->entries[i].key) != 0) return -1;
      *items = l;
      return 0;
    }
    case TV_STR: {
      tpl_list *l = tpl_new_list(r);
      if (l == NULL) return -1;
      for (size_t i = 0; i < v->u.s->len;) {
        size_t n = tok_utf8_len((unsigned char)v->u.s->data[i]);
        if (tpl_list_push(r, l, tpl_make_str(r, v->u.s->data + i, n)) != 0) return -1;
        i += n;
      }
      *items = l;
      return 0;
    }
    default:
      return tpl_fail(r, at, PIO_ERR_INVALID, "'%s' object is not iterable", tpl_type_name(v));
  }
}

static int bind_targets(tpl_render *r, const tpl_node *at, const char *const *names, size_t n,
                        const tpl_value *v) {
  if (n == 1) return tpl_assign(r, names[0], *v);
  if (v->kind != TV_LIST && v->kind != TV_TUPLE)
    return tpl_fail(r, at, PIO_ERR_INVALID, "cannot unpack a %s into %zu names", tpl_type_name(v),
                    n);
  if (v->u.list->count != n)
    return tpl_fail(r, at, PIO_ERR_INVALID, "expected %zu values to unpack, found %zu", n,
                    v->u.list->count);
  for (size_t i = 0; i < n; i++)
    if (tpl_assign(r, names[i], v->u.list->items[i]) != 0) return -1;
  return 0;
}

static int exec_for(tpl_render *r, const tpl_node *n) {
  tpl_value seq;
  tpl_list *items = NULL;
  if (tpl_eval(r, n->a, &seq) != 0 || iterate(r, n->a, &seq, &items) != 0) return FLOW_ERROR;
  if (n->b != NULL) { /* the loop filter: Jinja counts only what passes */
    tpl_list *kept = tpl_new_list(r);
    if (kept == NULL) return FLOW_ERROR;
    for (size_t i = 0; i < items->count; i++) {
      tpl_value cond;
      if (tpl_push_scope(r) != 0) return FLOW_ERROR;
      int rc = bind_targets(r, n, n->names, n->n_names, &items->items[i]) != 0 ||
               tpl_eval(r, n->b, &cond) != 0;
      tpl_pop_scope(r);
      if (rc) return FLOW_ERROR;
      if (tpl_truthy(&cond) && tpl_list_push(r, kept, items->items[i]) != 0) return FLOW_ERROR;
    }
    items = kept;
  }
  if (items->count == 0) return n->else_body ? tpl_exec_body(r, n->else_body) : FLOW_NEXT;
  tpl_loop *loop = tpl_alloc(&r->arena, sizeof *loop);
  if (loop == NULL) return tpl_no_memory(r);
  loop->items = items;
  for (size_t i = 0; i < items->count; i++) {
    if (step(r, n) != 0 || tpl_push_scope(r) != 0) return FLOW_ERROR;
    loop->index = i;
    int flow = bind_targets(r, n, n->names, n->n_names, &items->items[i]) != 0 ||
                       tpl_assign(r, "loop", (tpl_value){TV_LOOP, {.loop = loop}}) != 0
                   ? FLOW_ERROR
                   : tpl_exec_body(r, n->body);
    tpl_pop_scope(r);
    if (flow == FLOW_ERROR) return FLOW_ERROR;
    if (flow == FLOW_BREAK) break;
  }
  return FLOW_NEXT;
}

/* Renders body into a string of its own (set blocks, macro calls). */
int tpl_capture(tpl_render *r, const tpl_node *body, tpl_value *out) {
  tok_buf saved = r->out;
  memset(&r->out, 0, sizeof r->out);
  int flow = tpl_exec_body(r, body);
  tok_buf captured = r->out;
  r->out = saved;
  if (flow == FLOW_ERROR) {
    tok_buf_free(&captured);
    return -1;
  }
  *out = tpl_make_str(r, captured.data ? captured.data : "", captured.len);
  tok_buf_free(&captured);
  return out->kind == TV_STR ? 0 : -1;
}

static int exec_set(tpl_render *r, const tpl_node *n) {
  tpl_value v;
  if (n->kind == TN_SET_BLOCK)
    return tpl_capture(r, n->body, &v) == 0 ? tpl_assign(r, n->name, v) : -1;
  if (tpl_eval(r, n->a, &v) != 0) return -1;
  if (n->attr != NULL) {
    tpl_value *ns = tpl_lookup(r, n->name);
    if (ns == NULL || ns->kind != TV_NAMESPACE)
      return tpl_fail(r, n, PIO_ERR_INVALID, "cannot assign attribute on non-namespace object '%s'",
                      n->name);
    tpl_value key = tpl_make_str(r, n->attr, strlen(n->attr));
    return key.kind == TV_STR ? tpl_dict_set(r, ns->u.dict, key, v) : -1;
  }
  return bind_targets(r, n, n->names, n->n_names, &v);
}

int tpl_exec_body(tpl_render *r, const tpl_node *body) {
  for (size_t i = 0; i < body->n_items; i++) {
    const tpl_node *s = body->items[i];
    int flow = FLOW_NEXT;
    switch (s->kind) {
      case TN_TEXT:
        flow = emit(r, s->text->data, s->text->len);
        break;
      case TN_OUTPUT: {
        tpl_value v;
        if (tpl_eval(r, s->a, &v) != 0) return FLOW_ERROR;
        flow = tpl_value_str(r, &v, &r->out);
        if (flow == 0 && r->out.len > PIO_TEMPLATE_MAX_OUTPUT) flow = emit(r, "", 0);
        break;
      }
      case TN_IF: {
        const tpl_node *chosen = s->else_body;
        for (size_t b = 0; b < s->n_items; b++) {
          tpl_value cond;
          if (tpl_eval(r, s->items[b]->a, &cond) != 0) return FLOW_ERROR;
          if (tpl_truthy(&cond)) {
            chosen = s->items[b]->body;
            break;
          }
        }
        if (chosen) flow = tpl_exec_body(r, chosen);
        break;
      }
      case TN_FOR:
        flow = exec_for(r, s);
        break;
      case TN_SET:
      case TN_SET_BLOCK:
        flow = exec_set(r, s);
        break;
      case TN_MACRO:
        flow = tpl_assign(r, s->name, (tpl_value){TV_MACRO, {.macro = s}});
        break;
      case TN_BREAK:
        return FLOW_BREAK;
      case TN_CONTINUE:
        return FLOW_CONTINUE;
      case TN_BODY:
        flow = tpl_exec_body(r, s);
        break;
      default:
        return tpl_fail(r, s, PIO_ERR_INTERNAL, "not a statement");
    }
    if (flow != FLOW_NEXT) return flow < 0 ? FLOW_ERROR : flow;
  }
  return FLOW_NEXT;
}

/* ---- JSON in ---- */
static int from_json(tpl_render *r, json_object *j, tpl_value *out, int depth) {
  if (depth > 200) return tpl_fail(r, NULL, PIO_ERR_LIMIT, "the variables are nested too deeply");
  switch (json_object_get_type(j)) {
    case json_type_null:
      *out = (tpl_value){TV_NONE, {0}};
      return 0;
    case json_type_boolean:
      *out = (tpl_value){TV_BOOL, {.b = json_object_get_boolean(j) ? 1 : 0}};
      return 0;
    case json_type_int:
      *out = (tpl_value){TV_INT, {.i = json_object_get_int64(j)}};
      return 0;
    case json_type_double:
      *out = (tpl_value){TV_FLOAT, {.f = json_object_get_double(j)}};
      return 0;
    case json_type_string:
      *out = tpl_make_str(r, json_object_get_string(j), (size_t)json_object_get_string_len(j));
      return out->kind == TV_STR ? 0 : -1;
    case json_type_array: {
      tpl_list *l = tpl_new_list(r);
      if (l == NULL) return -1;
      for (size_t i = 0; i < json_object_array_length(j); i++) {
        tpl_value v;
        if (from_json(r, json_object_array_get_idx(j, i), &v, depth + 1) != 0 ||
            tpl_list_push(r, l, v) != 0)
          return -1;
      }
      *out = (tpl_value){TV_LIST, {.list = l}};
      return 0;
    }
    case json_type_object: {
      tpl_dict *d = tpl_new_dict(r);
      if (d == NULL) return -1;
      json_object_object_foreach(j, key, value) {
        tpl_value v, k = tpl_make_str(r, key, strlen(key));
        if (k.kind != TV_STR || from_json(r, value, &v, depth + 1) != 0 ||
            tpl_dict_set(r, d, k, v) != 0)
          return -1;
      }
      *out = (tpl_value){TV_DICT, {.dict = d}};
      return 0;
    }
  }
  return -1;
}

pio_status pio_chat_template_render(const pio_chat_template *tmpl, json_object *vars, char **text,
                                    size_t *len, pio_error *err) {
  *text = NULL;
  *len = 0;
  tpl_render r;
  memset(&r, 0, sizeof r);
  r.t = tmpl;
  r.err = err;
  r.arena.limit = 256u << 20;
  int rc = tpl_push_scope(&r);
  if (rc == 0 && vars != NULL) {
    if (!json_object_is_type(vars, json_type_object)) {
      rc = tpl_fail(&r, NULL, PIO_ERR_INVALID, "the variables must be a JSON object");
    } else {
      json_object_object_foreach(vars, key, value) {
        tpl_value v;
        if (from_json(&r, value, &v, 0) != 0 || tpl_assign(&r, key, v) != 0) {
          rc = -1;
          break;
        }
      }
    }
  }
  if (rc == 0 && tpl_exec_body(&r, tmpl->root) < 0) rc = -1;
  if (rc == 0 && tok_buf_reserve(&r.out, 0) != 0) rc = tpl_no_memory(&r);
  pio_status st = PIO_OK;
  if (rc != 0) {
    st = r.failed ? err->code
                  : pio_error_set(err, PIO_ERR_INTERNAL, "%s: rendering failed", tmpl->name);
    tok_buf_free(&r.out);
  } else {
    *text = r.out.data;
    *len = r.out.len;
  }
  free(r.scopes);
  tpl_arena_free(&r.arena);
  return st;
}

pio_status pio_chat_template_compile(const char *name, const char *source, size_t len,
                                     pio_chat_template **out, pio_error *err) {
  *out = NULL;
  if (len > PIO_TEMPLATE_MAX_SOURCE)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: %zu bytes, over the limit of %u", name, len,
                         PIO_TEMPLATE_MAX_SOURCE);
  if (tok_utf8_check(source, len) != len)
    return pio_error_set(err, PIO_ERR_PARSE, "%s: the template is not UTF-8 (byte %zu)", name,
                         tok_utf8_check(source, len));
  pio_chat_template *t = calloc(1, sizeof *t);
  if (t == NULL || (t->name = strdup(name)) == NULL) {
    free(t);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
  }
  t->arena.limit = 64u << 20;
  pio_status st = tpl_parse(t, source, len, err);
  if (st != PIO_OK) {
    pio_chat_template_free(t);
    return st;
  }
  *out = t;
  return PIO_OK;
}

void pio_chat_template_free(pio_chat_template *tmpl) {
  if (tmpl == NULL) return;
  tpl_arena_free(&tmpl->arena);
  free(tmpl->name);
  free(tmpl);
}
