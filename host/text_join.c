/* host/text_join.c — see text_join.h. */
#include "text_join.h"

#include <stdlib.h>
#include <string.h>

size_t pio_text_join3_size(const char *a, const char *b, const char *c) {
  return strlen(a) + strlen(b) + strlen(c) + 1;
}

char *pio_text_join3_into(char *out, const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b);
  memcpy(out, a, la);
  memcpy(out + la, b, lb);
  memcpy(out + la + lb, c, strlen(c) + 1);
  return out;
}

char *pio_text_join3(const char *a, const char *b, const char *c) {
  char *s = malloc(pio_text_join3_size(a, b, c));
  return s != NULL ? pio_text_join3_into(s, a, b, c) : NULL;
}
