/* benchmarks/tool_number.c — the micro tools' whole-number options. */
#include "tool_number.h"

#include <stdio.h>

#include "pio/number.h"

int pio_tool_number(const char *tool, const char *option, const char *text, uint64_t min,
                    uint64_t max, uint64_t *out) {
  if (pio_parse_u64(text, min, max, out) == 0) return 0;
  fprintf(stderr, "%s: %s: expected a whole number from %llu to %llu, found '%s'\n", tool, option,
          (unsigned long long)min, (unsigned long long)max, text != NULL ? text : "");
  return -1;
}
