/* fuzz/fuzz_tokenizer.c — libFuzzer target for the SDK's tokenizer.json
 * reader and the encoder and decoders it builds.  The input is a
 * tokenizer.json document, then a NUL byte and a text to encode (a fixed
 * sentence when there is no NUL).  Beyond "no crash": an error fills the
 * record with its own code and a terminated message; an accepted document
 * encodes UTF-8 text into ids of its vocabulary and refuses other text
 * leaving the list as it was; decode and the streamed decode agree. */
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
        require(streamed + n <= len || len < 3, "the stream gives no more than the decode");
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
