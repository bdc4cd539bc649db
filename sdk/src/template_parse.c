/* sdk/src/template_parse.c — a chat template's statements: text, {{ }},
 * if/elif/else, for (with a filter and an else), set (to a name, a
 * namespace attribute, a tuple, or a block), macro, break/continue, and
 * {% generation %}; any other tag is refused, named with its place. */
#include <stdio.h>
#include <string.h>

#include "template_parse.h"

#define MAX_BLOCK_DEPTH 100

static tpl_node *parse_body(parser *p, const char *const *ends, const char **which, int depth);

static int end_of_tag(parser *p) {
  if (tp_cur(p)->kind != TL_BLOCK_END)
    return tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected the end of the tag ('%%}')", NULL);
  p->pos++;
  return 0;
}

static tpl_node *parse_if(parser *p, const tpl_token *at, int depth) {
  static const char *const ends[] = {"elif", "else", "endif", NULL};
  tpl_node *n = tp_node(p, TN_IF, at);
  if (n == NULL) return NULL;
  for (;;) {
    tpl_node *branch = tp_node(p, TN_IF, tp_cur(p));
    if (branch == NULL || (branch->a = tp_expr(p)) == NULL || end_of_tag(p) != 0) return NULL;
    const char *which = NULL;
    if ((branch->body = parse_body(p, ends, &which, depth + 1)) == NULL) return NULL;
    if (tp_add_item(p, n, branch) != 0) return NULL;
    if (strcmp(which, "elif") == 0) continue;
    if (strcmp(which, "else") == 0) {
      static const char *const endif[] = {"endif", NULL};
      if (end_of_tag(p) != 0 || (n->else_body = parse_body(p, endif, &which, depth + 1)) == NULL)
        return NULL;
    }
    return end_of_tag(p) == 0 ? n : NULL;
  }
}

static int parse_targets(parser *p, tpl_node *n) {
  int paren = tp_is_op(tp_cur(p), "(");
  if (paren) p->pos++;
  for (;;) {
    tpl_token *t = tp_cur(p);
    if (t->kind != TL_NAME) return tp_fail(p, t, PIO_ERR_PARSE, "expected a variable name", NULL);
    if (tp_add_name(p, n, t->text) != 0) return tp_oom(p);
    p->pos++;
    if (!tp_is_op(tp_cur(p), ",")) break;
    p->pos++;
  }
  return paren ? tp_expect(p, ")") : 0;
}

static tpl_node *parse_for(parser *p, const tpl_token *at, int depth) {
  tpl_node *n = tp_node(p, TN_FOR, at);
  if (n == NULL || parse_targets(p, n) != 0) return NULL;
  if (!tp_is_name(tp_cur(p), "in")) {
    tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected 'in'", NULL);
    return NULL;
  }
  p->pos++;
  /* the iterable stops before "if" (a loop filter) */
  if ((n->a = tp_expr(p)) == NULL) return NULL;
  if (n->a->kind == TN_CONDEXPR && n->a->c == NULL) { /* "x in items if cond" */
    tpl_node *cond = n->a;
    n->a = cond->b;
    n->b = cond->a;
  }
  if (tp_is_name(tp_cur(p), "recursive")) {
    tp_fail(p, tp_cur(p), PIO_ERR_UNSUPPORTED, "recursive loops are not supported", NULL);
    return NULL;
  }
  if (end_of_tag(p) != 0) return NULL;
  static const char *const ends[] = {"else", "endfor", NULL};
  const char *which = NULL;
  if ((n->body = parse_body(p, ends, &which, depth + 1)) == NULL) return NULL;
  if (strcmp(which, "else") == 0) {
    static const char *const endfor[] = {"endfor", NULL};
    if (end_of_tag(p) != 0 || (n->else_body = parse_body(p, endfor, &which, depth + 1)) == NULL)
      return NULL;
  }
  return end_of_tag(p) == 0 ? n : NULL;
}

static tpl_node *parse_set(parser *p, const tpl_token *at, int depth) {
  tpl_node *n = tp_node(p, TN_SET, at);
  if (n == NULL) return NULL;
  tpl_token *t = tp_cur(p);
  if (t->kind != TL_NAME) {
    tp_fail(p, t, PIO_ERR_PARSE, "expected a variable name after 'set'", NULL);
    return NULL;
  }
  if (tp_is_op(tp_peek(p, 1), ".")) {
    tpl_token *attr = tp_peek(p, 2);
    if (attr->kind != TL_NAME) {
      tp_fail(p, attr, PIO_ERR_PARSE, "expected an attribute name", NULL);
      return NULL;
    }
    n->name = t->text;
    n->attr = attr->text;
    p->pos += 3;
  } else if (parse_targets(p, n) != 0) {
    return NULL;
  } else {
    n->name = n->names[0];
  }
  if (tp_cur(p)->kind == TL_BLOCK_END && n->attr == NULL && n->n_names == 1) {
    n->kind = TN_SET_BLOCK;
    static const char *const ends[] = {"endset", NULL};
    const char *which = NULL;
    p->pos++;
    if ((n->body = parse_body(p, ends, &which, depth + 1)) == NULL) return NULL;
    return end_of_tag(p) == 0 ? n : NULL;
  }
  if (tp_expect(p, "=") != 0 || (n->a = tp_tuple(p)) == NULL) return NULL;
  return end_of_tag(p) == 0 ? n : NULL;
}

static tpl_node *parse_macro(parser *p, const tpl_token *at, int depth) {
  tpl_node *n = tp_node(p, TN_MACRO, at);
  if (n == NULL) return NULL;
  tpl_token *t = tp_cur(p);
  if (t->kind != TL_NAME) {
    tp_fail(p, t, PIO_ERR_PARSE, "expected the macro's name", NULL);
    return NULL;
  }
  n->name = t->text;
  p->pos++;
  if (tp_expect(p, "(") != 0) return NULL;
  while (!tp_is_op(tp_cur(p), ")")) {
    tpl_token *param = tp_cur(p);
    if (param->kind != TL_NAME) {
      tp_fail(p, param, PIO_ERR_PARSE, "expected a parameter name", NULL);
      return NULL;
    }
    p->pos++;
    tpl_node *def = NULL;
    if (tp_is_op(tp_cur(p), "=")) {
      p->pos++;
      if ((def = tp_expr(p)) == NULL) return NULL;
    }
    if (tp_add_name(p, n, param->text) != 0 || tp_add_kwarg(p, n, param->text, def) != 0) {
      tp_oom(p);
      return NULL;
    }
    if (tp_is_op(tp_cur(p), ","))
      p->pos++;
    else if (!tp_is_op(tp_cur(p), ")")) {
      tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected ',' or ')'", NULL);
      return NULL;
    }
  }
  p->pos++;
  if (end_of_tag(p) != 0) return NULL;
  static const char *const ends[] = {"endmacro", NULL};
  const char *which = NULL;
  if ((n->body = parse_body(p, ends, &which, depth + 1)) == NULL) return NULL;
  return end_of_tag(p) == 0 ? n : NULL;
}

/* One {% tag %}; p is after "{%".  NULL with *ended set when the tag is
 * one of ends (the caller's). */
static tpl_node *parse_tag(parser *p, const char *const *ends, const char **ended, int depth) {
  tpl_token *t = tp_cur(p);
  if (t->kind != TL_NAME) {
    tp_fail(p, t, PIO_ERR_PARSE, "expected a tag name after '{%%'", NULL);
    return NULL;
  }
  for (size_t k = 0; ends && ends[k]; k++)
    if (strcmp(t->text, ends[k]) == 0) {
      p->pos++;
      *ended = ends[k];
      return NULL;
    }
  p->pos++;
  if (!strcmp(t->text, "if")) return parse_if(p, t, depth);
  if (!strcmp(t->text, "for")) return parse_for(p, t, depth);
  if (!strcmp(t->text, "set")) return parse_set(p, t, depth);
  if (!strcmp(t->text, "macro")) return parse_macro(p, t, depth);
  if (!strcmp(t->text, "break") || !strcmp(t->text, "continue")) {
    tpl_node *n = tp_node(p, t->text[0] == 'b' ? TN_BREAK : TN_CONTINUE, t);
    return n && end_of_tag(p) == 0 ? n : NULL;
  }
  if (!strcmp(t->text, "generation")) { /* Transformers' assistant-mask tag: renders its body */
    static const char *const endgen[] = {"endgeneration", NULL};
    const char *which = NULL;
    if (end_of_tag(p) != 0) return NULL;
    tpl_node *body = parse_body(p, endgen, &which, depth + 1);
    return body && end_of_tag(p) == 0 ? body : NULL;
  }
  static const char *const known_elsewhere[] = {"elif",   "else",     "endif",         "endfor",
                                                "endset", "endmacro", "endgeneration", NULL};
  for (size_t k = 0; known_elsewhere[k]; k++)
    if (!strcmp(t->text, known_elsewhere[k])) {
      tp_fail(p, t, PIO_ERR_PARSE, "'%s' without its opening tag", t->text);
      return NULL;
    }
  tp_fail(p, t, PIO_ERR_UNSUPPORTED, "tag '%s' is not supported", t->text);
  return NULL;
}

/* Statements up to one of ends (NULL: the end of the template); *which is
 * the end tag met, the parser standing after its name. */
static tpl_node *parse_body(parser *p, const char *const *ends, const char **which, int depth) {
  tpl_node *body = tp_node(p, TN_BODY, tp_cur(p));
  if (body == NULL) return NULL;
  if (depth > MAX_BLOCK_DEPTH) {
    tp_fail(p, tp_cur(p), PIO_ERR_LIMIT, "blocks nested too deeply", NULL);
    return NULL;
  }
  for (;;) {
    tpl_token *t = tp_cur(p);
    tpl_node *stmt = NULL;
    if (t->kind == TL_EOF) {
      if (ends == NULL) return body;
      const char *want = ends[0];
      for (size_t k = 0; ends[k]; k++)
        if (!strncmp(ends[k], "end", 3)) want = ends[k];
      tp_fail(p, t, PIO_ERR_PARSE, "the template ended before {%% %s %%}", want);
      return NULL;
    }
    if (t->kind == TL_DATA) {
      p->pos++;
      if ((stmt = tp_node(p, TN_TEXT, t)) == NULL) return NULL;
      tpl_str *s = tpl_alloc(&p->t->arena, sizeof *s + t->len + 1);
      if (s == NULL) {
        tp_oom(p);
        return NULL;
      }
      s->len = t->len;
      memcpy(s->data, t->text, t->len + 1);
      stmt->text = s;
    } else if (t->kind == TL_VAR_BEGIN) {
      p->pos++;
      if ((stmt = tp_node(p, TN_OUTPUT, t)) == NULL || (stmt->a = tp_tuple(p)) == NULL) return NULL;
      if (tp_cur(p)->kind != TL_VAR_END) {
        tp_fail(p, tp_cur(p), PIO_ERR_PARSE, "expected the end of the expression ('}}')", NULL);
        return NULL;
      }
      p->pos++;
    } else if (t->kind == TL_BLOCK_BEGIN) {
      p->pos++;
      const char *ended = NULL;
      stmt = parse_tag(p, ends, &ended, depth);
      if (ended != NULL) {
        *which = ended;
        return body;
      }
      if (stmt == NULL) return NULL;
    } else {
      tp_fail(p, t, PIO_ERR_PARSE, "unexpected token", NULL);
      return NULL;
    }
    if (tp_add_item(p, body, stmt) != 0) {
      tp_oom(p);
      return NULL;
    }
  }
}

pio_status tpl_parse(pio_chat_template *t, const char *source, size_t len, pio_error *err) {
  parser p = {t, {0}, 0, err, 0};
  pio_status st = tpl_lex(t->name, source, len, &t->arena, &p.toks, err);
  if (st == PIO_OK) {
    const char *which = NULL;
    t->root = parse_body(&p, NULL, &which, 0);
    st = t->root ? PIO_OK : err->code;
  }
  tpl_tokens_free(&p.toks);
  return st;
}
