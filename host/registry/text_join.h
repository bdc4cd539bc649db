/* host/registry/text_join.h — gluing strings together without printf's cost (the
 * registry builds two paths for each of thousands of plugin folders). */
#ifndef PIO_HOST_TEXT_JOIN_H
#define PIO_HOST_TEXT_JOIN_H

#include <stddef.h>

/* Bytes a, b and c take joined, the terminating NUL included. */
size_t text_join3_size(const char *a, const char *b, const char *c);

/* a, b and c one after the other in out, which has
 * text_join3_size(a, b, c) bytes; returns out.  For callers that
 * allocate out themselves (an arena). */
char *text_join3_into(char *out, const char *a, const char *b, const char *c);

/* The same in a new string (free()), or NULL when out of memory. */
char *text_join3(const char *a, const char *b, const char *c);

#endif
