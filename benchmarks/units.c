/* benchmarks/units.c — formatting byte counts, rates and counts for the
 * tables of pio-bench. */
#include "units.h"

#include <math.h>
#include <stdio.h>

char *pio_bench_format_bytes(uint64_t bytes, char *out, size_t size) {
  static const char *const prefixes[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) {
    snprintf(out, size, "%llu B", (unsigned long long)bytes);
    return out;
  }
  double value = (double)bytes / 1024.0;
  size_t i = 0;
  while (value >= 1024.0 && i + 1 < sizeof prefixes / sizeof prefixes[0]) {
    value /= 1024.0;
    i++;
  }
  snprintf(out, size, "%.2f %s", value, prefixes[i]);
  return out;
}

char *pio_bench_format_bytes_exact(uint64_t bytes, char *out, size_t size) {
  char short_form[32];
  pio_bench_format_bytes(bytes, short_form, sizeof short_form);
  if (bytes < 1024)
    snprintf(out, size, "%s", short_form);
  else
    snprintf(out, size, "%s (%llu B)", short_form, (unsigned long long)bytes);
  return out;
}

char *pio_bench_format_rate(double bytes_per_s, char *out, size_t size) {
  if (!isfinite(bytes_per_s))
    snprintf(out, size, "-");
  else if (bytes_per_s >= 1e9)
    snprintf(out, size, "%.2f GB/s", bytes_per_s / 1e9);
  else
    snprintf(out, size, "%.1f MB/s", bytes_per_s / 1e6);
  return out;
}

char *pio_bench_format_count(uint64_t n, char *out, size_t size) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
  size_t o = 0;
  for (int i = 0; i < len && o + 1 < size; i++) {
    if (i > 0 && (len - i) % 3 == 0 && o + 2 < size) out[o++] = ',';
    out[o++] = digits[i];
  }
  if (size > 0) out[o < size ? o : size - 1] = '\0';
  return out;
}
