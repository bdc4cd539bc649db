/* pio/tokenizer.h — Hugging Face tokenizer.json (the BPE model) read into a
 * tokenizer that turns text into token ids and ids back into text, giving the
 * ids the Hugging Face `tokenizers` library gives.  Model-agnostic: plugins
 * and hosts share it.  docs/tokenizer.md lists the components read. */
#ifndef PIO_TOKENIZER_H
#define PIO_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest tokenizer.json read (the biggest real ones are ~20 MiB). */
#define PIO_TOKENIZER_MAX_FILE_BYTES (64u << 20)

/* A loaded tokenizer.  Immutable once loaded: any number of threads may
 * encode and decode with one tokenizer at the same time, each with its own
 * session (pio_tokenizer_session) or through the one-call functions. */
typedef struct pio_tokenizer pio_tokenizer;

/* A growable list of token ids.  Caller-owned, zero-initialised before first
 * use ({0}); functions that fill it append, so a chat can add turn after
 * turn.  Released by pio_token_ids_free. */
typedef struct pio_token_ids {
  int32_t *ids; /* owned; count entries */
  size_t count;
  size_t capacity;
} pio_token_ids;

void pio_token_ids_free(pio_token_ids *list);
/* Appends one id; PIO_ERR_NO_MEMORY when it cannot grow. */
pio_status pio_token_ids_push(pio_token_ids *list, int32_t id, pio_error *err);

/*
 * Reads tokenizer.json at path (at most PIO_TOKENIZER_MAX_FILE_BYTES).
 * Errors name the file and the field ("tokenizer.json: model.merges[12]:
 * 'a b' names 'b', which model.vocab does not have"): PIO_ERR_IO,
 * PIO_ERR_LIMIT, PIO_ERR_PARSE (JSON syntax, line:column), PIO_ERR_INVALID
 * (a wrong value, an invalid regex), PIO_ERR_UNSUPPORTED (a model type or
 * component pio does not implement, named).  *out is owned by the caller
 * (pio_tokenizer_free).
 */
pio_status pio_tokenizer_load(const char *path, pio_tokenizer **out, pio_error *err);
/* Same for a document in memory; name is used in messages. */
pio_status pio_tokenizer_load_buffer(const char *name, const char *text, size_t len,
                                     pio_tokenizer **out, pio_error *err);
void pio_tokenizer_free(pio_tokenizer *tok);

/* Ids are in [0, pio_tokenizer_vocab_size): the model's vocabulary and the
 * added tokens together (the largest id + 1). */
uint32_t pio_tokenizer_vocab_size(const pio_tokenizer *tok);
/* The id of a token's text (model vocabulary or added token), or -1. */
int32_t pio_tokenizer_token_id(const pio_tokenizer *tok, const char *text);
/* The text of id as the vocabulary spells it (byte-level tokens in their
 * mapped form, "Ġworld"), NUL-terminated, owned by tok; NULL for an id that
 * names nothing. */
const char *pio_tokenizer_token_text(const pio_tokenizer *tok, int32_t id);
/* Whether id is a special added token (skipped by PIO_DECODE_SKIP_SPECIAL). */
int pio_tokenizer_is_special(const pio_tokenizer *tok, int32_t id);

/* Flags of encode. */
#define PIO_ENCODE_ADD_SPECIAL 1u /* run the post-processor: BOS and the like */

/*
 * Encodes len bytes of UTF-8 text, appending the ids to *out.  Text that is
 * not UTF-8 is refused (PIO_ERR_INVALID, naming the byte offset) and *out is
 * left as it was.  A session keeps scratch memory and a cache of words
 * between calls; pio_tokenizer_encode makes one for the one call.
 */
typedef struct pio_tokenizer_session pio_tokenizer_session;
pio_status pio_tokenizer_session_new(const pio_tokenizer *tok, pio_tokenizer_session **out,
                                     pio_error *err);
void pio_tokenizer_session_free(pio_tokenizer_session *session);
pio_status pio_tokenizer_session_encode(pio_tokenizer_session *session, const char *text,
                                        size_t len, unsigned flags, pio_token_ids *out,
                                        pio_error *err);
pio_status pio_tokenizer_encode(const pio_tokenizer *tok, const char *text, size_t len,
                                unsigned flags, pio_token_ids *out, pio_error *err);

/* Flags of decode. */
#define PIO_DECODE_SKIP_SPECIAL 1u /* leave out special added tokens */

/*
 * Decodes n ids into text through the tokenizer's decoder, as Hugging Face's
 * decode does; *text (NUL-terminated, *len bytes without the NUL) is owned by
 * the caller (free).  Bytes that do not form UTF-8 decode to U+FFFD.  An id
 * outside [0, vocab size) is PIO_ERR_INVALID naming it and its place.
 */
pio_status pio_tokenizer_decode(const pio_tokenizer *tok, const int32_t *ids, size_t n,
                                unsigned flags, char **text, size_t *len, pio_error *err);

/*
 * Streaming decode: ids go in one at a time, text comes out as soon as it is
 * final.  A token that ends inside a UTF-8 character gives nothing until the
 * character is complete; what the pieces add up to is the decode of all ids.
 * Not quite always, as in Hugging Face's DecodeStream: a run of byte tokens
 * ("<0x20>") that is valid UTF-8 so far is given out, and when a later byte
 * of the run makes it invalid, the decode of all ids has U+FFFD for each of
 * its bytes instead.  Runs that encode gives are whole characters unless the
 * vocabulary is odd (one id for two tokens, an added token spelled "<0xF0>").
 * Each push returns the new text in *text (*len bytes, NUL-terminated, valid
 * until the next call on the stream; *len 0 when there is nothing yet).
 */
typedef struct pio_decode_stream pio_decode_stream;
pio_status pio_decode_stream_new(const pio_tokenizer *tok, unsigned flags, pio_decode_stream **out,
                                 pio_error *err);
void pio_decode_stream_free(pio_decode_stream *stream);
pio_status pio_decode_stream_push(pio_decode_stream *stream, int32_t id, const char **text,
                                  size_t *len, pio_error *err);
/* At the end of a sequence: the text still held back (a character left
 * incomplete decodes to U+FFFD), given out as push gives text; the stream then
 * starts over. */
pio_status pio_decode_stream_flush(pio_decode_stream *stream, const char **text, size_t *len,
                                   pio_error *err);
/* Forgets the ids pushed so far (a new turn starts with no context). */
void pio_decode_stream_reset(pio_decode_stream *stream);

#ifdef __cplusplus
}
#endif
#endif
