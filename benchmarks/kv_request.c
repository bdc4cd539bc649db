/* benchmarks/kv_request.c — the KV request's options and the shared getopt
 * loop of pio-bench's KV page scenarios. */
#include "kv_request.h"
#include "pio/json.h"

#include <string.h>

#include "units.h"

void pio_bench_kv_request_init(pio_bench_kv_request *r) {
  memset(r, 0, sizeof *r);
  r->kv_dtype = PIO_DTYPE_BF16;
  r->tp = r->pp = 1;
  r->page_size = 16;
  r->isl = 4096;
}

int pio_bench_kv_request_take(pio_bench_kv_request *r, const char *scenario, int id,
                              const char *v) {
  int rc = 0;
  switch (id) {
    case PIO_BENCH_KV_OPT_MODEL: r->model = v; return 1;
    case PIO_BENCH_KV_OPT_KV_DTYPE:
      rc = pio_bench_parse_dtype(scenario, "--kv-dtype", v, &r->kv_dtype);
      break;
    case PIO_BENCH_KV_OPT_TP: rc = pio_bench_parse_u32(scenario, "--tp", v, 1, 65536, &r->tp); break;
    case PIO_BENCH_KV_OPT_PP: rc = pio_bench_parse_u32(scenario, "--pp", v, 1, 65536, &r->pp); break;
    case PIO_BENCH_KV_OPT_PAGE_SIZE:
      rc = pio_bench_parse_u32(scenario, "--page-size", v, 1, 1u << 20, &r->page_size);
      break;
    case PIO_BENCH_KV_OPT_ISL:
      rc = pio_bench_parse_u32(scenario, "--isl", v, 1, 1u << 24, &r->isl);
      break;
    case PIO_BENCH_KV_OPT_PLUGIN_PATH:
      rc = pio_bench_take_plugin_path(scenario, v, r->plugin_paths, &r->n_plugin_paths);
      break;
    default: return 0;
  }
  return rc == 0 ? 1 : -1;
}

int pio_bench_parse_pair(const char *scenario, const char *option, const char *v,
                         const char *a, const char *b, int *fa, int *fb) {
  *fa = strcmp(v, a) == 0 || strcmp(v, "both") == 0;
  *fb = strcmp(v, b) == 0 || strcmp(v, "both") == 0;
  if (*fa || *fb) return 0;
  pio_bench_usage_error(scenario, "%s: expected %s, %s or both, got '%s'", option, a, b, v);
  return -1;
}

int pio_bench_parse_args(const char *scenario, int argc, char **argv,
                         const struct option *options, pio_bench_take_fn take, void *ctx) {
  optind = 1;
  opterr = 0;
  int id;
  while ((id = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (id == 'h') return 1;
    if (id == '?' || id == ':') {
      pio_bench_option_error(scenario, id, argv[optind - 1], options);
      return -1;
    }
    if (take(ctx, id, optarg) != 0) return -1;
  }
  if (optind < argc) {
    pio_bench_usage_error(scenario, "unexpected argument '%s'", argv[optind]);
    return -1;
  }
  return 0;
}

int pio_bench_kv_request_open(const pio_bench_kv_request *r, const char *scenario, int json,
                              pio_bench_model *m) {
  pio_error err = {0};
  int status = PIO_BENCH_STATUS_FAILED;
  if (pio_bench_model_open(r->model, r->plugin_paths, r->n_plugin_paths, m, &status, &err) ==
      PIO_OK)
    return PIO_BENCH_STATUS_OK;
  pio_bench_report_error(scenario, json, &err);
  return status;
}

pio_status pio_bench_kv_request_layout(const pio_bench_kv_request *r, const pio_bench_model *m,
                                       pio_kv_figures *block, pio_bench_kv_layout *out,
                                       pio_error *err) {
  pio_kv_figures layer;
  pio_kv_query q = pio_bench_kv_query(r->kv_dtype, r->tp, r->pp, r->page_size,
                                      PIO_KV_ACCESS_BLOCK, PIO_KV_FORMULA_PIO);
  pio_status s = pio_bench_model_kv_figures(m, &q, block, err);
  q.access = PIO_KV_ACCESS_LAYER;
  if (s == PIO_OK) s = pio_bench_model_kv_figures(m, &q, &layer, err);
  if (s == PIO_OK) s = pio_bench_kv_layout_from(block, &layer, r->isl, r->page_size, out, err);
  return s;
}

void pio_bench_kv_request_print(FILE *out, int width, const pio_bench_kv_request *r,
                                const pio_bench_kv_layout *l, const char *layout_name) {
  char total[96];
  fprintf(out, "  %-*s ISL %u tokens on one rank (tp %u, pp %u): %llu pages of %u tokens x %u "
               "layers, %s\n", width, "pages", r->isl, r->tp, r->pp,
          (unsigned long long)l->pages, r->page_size, l->layers,
          pio_bench_format_bytes_exact(l->total_bytes, total, sizeof total));
  fprintf(out, "  %-*s %s; layout %s\n", width, "dtype", pio_dtype_name(r->kv_dtype),
          layout_name ? layout_name : "(not given)");
}

static void put_u64(pio_json_build *b, json_object *o, const char *key, uint64_t v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_uint64(v)));
}

void pio_bench_kv_request_json(pio_json_build *b, json_object *j, const pio_bench_kv_request *r,
                               const pio_bench_kv_layout *l) {
  pio_json_set(b, j, "kv_dtype",
               pio_json_made(b, json_object_new_string(pio_dtype_name(r->kv_dtype))));
  put_u64(b, j, "tp", r->tp);
  put_u64(b, j, "pp", r->pp);
  put_u64(b, j, "page_size", r->page_size);
  put_u64(b, j, "isl", r->isl);
  put_u64(b, j, "pages", l->pages);
  put_u64(b, j, "layers_per_rank", l->layers);
  put_u64(b, j, "total_bytes", l->total_bytes);
}
