/* benchmarks/bench_options.h — reading option values of pio-bench scenarios
 * with messages that name the option, what it takes and what was given.
 * Each parser prints "pio-bench SCENARIO: --OPTION: ..." on stderr and
 * returns -1 on a bad value; 0 on success.  Callers exit with status 2. */
#ifndef PIO_BENCH_OPTIONS_H
#define PIO_BENCH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/plugin.h"

/* Exit statuses of every pio-bench scenario. */
enum {
  PIO_BENCH_STATUS_OK = 0,
  PIO_BENCH_STATUS_FAILED = 1, /* the run failed: a file, a plugin, the machine */
  PIO_BENCH_STATUS_USAGE = 2   /* the request was wrong: an option, a model name */
};

/* The most --plugin-path options one run takes. */
#define PIO_BENCH_MAX_PLUGIN_PATHS 16

/* --plugin-path DIR: appends dir to paths[*n] (of PIO_BENCH_MAX_PLUGIN_PATHS),
 * warning on stderr as pio-host does when dir is not a folder
 * (pio_warn_plugin_path); -1 after a usage error when paths is full. */
int pio_bench_take_plugin_path(const char *scenario, const char *dir, const char **paths,
                               size_t *n);

int pio_bench_parse_u32(const char *scenario, const char *option, const char *text,
                        uint32_t min, uint32_t max, uint32_t *out);
int pio_bench_parse_u64(const char *scenario, const char *option, const char *text,
                        uint64_t min, uint64_t max, uint64_t *out);
/* A finite number in [min, max]. */
int pio_bench_parse_double(const char *scenario, const char *option, const char *text,
                           double min, double max, double *out);
/* fp32, bf16, fp16, fp8, int8 and the aliases of pio_dtype_parse. */
int pio_bench_parse_dtype(const char *scenario, const char *option, const char *text,
                          pio_dtype *out);
/* "block" or "layer". */
int pio_bench_parse_access(const char *scenario, const char *option, const char *text,
                           pio_kv_access *out);
/* "pio" or "kvbench". */
int pio_bench_parse_formula(const char *scenario, const char *option, const char *text,
                            pio_kv_formula *out);

/* "none", "tensor", "head" or "token-head" (pio_kv_scales). */
int pio_bench_parse_scales(const char *scenario, const char *option, const char *text,
                           pio_kv_scales *out);
/* The word of pio_bench_parse_scales for a pio_kv_scales value. */
const char *pio_bench_scales_name(pio_kv_scales scales);

/* Prints a usage error for what getopt_long (optstring ":...") refused:
 * opt ':' is a missing value, anything else an unknown option, with "did
 * you mean" when an option of options is near. */
struct option;
void pio_bench_option_error(const char *scenario, int opt, const char *given,
                            const struct option *options);

/* Reports that a run of scenario failed: "pio-bench SCENARIO: MESSAGE" on
 * stderr, or, when json, the error document "pio-bench SCENARIO" on stdout
 * (docs/json/error.schema.json). */
void pio_bench_report_error(const char *scenario, int json, const pio_error *err);

/* Makes usage errors documents when a scenario's argv (before "--") holds
 * --json, which a bad value can come before; main() calls it. */
void pio_bench_usage_errors_as_json(int argc, char **argv);

/* Prints "pio-bench SCENARIO: MESSAGE (see pio-bench SCENARIO --help)" for
 * an unknown option or a missing value, as getopt reports them; or, after
 * pio_bench_usage_errors_as_json found --json, the error document (status
 * "invalid argument") on stdout. */
void pio_bench_usage_error(const char *scenario, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
