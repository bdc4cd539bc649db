/* sdk/src/number.c — strict numbers (pio/number.h). */
#include "pio/number.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pio_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
  if (text == NULL || *text < '0' || *text > '9') return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

int pio_parse_u64_explained(const char *text, uint64_t min, uint64_t max, uint64_t *out,
                            char *why, size_t why_size) {
  if (pio_parse_u64(text, min, max, out) == 0) return 0;
  snprintf(why, why_size, "expected a whole number from %llu to %llu, found '%s'",
           (unsigned long long)min, (unsigned long long)max, text != NULL ? text : "");
  return -1;
}

int pio_parse_double(const char *text, double min, double max, double *out) {
  /* strtod's own leniency (leading space, '+', hex, inf, nan) is refused */
  if (text == NULL || *text == '+' || strspn(text, "0123456789.eE+-") != strlen(text)) return -1;
  errno = 0;
  char *end = NULL;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0 || !(v >= min && v <= max)) return -1;
  *out = v;
  return 0;
}
