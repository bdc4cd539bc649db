/* benchmarks/tool_number.h — a whole-number option of the micro tools
 * (pio-kernels-micro, pio-amx-micro, pio-pool-micro), refused with a
 * message naming the tool, the option and what was given. */
#ifndef PIO_BENCH_TOOL_NUMBER_H
#define PIO_BENCH_TOOL_NUMBER_H

#include <stdint.h>

/* The value of `option` in [min, max] into *out; 0, or -1 after printing
 * "TOOL: OPTION: expected a whole number from MIN to MAX, found 'TEXT'". */
int pio_tool_number(const char *tool, const char *option, const char *text, uint64_t min,
                    uint64_t max, uint64_t *out);

#endif
