/* sdk/src/template_lex.h — a chat template cut into tokens as Jinja2's
 * lexer cuts it with trim_blocks and lstrip_blocks: text, the starts and
 * ends of {{ }} and {% %} tags, and the names, literals and operators inside
 * them; comments dropped; whitespace control (- and +) applied. */
#ifndef PIO_TEMPLATE_LEX_H
#define PIO_TEMPLATE_LEX_H

#include "template_internal.h"

typedef enum tpl_lex_kind {
  TL_DATA,
  TL_VAR_BEGIN,
  TL_VAR_END,
  TL_BLOCK_BEGIN,
  TL_BLOCK_END,
  TL_NAME,
  TL_STRING,
  TL_INT,
  TL_FLOAT,
  TL_OP,
  TL_EOF
} tpl_lex_kind;

typedef struct tpl_token {
  tpl_lex_kind kind;
  int line, column;
  const char *text; /* DATA, NAME, STRING (unescaped), OP: NUL-terminated, in the arena */
  size_t len;
  int64_t i; /* INT */
  double f;  /* FLOAT */
} tpl_token;

typedef struct tpl_tokens {
  tpl_token *items;
  size_t count, capacity;
} tpl_tokens;

/* Cuts source (its one trailing newline dropped, as Jinja2 does) into
 * tokens allocated in arena.  PIO_ERR_PARSE with "name:LINE:COLUMN: what". */
pio_status tpl_lex(const char *name, const char *source, size_t len, tpl_arena *arena,
                   tpl_tokens *out, pio_error *err);
void tpl_tokens_free(tpl_tokens *t);

#endif
