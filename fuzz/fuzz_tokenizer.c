/* fuzz/fuzz_tokenizer.c — libFuzzer target for the SDK's tokenizer.json
 * reader and the encoder and decoders it builds.  The input is a
 * tokenizer.json document, then a NUL byte and a text to encode (a fixed
 * sentence when there is no NUL).  Beyond "no crash": an error fills the
 * record with its own code and a terminated message; an accepted document
 * encodes UTF-8 text into ids of its vocabulary and refuses other text
 * leaving the list as it was; the streamed decode gives valid UTF-8 and, when
 * the decode has no U+FFFD, no more text than the decode.
 *
 * Why not always no more: the stream is Hugging Face's DecodeStream, which
 * holds back only text that ends in U+FFFD.  A ByteFallback run that is valid
 * UTF-8 so far ("<0x20>" is " ") is given out, and a later byte of the same
 * run that makes it invalid turns the whole run into one U+FFFD per byte in
 * the decode of all ids (ByteFallback is all or nothing per run, in Hugging
 * Face as here); the stream has then given the space and the U+FFFD for it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_tokenizer: broken promise: %s\n", what);
    abort();
  }
}

static void check_error(pio_status st, const pio_error *err) {
  require(err->code == st, "error code equals the returned status");
  const char *end = memchr(err->message, '\0', sizeof err->message);
  require(end != NULL && end != err->message, "message is terminated and not empty");
}

static int contains_replacement_char(const char *text, size_t len) {
  for (size_t i = 0; i + 3 <= len; i++)
    if (memcmp(text + i, "\xEF\xBF\xBD", 3) == 0) return 1;
  return 0;
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
 * Written here rather than calling the SDK's tok_utf8_check: the decoders
 * use that function to decide what they give out, so it cannot also be the
 * judge of what they gave. */
static int is_utf8(const unsigned char *s, size_t len) {
  for (size_t i = 0; i < len;) {
    unsigned char c = s[i];
    size_t need = c < 0x80                 ? 0
                  : c >= 0xC2 && c <= 0xDF ? 1
                  : c >= 0xE0 && c <= 0xEF ? 2
                  : c >= 0xF0 && c <= 0xF4 ? 3
                                           : 4;
    if (need == 4 || need >= len - i) return 0;
    for (size_t k = 1; k <= need; k++) {
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && c == 0xE0) lo = 0xA0;
      if (k == 1 && c == 0xED) hi = 0x9F;
      if (k == 1 && c == 0xF0) lo = 0x90;
      if (k == 1 && c == 0xF4) hi = 0x8F;
      if (s[i + k] < lo || s[i + k] > hi) return 0;
    }
    i += need + 1;
  }
  return 1;
}

static void check_decode(const pio_tokenizer *tok, const pio_token_ids *ids) {
  char *text = NULL;
  size_t len = 0;
  pio_error err;
  pio_status st = pio_tokenizer_decode(tok, ids->ids, ids->count, 0, &text, &len, &err);
  if (st != PIO_OK) {
    check_error(st, &err);
    return;
  }
  require(strlen(text) <= len, "decoded length covers the text");
  int bounded = !contains_replacement_char(text, len) && len >= 3;
  pio_decode_stream *stream = NULL;
  if (pio_decode_stream_new(tok, 0, &stream, &err) == PIO_OK) {
    size_t streamed = 0;
    int ok = 1;
    for (size_t i = 0; i < ids->count && ok; i++) {
      const char *piece;
      size_t n;
      st = pio_decode_stream_push(stream, ids->ids[i], &piece, &n, &err);
      if (st != PIO_OK) {
        check_error(st, &err);
        ok = 0;
      } else {
        require(piece[n] == '\0' && is_utf8((const unsigned char *)piece, n),
                "a streamed piece is terminated UTF-8");
        require(streamed + n <= len || !bounded, "the stream gives no more than the decode");
        streamed += n;
      }
    }
    pio_decode_stream_free(stream);
  }
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t json_len = nul ? (size_t)(nul - data) : size;
  const char *text = nul ? (const char *)nul + 1 : "Hello world! It's 2024 <s>";
  size_t text_len = nul ? size - json_len - 1 : strlen(text);
  pio_tokenizer *tok = NULL;
  pio_error err;
  pio_status st = pio_tokenizer_load_buffer("fuzz.json", (const char *)data, json_len, &tok, &err);
  if (st != PIO_OK) {
    check_error(st, &err);
    require(tok == NULL, "nothing is returned on error");
    return 0;
  }
  uint32_t vocab = pio_tokenizer_vocab_size(tok);
  for (unsigned flags = 0; flags <= PIO_ENCODE_ADD_SPECIAL; flags++) {
    pio_token_ids ids = {0};
    st = pio_tokenizer_encode(tok, text, text_len, flags, &ids, &err);
    if (st != PIO_OK) {
      check_error(st, &err);
      require(ids.count == 0, "a refused text adds no ids");
    } else {
      for (size_t i = 0; i < ids.count; i++)
        require(ids.ids[i] >= 0 && (uint32_t)ids.ids[i] < vocab, "ids are in the vocabulary");
      check_decode(tok, &ids);
    }
    pio_token_ids_free(&ids);
  }
  pio_tokenizer_free(tok);
  return 0;
}
