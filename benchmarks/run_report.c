/* benchmarks/run_report.c — `pio-bench run`'s figures beside their limits:
 * the derived limits and percentages, the table for people and the JSON
 * document for scripts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "about.h"
#include "pio/host.h"
#include "pio/json.h"
#include "run_bench.h"
#include "run_sweep.h"

static double percent(double value, double limit) {
  return limit > 0.0 ? 100.0 * value / limit : 0.0;
}

/* The highest measured peak: the bound when the path is unknown. */
static pio_bench_peak highest_peak(const pio_bench_limits *l) {
  pio_bench_peak best = PIO_BENCH_PEAK_COUNT;
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++)
    if (l->peaks[p].measured &&
        (best == PIO_BENCH_PEAK_COUNT || l->peaks[p].flops_per_s > l->peaks[best].flops_per_s))
      best = (pio_bench_peak)p;
  return best;
}

/* Of the peaks bounding the prefill path over each dtype the weights are
 * held in, the highest: every FLOP runs at most that fast, so it bounds a
 * model whose matrices differ in type too. */
static pio_bench_peak prefill_bound(const pio_bench_run_result *r) {
  pio_bench_peak best = PIO_BENCH_PEAK_COUNT;
  for (int d = 0; d < PIO_DTYPE_COUNT; d++) {
    if (!((r->matmul_dtypes >> d) & 1u)) continue;
    pio_bench_peak p = pio_bench_peak_bounding(r->kernel_prefill, (pio_dtype)d);
    if (p == PIO_BENCH_PEAK_COUNT || !r->limits.peaks[p].measured) return highest_peak(&r->limits);
    if (best == PIO_BENCH_PEAK_COUNT ||
        r->limits.peaks[p].flops_per_s > r->limits.peaks[best].flops_per_s)
      best = p;
  }
  return best != PIO_BENCH_PEAK_COUNT ? best : highest_peak(&r->limits);
}

/* The bandwidth decode is bound by: the device's HBM, or the CPU's memory. */
static double read_rate(const pio_bench_run_result *r) {
  return r->on_device ? r->device_limits.read_bytes_per_s : r->limits.read_bytes_per_s;
}

void pio_bench_run_derive(const pio_bench_run_options *opts, pio_bench_run_result *r) {
  /* On a GPU: its bf16 tensor-core peak and its HBM; no CPU instruction. */
  r->prefill_peak = r->on_device ? PIO_BENCH_PEAK_COUNT : prefill_bound(r);
  r->prefill_peak_flops = r->on_device ? r->device_limits.bf16_flops_per_s
                          : r->prefill_peak < PIO_BENCH_PEAK_COUNT
                              ? r->limits.peaks[r->prefill_peak].flops_per_s
                              : 0.0;
  /* A forward without all_logits runs the output head for the last token
   * only: counting it for every prompt token would put the limit below what
   * the prefill can reach. */
  const double p = opts->prompt_tokens, fpt = (double)r->stats.flops_per_token;
  const double head = (double)r->head_flops_per_token < fpt ? (double)r->head_flops_per_token : 0;
  r->prefill_flops = p * (fpt - head) + head;
  r->decode_limit_tok_s = r->stats.weight_bytes_per_token > 0
                              ? read_rate(r) / (double)r->stats.weight_bytes_per_token
                              : 0.0;
  r->prefill_limit_tok_s = r->prefill_flops > 0 ? p * r->prefill_peak_flops / r->prefill_flops
                                                : 0.0;
  r->decode_percent = percent(r->decode_tok_s, r->decode_limit_tok_s);
  r->prefill_percent = percent(r->prefill_tok_s, r->prefill_limit_tok_s);
}

static const char *peak_key(const pio_bench_run_result *r) {
  return r->on_device ? "device_bf16_gemm"
         : r->prefill_peak < PIO_BENCH_PEAK_COUNT ? pio_bench_peak_key(r->prefill_peak)
                                                  : "none";
}

static const char *peak_phrase(const pio_bench_run_result *r) {
  return r->on_device ? "bf16 tensor-core GEMM"
         : r->prefill_peak < PIO_BENCH_PEAK_COUNT ? pio_bench_peak_instruction(r->prefill_peak)
                                                  : "no measured";
}

pio_status pio_bench_run_check(const pio_bench_run_result *r, pio_error *err) {
  if (r->prefill_percent > 100.0)
    return pio_error_set(err, PIO_ERR_INTERNAL,
                         "prefill ran at %.2f tok/s, above its limit of %.2f tok/s (%s peak "
                         "%.1f GFLOP/s, %.3g FLOP a prefill): that limit is no bound, so the "
                         "measurement is wrong; no figures reported",
                         r->prefill_tok_s, r->prefill_limit_tok_s, peak_phrase(r),
                         r->prefill_peak_flops / 1e9,
                         r->prefill_flops);
  if (r->decode_percent > 100.0)
    return pio_error_set(err, PIO_ERR_INTERNAL,
                         "decode ran at %.2f tok/s, above its limit of %.2f tok/s (read "
                         "bandwidth %.2f GB/s over a %llu MiB buffer, %llu weight bytes a "
                         "token): that limit is no bound (weights served from a cache the "
                         "buffer misses?), so the measurement is wrong; no figures reported",
                         r->decode_tok_s, r->decode_limit_tok_s, read_rate(r) / 1e9,
                         (unsigned long long)((r->on_device ? r->device_limits.read_buffer_bytes
                                                            : r->limits.read_buffer_bytes) >> 20),
                         (unsigned long long)r->stats.weight_bytes_per_token);
  if (r->paired_percent > 100.0)
    return pio_error_set(err, PIO_ERR_INTERNAL,
                         "decode between read passes ran at %.1f %% of the faster pass beside "
                         "each token (median of %u tokens; passes' median %.2f GB/s): the read "
                         "loop is no bound, so the measurement is wrong; no figures reported",
                         r->paired_percent, r->paired_tokens,
                         r->paired_read_median_bytes_per_s / 1e9);
  return PIO_OK;
}

/* Bytes with a binary unit, for sizes people read. */
static void format_bytes(char *buf, size_t size, double bytes) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    u++;
  }
  snprintf(buf, size, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
}

/* Bytes of text beyond its columns: its UTF-8 continuation bytes ("±"). */
static int wide_bytes(const char *text) {
  int n = 0;
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) n += (*c & 0xC0) == 0x80;
  return n;
}

/* One line of the table: the figure, its value (right-aligned), the limit
 * and how much of it was reached. */
static void table_row(FILE *f, const char *figure, const char *value, const char *limit,
                      const char *reached) {
  fprintf(f, "%-26s %*s   %-54s %s\n", figure, 24 + wide_bytes(value), value, limit, reached);
}

void pio_bench_run_print_table(const pio_bench_run_options *opts, const pio_bench_run_result *r,
                               FILE *f) {
  char weights[96];
  if (opts->synthetic)
    snprintf(weights, sizeof weights, "synthetic %s weights (seed %llu)",
             pio_dtype_name(opts->dtype), (unsigned long long)opts->seed);
  else
    snprintf(weights, sizeof weights, "weights from files, %s",
             opts->weights_load == PIO_WEIGHTS_READ ? "read into memory" : "mapped");
  fprintf(f, "pio-bench run: %s (plugin %s %s%s%s, %s), %s\n", opts->model, r->plugin_name,
          r->plugin_version, r->variant[0] ? " variant " : "", r->variant, r->architecture,
          weights);
  if (r->on_device)
    fprintf(f, "device: %s (%s); kernel: prefill %s, decode %s; %u prompt + %u generated "
               "tokens, median of %u runs\n",
            r->device_name, r->device, r->kernel_prefill, r->kernel_decode, opts->prompt_tokens,
            opts->gen_tokens, r->repeat);
  else
    fprintf(f, "kernel: prefill %s, decode %s; %u threads, %u prompt + %u generated tokens, "
               "median of %u runs\n",
            r->kernel_prefill, r->kernel_decode, r->stats.n_threads, opts->prompt_tokens,
            opts->gen_tokens, r->repeat);
  if (r->kernel_why[0] != '\0') fprintf(f, "why: %s\n", r->kernel_why);
  fputc('\n', f);

  char wb[32], rss[32], wpt[32];
  format_bytes(wb, sizeof wb, (double)r->stats.weight_bytes);
  format_bytes(rss, sizeof rss, (double)r->peak_rss_bytes);
  format_bytes(wpt, sizeof wpt, (double)r->stats.weight_bytes_per_token);

  char v[64], lim[96], pct[32];
  table_row(f, "figure", "value", "limit measured in this run", "reached");
  snprintf(v, sizeof v, "%.3f s", r->load_s);
  table_row(f, "load (create)", v, "", "");
  snprintf(v, sizeof v, "%.3f s", r->ttft_median_s);
  table_row(f, "time to first token", v, "", "");
  pio_bench_spread prefill_sp =
      pio_bench_rate_spread(r->prefill_s, r->repeat, opts->prompt_tokens, r->prefill_tok_s);
  pio_bench_spread decode_sp =
      pio_bench_rate_spread(r->decode_s, r->repeat, opts->gen_tokens, r->decode_tok_s);
  snprintf(v, sizeof v, "%.2f tok/s ±%.1f%%", r->prefill_tok_s, prefill_sp.percent);
  if (r->on_device)
    snprintf(lim, sizeof lim, "%.2f tok/s (%s peak %.1f TFLOP/s)", r->prefill_limit_tok_s,
             peak_phrase(r), r->prefill_peak_flops / 1e12);
  else
    snprintf(lim, sizeof lim, "%.2f tok/s (%s %.1f GFLOP/s)", r->prefill_limit_tok_s,
             peak_phrase(r), r->prefill_peak_flops / 1e9);
  snprintf(pct, sizeof pct, "%.1f %%", r->prefill_percent);
  table_row(f, "prefill", v, lim, pct);
  snprintf(v, sizeof v, "%.2f tok/s ±%.1f%%", r->decode_tok_s, decode_sp.percent);
  snprintf(lim, sizeof lim, "%.2f tok/s (%sread bandwidth %.2f GB/s)", r->decode_limit_tok_s,
           r->on_device ? "HBM " : "", read_rate(r) / 1e9);
  snprintf(pct, sizeof pct, "%.1f %%", r->decode_percent);
  table_row(f, "decode", v, lim, pct);
  if (r->paired_tokens > 0) {
    snprintf(v, sizeof v, "%.2f tok/s", r->paired_tok_s);
    snprintf(lim, sizeof lim, "read passes between its tokens (median %.2f GB/s)",
             r->paired_read_median_bytes_per_s / 1e9);
    snprintf(pct, sizeof pct, "%.1f %%", r->paired_percent);
    table_row(f, "decode, read beside tokens", v, lim, pct);
  }
  table_row(f, "weight bytes per token", wpt, "", "");
  snprintf(v, sizeof v, "%.2f GB/s", r->effective_bytes_per_s / 1e9);
  snprintf(lim, sizeof lim, "%.2f GB/s (%s read bandwidth)", read_rate(r) / 1e9,
           r->on_device ? "HBM" : "memory");
  snprintf(pct, sizeof pct, "%.1f %%", percent(r->effective_bytes_per_s, read_rate(r)));
  table_row(f, "effective read bandwidth", v, lim, pct);
  char kvb[32];
  format_bytes(kvb, sizeof kvb, (double)r->stats.kv_bytes);
  snprintf(lim, sizeof lim, "held: weights %s + KV cache %s", wb, kvb);
  table_row(f, "peak RSS", rss, lim, "");

  fprintf(f, "\nmodel: %.3f B parameters, %s of weights, %.2f GFLOP per token (without "
             "attention)\n",
          (double)r->stats.n_params / 1e9, wb, (double)r->stats.flops_per_token / 1e9);
  if (r->weights_note[0] != '\0') fprintf(f, "weights: %s\n", r->weights_note);
  if (r->on_device) {
    const pio_bench_device_limits *d = &r->device_limits;
    fprintf(f, "device limits (%s, best of %u passes): HBM read %.2f GB/s (streaming read "
               "kernel, %s, %llu MiB buffer; median %.2f), bf16 tensor-core GEMM peak %.1f "
               "TFLOP/s (cuBLASLt %ux%ux%u, f32 accumulate; median %.1f)\n",
            d->device_name, d->passes, d->read_bytes_per_s / 1e9, d->read_kernel,
            (unsigned long long)(d->read_buffer_bytes >> 20), d->read_median_bytes_per_s / 1e9,
            d->bf16_flops_per_s / 1e12, d->gemm_size, d->gemm_size, d->gemm_size,
            d->bf16_median_flops_per_s / 1e12);
    fprintf(f, "prefill (%.3g FLOP: the output head once) is compared with the %s peak%s\n",
            r->prefill_flops, peak_phrase(r),
            r->used_argmax ? "; the plugin chooses each token (forward_argmax)" : "");
    return;
  }
  fprintf(f, "limits (%u threads, best of %u passes): memory read %.2f GB/s (%s loads, %u "
             "streams", r->limits.n_threads, r->limits.passes, r->limits.read_bytes_per_s / 1e9,
          pio_bench_isa_name(r->limits.read_isa), r->limits.read_streams);
  if (r->limits.read_prefetch)
    fprintf(f, ", each prefetched %u bytes ahead", PIO_BENCH_READ_PREFETCH);
  fprintf(f, ", %llu MiB buffer)", (unsigned long long)(r->limits.read_buffer_bytes >> 20));
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    const pio_bench_peak_figure *pk = &r->limits.peaks[p];
    if (pk->measured)
      fprintf(f, ", %s peak %.1f GFLOP/s (%u accumulators)",
              pio_bench_peak_instruction((pio_bench_peak)p), pk->flops_per_s / 1e9,
              pk->accumulators);
  }
  fprintf(f, "\nprefill (%.3g FLOP: the output head once) is compared with the %s peak\n",
          r->prefill_flops, peak_phrase(r));
}

/* ---- JSON --------------------------------------------------------------- */

static json_object *num(pio_json_build *b, double v) {
  /* JSON has no NaN or infinity; a figure that could not be formed is null. */
  return isfinite(v) ? pio_json_made(b, json_object_new_double(v)) : NULL;
}

static json_object *array_of(pio_json_build *b, const double *v, uint32_t n) {
  json_object *a = pio_json_made(b, json_object_new_array());
  for (uint32_t i = 0; i < n; i++) pio_json_push(b, a, num(b, v[i]));
  return a;
}

/* The widest f32 FMA measured (the figure older readers know as the f32
 * peak). */
static pio_bench_peak widest_fma(const pio_bench_limits *l) {
  const pio_bench_peak order[] = {PIO_BENCH_PEAK_AVX512_FMA, PIO_BENCH_PEAK_AVX2_FMA,
                                  PIO_BENCH_PEAK_SSE2};
  for (int i = 0; i < 3; i++)
    if (l->peaks[order[i]].measured) return order[i];
  return PIO_BENCH_PEAK_COUNT;
}

static json_object *peak_json(pio_json_build *b, const pio_bench_limits *l, pio_bench_peak p) {
  return p < PIO_BENCH_PEAK_COUNT && l->peaks[p].measured ? num(b, l->peaks[p].flops_per_s) : NULL;
}

static json_object *limits_json(pio_json_build *b, const pio_bench_limits *l) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "threads", pio_json_made(b, json_object_new_int64(l->n_threads)));
  pio_json_set(b, o, "passes", pio_json_made(b, json_object_new_int64(l->passes)));
  pio_json_set(b, o, "memory_read_bytes_per_second", num(b, l->read_bytes_per_s));
  pio_json_set(b, o, "memory_read_median_bytes_per_second", num(b, l->read_median_bytes_per_s));
  pio_json_set(b, o, "memory_read_isa",
               pio_json_made(b, json_object_new_string(pio_bench_isa_name(l->read_isa))));
  pio_json_set(b, o, "memory_read_streams",
               pio_json_made(b, json_object_new_int64(l->read_streams)));
  pio_json_set(b, o, "memory_read_prefetch_bytes",
               pio_json_made(b, json_object_new_int64(l->read_prefetch ? PIO_BENCH_READ_PREFETCH
                                                                       : 0)));
  pio_json_set(b, o, "memory_read_buffer_bytes",
               pio_json_made(b, json_object_new_int64((int64_t)l->read_buffer_bytes)));
  pio_bench_peak fma = widest_fma(l);
  pio_json_set(b, o, "f32_fma_flops_per_second", peak_json(b, l, fma));
  pio_json_set(b, o, "f32_fma_instruction",
               fma < PIO_BENCH_PEAK_COUNT
                   ? pio_json_made(b, json_object_new_string(pio_bench_peak_instruction(fma)))
                   : NULL);
  pio_json_set(b, o, "bf16_dot_flops_per_second", peak_json(b, l, PIO_BENCH_PEAK_BF16_DOT));
  pio_json_set(b, o, "amx_bf16_flops_per_second", peak_json(b, l, PIO_BENCH_PEAK_AMX_BF16));
  json_object *peaks = pio_json_made(b, json_object_new_object());
  for (int p = 0; p < PIO_BENCH_PEAK_COUNT; p++) {
    if (!l->peaks[p].measured) continue;
    json_object *one = pio_json_made(b, json_object_new_object());
    pio_json_set(b, one, "flops_per_second", num(b, l->peaks[p].flops_per_s));
    pio_json_set(b, one, "median_flops_per_second", num(b, l->peaks[p].median_flops_per_s));
    pio_json_set(
        b, one, "instruction",
        pio_json_made(b, json_object_new_string(pio_bench_peak_instruction((pio_bench_peak)p))));
    pio_json_set(b, one, "accumulators",
                 pio_json_made(b, json_object_new_int64(l->peaks[p].accumulators)));
    pio_json_set(b, peaks, pio_bench_peak_key((pio_bench_peak)p), one);
  }
  pio_json_set(b, o, "peaks", peaks);
  return o;
}

static json_object *device_limits_json(pio_json_build *b, const pio_bench_device_limits *l) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "device", pio_json_made(b, json_object_new_string(l->device_name)));
  pio_json_set(b, o, "passes", pio_json_made(b, json_object_new_int64(l->passes)));
  pio_json_set(b, o, "hbm_read_bytes_per_second", num(b, l->read_bytes_per_s));
  pio_json_set(b, o, "hbm_read_median_bytes_per_second", num(b, l->read_median_bytes_per_s));
  pio_json_set(b, o, "hbm_read_kernel", pio_json_made(b, json_object_new_string(l->read_kernel)));
  pio_json_set(b, o, "hbm_read_buffer_bytes",
               pio_json_made(b, json_object_new_uint64(l->read_buffer_bytes)));
  pio_json_set(b, o, "bf16_gemm_flops_per_second", num(b, l->bf16_flops_per_s));
  pio_json_set(b, o, "bf16_gemm_median_flops_per_second", num(b, l->bf16_median_flops_per_s));
  pio_json_set(b, o, "bf16_gemm_size", pio_json_made(b, json_object_new_int64(l->gemm_size)));
  return o;
}

static json_object *dtypes_json(pio_json_build *b, uint32_t mask) {
  json_object *a = pio_json_made(b, json_object_new_array());
  for (int d = 0; d < PIO_DTYPE_COUNT; d++)
    if ((mask >> d) & 1u)
      pio_json_push(b, a, pio_json_made(b, json_object_new_string(pio_dtype_name(d))));
  return a;
}

static json_object *model_json(pio_json_build *b, const pio_bench_run_options *opts,
                               const pio_bench_run_result *r) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "name", pio_json_made(b, json_object_new_string(opts->model)));
  pio_json_set(b, o, "plugin", pio_json_made(b, json_object_new_string(r->plugin_name)));
  pio_json_set(b, o, "plugin_version", pio_json_made(b, json_object_new_string(r->plugin_version)));
  pio_json_set(b, o, "variant",
               r->variant[0] ? pio_json_made(b, json_object_new_string(r->variant)) : NULL);
  pio_json_set(b, o, "architecture", pio_json_made(b, json_object_new_string(r->architecture)));
  pio_json_set(b, o, "weights",
               pio_json_made(b, json_object_new_string(opts->synthetic ? "synthetic" : "files")));
  if (!opts->synthetic)
    pio_json_set(
        b, o, "weights_load",
        pio_json_made(b, json_object_new_string(pio_weights_load_name(opts->weights_load))));
  if (opts->synthetic) {
    pio_json_set(b, o, "seed", pio_json_made(b, json_object_new_uint64(opts->seed)));
    pio_json_set(b, o, "weight_dtype",
                 pio_json_made(b, json_object_new_string(pio_dtype_name(opts->dtype))));
  }
  pio_json_set(b, o, "n_params", pio_json_made(b, json_object_new_uint64(r->stats.n_params)));
  pio_json_set(b, o, "weight_bytes",
               pio_json_made(b, json_object_new_uint64(r->stats.weight_bytes)));
  pio_json_set(b, o, "flops_per_token",
               pio_json_made(b, json_object_new_uint64(r->stats.flops_per_token)));
  pio_json_set(b, o, "kv_bytes", pio_json_made(b, json_object_new_uint64(r->stats.kv_bytes)));
  pio_json_set(
      b, o, "kernel_requested",
      pio_json_made(b, json_object_new_string(opts->kernel != NULL ? opts->kernel : "auto")));
  pio_json_set(b, o, "kernel", pio_json_made(b, json_object_new_string(r->kernel)));
  pio_json_set(b, o, "kernel_prefill", pio_json_made(b, json_object_new_string(r->kernel_prefill)));
  pio_json_set(b, o, "kernel_decode", pio_json_made(b, json_object_new_string(r->kernel_decode)));
  pio_json_set(
      b, o, "kernel_why",
      r->kernel_why[0] != '\0' ? pio_json_made(b, json_object_new_string(r->kernel_why)) : NULL);
  pio_json_set(b, o, "matmul_dtypes", dtypes_json(b, r->matmul_dtypes));
  pio_json_set(b, o, "device", pio_json_made(b, json_object_new_string(r->device)));
  if (r->on_device)
    pio_json_set(b, o, "device_name", pio_json_made(b, json_object_new_string(r->device_name)));
  return o;
}

static json_object *spread_json(pio_json_build *b, pio_bench_spread sp) {
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "min", num(b, sp.min));
  pio_json_set(b, o, "max", num(b, sp.max));
  pio_json_set(b, o, "percent", num(b, sp.percent));
  return o;
}

/* The decode between read passes; null when it was not measured. */
static json_object *paired_json(pio_json_build *b, const pio_bench_run_result *r) {
  if (r->paired_tokens == 0) return NULL;
  json_object *o = pio_json_made(b, json_object_new_object());
  pio_json_set(b, o, "tokens", pio_json_made(b, json_object_new_int64(r->paired_tokens)));
  pio_json_set(b, o, "tokens_per_second", num(b, r->paired_tok_s));
  pio_json_set(b, o, "read_median_bytes_per_second", num(b, r->paired_read_median_bytes_per_s));
  pio_json_set(b, o, "percent_of_read_beside", num(b, r->paired_percent));
  pio_json_set(b, o, "token_seconds", array_of(b, r->paired_token_s, r->paired_tokens));
  pio_json_set(b, o, "read_bytes_per_second",
               array_of(b, r->paired_read_bytes_per_s, r->paired_tokens + 1));
  return o;
}

json_object *pio_bench_run_json_object(const pio_bench_run_options *opts,
                                       const pio_bench_run_result *r, int with_head) {
  pio_json_build build = {0}, *b = &build;
  json_object *o =
      pio_json_made(b, with_head ? pio_about_json_document("pio-bench", "pio-bench run")
                                 : json_object_new_object());
  pio_json_set(b, o, "scenario", pio_json_made(b, json_object_new_string("run")));
  pio_json_set(b, o, "model", model_json(b, opts, r));
  pio_json_set(b, o, "threads", pio_json_made(b, json_object_new_int64(r->stats.n_threads)));
  pio_json_set(b, o, "prompt_tokens", pio_json_made(b, json_object_new_int64(opts->prompt_tokens)));
  pio_json_set(b, o, "gen_tokens", pio_json_made(b, json_object_new_int64(opts->gen_tokens)));
  pio_json_set(b, o, "repeat", pio_json_made(b, json_object_new_int64(r->repeat)));
  pio_json_set(b, o, "first_token", pio_json_made(b, json_object_new_int64(r->first_token)));
  pio_json_set(b, o, "load_seconds", num(b, r->load_s));
  pio_json_set(b, o, "time_to_first_token_seconds", num(b, r->ttft_median_s));
  pio_json_set(b, o, "prefill_tokens_per_second", num(b, r->prefill_tok_s));
  pio_json_set(b, o, "prefill_limit_tokens_per_second", num(b, r->prefill_limit_tok_s));
  pio_json_set(b, o, "prefill_percent_of_limit", num(b, r->prefill_percent));
  pio_json_set(b, o, "prefill_peak", pio_json_made(b, json_object_new_string(peak_key(r))));
  pio_json_set(b, o, "prefill_peak_flops_per_second", num(b, r->prefill_peak_flops));
  pio_json_set(b, o, "prefill_flops", num(b, r->prefill_flops));
  pio_json_set(b, o, "prefill_tokens_per_second_spread",
               spread_json(b, pio_bench_rate_spread(r->prefill_s, r->repeat, opts->prompt_tokens,
                                                    r->prefill_tok_s)));
  pio_json_set(b, o, "decode_tokens_per_second", num(b, r->decode_tok_s));
  pio_json_set(b, o, "decode_tokens_per_second_spread",
               spread_json(b, pio_bench_rate_spread(r->decode_s, r->repeat, opts->gen_tokens,
                                                    r->decode_tok_s)));
  pio_json_set(b, o, "time_to_first_token_spread",
               spread_json(b, pio_bench_time_spread(r->ttft_s, r->repeat, r->ttft_median_s)));
  pio_json_set(b, o, "decode_limit_tokens_per_second", num(b, r->decode_limit_tok_s));
  pio_json_set(b, o, "decode_percent_of_limit", num(b, r->decode_percent));
  pio_json_set(b, o, "weight_bytes_per_token",
               pio_json_made(b, json_object_new_uint64(r->stats.weight_bytes_per_token)));
  pio_json_set(b, o, "effective_bytes_per_second", num(b, r->effective_bytes_per_s));
  pio_json_set(b, o, "effective_percent_of_bandwidth",
               num(b, percent(r->effective_bytes_per_s, read_rate(r))));
  pio_json_set(b, o, "paired_decode", paired_json(b, r));
  pio_json_set(b, o, "tokens_chosen_by_plugin",
               pio_json_made(b, json_object_new_boolean(r->used_argmax)));
  pio_json_set(b, o, "peak_rss_bytes", pio_json_made(b, json_object_new_uint64(r->peak_rss_bytes)));
  pio_json_set(b, o, "weights_note",
               r->weights_note[0] != '\0'
                   ? pio_json_made(b, json_object_new_string(r->weights_note))
                   : NULL);
  if (r->on_device)
    pio_json_set(b, o, "device_limits", device_limits_json(b, &r->device_limits));
  else
    pio_json_set(b, o, "limits", limits_json(b, &r->limits));
  json_object *reps = pio_json_made(b, json_object_new_object());
  pio_json_set(b, reps, "prefill_seconds", array_of(b, r->prefill_s, r->repeat));
  pio_json_set(b, reps, "time_to_first_token_seconds", array_of(b, r->ttft_s, r->repeat));
  pio_json_set(b, reps, "decode_seconds", array_of(b, r->decode_s, r->repeat));
  pio_json_set(b, o, "repetitions", reps);
  return pio_json_done(b, o);
}

char *pio_bench_json_text(json_object *o, int pretty) {
  if (o == NULL) return NULL;
  const char *text = json_object_to_json_string_ext(
      o, pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
  size_t len = text != NULL ? strlen(text) : 0;
  char *copy = text != NULL ? malloc(len + 2) : NULL;
  if (copy != NULL) {
    memcpy(copy, text, len);
    copy[len] = '\n';
    copy[len + 1] = '\0';
  }
  json_object_put(o);
  return copy;
}

char *pio_bench_run_json(const pio_bench_run_options *opts, const pio_bench_run_result *r) {
  return pio_bench_json_text(pio_bench_run_json_object(opts, r, 1), 1);
}
