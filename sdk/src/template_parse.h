/* sdk/src/template_parse.h — the chat-template parser's state and the
 * helpers its two halves share (template_parse_expr.c: expressions;
 * template_parse.c: statements). */
#ifndef PIO_TEMPLATE_PARSE_H
#define PIO_TEMPLATE_PARSE_H

#include "template_lex.h"

typedef struct parser {
  pio_chat_template *t;
  tpl_tokens toks;
  size_t pos;
  pio_error *err;
  int depth;
} parser;

tpl_token *tp_cur(parser *p);
tpl_token *tp_peek(parser *p, size_t k);
/* Fills p->err with "name:LINE:COLUMN: " and fmt (one %s for arg); -1. */
int tp_fail(parser *p, const tpl_token *at, pio_status code, const char *fmt, const char *arg);
int tp_oom(parser *p);
int tp_is_op(const tpl_token *t, const char *op);
int tp_is_name(const tpl_token *t, const char *name);
int tp_expect(parser *p, const char *op);
tpl_node *tp_node(parser *p, tpl_node_kind kind, const tpl_token *at);
int tp_add_item(parser *p, tpl_node *n, tpl_node *item);
int tp_add_kwarg(parser *p, tpl_node *n, const char *name, tpl_node *value);
int tp_add_name(parser *p, tpl_node *n, const char *name);
/* An expression; a tuple of them without parentheses. */
tpl_node *tp_expr(parser *p);
tpl_node *tp_tuple(parser *p);

#endif
