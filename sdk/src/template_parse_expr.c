/* sdk/src/template_parse_expr.c — a chat template's expressions parsed
 * with Jinja2's grammar and precedence, and the parser's helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_parse.h"

#define MAX_NESTING 200

tpl_token *tp_cur(parser *p) { return &p->toks.items[p->pos]; }
tpl_token *tp_peek(parser *p, size_t k) {
  size_t i = p->pos + k;
  return &p->toks.items[i < p->toks.count ? i : p->toks.count - 1];
}

int tp_fail(parser *p, const tpl_token *at, pio_status code, const char *fmt, const char *arg) {
  char what[512];
  /* fmt is the caller's, taking arg or nothing; cppcheck judges it by one caller. */
  // cppcheck-suppress wrongPrintfScanfArgNum
  snprintf(what, sizeof what, fmt, arg ? arg : "");
  pio_error_set(p->err, code, "%s:%d:%d: %s", p->t->name, at->line, at->column, what);
  return -1;
}

int tp_is_op(const tpl_token *t, const char *op) {
  return t->kind == TL_OP && strcmp(t->text, op) == 0;
}
int tp_is_name(const tpl_token *t, const char *name) {
  return t->kind == TL_NAME && strcmp(t->text, name) == 0;
}

int tp_expect(parser *p, const char *op) {
  if (!tp_is_op(tp_cur(p), op)) {
    char what[64];
    snprintf(what, sizeof what, "expected '%s'", op);
    return tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "%s", what);
  }
  p->pos++;
  return 0;
}

tpl_node *tp_node(parser *p, tpl_node_kind kind, const tpl_token *at) {
  tpl_node *n = tpl_alloc(&p->t->arena, sizeof *n);
  if (n == NULL) {
    pio_error_set(p->err, PIO_ERR_NO_MEMORY, "%s: out of memory", p->t->name);
    return NULL;
  }
  n->kind = kind;
  n->line = at->line;
  n->column = at->column;
  return n;
}

/* Growable node lists in the arena (old copies are left in it). */
int tp_add_item(parser *p, tpl_node *n, tpl_node *item) {
  if ((n->n_items & (n->n_items - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
    size_t cap = n->n_items ? n->n_items * 2 : 1;
    tpl_node **grown = tpl_alloc(&p->t->arena, cap * sizeof *grown);
    if (grown == NULL) return -1;
    if (n->n_items) memcpy(grown, n->items, n->n_items * sizeof *grown);
    n->items = grown;
  }
  n->items[n->n_items++] = item;
  return 0;
}

int tp_add_kwarg(parser *p, tpl_node *n, const char *name, tpl_node *value) {
  if ((n->n_kwargs & (n->n_kwargs - 1)) == 0) {
    size_t cap = n->n_kwargs ? n->n_kwargs * 2 : 1;
    tpl_kwarg *grown = tpl_alloc(&p->t->arena, cap * sizeof *grown);
    if (grown == NULL) return -1;
    if (n->n_kwargs) memcpy(grown, n->kwargs, n->n_kwargs * sizeof *grown);
    n->kwargs = grown;
  }
  n->kwargs[n->n_kwargs++] = (tpl_kwarg){name, value};
  return 0;
}

int tp_add_name(parser *p, tpl_node *n, const char *name) {
  if ((n->n_names & (n->n_names - 1)) == 0) {
    size_t cap = n->n_names ? n->n_names * 2 : 1;
    const char **grown = tpl_alloc(&p->t->arena, cap * sizeof *grown);
    if (grown == NULL) return -1;
    if (n->n_names) memcpy(grown, n->names, n->n_names * sizeof *grown);
    n->names = grown;
  }
  n->names[n->n_names++] = name;
  return 0;
}

tpl_node *tp_expr(parser *p);
static tpl_node *parse_or(parser *p);
static tpl_node *parse_unary(parser *p, int with_filter);

int tp_oom(parser *p) {
  pio_error_set(p->err, PIO_ERR_NO_MEMORY, "%s: out of memory", p->t->name);
  return -1;
}

/* Arguments of a call, filter or test: "(" [expr | name=expr] {"," ...} ")". */
static int parse_args(parser *p, tpl_node *n) {
  if (tp_expect(p, "(") != 0) return -1;
  while (!tp_is_op(tp_cur(p), ")")) {
    if (tp_cur(p)->kind == TL_NAME && tp_is_op(tp_peek(p, 1), "=")) {
      const char *name = tp_cur(p)->text;
      p->pos += 2;
      tpl_node *v = tp_expr(p);
      if (v == NULL || tp_add_kwarg(p, n, name, v) != 0) return -1;
    } else {
      if (tp_is_op(tp_cur(p), "*"))
        return tp_fail(p, tp_cur(p), PIO_ERR_UNSUPPORTED, "*args and **kwargs are not supported",
                       NULL);
      tpl_node *v = tp_expr(p);
      if (v == NULL || tp_add_item(p, n, v) != 0) return -1;
    }
    if (tp_is_op(tp_cur(p), ","))
      p->pos++;
    else if (!tp_is_op(tp_cur(p), ")"))
      return tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected ',' or ')'", NULL);
  }
  p->pos++;
  return 0;
}

static tpl_node *literal(parser *p, const tpl_token *at, tpl_value v) {
  tpl_node *n = tp_node(p, TN_LITERAL, at);
  if (n) n->literal = v;
  return n;
}

static tpl_node *parse_sequence(parser *p, tpl_node_kind kind, const char *close,
                                const tpl_token *at) {
  tpl_node *n = tp_node(p, kind, at);
  if (n == NULL) return NULL;
  while (!tp_is_op(tp_cur(p), close)) {
    tpl_node *item = tp_expr(p);
    if (item == NULL || tp_add_item(p, n, item) != 0) return NULL;
    if (kind == TN_DICT) {
      if (tp_expect(p, ":") != 0) return NULL;
      tpl_node *v = tp_expr(p);
      if (v == NULL || tp_add_item(p, n, v) != 0) return NULL;
    }
    if (tp_is_op(tp_cur(p), ","))
      p->pos++;
    else if (!tp_is_op(tp_cur(p), close)) {
      tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected ',' or '%s'", close);
      return NULL;
    }
  }
  p->pos++;
  return n;
}

static tpl_node *parse_primary(parser *p) {
  tpl_token *t = tp_cur(p);
  if (++p->depth > MAX_NESTING) {
    tp_fail(p, t, PIO_ERR_LIMIT, "expression nested too deeply", NULL);
    return NULL;
  }
  tpl_node *n = NULL;
  if (t->kind == TL_NAME) {
    p->pos++;
    tpl_value v = {0};
    if (!strcmp(t->text, "true") || !strcmp(t->text, "True"))
      v = (tpl_value){TV_BOOL, {.b = 1}};
    else if (!strcmp(t->text, "false") || !strcmp(t->text, "False"))
      v = (tpl_value){TV_BOOL, {.b = 0}};
    else if (!strcmp(t->text, "none") || !strcmp(t->text, "None"))
      v = (tpl_value){TV_NONE, {0}};
    else {
      n = tp_node(p, TN_NAME, t);
      if (n) n->name = t->text;
      p->depth--;
      return n;
    }
    n = literal(p, t, v);
  } else if (t->kind == TL_STRING) {
    /* adjacent strings join, as in Python */
    tok_buf joined = {0};
    int rc = 0;
    while (tp_cur(p)->kind == TL_STRING && rc == 0)
      rc = tok_buf_append(&joined, tp_cur(p)->text, tp_cur(p)->len), p->pos++;
    tpl_str *s = rc == 0 ? tpl_alloc(&p->t->arena, sizeof *s + joined.len + 1) : NULL;
    if (s != NULL) {
      s->len = joined.len;
      if (joined.len) memcpy(s->data, joined.data, joined.len);
      s->data[joined.len] = '\0';
      n = literal(p, t, (tpl_value){TV_STR, {.s = s}});
    } else {
      tp_oom(p);
    }
    tok_buf_free(&joined);
  } else if (t->kind == TL_INT) {
    p->pos++;
    n = literal(p, t, (tpl_value){TV_INT, {.i = t->i}});
  } else if (t->kind == TL_FLOAT) {
    p->pos++;
    n = literal(p, t, (tpl_value){TV_FLOAT, {.f = t->f}});
  } else if (tp_is_op(t, "(")) {
    p->pos++;
    if (tp_is_op(tp_cur(p), ")")) {
      p->pos++;
      n = tp_node(p, TN_TUPLE, t);
    } else {
      tpl_node *first = tp_expr(p);
      if (first == NULL) return NULL;
      if (tp_is_op(tp_cur(p), ",")) {
        n = tp_node(p, TN_TUPLE, t);
        if (n == NULL || tp_add_item(p, n, first) != 0) return NULL;
        while (tp_is_op(tp_cur(p), ",")) {
          p->pos++;
          if (tp_is_op(tp_cur(p), ")")) break;
          tpl_node *item = tp_expr(p);
          if (item == NULL || tp_add_item(p, n, item) != 0) return NULL;
        }
      } else {
        n = first;
      }
      if (tp_expect(p, ")") != 0) return NULL;
    }
  } else if (tp_is_op(t, "[")) {
    p->pos++;
    n = parse_sequence(p, TN_LIST, "]", t);
  } else if (tp_is_op(t, "{")) {
    p->pos++;
    n = parse_sequence(p, TN_DICT, "}", t);
  } else {
    tp_fail(p, t, PIO_ERR_PARSE, "expected a value", NULL);
    return NULL;
  }
  p->depth--;
  return n;
}

static tpl_node *parse_subscript(parser *p, tpl_node *target, const tpl_token *at) {
  tpl_node *parts[3] = {NULL, NULL, NULL};
  int colons = 0;
  for (;;) {
    if (tp_is_op(tp_cur(p), "]")) break;
    if (tp_is_op(tp_cur(p), ":")) {
      if (++colons > 2) {
        tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "too many ':' in a slice", NULL);
        return NULL;
      }
      p->pos++;
      continue;
    }
    if (parts[colons] != NULL) {
      tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected ']'", NULL);
      return NULL;
    }
    if ((parts[colons] = tp_expr(p)) == NULL) return NULL;
  }
  p->pos++;
  tpl_node *n = tp_node(p, colons ? TN_SLICE : TN_GETITEM, at);
  if (n == NULL) return NULL;
  if (!colons && parts[0] == NULL) {
    tp_fail(p, at, PIO_ERR_PARSE, "empty subscript", NULL);
    return NULL;
  }
  n->items = tpl_alloc(&p->t->arena, sizeof(tpl_node *));
  if (n->items == NULL) return NULL;
  n->items[0] = target;
  n->n_items = 1;
  n->a = parts[0];
  n->b = parts[1];
  n->c = parts[2];
  return n;
}

static tpl_node *parse_postfix(parser *p, tpl_node *n) {
  for (;;) {
    tpl_token *t = tp_cur(p);
    if (tp_is_op(t, ".")) {
      p->pos++;
      tpl_token *name = tp_cur(p);
      if (name->kind == TL_INT) {
        p->pos++;
        tpl_node *g = tp_node(p, TN_GETITEM, t);
        if (g == NULL || tp_add_item(p, g, n) != 0) return NULL;
        g->a = literal(p, name, (tpl_value){TV_INT, {.i = name->i}});
        n = g;
        continue;
      }
      if (name->kind != TL_NAME) {
        tp_fail(p, name, PIO_ERR_PARSE, "expected an attribute name after '.'", NULL);
        return NULL;
      }
      p->pos++;
      tpl_node *g = tp_node(p, TN_GETATTR, t);
      if (g == NULL || tp_add_item(p, g, n) != 0) return NULL;
      g->name = name->text;
      n = g;
    } else if (tp_is_op(t, "[")) {
      p->pos++;
      if ((n = parse_subscript(p, n, t)) == NULL) return NULL;
    } else if (tp_is_op(t, "(")) {
      tpl_node *c = tp_node(p, TN_CALL, t);
      if (c == NULL) return NULL;
      c->a = n;
      c->line = n->line; /* a call is where its callee is written */
      c->column = n->column;
      if (parse_args(p, c) != 0) return NULL;
      n = c;
    } else {
      return n;
    }
  }
}

static int starts_value(const tpl_token *t) {
  if (t->kind == TL_STRING || t->kind == TL_INT || t->kind == TL_FLOAT) return 1;
  if (t->kind == TL_NAME)
    return strcmp(t->text, "else") && strcmp(t->text, "or") && strcmp(t->text, "and") &&
           strcmp(t->text, "if") && strcmp(t->text, "in") && strcmp(t->text, "is") &&
           strcmp(t->text, "not");
  return tp_is_op(t, "[") || tp_is_op(t, "{");
}

static tpl_node *parse_filter_expr(parser *p, tpl_node *n) {
  for (;;) {
    tpl_token *t = tp_cur(p);
    if (tp_is_op(t, "|")) {
      p->pos++;
      tpl_token *name = tp_cur(p);
      if (name->kind != TL_NAME) {
        tp_fail(p, name, PIO_ERR_PARSE, "expected a filter name after '|'", NULL);
        return NULL;
      }
      p->pos++;
      tpl_node *f = tp_node(p, TN_FILTER, name);
      if (f == NULL) return NULL;
      f->name = name->text;
      f->builtin = tpl_filter_index(name->text);
      if (f->builtin < 0) {
        tp_fail(p, name, PIO_ERR_UNSUPPORTED, "filter '%s' is not supported", name->text);
        return NULL;
      }
      f->a = n;
      if (tp_is_op(tp_cur(p), "(") && parse_args(p, f) != 0) return NULL;
      n = f;
    } else if (tp_is_name(t, "is")) {
      p->pos++;
      int negated = 0;
      if (tp_is_name(tp_cur(p), "not")) {
        negated = 1;
        p->pos++;
      }
      tpl_token *name = tp_cur(p);
      if (name->kind != TL_NAME) {
        tp_fail(p, name, PIO_ERR_PARSE, "expected a test name after 'is'", NULL);
        return NULL;
      }
      p->pos++;
      tpl_node *x = tp_node(p, TN_TEST, name);
      if (x == NULL) return NULL;
      x->name = name->text;
      x->negated = negated;
      x->builtin = tpl_test_index(name->text);
      if (x->builtin < 0) {
        tp_fail(p, name, PIO_ERR_UNSUPPORTED, "test '%s' is not supported", name->text);
        return NULL;
      }
      x->a = n;
      if (tp_is_op(tp_cur(p), "(")) {
        if (parse_args(p, x) != 0) return NULL;
      } else if (starts_value(tp_cur(p))) {
        tpl_node *arg = parse_primary(p);
        if (arg == NULL || (arg = parse_postfix(p, arg)) == NULL || tp_add_item(p, x, arg) != 0)
          return NULL;
      }
      n = x;
    } else if (tp_is_op(t, "(")) {
      tpl_node *c = tp_node(p, TN_CALL, t);
      if (c == NULL) return NULL;
      c->a = n;
      if (parse_args(p, c) != 0) return NULL;
      n = c;
    } else {
      return n;
    }
  }
}

static tpl_node *parse_unary(parser *p, int with_filter) {
  tpl_token *t = tp_cur(p);
  tpl_node *n;
  if (tp_is_op(t, "-") || tp_is_op(t, "+")) {
    p->pos++;
    if (++p->depth > MAX_NESTING) {
      tp_fail(p, t, PIO_ERR_LIMIT, "expression nested too deeply", NULL);
      return NULL;
    }
    tpl_node *operand = parse_unary(p, 0);
    p->depth--;
    if (operand == NULL || (n = tp_node(p, t->text[0] == '-' ? TN_NEG : TN_POS, t)) == NULL)
      return NULL;
    n->a = operand;
  } else {
    if ((n = parse_primary(p)) == NULL) return NULL;
  }
  if ((n = parse_postfix(p, n)) == NULL) return NULL;
  return with_filter ? parse_filter_expr(p, n) : n;
}

static tpl_node *binary(parser *p, const tpl_token *at, const char *op, tpl_node *a, tpl_node *b) {
  tpl_node *n = tp_node(p, TN_BINARY, at);
  if (n == NULL) return NULL;
  n->op = op;
  n->a = a;
  n->b = b;
  return n;
}

static tpl_node *parse_pow(parser *p) {
  tpl_node *left = parse_unary(p, 1);
  while (left && tp_is_op(tp_cur(p), "**")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_unary(p, 1);
    left = right ? binary(p, t, "**", left, right) : NULL;
  }
  return left;
}

static tpl_node *parse_math2(parser *p) {
  tpl_node *left = parse_pow(p);
  while (left && (tp_is_op(tp_cur(p), "*") || tp_is_op(tp_cur(p), "/") ||
                  tp_is_op(tp_cur(p), "//") || tp_is_op(tp_cur(p), "%"))) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_pow(p);
    left = right ? binary(p, t, t->text, left, right) : NULL;
  }
  return left;
}

static tpl_node *parse_concat(parser *p) {
  tpl_node *left = parse_math2(p);
  while (left && tp_is_op(tp_cur(p), "~")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_math2(p);
    left = right ? binary(p, t, "~", left, right) : NULL;
  }
  return left;
}

static tpl_node *parse_math1(parser *p) {
  tpl_node *left = parse_concat(p);
  while (left && (tp_is_op(tp_cur(p), "+") || tp_is_op(tp_cur(p), "-"))) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_concat(p);
    left = right ? binary(p, t, t->text, left, right) : NULL;
  }
  return left;
}

/* a OP b OP c ... as Python chains it: items the operands, names the ops. */
static tpl_node *parse_compare(parser *p) {
  tpl_node *first = parse_math1(p);
  if (first == NULL) return NULL;
  tpl_node *n = NULL;
  for (;;) {
    tpl_token *t = tp_cur(p);
    const char *op = NULL;
    static const char *const cmp[] = {"==", "!=", "<", ">", "<=", ">="};
    for (size_t k = 0; k < 6 && op == NULL; k++)
      if (tp_is_op(t, cmp[k])) op = cmp[k];
    if (op == NULL && tp_is_name(t, "in")) op = "in";
    if (op == NULL && tp_is_name(t, "not") && tp_is_name(tp_peek(p, 1), "in")) op = "not in";
    if (op == NULL) break;
    p->pos += strcmp(op, "not in") == 0 ? 2 : 1;
    if (n == NULL) {
      if ((n = tp_node(p, TN_COMPARE, t)) == NULL || tp_add_item(p, n, first) != 0) return NULL;
    }
    tpl_node *right = parse_math1(p);
    if (right == NULL || tp_add_item(p, n, right) != 0 || tp_add_name(p, n, op) != 0) return NULL;
  }
  return n ? n : first;
}

static tpl_node *parse_not(parser *p) {
  if (tp_is_name(tp_cur(p), "not")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    if (++p->depth > MAX_NESTING) {
      tp_fail(p, t, PIO_ERR_LIMIT, "expression nested too deeply", NULL);
      return NULL;
    }
    tpl_node *operand = parse_not(p);
    p->depth--;
    tpl_node *n = operand ? tp_node(p, TN_NOT, t) : NULL;
    if (n) n->a = operand;
    return n;
  }
  return parse_compare(p);
}

static tpl_node *parse_and(parser *p) {
  tpl_node *left = parse_not(p);
  while (left && tp_is_name(tp_cur(p), "and")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_not(p);
    tpl_node *n = right ? tp_node(p, TN_AND, t) : NULL;
    if (n) n->a = left, n->b = right;
    left = n;
  }
  return left;
}

static tpl_node *parse_or(parser *p) {
  tpl_node *left = parse_and(p);
  while (left && tp_is_name(tp_cur(p), "or")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *right = parse_and(p);
    tpl_node *n = right ? tp_node(p, TN_OR, t) : NULL;
    if (n) n->a = left, n->b = right;
    left = n;
  }
  return left;
}

tpl_node *tp_expr(parser *p) {
  if (++p->depth > MAX_NESTING) {
    tp_fail(p, tp_cur(p), PIO_ERR_LIMIT, "expression nested too deeply", NULL);
    return NULL;
  }
  tpl_node *value = parse_or(p);
  while (value && tp_is_name(tp_cur(p), "if")) {
    tpl_token *t = tp_cur(p);
    p->pos++;
    tpl_node *cond = parse_or(p), *other = NULL;
    if (cond == NULL) return NULL;
    if (tp_is_name(tp_cur(p), "else")) {
      p->pos++;
      if ((other = tp_expr(p)) == NULL) return NULL;
    }
    tpl_node *n = tp_node(p, TN_CONDEXPR, t);
    if (n == NULL) return NULL;
    n->a = cond;
    n->b = value;
    n->c = other;
    value = n;
  }
  p->depth--;
  return value;
}

/* An expression or a tuple of them without parentheses (set and for). */
tpl_node *tp_tuple(parser *p) {
  tpl_token *t = tp_cur(p);
  tpl_node *first = tp_expr(p);
  if (first == NULL || !tp_is_op(tp_cur(p), ",")) return first;
  tpl_node *n = tp_node(p, TN_TUPLE, t);
  if (n == NULL || tp_add_item(p, n, first) != 0) return NULL;
  while (tp_is_op(tp_cur(p), ",")) {
    p->pos++;
    if (tp_cur(p)->kind == TL_BLOCK_END || tp_cur(p)->kind == TL_VAR_END) break;
    tpl_node *item = tp_expr(p);
    if (item == NULL || tp_add_item(p, n, item) != 0) return NULL;
  }
  return n;
}
