/* sdk/src/json_internal.h — what the JSON reader's files share: turning a
 * byte offset into line:column, and the strict second pass that checks the
 * grammar json-c lets through and records where every value starts. */
#ifndef PIO_SDK_JSON_INTERNAL_H
#define PIO_SDK_JSON_INTERNAL_H

#include <stddef.h>

#include "pio/json.h"

/* Deepest nesting any caller may ask for: the second pass and json-c's
 * object free both recurse, so a larger request is clamped to this. */
#define PIO_JSON_DEPTH_CEILING 1024

/* Moves (*line, *column), the position of offset from, on to offset to
 * (from <= to): what a walk over the text in order uses so that locating
 * every value costs one pass, not one pass each. */
void pio_json_advance_line_column(const char *text, size_t from, size_t to, int *line,
                                  int *column);
/* 1-based line and column of byte `offset` in text; the column counts
 * UTF-8 code points, so it matches what an editor shows. */
void pio_json_offset_to_line_column(const char *text, size_t len, size_t offset, int *line,
                                    int *column);

/* Length (1..4) of the UTF-8 sequence at p, of which avail bytes may be
 * read, or 0 when it is not well-formed UTF-8 as RFC 3629 defines it: no
 * overlong form, no encoded surrogate (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequence. */
size_t pio_json_utf8_sequence(const unsigned char *p, size_t avail);

/*
 * Walks text (already accepted by json-c as root) a second time, refusing
 * what RFC 8259 forbids but json-c accepts (single-quoted strings, NaN,
 * Infinity, raw control characters in strings, text that is not UTF-8 by
 * RFC 3629, lone surrogate escapes), a \u0000 inside a key (json-c's keys
 * are C strings: "hidden_size\u0000x" would be read as "hidden_size") and
 * duplicate object keys.
 * When positions is not NULL it receives the table of where each value
 * starts (caller frees with pio_json_positions_free).  Errors are
 * PIO_ERR_PARSE "name:line:column: ...".
 */
pio_status pio_json_check_and_locate(const char *name, const char *text, size_t len,
                                     json_object *root, pio_json_positions **positions,
                                     pio_error *err);

#endif
