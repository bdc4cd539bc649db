/* sdk/src/tokenizer_text.h — the tokenizer's byte buffer and UTF-8 helpers. */
#ifndef PIO_TOKENIZER_TEXT_H
#define PIO_TOKENIZER_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated once data is non-NULL. */
typedef struct tok_buf {
  char *data;
  size_t len, cap;
} tok_buf;

/* Make room for `extra` more bytes (and the NUL); -1 out of memory. */
int tok_buf_reserve(tok_buf *b, size_t extra);
int tok_buf_append(tok_buf *b, const char *bytes, size_t n);
int tok_buf_append_cp(tok_buf *b, uint32_t cp);
void tok_buf_clear(tok_buf *b);
void tok_buf_free(tok_buf *b);

/* The code point at text[i] (valid UTF-8 assumed) and its length. */
static inline uint32_t tok_utf8_decode(const char *text, size_t i, size_t *n) {
  const unsigned char *s = (const unsigned char *)text + i;
  if (s[0] < 0x80) {
    *n = 1;
    return s[0];
  }
  if (s[0] < 0xE0) {
    *n = 2;
    return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
  }
  if (s[0] < 0xF0) {
    *n = 3;
    return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
  }
  *n = 4;
  return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
         ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

/* Length of the UTF-8 sequence a lead byte starts (1 for anything else). */
static inline size_t tok_utf8_len(unsigned char lead) {
  return lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/* Writes cp as UTF-8 into out[4]; returns the length. */
size_t tok_utf8_encode(uint32_t cp, char *out);

/* Offset of the first byte that is not part of valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or len when all is. */
size_t tok_utf8_check(const char *text, size_t len);

/* The character of each byte in GPT-2's byte-level alphabet (U+0021..U+0143). */
extern const uint16_t tok_byte_chars[256];
/* The byte a byte-level character stands for, or -1. */
int tok_byte_of_char(uint32_t cp);

/* Unicode classes as Hugging Face's Rust code sees them. */
int tok_cp_is_whitespace(uint32_t cp);  /* char::is_whitespace (White_Space) */
int tok_cp_is_numeric(uint32_t cp);     /* char::is_numeric (N*) */
int tok_cp_is_punctuation(uint32_t cp); /* ASCII punctuation or P* */
int tok_cp_is_word(uint32_t cp);        /* regex \w */

#endif
