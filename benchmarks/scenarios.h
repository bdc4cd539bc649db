/* benchmarks/scenarios.h — declarations of every pio-bench scenario's entry
 * function, generated from scenarios.def. */
#ifndef PIO_BENCH_SCENARIOS_H
#define PIO_BENCH_SCENARIOS_H

#define PIO_BENCH_SCENARIO(name, function, summary) int function(int argc, char **argv);
#include "scenarios.def"
#undef PIO_BENCH_SCENARIO

#endif
