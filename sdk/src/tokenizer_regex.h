/* sdk/src/tokenizer_regex.h — the patterns of tokenizer.json (Split,
 * Replace): regexes through PCRE2 (JIT), read as Oniguruma reads them for
 * Hugging Face, and literal strings; matches found as Oniguruma's find_iter
 * finds them (an empty match right after a match is skipped). */
#ifndef PIO_TOKENIZER_REGEX_H
#define PIO_TOKENIZER_REGEX_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pio/status.h"

typedef struct tok_pattern {
  pcre2_code *code; /* NULL for a non-empty literal */
  char *literal;    /* owned: the literal's bytes */
  size_t literal_len;
} tok_pattern;

/* Compiles a regex (is_regex) or a literal; where names it in messages
 * (PIO_ERR_INVALID with PCRE2's reason and offset). */
pio_status tok_pattern_compile(tok_pattern *p, const char *text, size_t len, int is_regex,
                               const char *where, pio_error *err);
void tok_pattern_free(tok_pattern *p);

/* What a search needs of its own: not shared between threads. */
typedef struct tok_matcher {
  pcre2_match_data *data;
  pcre2_match_context *context;
  pcre2_jit_stack *stack;
} tok_matcher;
int tok_matcher_init(tok_matcher *m); /* -1 out of memory */
void tok_matcher_free(tok_matcher *m);

typedef struct tok_match_iter {
  const tok_pattern *pattern;
  tok_matcher *matcher;
  const char *text;
  size_t len;
  size_t next_start;     /* where the next search starts */
  size_t last_match_end; /* SIZE_MAX before the first match */
} tok_match_iter;

void tok_match_iter_start(tok_match_iter *it, const tok_pattern *p, tok_matcher *m,
                          const char *text, size_t len);
/* 1 with [*start, *end) the next match; 0 when there is none; -1 with err
 * filled when PCRE2 gives up (match limit). */
int tok_match_next(tok_match_iter *it, size_t *start, size_t *end, pio_error *err);

#endif
