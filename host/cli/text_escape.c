/* host/cli/text_escape.c — escaping manifest text for terminals: control
 * characters and invalid UTF-8 are written as escapes, never raw. */
#include "text_escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s does not
 * start one (overlong forms, surrogates and code points past U+10FFFF are
 * invalid).  *cp receives the code point. */
static size_t utf8_sequence(const unsigned char *s, uint32_t *cp) {
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at the terminator */
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

static int is_control(uint32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0); }

/* Appends the escape for one character or byte; out has room for 8. */
static size_t escape_one(char *out, uint32_t cp, int invalid_byte) {
  if (invalid_byte) return (size_t)sprintf(out, "\\x%02X", (unsigned)cp);
  switch (cp) {
    case '\\':
      return (size_t)sprintf(out, "\\\\");
    case '\n':
      return (size_t)sprintf(out, "\\n");
    case '\t':
      return (size_t)sprintf(out, "\\t");
    case '\r':
      return (size_t)sprintf(out, "\\r");
    default:
      break;
  }
  if (cp < 0x80) return (size_t)sprintf(out, "\\x%02X", (unsigned)cp);
  return (size_t)sprintf(out, "\\u%04X", (unsigned)cp);
}

size_t text_plain_length(const char *text) {
  if (text == NULL) return 0;
  const unsigned char *s = (const unsigned char *)text;
  for (; *s != '\0'; s++)
    if (*s < 0x20 || *s > 0x7E || *s == '\\') return TEXT_NOT_PLAIN;
  return (size_t)(s - (const unsigned char *)text);
}

char *text_escape(const char *text) {
  if (text == NULL) text = "";
  const unsigned char *s = (const unsigned char *)text;
  size_t len = strlen(text);
  char *out = malloc(len * 6 + 1); /* worst case: every byte becomes \u00NN-sized */
  if (out == NULL) return NULL;
  size_t o = 0;
  while (*s != '\0') {
    uint32_t cp;
    size_t n = utf8_sequence(s, &cp);
    if (n == 0) {
      o += escape_one(out + o, *s, 1);
      s++;
    } else if (is_control(cp) || cp == '\\') {
      o += escape_one(out + o, cp, 0);
      s += n;
    } else {
      memcpy(out + o, s, n);
      o += n;
      s += n;
    }
  }
  out[o] = '\0';
  return out;
}

size_t text_columns(const char *escaped) {
  size_t cols = 0;
  for (const unsigned char *s = (const unsigned char *)escaped; *s != '\0'; s++)
    if ((*s & 0xC0) != 0x80) cols++;
  return cols;
}

char *text_escape_json(const char *json) {
  if (json == NULL) json = "";
  const unsigned char *s = (const unsigned char *)json;
  char *out = malloc(strlen(json) * 6 + 1);
  if (out == NULL) return NULL;
  size_t o = 0;
  while (*s != '\0') {
    uint32_t cp;
    size_t n = utf8_sequence(s, &cp);
    if (n == 0) {
      o += (size_t)sprintf(out + o, "\\ufffd");
      s++;
    } else if (cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)cp);
      s += n;
    } else {
      memcpy(out + o, s, n);
      o += n;
      s += n;
    }
  }
  out[o] = '\0';
  return out;
}
