/* sdk/src/template_lex.c — the chat-template lexer (template_lex.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template_lex.h"

typedef struct lexer {
  const char *name, *src;
  size_t len, pos;
  int line, column;
  tpl_arena *arena;
  tpl_tokens *out;
  pio_error *err;
} lexer;

static pio_status fail(lexer *lx, int line, int column, const char *what) {
  return pio_error_set(lx->err, PIO_ERR_PARSE, "%s:%d:%d: %s", lx->name, line, column, what);
}

static void advance(lexer *lx, size_t n) {
  for (size_t k = 0; k < n && lx->pos < lx->len; k++, lx->pos++) {
    unsigned char c = (unsigned char)lx->src[lx->pos];
    if (c == '\n') {
      lx->line++;
      lx->column = 1;
    } else if ((c & 0xC0) != 0x80) {
      lx->column++;
    }
  }
}

static tpl_token *push(lexer *lx, tpl_lex_kind kind, int line, int column) {
  tpl_tokens *t = lx->out;
  if (t->count == t->capacity) {
    size_t cap = t->capacity ? t->capacity * 2 : 256;
    tpl_token *grown = realloc(t->items, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    t->items = grown;
    t->capacity = cap;
  }
  tpl_token *tok = &t->items[t->count++];
  memset(tok, 0, sizeof *tok);
  tok->kind = kind;
  tok->line = line;
  tok->column = column;
  return tok;
}

/* A copy in the arena, line endings made "\n" (Jinja2's newline_sequence). */
static char *copy_text(lexer *lx, const char *s, size_t n, size_t *out_len) {
  char *d = tpl_alloc(lx->arena, n + 1);
  if (d == NULL) return NULL;
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\r') {
      d[w++] = '\n';
      if (i + 1 < n && s[i + 1] == '\n') i++;
    } else {
      d[w++] = s[i];
    }
  }
  d[w] = '\0';
  *out_len = w;
  return d;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The next tag start at or after from: its offset, or len. */
static size_t find_tag(const char *s, size_t len, size_t from) {
  for (size_t i = from; i + 1 < len; i++)
    if (s[i] == '{' && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#')) return i;
  return len;
}

/* Data [start, end) before a tag of type kind ('{', '%', '#') whose
 * modifier is mod ('-', '+' or 0); strip_front when the tag before ended
 * with '-', trim_newline when it was a block or comment end without '+'. */
static pio_status emit_data(lexer *lx, size_t start, size_t end, char kind, char mod,
                            int strip_front, int trim_newline, int line, int column) {
  if (strip_front) {
    while (start < end && is_space(lx->src[start])) start++;
  } else if (trim_newline && start < end) {
    if (lx->src[start] == '\n')
      start++;
    else if (lx->src[start] == '\r')
      start += (start + 1 < end && lx->src[start + 1] == '\n') ? 2 : 1;
  }
  if (mod == '-') {
    while (end > start && is_space(lx->src[end - 1])) end--;
  } else if (mod != '+' && (kind == '%' || kind == '#')) {
    /* lstrip_blocks: spaces and tabs from the line's start to the tag */
    size_t b = end;
    while (b > start && (lx->src[b - 1] == ' ' || lx->src[b - 1] == '\t')) b--;
    if (b == 0 || lx->src[b - 1] == '\n' || lx->src[b - 1] == '\r') end = b;
  }
  if (end <= start) return PIO_OK;
  tpl_token *t = push(lx, TL_DATA, line, column);
  if (t == NULL || (t->text = copy_text(lx, lx->src + start, end - start, &t->len)) == NULL)
    return pio_error_set(lx->err, PIO_ERR_NO_MEMORY, "%s: out of memory", lx->name);
  return PIO_OK;
}

static int unescape(lexer *lx, const char *s, size_t n, tpl_token *t) {
  tok_buf b = {0};
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    char c = s[i];
    if (c != '\\' || i + 1 >= n) {
      rc = tok_buf_append(&b, &c, 1);
      continue;
    }
    char e = s[++i];
    const char *simple = NULL;
    switch (e) {
      case 'n':
        simple = "\n";
        break;
      case 't':
        simple = "\t";
        break;
      case 'r':
        simple = "\r";
        break;
      case '\\':
        simple = "\\";
        break;
      case '\'':
        simple = "'";
        break;
      case '"':
        simple = "\"";
        break;
      case 'a':
        simple = "\a";
        break;
      case 'b':
        simple = "\b";
        break;
      case 'f':
        simple = "\f";
        break;
      case 'v':
        simple = "\v";
        break;
      case '0':
        simple = "";
        rc = tok_buf_append(&b, "", 1);
        break;
      default:
        break;
    }
    if (simple != NULL) {
      if (e != '0') rc = tok_buf_append(&b, simple, strlen(simple));
      continue;
    }
    int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (digits && i + (size_t)digits < n) {
      char hex[9];
      memcpy(hex, s + i + 1, (size_t)digits);
      hex[digits] = '\0';
      char *end;
      unsigned long cp = strtoul(hex, &end, 16);
      if (*end == '\0' && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
        rc = tok_buf_append_cp(&b, (uint32_t)cp);
        i += (size_t)digits;
        continue;
      }
    }
    /* Python keeps an unknown escape as it is */
    char keep[2] = {'\\', e};
    rc = tok_buf_append(&b, keep, 2);
  }
  if (rc == 0) t->text = copy_text(lx, b.data ? b.data : "", b.len, &t->len);
  tok_buf_free(&b);
  return rc == 0 && t->text != NULL ? 0 : -1;
}

static const char *const ops[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*",
                                  "/",  "%",  "~",  "<",  ">",  "=",  "(", ")", "[",
                                  "]",  "{",  "}",  ",",  ".",  ":",  "|", ";"};

/* The inside of a tag up to its end ("}}" or "%}", a '-' or '+' before it
 * allowed); *end_mod gets that modifier. */
static pio_status lex_tag(lexer *lx, char kind, char *end_mod) {
  const char close = kind == '{' ? '}' : '%';
  int depth = 0;
  for (;;) {
    while (lx->pos < lx->len && is_space(lx->src[lx->pos])) advance(lx, 1);
    if (lx->pos >= lx->len)
      return fail(lx, lx->line, lx->column, "unexpected end of template inside a tag");
    const char *s = lx->src + lx->pos;
    size_t left = lx->len - lx->pos;
    int line = lx->line, column = lx->column;
    if (depth == 0) {
      size_t m = (s[0] == '-' || s[0] == '+') ? 1 : 0;
      if (left >= m + 2 && s[m] == close && s[m + 1] == '}') {
        *end_mod = m ? s[0] : 0;
        advance(lx, m + 2);
        return PIO_OK;
      }
    }
    char c = s[0];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
      size_t n = 1;
      while (n < left && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
                          (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
        n++;
      tpl_token *t = push(lx, TL_NAME, line, column);
      if (t == NULL || (t->text = copy_text(lx, s, n, &t->len)) == NULL) goto oom;
      advance(lx, n);
    } else if (c >= '0' && c <= '9') {
      /* the source need not end in a NUL: numbers are read from a copy */
      char num[64];
      size_t m = 0;
      while (m < left && m < sizeof num - 1 &&
             ((s[m] >= '0' && s[m] <= '9') || s[m] == '.' || s[m] == 'e' || s[m] == 'E' ||
              ((s[m] == '+' || s[m] == '-') && m > 0 && (s[m - 1] == 'e' || s[m - 1] == 'E'))))
        m++;
      memcpy(num, s, m);
      num[m] = '\0';
      char *end;
      errno = 0;
      long long iv = strtoll(num, &end, 10);
      size_t n = (size_t)(end - num);
      int is_float = n < left && (s[n] == '.' || s[n] == 'e' || s[n] == 'E') &&
                     !(s[n] == '.' && n + 1 < left && (s[n + 1] < '0' || s[n + 1] > '9'));
      tpl_token *t = push(lx, is_float ? TL_FLOAT : TL_INT, line, column);
      if (t == NULL) goto oom;
      if (is_float) {
        t->f = strtod(num, &end);
        n = (size_t)(end - num);
      } else if (errno != 0) {
        return fail(lx, line, column, "integer literal too large");
      }
      t->i = iv;
      advance(lx, n);
    } else if (c == '\'' || c == '"') {
      size_t n = 1;
      while (n < left && s[n] != c) n += (s[n] == '\\' && n + 1 < left) ? 2 : 1;
      if (n >= left) return fail(lx, line, column, "unterminated string literal");
      tpl_token *t = push(lx, TL_STRING, line, column);
      if (t == NULL || unescape(lx, s + 1, n - 1, t) != 0) goto oom;
      advance(lx, n + 1);
    } else {
      size_t k = 0, n = 0;
      for (; k < sizeof ops / sizeof ops[0]; k++) {
        n = strlen(ops[k]);
        if (left >= n && memcmp(s, ops[k], n) == 0) break;
      }
      if (k == sizeof ops / sizeof ops[0]) {
        char what[64];
        snprintf(what, sizeof what, "unexpected character '%c' in a tag",
                 c >= 0x20 && c < 0x7F ? c : '?');
        return fail(lx, line, column, what);
      }
      if (c == '(' || c == '[' || c == '{') depth++;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) depth--;
      tpl_token *t = push(lx, TL_OP, line, column);
      if (t == NULL) goto oom;
      t->text = ops[k];
      t->len = n;
      advance(lx, n);
    }
  }
oom:
  return pio_error_set(lx->err, PIO_ERR_NO_MEMORY, "%s: out of memory", lx->name);
}

/* {% raw %}: everything up to {% endraw %} is data.  lx is after "%}";
 * it ends after the endraw tag, whose end modifier goes to *end_mod. */
static pio_status lex_raw(lexer *lx, int line, int column, char *end_mod) {
  size_t from = lx->pos;
  for (size_t i = from; i + 1 < lx->len; i++) {
    if (lx->src[i] != '{' || lx->src[i + 1] != '%') continue;
    size_t k = i + 2;
    if (k < lx->len && (lx->src[k] == '-' || lx->src[k] == '+')) k++;
    while (k < lx->len && is_space(lx->src[k])) k++;
    if (lx->len - k >= 6 && memcmp(lx->src + k, "endraw", 6) == 0) {
      size_t close = k + 6;
      while (close < lx->len && is_space(lx->src[close])) close++;
      *end_mod = 0;
      if (close < lx->len && (lx->src[close] == '-' || lx->src[close] == '+'))
        *end_mod = lx->src[close++];
      if (lx->len - close < 2 || lx->src[close] != '%' || lx->src[close + 1] != '}')
        return fail(lx, line, column, "malformed {% endraw %}");
      size_t end = i;
      if (lx->src[i + 2] == '-')
        while (end > from && is_space(lx->src[end - 1])) end--;
      tpl_token *t = push(lx, TL_DATA, line, column);
      if (t == NULL || (t->text = copy_text(lx, lx->src + from, end - from, &t->len)) == NULL)
        return pio_error_set(lx->err, PIO_ERR_NO_MEMORY, "%s: out of memory", lx->name);
      advance(lx, close + 2 - lx->pos);
      return PIO_OK;
    }
  }
  return fail(lx, line, column, "{% raw %} without {% endraw %}");
}

pio_status tpl_lex(const char *name, const char *source, size_t len, tpl_arena *arena,
                   tpl_tokens *out, pio_error *err) {
  if (len > 0 && source[len - 1] == '\n') len -= (len > 1 && source[len - 2] == '\r') ? 2 : 1;
  lexer lx = {name, source, len, 0, 1, 1, arena, out, err};
  int strip_front = 0, trim_newline = 0;
  for (;;) {
    size_t tag = find_tag(source, len, lx.pos);
    char kind = tag < len ? source[tag + 1] : 0;
    char mod =
        tag + 2 < len && (source[tag + 2] == '-' || source[tag + 2] == '+') ? source[tag + 2] : 0;
    int line = lx.line, column = lx.column;
    pio_status st = emit_data(&lx, lx.pos, tag, kind, mod, strip_front, trim_newline, line, column);
    if (st != PIO_OK) return st;
    advance(&lx, tag - lx.pos);
    if (tag >= len) break;
    line = lx.line;
    column = lx.column;
    advance(&lx, mod ? 3 : 2);
    char end_mod = 0;
    if (kind == '#') {
      size_t k = lx.pos;
      while (k + 1 < len && !(source[k] == '#' && source[k + 1] == '}')) k++;
      if (k + 1 >= len) return fail(&lx, line, column, "unterminated comment");
      end_mod = k > lx.pos && (source[k - 1] == '-' || source[k - 1] == '+') ? source[k - 1] : 0;
      advance(&lx, k + 2 - lx.pos);
    } else {
      tpl_token *b = push(&lx, kind == '{' ? TL_VAR_BEGIN : TL_BLOCK_BEGIN, line, column);
      if (b == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
      size_t first = out->count;
      if ((st = lex_tag(&lx, kind, &end_mod)) != PIO_OK) return st;
      tpl_token *e = push(&lx, kind == '{' ? TL_VAR_END : TL_BLOCK_END, lx.line, lx.column);
      if (e == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
      if (kind == '%' && out->count == first + 2 && out->items[first].kind == TL_NAME &&
          strcmp(out->items[first].text, "raw") == 0) {
        out->count -= 3; /* the raw tag itself leaves no tokens */
        if (end_mod == '-')
          while (lx.pos < len && is_space(source[lx.pos])) advance(&lx, 1);
        else if (end_mod != '+' && lx.pos < len && source[lx.pos] == '\n')
          advance(&lx, 1);
        if ((st = lex_raw(&lx, line, column, &end_mod)) != PIO_OK) return st;
      }
    }
    strip_front = end_mod == '-';
    trim_newline = kind != '{' && end_mod != '+';
  }
  tpl_token *eof = push(&lx, TL_EOF, lx.line, lx.column);
  return eof ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
}

void tpl_tokens_free(tpl_tokens *t) {
  free(t->items);
  memset(t, 0, sizeof *t);
}
