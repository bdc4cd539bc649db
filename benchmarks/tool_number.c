/* benchmarks/tool_number.c — the micro tools' whole-number options. */
#include "tool_number.h"

#include <stdio.h>

#include "pio/number.h"

int pio_tool_number(const char *tool, const char *option, const char *text, uint64_t min,
                    uint64_t max, uint64_t *out) {
  char why[160];
  if (pio_parse_u64_explained(text, min, max, out, why, sizeof why) == 0) return 0;
  fprintf(stderr, "%s: %s: %s\n", tool, option, why);
  return -1;
}
