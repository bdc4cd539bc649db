/* benchmarks/run_bench.h — `pio-bench run`: what the forward-pass benchmark
 * is asked (options), what it measures (result), and the three steps
 * (cmd_run.c parses, run_measure.c measures, run_report.c prints). */
#ifndef PIO_BENCH_RUN_BENCH_H
#define PIO_BENCH_RUN_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pio/dtype.h"
#include "pio/plugin.h"
#include "pio/status.h"

#include "bench_options.h"
#include "compute_limits.h"
#include "device_limits.h"
#include "progress.h"

#define PIO_BENCH_RUN_PROMPT_DEFAULT 128
#define PIO_BENCH_RUN_GEN_DEFAULT 32
#define PIO_BENCH_RUN_REPEAT_DEFAULT 3
#define PIO_BENCH_RUN_REPEAT_MAX 1000

typedef struct pio_bench_run_options {
  const char *model;          /* preset name or Hugging Face folder */
  int synthetic;              /* build random weights instead of reading files */
  uint64_t seed;              /* of the synthetic weights */
  pio_dtype dtype;            /* synthetic weight dtype */
  uint32_t weights_load;      /* files: PIO_WEIGHTS_MAP (default) or PIO_WEIGHTS_READ */
  uint32_t prompt_tokens;     /* P: tokens of the prefill */
  uint32_t gen_tokens;        /* N: single-token decode steps after it */
  uint32_t threads;           /* 0: every online core */
  uint32_t repeat;            /* timed repetitions; figures are their medians */
  int json;                   /* JSON on stdout instead of the table */
  const char *json_out;       /* also write JSON here (NULL: no) */
  int progress;               /* status line on a terminal */
  uint64_t read_buffer_bytes; /* bandwidth buffer; 0: the default */
  const char *kernel;         /* matmul path forced for every matmul; NULL: the plugin's plan */
  const char *variant;        /* the plugin's manifest variant; NULL: the first this machine runs */
  const char *plugin_paths[PIO_BENCH_MAX_PLUGIN_PATHS];
  size_t n_plugin_paths;
} pio_bench_run_options;

typedef struct pio_bench_run_result {
  /* What ran. */
  char plugin_name[128];
  char plugin_version[64];
  char variant[40];           /* the manifest variant that ran; "" when the manifest lists none */
  char architecture[128];
  char kernel[64];            /* the plugin's kernel paths, e.g. "amx_bf16+avx512bf16" */
  char kernel_prefill[64];    /* path of the prefill's matmuls */
  char kernel_decode[64];     /* path of single-token matmuls */
  char kernel_why[512];       /* why the plugin (SDK) chose them; "" when not said */
  char weights_note[256];     /* the plugin's note on how it holds the weights; "" for none */
  pio_model_stats stats;      /* its strings point at the copies above */
  uint32_t matmul_dtypes;     /* bit (1u << d): weights held in pio_dtype d (known or assumed) */
  uint64_t head_flops_per_token; /* of flops_per_token, the output head's: 2 x d_model x vocab */
  char device[16];            /* where the model runs: "cpu" or "cuda" (stats.device) */
  char device_name[256];      /* stats.device_name, "" for the CPU */
  int on_device;              /* a CUDA device: device_limits bound the figures, not limits */
  int used_argmax;            /* the plugin chose each token (forward_argmax) */
  /* Per repetition, seconds; repeat entries each (owned, freed by
   * pio_bench_run_result_free). */
  double *prefill_s;
  double *ttft_s;
  double *decode_s;
  uint32_t repeat;
  uint32_t first_token;       /* greedy token after the prompt, run 1 (a check) */
  /* Medians and single figures. */
  double load_s;              /* model->create: weights built or mapped */
  double ttft_median_s;       /* prefill + choosing the first token */
  double prefill_tok_s;       /* P / prefill time */
  double decode_tok_s;        /* N / decode time */
  double effective_bytes_per_s; /* decode_tok_s x weight bytes per token */
  uint64_t peak_rss_bytes;    /* ru_maxrss before the limits were measured */
  /* Limits of the same run: the CPU's, or the device's when on_device. */
  pio_bench_limits limits;
  pio_bench_device_limits device_limits;
  pio_bench_peak prefill_peak; /* the instruction bounding the prefill's matmuls (CPU) */
  double prefill_peak_flops;  /* its peak */
  double prefill_flops;       /* FLOP of one prefill: the head runs for its last token only */
  double decode_limit_tok_s;  /* read bandwidth / weight bytes per token */
  double prefill_limit_tok_s; /* prefill peak / FLOP per token */
  double decode_percent;      /* 100 x decode_tok_s / decode_limit_tok_s */
  double prefill_percent;
  /* Decode once more (CPU), a read pass before each token and after the
   * last: on a machine whose neighbours move its bandwidth by the second,
   * each token beside the bandwidth of its own moment.  paired_tokens is 0
   * when not measured (a device, no generated tokens). */
  uint32_t paired_tokens;
  double *paired_token_s;     /* paired_tokens entries */
  double *paired_read_bytes_per_s; /* paired_tokens + 1 passes: before token i, i + 1 after */
  double paired_tok_s;        /* median of the tokens' rates */
  double paired_read_median_bytes_per_s;
  double paired_percent;      /* median over tokens of its rate / the faster pass beside it */
} pio_bench_run_result;

/* Loads opts->model through libpio-host, times it and the machine limits,
 * and fills *out (release with pio_bench_run_result_free).  On failure err
 * says why and *exit_code is PIO_BENCH_STATUS_USAGE when the request itself
 * was wrong (unknown model, preset without --synthetic, tokens past the
 * model's context), else PIO_BENCH_STATUS_FAILED. */
pio_status pio_bench_run_measure(const pio_bench_run_options *opts, pio_bench_progress *progress,
                                 pio_bench_run_result *out, int *exit_code, pio_error *err);
void pio_bench_run_result_free(pio_bench_run_result *result);

/* Fills the limit figures (limit tok/s, percentages, which peak) of r from
 * r->limits, r->stats, r->kernel_prefill, r->matmul_dtypes and the measured
 * rates. */
void pio_bench_run_derive(const pio_bench_run_options *opts, pio_bench_run_result *r);

/* PIO_OK when every figure is within its limit; else PIO_ERR_INTERNAL with
 * a message naming the figure and its limit: a limit that a figure beats is
 * not a bound, so the measurement is wrong, not the figure 120 % good. */
pio_status pio_bench_run_check(const pio_bench_run_result *r, pio_error *err);

/* The table for people, on f. */
void pio_bench_run_print_table(const pio_bench_run_options *opts, const pio_bench_run_result *r,
                               FILE *f);
/* The JSON document, pretty-printed with a final newline; owned by the
 * caller (free). NULL when out of memory. */
char *pio_bench_run_json(const pio_bench_run_options *opts, const pio_bench_run_result *r);
/* The same as a json-c object, with the document head (schema_version,
 * tool, machine) or without it (a run inside a sweep's document); owned by
 * the caller (json_object_put). */
struct json_object;
struct json_object *pio_bench_run_json_object(const pio_bench_run_options *opts,
                                              const pio_bench_run_result *r, int with_head);
/* o serialised with a final newline, pretty or on one line, and put
 * (json_object_put); the text is owned by the caller (free).  NULL when
 * out of memory. */
char *pio_bench_json_text(struct json_object *o, int pretty);

/* `pio-bench run ARGS`: argv[0] is "run".  Returns the exit status. */
int pio_bench_cmd_run(int argc, char **argv);

#endif
