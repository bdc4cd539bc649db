/* benchmarks/pio-bench.c — the pio-bench command: picks a scenario from the
 * table in scenarios.def and hands it the rest of the command line. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "about.h"
#include "bench_options.h"
#include "pio/version.h"
#include "scenarios.h"
#include "suggest.h"

typedef struct pio_bench_scenario {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} pio_bench_scenario;

static const pio_bench_scenario scenarios[] = {
#define PIO_BENCH_SCENARIO(name, function, summary) {name, function, summary},
#include "scenarios.def"
#undef PIO_BENCH_SCENARIO
};

static const size_t n_scenarios = sizeof scenarios / sizeof scenarios[0];

static void usage(FILE *f) {
  fprintf(f, "usage: pio-bench SCENARIO [options]   (pio %s)\n\n"
             "Loads a model by name (a preset such as llama-3.1-8b, or a Hugging Face\n"
             "model folder) through its plugin and measures it.  Scenarios:\n\n",
          PIO_VERSION_STRING);
  for (size_t i = 0; i < n_scenarios; i++)
    fprintf(f, "  %-8s %s\n", scenarios[i].name, scenarios[i].summary);
  fprintf(f, "\n`pio-bench SCENARIO --help` lists a scenario's options.  Exit status: 0 ok,\n"
             "1 the run failed, 2 a bad option or model name.\n");
}

int main(int argc, char **argv) {
  /* Past a file size limit (ulimit -f) a write fails with EFBIG, which
   * the scenario reports (kvio's page file), instead of SIGXFSZ killing
   * pio-bench with nothing said. */
  signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return PIO_BENCH_STATUS_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return PIO_BENCH_STATUS_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    pio_about_print_version(stdout, "pio-bench");
    return PIO_BENCH_STATUS_OK;
  }
  const char *names[sizeof scenarios / sizeof scenarios[0]];
  for (size_t i = 0; i < n_scenarios; i++) {
    if (strcmp(argv[1], scenarios[i].name) == 0) {
      pio_bench_usage_errors_as_json(argc - 1, argv + 1);
      return scenarios[i].run(argc - 1, argv + 1);
    }
    names[i] = scenarios[i].name;
  }
  const char *near = pio_suggest(argv[1], names, n_scenarios);
  if (near != NULL) {
    fprintf(stderr, "pio-bench: unknown scenario '%s'; did you mean '%s'? (see pio-bench --help)\n",
            argv[1], near);
    return PIO_BENCH_STATUS_USAGE;
  }
  fprintf(stderr, "pio-bench: unknown scenario '%s'; scenarios:", argv[1]);
  for (size_t i = 0; i < n_scenarios; i++) fprintf(stderr, " %s", scenarios[i].name);
  fprintf(stderr, " (see pio-bench --help)\n");
  return PIO_BENCH_STATUS_USAGE;
}
