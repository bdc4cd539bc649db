/* host/registry/text_join.c — see text_join.h. */
#include "registry/text_join.h"

#include <stdlib.h>
#include <string.h>

size_t text_join3_size(const char *a, const char *b, const char *c) {
  return strlen(a) + strlen(b) + strlen(c) + 1;
}

char *text_join3_into(char *out, const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b);
  memcpy(out, a, la);
  memcpy(out + la, b, lb);
  memcpy(out + la + lb, c, strlen(c) + 1);
  return out;
}

char *text_join3(const char *a, const char *b, const char *c) {
  char *s = malloc(text_join3_size(a, b, c));
  return s != NULL ? text_join3_into(s, a, b, c) : NULL;
}
