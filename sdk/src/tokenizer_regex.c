/* sdk/src/tokenizer_regex.c — tokenizer.json's patterns on PCRE2 (JIT).
 * Hugging Face compiles them with Oniguruma; the one difference that shows
 * in real patterns are handled here: Oniguruma's \s (and so \S) includes
 * U+0085, PCRE2's does not; Oniguruma's \w is letters, marks, decimal
 * digits and connector punctuation, PCRE2's letters, all numbers and '_'. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_regex.h"
#include "tokenizer_text.h"

/* Rewrites Oniguruma spellings into PCRE2 ones: \s → [\s\x{85}] and \S →
 * [^\s\x{85}] outside a class, \s → \s\x{85} inside one; \w and \W alike
 * with Oniguruma's word classes; \h (a hex digit in Oniguruma) →
 * [0-9a-fA-F].  A \S or \W inside a class has no such rewrite and is left
 * as PCRE2 reads it. */
#define ONIG_WORD "\\p{L}\\p{M}\\p{Nd}\\p{Pc}"
static int translate(const char *in, size_t len, tok_buf *out) {
  int in_class = 0;
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (c == '\\' && i + 1 < len) {
      char n = in[i + 1];
      const char *rep = NULL;
      if (n == 's')
        rep = in_class ? "\\s\\x{85}" : "[\\s\\x{85}]";
      else if (n == 'S' && !in_class)
        rep = "[^\\s\\x{85}]";
      else if (n == 'w')
        rep = in_class ? ONIG_WORD : "[" ONIG_WORD "]";
      else if (n == 'W' && !in_class)
        rep = "[^" ONIG_WORD "]";
      else if (n == 'h')
        rep = in_class ? "0-9a-fA-F" : "[0-9a-fA-F]";
      if (rep != NULL) {
        if (tok_buf_append(out, rep, strlen(rep)) != 0) return -1;
      } else if (tok_buf_append(out, in + i, 2) != 0) {
        return -1;
      }
      i++;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = 1;
      if (tok_buf_append(out, in + i, 1) != 0) return -1;
      /* a ']' first in the class (after an optional '^') is a literal */
      if (i + 1 < len && in[i + 1] == '^') {
        if (tok_buf_append(out, "^", 1) != 0) return -1;
        i++;
      }
      if (i + 1 < len && in[i + 1] == ']') {
        if (tok_buf_append(out, "]", 1) != 0) return -1;
        i++;
      }
      continue;
    }
    if (in_class && c == '[' && i + 1 < len && in[i + 1] == ':') {
      const char *close = strstr(in + i + 2, ":]");
      if (close != NULL && (size_t)(close - in) < len) {
        size_t n = (size_t)(close - (in + i)) + 2;
        if (tok_buf_append(out, in + i, n) != 0) return -1;
        i += n - 1;
        continue;
      }
    }
    if (in_class && c == ']') in_class = 0;
    if (tok_buf_append(out, in + i, 1) != 0) return -1;
  }
  return 0;
}

pio_status tok_pattern_compile(tok_pattern *p, const char *text, size_t len, int is_regex,
                               const char *where, pio_error *err) {
  memset(p, 0, sizeof *p);
  if (!is_regex && len > 0) {
    p->literal = malloc(len + 1);
    if (p->literal == NULL)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", where);
    memcpy(p->literal, text, len);
    p->literal[len] = '\0';
    p->literal_len = len;
    return PIO_OK;
  }
  if (tok_utf8_check(text, len) != len)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: the pattern is not UTF-8", where);
  tok_buf source = {0};
  int rc = is_regex ? translate(text, len, &source) : tok_buf_reserve(&source, 0);
  if (rc != 0) {
    tok_buf_free(&source);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", where);
  }
  int code = 0;
  PCRE2_SIZE offset = 0;
  p->code = pcre2_compile((PCRE2_SPTR)source.data, source.len,
                          PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &code, &offset, NULL);
  tok_buf_free(&source);
  if (p->code == NULL) {
    char reason[256];
    pcre2_get_error_message(code, (PCRE2_UCHAR *)reason, sizeof reason);
    return pio_error_set(err, PIO_ERR_INVALID, "%s: invalid regex: %s (near offset %zu)", where,
                         reason, (size_t)offset);
  }
  /* JIT is an optimisation: where it is not available, the interpreter
   * gives the same matches. */
  (void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
  return PIO_OK;
}

void tok_pattern_free(tok_pattern *p) {
  pcre2_code_free(p->code);
  free(p->literal);
  memset(p, 0, sizeof *p);
}

int tok_matcher_init(tok_matcher *m) {
  memset(m, 0, sizeof *m);
  m->data = pcre2_match_data_create(1, NULL);
  m->context = pcre2_match_context_create(NULL);
  m->stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
  if (m->data == NULL || m->context == NULL || m->stack == NULL) {
    tok_matcher_free(m);
    return -1;
  }
  pcre2_jit_stack_assign(m->context, NULL, m->stack);
  return 0;
}

void tok_matcher_free(tok_matcher *m) {
  pcre2_match_data_free(m->data);
  pcre2_match_context_free(m->context);
  pcre2_jit_stack_free(m->stack);
  memset(m, 0, sizeof *m);
}

void tok_match_iter_start(tok_match_iter *it, const tok_pattern *p, tok_matcher *m,
                          const char *text, size_t len) {
  it->pattern = p;
  it->matcher = m;
  it->text = text;
  it->len = len;
  it->next_start = 0;
  it->last_match_end = SIZE_MAX;
}

static int next_literal(tok_match_iter *it, size_t *start, size_t *end) {
  const tok_pattern *p = it->pattern;
  if (it->next_start > it->len || it->len - it->next_start < p->literal_len) return 0;
  const char *hit =
      memmem(it->text + it->next_start, it->len - it->next_start, p->literal, p->literal_len);
  if (hit == NULL) return 0;
  *start = (size_t)(hit - it->text);
  *end = *start + p->literal_len;
  it->next_start = *end;
  return 1;
}

int tok_match_next(tok_match_iter *it, size_t *start, size_t *end, pio_error *err) {
  if (it->pattern->code == NULL) return next_literal(it, start, end);
  for (;;) {
    if (it->next_start > it->len) return 0;
    int rc = pcre2_match(it->pattern->code, (PCRE2_SPTR)it->text, it->len, it->next_start,
                         PCRE2_NO_UTF_CHECK, it->matcher->data, it->matcher->context);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
      char reason[256];
      pcre2_get_error_message(rc, (PCRE2_UCHAR *)reason, sizeof reason);
      pio_error_set(err, PIO_ERR_LIMIT, "regex search failed at byte %zu: %s", it->next_start,
                    reason);
      return -1;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(it->matcher->data);
    size_t s = ov[0], e = ov[1];
    if (e < s) e = s; /* \K tricks; never in real patterns */
    if (s == e && it->last_match_end == e) {
      /* An empty match where the last one ended: step one character on. */
      it->next_start += e < it->len ? tok_utf8_len((unsigned char)it->text[e]) : 1;
      continue;
    }
    it->next_start = e;
    it->last_match_end = e;
    *start = s;
    *end = e;
    return 1;
  }
}
