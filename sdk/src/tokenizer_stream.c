/* sdk/src/tokenizer_stream.c — streaming decode, Hugging Face's DecodeStream:
 * the ids since the last text given out are decoded with a few ids before
 * them for context, and the new text is given out only when it grew and does
 * not end in U+FFFD (a character still incomplete). */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

struct pio_decode_stream {
  const pio_tokenizer *tok;
  unsigned flags;
  pio_token_ids ids;
  char *prefix; /* decode of ids[0, prefix_index) */
  size_t prefix_len;
  size_t prefix_index;
  char *out; /* the last text given out */
};

pio_status pio_decode_stream_new(const pio_tokenizer *tok, unsigned flags, pio_decode_stream **out,
                                 pio_error *err) {
  pio_decode_stream *s = calloc(1, sizeof *s);
  if (s == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  s->tok = tok;
  s->flags = flags;
  *out = s;
  return PIO_OK;
}

void pio_decode_stream_reset(pio_decode_stream *s) {
  s->ids.count = 0;
  free(s->prefix);
  s->prefix = NULL;
  s->prefix_len = s->prefix_index = 0;
}

void pio_decode_stream_free(pio_decode_stream *s) {
  if (s == NULL) return;
  pio_decode_stream_reset(s);
  pio_token_ids_free(&s->ids);
  free(s->out);
  free(s);
}

static int ends_incomplete(const char *text, size_t len) {
  return len >= 3 && memcmp(text + len - 3, "\xEF\xBF\xBD", 3) == 0;
}

pio_status pio_decode_stream_push(pio_decode_stream *s, int32_t id, const char **text, size_t *len,
                                  pio_error *err) {
  *text = "";
  *len = 0;
  char *decoded = NULL;
  size_t n = 0;
  pio_status st;
  if (s->prefix_len == 0 && s->ids.count > 0) {
    st = pio_tokenizer_decode(s->tok, s->ids.ids, s->ids.count, s->flags, &decoded, &n, err);
    if (st != PIO_OK) return st;
    if (!ends_incomplete(decoded, n)) {
      free(s->prefix);
      s->prefix = decoded;
      s->prefix_len = n;
      s->prefix_index = s->ids.count;
    } else {
      free(decoded);
    }
  }
  if ((st = pio_token_ids_push(&s->ids, id, err)) != PIO_OK) return st;
  st = pio_tokenizer_decode(s->tok, s->ids.ids, s->ids.count, s->flags, &decoded, &n, err);
  if (st != PIO_OK) {
    s->ids.count--;
    return st;
  }
  if (n <= s->prefix_len || ends_incomplete(decoded, n)) {
    free(decoded);
    return PIO_OK;
  }
  if (s->prefix_len > 0 && memcmp(decoded, s->prefix, s->prefix_len) != 0) {
    free(decoded);
    s->ids.count--;
    return pio_error_set(err, PIO_ERR_INTERNAL,
                         "streaming decode: id %ld changes the text decoded before it", (long)id);
  }
  /* the new text; then the window drops what came before the old prefix */
  free(s->out);
  s->out = decoded;
  memmove(s->out, s->out + s->prefix_len, n - s->prefix_len + 1);
  *text = s->out;
  *len = n - s->prefix_len;
  size_t keep_from = s->prefix_index;
  size_t new_index = s->ids.count - keep_from;
  memmove(s->ids.ids, s->ids.ids + keep_from, new_index * sizeof *s->ids.ids);
  s->ids.count = new_index;
  free(s->prefix);
  s->prefix = NULL;
  s->prefix_len = 0;
  st = pio_tokenizer_decode(s->tok, s->ids.ids, s->ids.count, s->flags, &s->prefix, &s->prefix_len,
                            err);
  if (st != PIO_OK) {
    s->prefix = NULL;
    s->prefix_len = 0;
  }
  s->prefix_index = new_index;
  return st;
}

pio_status pio_decode_stream_flush(pio_decode_stream *s, const char **text, size_t *len,
                                   pio_error *err) {
  *text = "";
  *len = 0;
  char *decoded = NULL;
  size_t n = 0;
  pio_status st =
      pio_tokenizer_decode(s->tok, s->ids.ids, s->ids.count, s->flags, &decoded, &n, err);
  if (st != PIO_OK) return st;
  if (n > s->prefix_len && memcmp(decoded, s->prefix ? s->prefix : "", s->prefix_len) == 0) {
    free(s->out);
    s->out = decoded;
    memmove(s->out, s->out + s->prefix_len, n - s->prefix_len + 1);
    *text = s->out;
    *len = n - s->prefix_len;
  } else {
    free(decoded);
  }
  pio_decode_stream_reset(s);
  return PIO_OK;
}
