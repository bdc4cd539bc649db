/* sdk/src/template_internal.h — the chat-template engine's parts: the token
 * stream of a template, its syntax tree, and the Python-like values a
 * rendering computes with (all of one rendering in one arena). */
#ifndef PIO_TEMPLATE_INTERNAL_H
#define PIO_TEMPLATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pio/chat_template.h"
#include "tokenizer_text.h"

/* ---- an arena: every allocation of a compile or a rendering ---- */
typedef struct tpl_arena_block tpl_arena_block;
typedef struct tpl_arena {
  tpl_arena_block *blocks;
  size_t used_total, limit; /* limit 0: none */
} tpl_arena;
void *tpl_alloc(tpl_arena *a, size_t size); /* zeroed; NULL when out of memory or over limit */
void tpl_arena_free(tpl_arena *a);

/* ---- values ---- */
typedef enum tpl_kind {
  TV_UNDEFINED,
  TV_NONE,
  TV_BOOL,
  TV_INT,
  TV_FLOAT,
  TV_STR,
  TV_LIST,
  TV_TUPLE,
  TV_DICT,
  TV_NAMESPACE,
  TV_LOOP,
  TV_MACRO,
  TV_BUILTIN,
  TV_METHOD
} tpl_kind;

typedef struct tpl_str {
  size_t len;
  char data[]; /* NUL-terminated */
} tpl_str;

typedef struct tpl_value tpl_value;
typedef struct tpl_list tpl_list;
typedef struct tpl_dict tpl_dict;
typedef struct tpl_loop tpl_loop;
typedef struct tpl_node tpl_node;
typedef struct tpl_method tpl_method;

struct tpl_value {
  tpl_kind kind;
  union {
    int b;
    int64_t i;
    double f;
    const tpl_str *s;
    tpl_list *list; /* LIST, TUPLE */
    tpl_dict *dict; /* DICT, NAMESPACE */
    tpl_loop *loop;
    const tpl_node *macro;
    int builtin; /* index of a global function */
    tpl_method *method;
    const char *undefined; /* UNDEFINED: what was looked up, for messages (may be NULL) */
  } u;
};

struct tpl_list {
  tpl_value *items;
  size_t count, capacity;
};

typedef struct tpl_dict_entry {
  tpl_value key, value;
} tpl_dict_entry;

struct tpl_dict {
  tpl_dict_entry *entries; /* insertion order, as Python's dict */
  size_t count, capacity;
};

struct tpl_loop {
  const tpl_list *items;
  size_t index; /* 0-based */
};

struct tpl_method {
  tpl_value self;
  int id;
};

/* ---- tokens of a tag ---- */
typedef enum tpl_tok { TT_END, TT_NAME, TT_STRING, TT_INT, TT_FLOAT, TT_OP } tpl_tok;

/* ---- the syntax tree ---- */
typedef enum tpl_node_kind {
  /* statements */
  TN_TEXT,
  TN_OUTPUT,
  TN_IF,
  TN_FOR,
  TN_SET,
  TN_SET_BLOCK,
  TN_MACRO,
  TN_BREAK,
  TN_CONTINUE,
  TN_BODY, /* a list of statements (also {% generation %}) */
  /* expressions */
  TN_LITERAL,
  TN_LIST,
  TN_TUPLE,
  TN_DICT,
  TN_NAME,
  TN_GETATTR,
  TN_GETITEM,
  TN_SLICE,
  TN_CALL,
  TN_FILTER,
  TN_TEST,
  TN_NOT,
  TN_NEG,
  TN_POS,
  TN_BINARY,
  TN_AND,
  TN_OR,
  TN_COMPARE,
  TN_CONDEXPR
} tpl_node_kind;

typedef struct tpl_kwarg {
  const char *name;
  tpl_node *value;
} tpl_kwarg;

struct tpl_node {
  tpl_node_kind kind;
  int line, column;
  const char *name;    /* NAME, GETATTR attribute, FILTER/TEST name, MACRO name, SET target */
  const char *attr;    /* SET: ns.attr target's attribute */
  const char *op;      /* BINARY / COMPARE operator ("+", "==", "in", "not in", ...) */
  int negated;         /* TEST: "is not" */
  int builtin;         /* FILTER / TEST: index into the table */
  tpl_value literal;   /* LITERAL */
  tpl_str *text;       /* TEXT */
  tpl_node *a, *b, *c; /* operands; FOR: a iter, b filter; IF/CONDEXPR: a cond; SLICE: a b c */
  tpl_node **items;    /* LIST/TUPLE/DICT(k,v pairs)/CALL args/BODY statements/IF branches */
  size_t n_items;
  tpl_kwarg *kwargs; /* CALL, FILTER, TEST keyword arguments; MACRO defaults */
  size_t n_kwargs;
  const char **names; /* FOR targets, SET tuple targets, MACRO parameters */
  size_t n_names;
  tpl_node *body, *else_body; /* FOR, IF branch, MACRO, SET_BLOCK */
};

struct pio_chat_template {
  tpl_arena arena;
  tpl_node *root;
  char *name;
};

/* Parses source into t->root (nodes in t->arena). */
pio_status tpl_parse(pio_chat_template *t, const char *source, size_t len, pio_error *err);

/* ---- builtins (template_builtins.c) ---- */
/* Index of a filter or test by name, or -1. */
int tpl_filter_index(const char *name);
int tpl_test_index(const char *name);
int tpl_global_index(const char *name);

/* ---- rendering (template_eval.c) ---- */
/* One scope: names bound by set, for, macro parameters. */
typedef struct tpl_scope {
  tpl_dict vars;
} tpl_scope;

typedef struct tpl_render {
  const pio_chat_template *t;
  tpl_arena arena;   /* every value of the rendering */
  tpl_scope *scopes; /* [0] the caller's variables and top-level sets; innermost last */
  size_t n_scopes, cap_scopes;
  size_t floor; /* lookups see scopes [floor, n) and then [0]: a macro sees its own */
  tok_buf out;
  pio_error *err;
  int failed;
  int depth;           /* macro calls in progress */
  unsigned long steps; /* loop iterations, against runaway templates */
} tpl_render;

/* Values as Python shows them. */
int tpl_value_str(tpl_render *r, const tpl_value *v, tok_buf *out);  /* str() */
int tpl_value_repr(tpl_render *r, const tpl_value *v, tok_buf *out); /* repr() */
int tpl_truthy(const tpl_value *v);
int tpl_equal(const tpl_value *a, const tpl_value *b);
const char *tpl_type_name(const tpl_value *v); /* Python's: 'str', 'dict', ... */

/* What the builtins need of a rendering. */
tpl_value tpl_make_str(tpl_render *r, const char *s, size_t len);
tpl_list *tpl_new_list(tpl_render *r);
int tpl_list_push(tpl_render *r, tpl_list *l, tpl_value v);
tpl_dict *tpl_new_dict(tpl_render *r);
int tpl_dict_set(tpl_render *r, tpl_dict *d, tpl_value key, tpl_value value);
tpl_value *tpl_dict_get(const tpl_dict *d, const char *key, size_t len);
/* Fails the rendering at node with a message; returns -1. */
int tpl_fail(tpl_render *r, const tpl_node *at, pio_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int tpl_no_memory(tpl_render *r);
/* Attribute of a value as Jinja's getattr finds it (methods first, then items). */
int tpl_getattr(tpl_render *r, const tpl_node *at, const tpl_value *obj, const char *name,
                tpl_value *out);
/* Runs a test by index on v with args. */
int tpl_run_test(tpl_render *r, const tpl_node *at, int test, const tpl_value *v,
                 const tpl_value *args, size_t n_args, int *result);

/* Calls of builtins: args positional, kwargs by name (values), result in *out. */
typedef struct tpl_args {
  const tpl_value *pos;
  size_t n_pos;
  const char *const *kw_names;
  const tpl_value *kw;
  size_t n_kw;
} tpl_args;
int tpl_run_filter(tpl_render *r, const tpl_node *at, int filter, const tpl_value *v,
                   const tpl_args *args, tpl_value *out);
int tpl_call_global(tpl_render *r, const tpl_node *at, int global, const tpl_args *args,
                    tpl_value *out);
int tpl_call_method(tpl_render *r, const tpl_node *at, const tpl_method *m, const tpl_args *args,
                    tpl_value *out);
/* Method id of a type's method name, or -1. */
int tpl_method_id(const tpl_value *self, const char *name);
/* json.dumps as Transformers' tojson calls it. */
int tpl_tojson(tpl_render *r, const tpl_node *at, const tpl_value *v, long indent,
               const char *item_sep, const char *key_sep, int sort_keys, tok_buf *out);

#endif
