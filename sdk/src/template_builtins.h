/* sdk/src/template_builtins.h — the names of the chat-template engine's
 * filters, tests, globals and methods (template_builtins.c: methods and
 * lookups; template_filters.c: filters, tests and globals) and the helpers
 * both files use. */
#ifndef PIO_TEMPLATE_BUILTINS_H
#define PIO_TEMPLATE_BUILTINS_H

#include "template_eval.h"

enum {
  F_TRIM,
  F_LENGTH,
  F_COUNT,
  F_TOJSON,
  F_STRING,
  F_LOWER,
  F_UPPER,
  F_REPLACE,
  F_LIST,
  F_SELECTATTR,
  F_REJECTATTR,
  F_SELECT,
  F_REJECT,
  F_JOIN,
  F_FIRST,
  F_LAST,
  F_ITEMS,
  F_DEFAULT,
  F_D,
  F_CAPITALIZE,
  F_TITLE,
  F_INT,
  F_FLOAT,
  F_ABS,
  F_SAFE,
  F_MAP,
  F_UNIQUE,
  F_REVERSE,
  F_SUM,
  F_MIN,
  F_MAX,
  F_N
};
enum {
  T_DEFINED,
  T_UNDEFINED,
  T_NONE,
  T_STRING,
  T_NUMBER,
  T_INTEGER,
  T_FLOAT,
  T_BOOLEAN,
  T_TRUE,
  T_FALSE,
  T_MAPPING,
  T_ITERABLE,
  T_SEQUENCE,
  T_CALLABLE,
  T_EQUALTO,
  T_EQ,
  T_SAMEAS,
  T_NE,
  T_LT,
  T_LE,
  T_GT,
  T_GE,
  T_IN,
  T_ODD,
  T_EVEN,
  T_DIVISIBLEBY,
  T_LOWER,
  T_UPPER,
  T_N
};
enum { G_RAISE, G_STRFTIME, G_NAMESPACE, G_RANGE, G_DICT, G_N };
enum {
  M_STRIP,
  M_LSTRIP,
  M_RSTRIP,
  M_SPLIT,
  M_STARTSWITH,
  M_ENDSWITH,
  M_UPPER,
  M_LOWER,
  M_REPLACE,
  M_TITLE,
  M_CAPITALIZE,
  M_JOIN,
  M_FIND,
  M_COUNT,
  M_STR_N,
  M_ITEMS = 100,
  M_KEYS,
  M_VALUES,
  M_GET
};

extern const char *const tb_filters[F_N];
extern const char *const tb_tests[T_N];
extern const char *const tb_globals[G_N];
extern const char *const tb_str_methods[M_STR_N];

/* Argument i, or the keyword argument name (NULL: positional only); NULL when not given. */
const tpl_value *tb_arg(const tpl_args *a, size_t i, const char *name);
/* A string value of b's bytes; b freed. */
int tb_ret_buf(tpl_render *r, tok_buf *b, tpl_value *out);
/* 0 when v is a string; else fails the rendering naming what. */
int tb_need_str(tpl_render *r, const tpl_node *at, const tpl_value *v, const char *what);
/* Python's str.isspace (chars NULL) or membership in chars. */
int tb_in_chars(uint32_t cp, const tpl_str *chars);
int tb_strip(tpl_render *r, const tpl_str *s, const tpl_str *chars, int left, int right,
             tpl_value *out);
/* mode 0 lower, 1 upper, 2 capitalize, 3 title */
int tb_recase(tpl_render *r, const tpl_str *s, int mode, tpl_value *out);
int tb_replace(tpl_render *r, const tpl_str *s, const tpl_str *old, const tpl_str *new_s,
               int64_t count, tpl_value *out);
int tb_join(tpl_render *r, const tpl_node *at, const tpl_value *seq, const tpl_str *sep,
            const char *attribute, tpl_value *out);

#endif
