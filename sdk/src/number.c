/* sdk/src/number.c — strict whole numbers (pio/number.h). */
#include "pio/number.h"

#include <errno.h>
#include <stdlib.h>

int pio_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
  if (text == NULL || *text < '0' || *text > '9') return -1;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}
