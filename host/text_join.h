/* host/text_join.h — gluing strings together without printf's cost (the
 * registry builds two paths for each of thousands of plugin folders). */
#ifndef PIO_HOST_TEXT_JOIN_H
#define PIO_HOST_TEXT_JOIN_H

/* a, b and c one after the other in a new string (free()), or NULL when
 * out of memory. */
char *pio_text_join3(const char *a, const char *b, const char *c);

#endif
