/* host/cli/text_io.h — what the text commands (tokenize, detokenize,
 * template, run --prompt) share: finding a model folder's tokenizer files,
 * reading stdin whole or a line at a time, lists of ids, JSON strings out. */
#ifndef PIO_CLI_TEXT_IO_H
#define PIO_CLI_TEXT_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pio/tokenizer.h"

/* Largest stdin read whole. */
#define PIO_CLI_MAX_INPUT (1u << 30)

/* Loads DIR/tokenizer.json, or the file itself when path names a file.
 * Reports the error (pio_cli_fail: "pio-host CMD: ...", or the error
 * document with json) and returns NULL on failure. */
pio_tokenizer *pio_cli_load_tokenizer(const char *command, int json, const char *path);

/* Joins dir and name into out (size bytes); -1 when it does not fit. */
int pio_cli_path_join(char *out, size_t size, const char *dir, const char *name);

/* Reads all of in into *text (NUL-terminated, *len bytes, caller frees);
 * -1 with a message printed when it fails or passes PIO_CLI_MAX_INPUT. */
int pio_cli_read_all(const char *command, FILE *in, char **text, size_t *len);

/* Parses "1,2,3" (spaces and a final newline allowed) into out; -1 with
 * *bad pointing at the first character that is not part of an id. */
int pio_cli_parse_ids(const char *text, pio_token_ids *out, const char **bad);

/* Calls fn on each line of in parsed as JSON (value NULL when the line is
 * not JSON), where naming the line ("stdin:3: "), flushing stdout after
 * each; stops at the first call that returns non-zero and returns that. */
struct json_object;
typedef int (*pio_cli_jsonl_fn)(void *ctx, struct json_object *value, const char *where);
int pio_cli_each_jsonl(FILE *in, pio_cli_jsonl_fn fn, void *ctx);

/* Writes ids comma-separated, or as a JSON array when json. */
void pio_cli_put_ids(FILE *out, const int32_t *ids, size_t n, int json);
/* Writes bytes as a JSON string (UTF-8 kept, controls escaped). */
void pio_cli_put_json_string(FILE *out, const char *text, size_t len);

#endif
