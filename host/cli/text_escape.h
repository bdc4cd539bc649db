/* host/cli/text_escape.h — making text read from manifests and plugins safe to
 * print: control characters and invalid UTF-8 never reach a terminal raw. */
#ifndef PIO_HOST_TEXT_ESCAPE_H
#define PIO_HOST_TEXT_ESCAPE_H

#include <stddef.h>

/*
 * Returns a printable copy of text (NULL reads as ""), owned by the caller
 * (free()), or NULL when out of memory.  Valid UTF-8 printable characters
 * pass through; backslash becomes "\\"; \n \t \r become "\n" "\t" "\r";
 * other C0 controls, DEL and C1 controls (U+0080..U+009F) become "\xNN" /
 * "\u00NN"; each byte of invalid UTF-8 becomes "\xNN".
 */
char *text_escape(const char *text);

/* The length of text when text_escape would return it unchanged,
 * because it is all printable ASCII without a backslash (NULL counts as
 * ""): the common case, which a caller can print as it is, with no copy.
 * TEXT_NOT_PLAIN otherwise. */
#define TEXT_NOT_PLAIN ((size_t)-1)
size_t text_plain_length(const char *text);

/* Number of terminal columns the escaped text takes (one per code point;
 * good enough to align table columns of names and versions). */
size_t text_columns(const char *escaped);

/*
 * Makes serialised JSON (as json-c writes it, which escapes C0 controls)
 * safe for a terminal and valid UTF-8: DEL and C1 controls become \u00NN
 * escapes, invalid UTF-8 bytes become \ufffd.  Structure is ASCII, so only
 * string contents change and the result is still valid JSON.  Returns a
 * copy owned by the caller, or NULL when out of memory.
 */
char *text_escape_json(const char *json);

#endif
