/* host/suggest.c — "did you mean": the nearest of some known words to one
 * someone typed (pio_suggest in pio/host.h), for the model names the
 * library resolves and for the commands, options and plugin names of the
 * tools. */
#include <string.h>

#include "pio/host.h"

/* Longest word compared; longer ones are never near anything. */
#define SUGGEST_MAX 64

/* Optimal string alignment distance (Damerau-Levenshtein without
 * repeated edits of one substring), over three rows. */
static size_t distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > SUGGEST_MAX || m > SUGGEST_MAX) return (size_t)-1;
  size_t rows[3][SUGGEST_MAX + 1];
  size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
  for (size_t j = 0; j <= m; j++) prev[j] = j;
  for (size_t i = 1; i <= n; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      if (prev[j - 1] + cost < best) best = prev[j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          before[j - 2] + 1 < best)
        best = before[j - 2] + 1;
      cur[j] = best;
    }
    size_t *t = before;
    before = prev;
    prev = cur;
    cur = t;
  }
  return prev[m];
}

static int starts_with(const char *s, const char *prefix) {
  return prefix[0] != '\0' && strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *pio_suggest(const char *word, const char *const *candidates, size_t n) {
  if (word == NULL || word[0] == '\0') return NULL;
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    const char *c = candidates[i];
    if (c == NULL || strcmp(c, word) == 0) continue;
    size_t longer = strlen(c) > strlen(word) ? strlen(c) : strlen(word);
    size_t limit = longer / 3 > 1 ? longer / 3 : 1;
    size_t d = distance(word, c);
    if (d > limit && (starts_with(c, word) || starts_with(word, c))) d = limit;
    if (d <= limit && d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

