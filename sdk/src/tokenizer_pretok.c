/* sdk/src/tokenizer_pretok.c — tokenizer.json's pre-tokenisers (Split,
 * ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation,
 * Sequence), read into a flat list of steps.  Each step splits one piece
 * into sub-pieces with Hugging Face's delimiter behaviours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

#define PRETOKENIZERS_KNOWN \
  "Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Punctuation, Sequence"

/* GPT-2's split, which ByteLevel applies with use_regex. */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/* Whitespace's (Rust regex) split. */
static const char whitespace_pattern[] = "\\w+|[^\\w\\s]+";

typedef struct step_list {
  tok_pretok *items;
  size_t count, capacity;
} step_list;

static pio_status no_memory(const char *name, pio_error *err) {
  return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
}

static pio_status read_behavior(const char *name, const char *path, json_object *json, int required,
                                tok_behavior *out, pio_error *err) {
  static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                "Contiguous"};
  const char *s = NULL;
  pio_status st = tok_json_string(name, path, json, "behavior", required, &s, NULL, err);
  if (st != PIO_OK || s == NULL) return st;
  for (int i = 0; i < 5; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = (tok_behavior)i;
      return PIO_OK;
    }
  char q[96];
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: %s.behavior: %s is not one of Removed, Isolated, MergedWithPrevious, "
                       "MergedWithNext, Contiguous",
                       name, path, pio_json_quote(s, q, sizeof q));
}

static pio_status read_metaspace(const char *name, const char *path, json_object *json,
                                 tok_pretok *p, pio_error *err) {
  const char *rep = NULL;
  size_t len = 0;
  pio_status st = tok_json_string(name, path, json, "replacement", 1, &rep, &len, err);
  if (st != PIO_OK) return st;
  size_t n = 0;
  if (len == 0 || tok_utf8_check(rep, len) != len || (tok_utf8_decode(rep, 0, &n), n != len))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.replacement: expected one character", name,
                         path);
  p->replacement = tok_utf8_decode(rep, 0, &n);
  memcpy(p->replacement_utf8, rep, len);
  p->replacement_len = len;
  p->prepend = TOK_PREPEND_ALWAYS;
  p->split = 1;
  const char *scheme = NULL;
  st = tok_json_string(name, path, json, "prepend_scheme", 0, &scheme, NULL, err);
  if (st != PIO_OK) return st;
  if (scheme != NULL) {
    if (strcmp(scheme, "always") == 0)
      p->prepend = TOK_PREPEND_ALWAYS;
    else if (strcmp(scheme, "first") == 0)
      p->prepend = TOK_PREPEND_FIRST;
    else if (strcmp(scheme, "never") == 0)
      p->prepend = TOK_PREPEND_NEVER;
    else
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: %s.prepend_scheme: expected \"always\", \"first\" or \"never\"",
                           name, path);
  }
  int add_prefix_space = 1;
  st = tok_json_bool(name, path, json, "add_prefix_space", &add_prefix_space, err);
  if (st != PIO_OK) return st;
  if (!add_prefix_space) {
    if (p->prepend != TOK_PREPEND_NEVER && scheme != NULL)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: %s: add_prefix_space false contradicts prepend_scheme", name, path);
    p->prepend = TOK_PREPEND_NEVER;
  }
  return tok_json_bool(name, path, json, "split", &p->split, err);
}

static pio_status read_step(const char *name, const char *path, json_object *json, step_list *list,
                            pio_error *err);

static pio_status read_sequence(const char *name, const char *path, json_object *json,
                                step_list *list, pio_error *err) {
  json_object *arr = NULL;
  if (!json_object_object_get_ex(json, "pretokenizers", &arr) ||
      !json_object_is_type(arr, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.pretokenizers: expected an array", name,
                         path);
  for (size_t i = 0; i < json_object_array_length(arr); i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s.pretokenizers[%zu]", path, i);
    pio_status st = read_step(name, sub, json_object_array_get_idx(arr, i), list, err);
    if (st != PIO_OK) return st;
  }
  return PIO_OK;
}

static pio_status read_step(const char *name, const char *path, json_object *json, step_list *list,
                            pio_error *err) {
  const char *type = NULL;
  pio_status st = tok_json_type(name, path, json, &type, err);
  if (st != PIO_OK) return st;
  if (strcmp(type, "Sequence") == 0) return read_sequence(name, path, json, list, err);
  if (list->count == list->capacity) {
    size_t cap = list->capacity ? list->capacity * 2 : 4;
    tok_pretok *grown = realloc(list->items, cap * sizeof *grown);
    if (grown == NULL) return no_memory(name, err);
    list->items = grown;
    list->capacity = cap;
  }
  tok_pretok *p = &list->items[list->count];
  memset(p, 0, sizeof *p);
  char where[320];
  snprintf(where, sizeof where, "%s: %s", name, path);
  if (strcmp(type, "Split") == 0) {
    p->kind = TOK_PRE_SPLIT;
    list->count++;
    st = tok_json_pattern(name, path, json, &p->pattern, err);
    if (st == PIO_OK) st = read_behavior(name, path, json, 1, &p->behavior, err);
    if (st == PIO_OK) st = tok_json_bool(name, path, json, "invert", &p->invert, err);
    return st;
  }
  if (strcmp(type, "ByteLevel") == 0) {
    p->kind = TOK_PRE_BYTE_LEVEL;
    list->count++;
    p->add_prefix_space = p->use_regex = 1;
    st = tok_json_bool(name, path, json, "add_prefix_space", &p->add_prefix_space, err);
    if (st == PIO_OK) st = tok_json_bool(name, path, json, "use_regex", &p->use_regex, err);
    if (st == PIO_OK && p->use_regex)
      st = tok_pattern_compile(&p->pattern, gpt2_pattern, strlen(gpt2_pattern), 1, where, err);
    return st;
  }
  if (strcmp(type, "Metaspace") == 0) {
    p->kind = TOK_PRE_METASPACE;
    list->count++;
    return read_metaspace(name, path, json, p, err);
  }
  if (strcmp(type, "Digits") == 0) {
    p->kind = TOK_PRE_DIGITS;
    list->count++;
    int individual = 0;
    st = tok_json_bool(name, path, json, "individual_digits", &individual, err);
    p->behavior = individual ? TOK_SPLIT_ISOLATED : TOK_SPLIT_CONTIGUOUS;
    return st;
  }
  if (strcmp(type, "Whitespace") == 0) {
    p->kind = TOK_PRE_WHITESPACE;
    list->count++;
    return tok_pattern_compile(&p->pattern, whitespace_pattern, strlen(whitespace_pattern), 1,
                               where, err);
  }
  if (strcmp(type, "WhitespaceSplit") == 0) {
    p->kind = TOK_PRE_WHITESPACE_SPLIT;
    list->count++;
    return PIO_OK;
  }
  if (strcmp(type, "Punctuation") == 0) {
    p->kind = TOK_PRE_PUNCTUATION;
    list->count++;
    p->behavior = TOK_SPLIT_ISOLATED;
    return read_behavior(name, path, json, 0, &p->behavior, err);
  }
  return tok_unsupported(name, path, "pre-tokenizer", type, PRETOKENIZERS_KNOWN, err);
}

pio_status tok_pretok_load(const char *name, const char *path, json_object *json,
                           tok_pretok **steps, size_t *n_steps, pio_error *err) {
  *steps = NULL;
  *n_steps = 0;
  if (json == NULL) return PIO_OK;
  step_list list = {0};
  pio_status st = read_step(name, path, json, &list, err);
  if (st != PIO_OK) {
    tok_pretok_free(list.items, list.count);
    return st;
  }
  *steps = list.items;
  *n_steps = list.count;
  return PIO_OK;
}

void tok_pretok_free(tok_pretok *steps, size_t n_steps) {
  for (size_t i = 0; i < n_steps; i++) tok_pattern_free(&steps[i].pattern);
  free(steps);
}

void tok_range_list_free(tok_range_list *list) {
  free(list->items);
  memset(list, 0, sizeof *list);
}

static int push(tok_range_list *l, size_t off, size_t len, int is_match) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 64;
    tok_range *grown = realloc(l->items, cap * sizeof *grown);
    if (grown == NULL) return -1;
    l->items = grown;
    l->capacity = cap;
  }
  l->items[l->count++] = (tok_range){off, len, is_match};
  return 0;
}

/* Hugging Face's find_matches for a regex: the text cut into matches and the
 * gaps between them. */
static pio_status regex_matches(const tok_pattern *p, int invert, tok_matcher *m, const char *text,
                                size_t len, tok_range_list *out, pio_error *err) {
  tok_match_iter it;
  tok_match_iter_start(&it, p, m, text, len);
  size_t prev = 0, s, e;
  int rc;
  while ((rc = tok_match_next(&it, &s, &e, err)) == 1) {
    if (prev != s && push(out, prev, s - prev, invert) != 0) goto oom;
    if (push(out, s, e - s, !invert) != 0) goto oom;
    prev = e;
  }
  if (rc < 0) return err->code;
  if (prev != len && push(out, prev, len - prev, invert) != 0) goto oom;
  return PIO_OK;
oom:
  return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
}

static int char_matches(const tok_pretok *p, uint32_t cp) {
  switch (p->kind) {
    case TOK_PRE_DIGITS:
      return tok_cp_is_numeric(cp);
    case TOK_PRE_WHITESPACE_SPLIT:
      return tok_cp_is_whitespace(cp);
    case TOK_PRE_PUNCTUATION:
      return tok_cp_is_punctuation(cp);
    default:
      return cp == p->replacement; /* METASPACE */
  }
}

/* find_matches for a character predicate: each matching character alone. */
static pio_status predicate_matches(const tok_pretok *p, const char *text, size_t len,
                                    tok_range_list *out, pio_error *err) {
  size_t last = 0;
  for (size_t i = 0; i < len;) {
    size_t n;
    uint32_t cp = tok_utf8_decode(text, i, &n);
    if (char_matches(p, cp)) {
      if ((last < i && push(out, last, i - last, 0) != 0) || push(out, i, n, 1) != 0)
        return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
      last = i + n;
    }
    i += n;
  }
  if (last < len && push(out, last, len - last, 0) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  return PIO_OK;
}

/* NormalizedString::split's folds, in place; empty pieces dropped. */
static void apply_behavior(tok_range_list *l, tok_behavior behavior) {
  tok_range *r = l->items;
  size_t n = l->count, w = 0;
  int previous = 0;
  switch (behavior) {
    case TOK_SPLIT_ISOLATED:
      w = n;
      break;
    case TOK_SPLIT_REMOVED:
      for (size_t i = 0; i < n; i++)
        if (!r[i].is_match) r[w++] = r[i];
      break;
    case TOK_SPLIT_CONTIGUOUS:
    case TOK_SPLIT_MERGED_WITH_PREVIOUS:
      for (size_t i = 0; i < n; i++) {
        int m = r[i].is_match;
        int merge = behavior == TOK_SPLIT_CONTIGUOUS ? m == previous : (m && !previous);
        if (merge && w > 0)
          r[w - 1].len = r[i].off + r[i].len - r[w - 1].off;
        else
          r[w++] = r[i];
        previous = m;
      }
      break;
    case TOK_SPLIT_MERGED_WITH_NEXT: {
      size_t top = n; /* results fill r[top..n) from the right */
      for (size_t i = n; i-- > 0;) {
        int m = r[i].is_match;
        if (m && !previous && top < n) {
          size_t end = r[top].off + r[top].len;
          r[top].off = r[i].off;
          r[top].len = end - r[i].off;
        } else {
          r[--top] = r[i];
        }
        previous = m;
      }
      memmove(r, r + top, (n - top) * sizeof *r);
      w = n - top;
      break;
    }
  }
  size_t k = 0;
  for (size_t i = 0; i < w; i++)
    if (r[i].len > 0) r[k++] = r[i];
  l->count = k;
}

/* Maps base's ranges into byte-level characters in mapped; the ranges then
 * index mapped. */
static int map_bytes(const char *base, tok_range_list *l, tok_buf *mapped) {
  tok_buf_clear(mapped);
  for (size_t i = 0; i < l->count; i++) {
    size_t off = mapped->len;
    for (size_t k = 0; k < l->items[i].len; k++)
      if (tok_buf_append_cp(mapped, tok_byte_chars[(unsigned char)base[l->items[i].off + k]]) != 0)
        return -1;
    l->items[i].off = off;
    l->items[i].len = mapped->len - off;
  }
  return 0;
}

static pio_status byte_level(const tok_pretok *p, const char *text, size_t len, tok_matcher *m,
                             tok_buf scratch[2], const char **base, tok_range_list *out,
                             pio_error *err) {
  if (p->add_prefix_space && text[0] != ' ') {
    tok_buf_clear(&scratch[0]);
    if (tok_buf_append(&scratch[0], " ", 1) != 0 || tok_buf_append(&scratch[0], text, len) != 0)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
    text = scratch[0].data;
    len = scratch[0].len;
  }
  *base = text;
  if (p->use_regex) {
    pio_status st = regex_matches(&p->pattern, 0, m, text, len, out, err);
    if (st != PIO_OK) return st;
    apply_behavior(out, TOK_SPLIT_ISOLATED);
  } else if (push(out, 0, len, 0) != 0) {
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  if (p->raw_bytes) return PIO_OK;
  if (map_bytes(text, out, &scratch[1]) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  *base = scratch[1].data;
  return PIO_OK;
}

static pio_status metaspace(const tok_pretok *p, const char *text, size_t len, int at_start,
                            tok_buf scratch[2], const char **base, tok_range_list *out,
                            pio_error *err) {
  tok_buf *b = &scratch[0];
  tok_buf_clear(b);
  int starts =
      len >= p->replacement_len && memcmp(text, p->replacement_utf8, p->replacement_len) == 0;
  int prepend = 0;
  if (p->prepend == TOK_PREPEND_ALWAYS) prepend = 1;
  if (p->prepend == TOK_PREPEND_FIRST) prepend = at_start;
  /* the test sees the text after spaces became the replacement */
  if (!starts && text[0] == ' ' && p->replacement_len) starts = 1;
  if (prepend && !starts && tok_buf_append(b, p->replacement_utf8, p->replacement_len) != 0)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < len; i++) {
    int rc = text[i] == ' ' ? tok_buf_append(b, p->replacement_utf8, p->replacement_len)
                            : tok_buf_append(b, text + i, 1);
    if (rc != 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  *base = b->data;
  if (!p->split) {
    if (push(out, 0, b->len, 0) != 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
    return PIO_OK;
  }
  pio_status st = predicate_matches(p, b->data, b->len, out, err);
  if (st == PIO_OK) apply_behavior(out, TOK_SPLIT_MERGED_WITH_NEXT);
  return st;
}

pio_status tok_pretok_apply(const tok_pretok *step, const char *text, size_t len, int at_start,
                            tok_matcher *matcher, tok_buf scratch[2], const char **base,
                            tok_range_list *out, pio_error *err) {
  out->count = 0;
  *base = text;
  pio_status st = PIO_OK;
  switch (step->kind) {
    case TOK_PRE_BYTE_LEVEL:
      return byte_level(step, text, len, matcher, scratch, base, out, err);
    case TOK_PRE_METASPACE:
      return metaspace(step, text, len, at_start, scratch, base, out, err);
    case TOK_PRE_SPLIT:
      st = regex_matches(&step->pattern, step->invert, matcher, text, len, out, err);
      if (st == PIO_OK) apply_behavior(out, step->behavior);
      return st;
    case TOK_PRE_WHITESPACE:
      st = regex_matches(&step->pattern, 1, matcher, text, len, out, err);
      if (st == PIO_OK) apply_behavior(out, TOK_SPLIT_REMOVED);
      return st;
    case TOK_PRE_WHITESPACE_SPLIT:
      st = predicate_matches(step, text, len, out, err);
      if (st == PIO_OK) apply_behavior(out, TOK_SPLIT_REMOVED);
      return st;
    case TOK_PRE_DIGITS:
    case TOK_PRE_PUNCTUATION:
      st = predicate_matches(step, text, len, out, err);
      if (st == PIO_OK) apply_behavior(out, step->behavior);
      return st;
  }
  return st;
}
