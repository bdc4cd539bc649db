/* sdk/src/template_eval.h — what the two halves of rendering share
 * (template_eval.c: statements and scopes; template_eval_expr.c:
 * expressions, calls and attribute access). */
#ifndef PIO_TEMPLATE_EVAL_H
#define PIO_TEMPLATE_EVAL_H

#include "template_internal.h"

int tpl_push_scope(tpl_render *r);
void tpl_pop_scope(tpl_render *r);
/* A name in the visible scopes, or NULL. */
tpl_value *tpl_lookup(tpl_render *r, const char *name);
/* Binds name in the innermost scope. */
int tpl_assign(tpl_render *r, const char *name, tpl_value v);
/* Runs statements: 0 on, 1 break, 2 continue, -1 failed. */
int tpl_exec_body(tpl_render *r, const tpl_node *body);
/* Runs body into a string of its own. */
int tpl_capture(tpl_render *r, const tpl_node *body, tpl_value *out);
int tpl_eval(tpl_render *r, const tpl_node *n, tpl_value *out);

/* An undefined value that remembers what was missing, for its error. */
tpl_value tpl_undefined(tpl_render *r, const char *fmt, const char *a, const char *b);
int tpl_undefined_error(tpl_render *r, const tpl_node *at, const tpl_value *v);

#endif
