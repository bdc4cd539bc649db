/* host/cli/suggest.c — "did you mean" for command-line options (see
 * suggest.h). */
#include "suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest option name compared. */
#define SUGGEST_MAX 64

const char *pio_suggest_option(const char *given, const struct option *options, char *buf,
                               size_t size) {
  char word[SUGGEST_MAX + 1];
  const char *name = given;
  while (*name == '-') name++;
  snprintf(word, sizeof word, "%.*s", (int)strcspn(name, "="), name);
  size_t n = 0;
  while (options[n].name != NULL) n++;
  const char **names = malloc((n ? n : 1) * sizeof *names);
  if (names == NULL) return NULL;
  for (size_t i = 0; i < n; i++) names[i] = options[i].name;
  const char *near = pio_suggest(word, names, n);
  free(names);
  if (near == NULL) return NULL;
  snprintf(buf, size, "--%s", near);
  return buf;
}
