/* sdk/src/json_positions.c — the second pass over a JSON text json-c has
 * accepted: it enforces what json-c's strict mode still lets through, refuses
 * duplicate keys (json-c would silently keep the last), finds every member
 * and element of the text in json-c's tree (json-c drops one it could not
 * insert for want of memory), and records where each value starts so that
 * later errors can say line:column. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

/* One entry: the value `owner` itself (key NULL), or member `key` of
 * object `owner`.  JSON null has no json_object, hence the member form. */
typedef struct position_entry {
  const void *owner;
  char *key; /* owned; NULL for the value itself */
  int line, column;
} position_entry;

struct pio_json_positions {
  position_entry *slots; /* open addressing; owner NULL marks a free slot */
  size_t capacity;       /* power of two */
  size_t count;
};

static size_t hash_entry(const void *owner, const char *key) {
  uint64_t h = (uint64_t)(uintptr_t)owner * 0x9E3779B97F4A7C15u;
  if (key != NULL)
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 0x100000001B3u;
  return (size_t)(h ^ (h >> 29));
}

static position_entry *find_slot(position_entry *slots, size_t capacity, const void *owner,
                                 const char *key) {
  size_t i = hash_entry(owner, key) & (capacity - 1);
  for (;;) {
    position_entry *e = &slots[i];
    if (e->owner == NULL) return e;
    if (e->owner == owner &&
        ((key == NULL && e->key == NULL) || (key != NULL && e->key != NULL && strcmp(key, e->key) == 0)))
      return e;
    i = (i + 1) & (capacity - 1);
  }
}

static int grow(pio_json_positions *table) {
  size_t capacity = table->capacity ? table->capacity * 2 : 64;
  position_entry *slots = calloc(capacity, sizeof *slots);
  if (slots == NULL) return -1;
  for (size_t i = 0; i < table->capacity; i++) {
    position_entry *old = &table->slots[i];
    if (old->owner != NULL) *find_slot(slots, capacity, old->owner, old->key) = *old;
  }
  free(table->slots);
  table->slots = slots;
  table->capacity = capacity;
  return 0;
}

/* Returns 1 when added, 0 when (owner, key) was already there (*previous
 * then points at it), -1 when out of memory. */
static int table_add(pio_json_positions *table, const void *owner, const char *key, int line,
                     int column, const position_entry **previous) {
  if ((table->count + 1) * 4 > table->capacity * 3 && grow(table) != 0) return -1;
  position_entry *e = find_slot(table->slots, table->capacity, owner, key);
  if (e->owner != NULL) {
    *previous = e;
    return 0;
  }
  char *copy = NULL;
  if (key != NULL && (copy = strdup(key)) == NULL) return -1;
  e->owner = owner;
  e->key = copy; /* the table owns it now: pio_json_positions_free */
  e->line = line;
  e->column = column;
  table->count++;
  return 1;
}

void pio_json_positions_free(pio_json_positions *positions) {
  if (positions == NULL) return;
  for (size_t i = 0; i < positions->capacity; i++) free(positions->slots[i].key);
  free(positions->slots);
  free(positions);
}

int pio_json_position(const pio_json_positions *positions, const json_object *object,
                      const char *key, int *line, int *column) {
  if (positions == NULL || object == NULL || positions->capacity == 0) return -1;
  const position_entry *e = find_slot(positions->slots, positions->capacity, object, key);
  if (e->owner == NULL) return -1;
  if (line != NULL) *line = e->line;
  if (column != NULL) *column = e->column;
  return 0;
}

/* ---- the walk ---- */

typedef struct walker {
  const char *name, *text;
  size_t len, pos;
  pio_json_positions *table;
  int want_values; /* record each value too, not only members (positions asked for) */
  pio_error *err;
  char *key;  /* decoded key of the member being read, grown as needed */
  size_t key_cap;
  size_t located;            /* offset of the last value located, and its */
  int located_line, located_column; /* line and column */
} walker;

/* Line and column of offset.  Values are located in text order, so each
 * call goes on from the previous one: the walk stays linear in the text. */
static void locate(walker *w, size_t offset, int *line, int *column) {
  if (offset > w->len) offset = w->len;
  if (offset < w->located) { /* not expected; correct all the same */
    w->located = 0;
    w->located_line = w->located_column = 1;
  }
  pio_json_advance_line_column(w->text, w->located, offset, &w->located_line, &w->located_column);
  w->located = offset;
  *line = w->located_line;
  *column = w->located_column;
}

static pio_status fail(walker *w, size_t offset, const char *what) {
  int line, column;
  pio_json_offset_to_line_column(w->text, w->len, offset, &line, &column);
  return pio_error_set(w->err, PIO_ERR_PARSE, "%s:%d:%d: invalid JSON: %s", w->name, line, column,
                       what);
}

static void skip_ws(walker *w) {
  while (w->pos < w->len) {
    char c = w->text[w->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    w->pos++;
  }
}

static int peek(const walker *w) {
  return w->pos < w->len ? (unsigned char)w->text[w->pos] : -1;
}

static int key_push(walker *w, size_t *n, unsigned char byte) {
  if (*n + 2 > w->key_cap) {
    size_t cap = w->key_cap ? w->key_cap * 2 : 64;
    char *bigger = realloc(w->key, cap);
    if (bigger == NULL) return -1;
    w->key = bigger;
    w->key_cap = cap;
  }
  w->key[(*n)++] = (char)byte;
  w->key[*n] = '\0';
  return 0;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                 : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                 : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16u;
    if (d == 16) return -1;
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

/* Appends code point cp as UTF-8 (json-c decodes keys the same way). */
static int key_push_utf8(walker *w, size_t *n, unsigned cp) {
  unsigned char b[4];
  int k;
  if (cp < 0x80) { b[0] = (unsigned char)cp; k = 1; }
  else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); k = 2; }
  else if (cp < 0x10000) { b[0] = (unsigned char)(0xE0 | cp >> 12); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (unsigned char)(0x80 | (cp & 0x3F)); k = 3; }
  else { b[0] = (unsigned char)(0xF0 | cp >> 18); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)); b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); k = 4; }
  for (int i = 0; i < k; i++)
    if (key_push(w, n, b[i]) != 0) return -1;
  return 0;
}

size_t pio_json_utf8_sequence(const unsigned char *p, size_t avail) {
  if (avail == 0) return 0;
  if (p[0] < 0x80) return 1;
  size_t n = p[0] >= 0xF0 && p[0] <= 0xF4   ? 4
             : p[0] >= 0xE0 && p[0] < 0xF0 ? 3
             : p[0] >= 0xC2 && p[0] < 0xE0 ? 2
                                           : 0;
  if (n == 0 || n > avail) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if (n == 3 && p[0] == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
  if (n == 3 && p[0] == 0xED && p[1] >= 0xA0) return 0; /* a surrogate */
  if (n == 4 && p[0] == 0xF0 && p[1] < 0x90) return 0;  /* overlong */
  if (n == 4 && p[0] == 0xF4 && p[1] >= 0x90) return 0; /* above U+10FFFF */
  return n;
}

/* Reads a double-quoted string at w->pos; when decode is set (a key) the
 * decoded text lands in w->key.  Returns PIO_OK or a parse error. */
static pio_status read_string(walker *w, int decode) {
  if (peek(w) != '"') return fail(w, w->pos, "expected a string in double quotes");
  size_t n = 0;
  w->pos++;
  if (decode && key_push(w, &n, 0) != 0) goto oom; /* allocate and terminate */
  n = 0;
  while (w->pos < w->len) {
    unsigned char c = (unsigned char)w->text[w->pos];
    if (c == '"') {
      w->pos++;
      return PIO_OK;
    }
    if (c < 0x20) return fail(w, w->pos, "control character inside a string (write it escaped)");
    if (c >= 0x80) {
      size_t k = pio_json_utf8_sequence((const unsigned char *)w->text + w->pos, w->len - w->pos);
      if (k == 0)
        return fail(w, w->pos,
                    "text is not valid UTF-8 (a stray byte, an overlong form, an encoded "
                    "surrogate or a code point above U+10FFFF)");
      for (size_t i = 0; i < k; i++)
        if (decode && key_push(w, &n, (unsigned char)w->text[w->pos + i]) != 0) goto oom;
      w->pos += k;
      continue;
    }
    if (c != '\\') {
      if (decode && key_push(w, &n, c) != 0) goto oom;
      w->pos++;
      continue;
    }
    if (w->pos + 1 >= w->len) break;
    char e = w->text[w->pos + 1];
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e != '\0' && simple != NULL) {
      static const char decoded[] = "\"\\/\b\f\n\r\t";
      if (decode && key_push(w, &n, (unsigned char)decoded[simple - "\"\\/bfnrt"]) != 0) goto oom;
      w->pos += 2;
      continue;
    }
    unsigned cp;
    if (e != 'u' || w->pos + 6 > w->len || hex4(w->text + w->pos + 2, &cp) != 0)
      return fail(w, w->pos, "invalid escape in a string");
    if (cp == 0 && decode)
      return fail(w, w->pos, "\\u0000 inside a key (every reader would end the key there)");
    size_t escape_at = w->pos;
    w->pos += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && w->pos + 6 <= w->len && w->text[w->pos] == '\\' &&
        w->text[w->pos + 1] == 'u') {
      unsigned low;
      if (hex4(w->text + w->pos + 2, &low) == 0 && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        w->pos += 6;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
      return fail(w, escape_at, "a lone surrogate escape (\\uD800 to \\uDFFF without its pair)");
    if (decode && key_push_utf8(w, &n, cp) != 0) goto oom;
  }
  return fail(w, w->len, "unterminated string");
oom:
  return pio_error_set(w->err, PIO_ERR_NO_MEMORY, "%s: out of memory", w->name);
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static pio_status read_number(walker *w) {
  size_t start = w->pos;
  if (peek(w) == '-') w->pos++;
  if (peek(w) == '0') {
    w->pos++;
  } else if (is_digit(peek(w))) {
    while (is_digit(peek(w))) w->pos++;
  } else {
    return fail(w, start, "expected a value (NaN and Infinity are not JSON)");
  }
  if (peek(w) == '.') {
    w->pos++;
    if (!is_digit(peek(w))) return fail(w, w->pos, "expected a digit after '.'");
    while (is_digit(peek(w))) w->pos++;
  }
  if (peek(w) == 'e' || peek(w) == 'E') {
    w->pos++;
    if (peek(w) == '+' || peek(w) == '-') w->pos++;
    if (!is_digit(peek(w))) return fail(w, w->pos, "expected a digit in the exponent");
    while (is_digit(peek(w))) w->pos++;
  }
  return PIO_OK;
}

static pio_status read_literal(walker *w, const char *word) {
  size_t n = strlen(word);
  if (w->len - w->pos < n || memcmp(w->text + w->pos, word, n) != 0)
    return fail(w, w->pos, "expected a value");
  w->pos += n;
  return PIO_OK;
}

static pio_status walk_value(walker *w, json_object *node);

static pio_status record(walker *w, const void *owner, const char *key, size_t offset) {
  int line, column;
  locate(w, offset, &line, &column);
  const position_entry *previous = NULL;
  int added = table_add(w->table, owner, key, line, column, &previous);
  if (added < 0) return pio_error_set(w->err, PIO_ERR_NO_MEMORY, "%s: out of memory", w->name);
  if (added == 0 && key != NULL) {
    char what[200], quoted[96];
    pio_json_quote(key, quoted, sizeof quoted);
    snprintf(what, sizeof what, "duplicate key %s (its first value is at line %d, column %d)",
             quoted, previous->line, previous->column);
    return fail(w, offset, what);
  }
  return PIO_OK;
}

/* A member or element of the text that json-c's tree lacks: json-c 0.16
 * drops what it could not insert for want of memory and reports success. */
static pio_status dropped(walker *w) {
  return pio_error_set(w->err, PIO_ERR_NO_MEMORY, "%s: out of memory while parsing", w->name);
}

static pio_status walk_object(walker *w, json_object *node) {
  w->pos++; /* '{' */
  skip_ws(w);
  if (peek(w) == '}') {
    w->pos++;
    return PIO_OK;
  }
  for (;;) {
    skip_ws(w);
    size_t key_at = w->pos;
    pio_status s = read_string(w, 1);
    if (s != PIO_OK) return s;
    json_object *child = NULL;
    if (node != NULL && json_object_is_type(node, json_type_object) &&
        !json_object_object_get_ex(node, w->key, &child))
      return dropped(w);
    if (node != NULL && (s = record(w, node, w->key, key_at)) != PIO_OK) return s;
    skip_ws(w);
    if (peek(w) != ':') return fail(w, w->pos, "expected ':' after the key");
    w->pos++;
    skip_ws(w);
    if (node != NULL) { /* the member entry points at the value, not the key */
      position_entry *e = find_slot(w->table->slots, w->table->capacity, node, w->key);
      locate(w, w->pos, &e->line, &e->column);
    }
    s = walk_value(w, child);
    if (s != PIO_OK) return s;
    skip_ws(w);
    if (peek(w) == '}') {
      w->pos++;
      return PIO_OK;
    }
    if (peek(w) != ',') return fail(w, w->pos, "expected ',' or '}'");
    w->pos++;
  }
}

static pio_status walk_array(walker *w, json_object *node) {
  w->pos++; /* '[' */
  skip_ws(w);
  if (peek(w) == ']') {
    w->pos++;
    return PIO_OK;
  }
  for (size_t i = 0;; i++) {
    skip_ws(w);
    json_object *child = NULL;
    if (node != NULL && json_object_is_type(node, json_type_array)) {
      if (i >= json_object_array_length(node)) return dropped(w);
      child = json_object_array_get_idx(node, i);
    }
    pio_status s = walk_value(w, child);
    if (s != PIO_OK) return s;
    skip_ws(w);
    if (peek(w) == ']') {
      w->pos++;
      return PIO_OK;
    }
    if (peek(w) != ',') return fail(w, w->pos, "expected ',' or ']'");
    w->pos++;
  }
}

static pio_status walk_value(walker *w, json_object *node) {
  skip_ws(w);
  if (node != NULL && w->want_values) {
    pio_status s = record(w, node, NULL, w->pos);
    if (s != PIO_OK) return s;
  }
  switch (peek(w)) {
    case '{': return walk_object(w, node);
    case '[': return walk_array(w, node);
    case '"': return read_string(w, 0);
    case 't': return read_literal(w, "true");
    case 'f': return read_literal(w, "false");
    case 'n': return read_literal(w, "null");
    case '\'': return fail(w, w->pos, "strings must use double quotes");
    default: return read_number(w);
  }
}

pio_status pio_json_check_and_locate(const char *name, const char *text, size_t len,
                                     json_object *root, pio_json_positions **positions,
                                     pio_error *err) {
  pio_json_positions *table = calloc(1, sizeof *table);
  if (table == NULL || grow(table) != 0) {
    free(table);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
  }
  walker w = {.name = name, .text = text, .len = len, .table = table,
              .located_line = 1, .located_column = 1,
              .want_values = positions != NULL, .err = err};
  pio_status s = walk_value(&w, root);
  skip_ws(&w);
  if (s == PIO_OK && w.pos < w.len) s = fail(&w, w.pos, "unexpected text after the document");
  free(w.key);
  if (s != PIO_OK || positions == NULL) {
    pio_json_positions_free(table);
    return s;
  }
  *positions = table;
  return PIO_OK;
}
