/* benchmarks/kv_report.c — the figures of `pio-bench kv` derived from the
 * plugin's KV figures (request, batch, pages, memory), printed as a table
 * with binary units and exact bytes, or as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "kv_bench.h"
#include "pio/kv.h"
#include "units.h"

/* *acc = a * b, remembering an overflow in *bad. */
static uint64_t mul(uint64_t a, uint64_t b, int *bad) {
  uint64_t out = 0;
  if (pio_kv_mul_u64(a, b, &out) != 0) *bad = 1;
  return out;
}

static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? a / b + (a % b != 0) : 0; }

/* Tokens and requests that fit in one rank's memory after its weights.
 * Weights per rank = n_params x weight bytes / (tp x pp): an even split, as
 * tensor and pipeline parallelism aim for (embeddings and uneven stages
 * make real ranks differ a little). */
static void derive_memory(const pio_bench_kv_options *o, const pio_bench_model *m,
                          pio_bench_kv_report *r, int *bad) {
  r->has_memory = o->memory_gb >= 0.0;
  r->n_params = m->summary.n_params;
  if (!r->has_memory) return;
  r->memory_bytes = (uint64_t)(o->memory_gb * 1e9);
  uint64_t weights = mul(r->n_params, pio_dtype_size(o->weight_dtype), bad);
  r->weight_bytes_rank = ceil_div(weights, (uint64_t)o->tp * o->pp);
  r->kv_budget_rank = r->memory_bytes > r->weight_bytes_rank
                          ? r->memory_bytes - r->weight_bytes_rank : 0;
  uint64_t pages = r->page_bytes_rank ? r->kv_budget_rank / r->page_bytes_rank : 0;
  r->tokens_fit = mul(pages, o->page_size, bad);
  r->requests_fit = r->pages_per_request ? pages / r->pages_per_request : 0;
}

pio_status pio_bench_kv_derive(const pio_bench_kv_options *o, const pio_bench_model *m,
                               pio_bench_kv_report *r, pio_error *err) {
  memset(r, 0, sizeof *r);
  pio_kv_figures block, layer;
  pio_kv_query q = pio_bench_kv_query(o->kv_dtype, o->tp, o->pp, o->page_size,
                                      PIO_KV_ACCESS_BLOCK, o->formula);
  pio_status s = pio_bench_model_kv_figures(m, &q, &block, err);
  if (s != PIO_OK) return s;
  q.access = PIO_KV_ACCESS_LAYER;
  if ((s = pio_bench_model_kv_figures(m, &q, &layer, err)) != PIO_OK) return s;
  r->figures = o->access == PIO_KV_ACCESS_BLOCK ? block : layer;
  r->io_block = block.io_bytes_per_page;
  r->io_layer = layer.io_bytes_per_page;
  const pio_kv_figures *f = &r->figures;
  int bad = 0;
  const uint64_t total_tokens = (uint64_t)o->isl + o->osl;
  r->kv_isl = mul(f->bytes_per_token, o->isl, &bad);
  r->kv_osl = mul(f->bytes_per_token, o->osl, &bad);
  r->kv_total = mul(f->bytes_per_token, total_tokens, &bad);
  r->kv_isl_rank = mul(f->bytes_per_token_per_rank, o->isl, &bad);
  r->kv_osl_rank = mul(f->bytes_per_token_per_rank, o->osl, &bad);
  r->kv_total_rank = mul(f->bytes_per_token_per_rank, total_tokens, &bad);
  r->kv_batch = mul(r->kv_total, o->batch, &bad);
  r->kv_batch_rank = mul(r->kv_total_rank, o->batch, &bad);
  r->pages_per_request = ceil_div(total_tokens, o->page_size);
  r->page_bytes_rank = mul(f->bytes_per_token_per_rank, o->page_size, &bad);
  r->request_paged_rank = mul(r->pages_per_request, r->page_bytes_rank, &bad);
  derive_memory(o, m, r, &bad);
  if (bad)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "a byte count exceeds 64 bits: lower "
                         "--isl, --osl, --batch or --page-size");
  return PIO_OK;
}

/* ---- the table ---- */

static void row(FILE *f, const char *label, uint64_t bytes) {
  char text[96];
  fprintf(f, "  %-38s %s\n", label, pio_bench_format_bytes_exact(bytes, text, sizeof text));
}

static void row2(FILE *f, const char *label, uint64_t model, uint64_t rank) {
  char a[96], b[96];
  fprintf(f, "  %-38s %-28s %s\n", label, pio_bench_format_bytes_exact(model, a, sizeof a),
          pio_bench_format_bytes_exact(rank, b, sizeof b));
}

static void row_count(FILE *f, const char *label, uint64_t n) {
  char text[48];
  fprintf(f, "  %-38s %s\n", label, pio_bench_format_count(n, text, sizeof text));
}

static const char *formula_name(pio_kv_formula formula) {
  return formula == PIO_KV_FORMULA_KVBENCH ? "kvbench" : "pio";
}

static const char *access_name(pio_kv_access access) {
  return access == PIO_KV_ACCESS_LAYER ? "layer" : "block";
}

static void print_memory(const pio_bench_kv_options *o, const pio_bench_kv_report *r, FILE *f) {
  char params[48];
  fprintf(f, "\nMemory of one rank: %g GB (10^9 bytes)\n", o->memory_gb);
  fprintf(f, "  weights assumed: %s parameters x %zu B (%s) / %u ranks (tp x pp), even split\n",
          pio_bench_format_count(r->n_params, params, sizeof params),
          pio_dtype_size(o->weight_dtype), pio_dtype_name(o->weight_dtype), o->tp * o->pp);
  row(f, "weights per rank", r->weight_bytes_rank);
  row(f, "left for the KV cache", r->kv_budget_rank);
  if (r->kv_budget_rank == 0) fprintf(f, "  the weights alone do not fit in this memory\n");
  row_count(f, "tokens that fit (whole pages)", r->tokens_fit);
  row_count(f, "requests of ISL+OSL that fit", r->requests_fit);
}

void pio_bench_kv_print_table(const pio_bench_kv_options *o, const pio_bench_model *m,
                              const pio_bench_kv_report *r, FILE *f) {
  const pio_kv_figures *k = &r->figures;
  fprintf(f, "pio-bench kv: %s (%s, plugin %s %s)\n", m->resolved.name,
          m->resolved.architecture, m->plugin_name, m->plugin_version);
  fprintf(f, "  config   %s\n", m->resolved.config_path);
  fprintf(f, "  query    kv-dtype %s, tp %u, pp %u, page %u tokens, access %s, formula %s\n",
          pio_dtype_name(o->kv_dtype), o->tp, o->pp, o->page_size, access_name(o->access),
          formula_name(o->formula));
  fprintf(f, "  layout   %s\n", k->layout ? k->layout : "(not given)");
  fprintf(f, "  ranks    per rank: %u layers, %u KV head%s; each KV byte held by %u rank%s\n",
          k->layers_per_rank, k->kv_heads_per_rank, k->kv_heads_per_rank == 1 ? "" : "s",
          k->replication, k->replication == 1 ? "" : "s");
  fprintf(f, "\n  %-38s %-28s %s\n", "", "whole model", "per rank");
  row2(f, "KV bytes per token", k->bytes_per_token, k->bytes_per_token_per_rank);
  char per_layer[96];
  fprintf(f, "  %-38s %-28s %s\n", "KV bytes per token and layer", "",
          pio_bench_format_bytes_exact(k->bytes_per_token_per_layer_per_rank, per_layer,
                                       sizeof per_layer));
  char isl[64], osl[64], all[64];
  snprintf(isl, sizeof isl, "KV for ISL (%u tokens)", o->isl);
  snprintf(osl, sizeof osl, "KV for OSL (%u tokens)", o->osl);
  snprintf(all, sizeof all, "KV for ISL+OSL (%llu tokens)",
           (unsigned long long)o->isl + o->osl);
  row2(f, isl, r->kv_isl, r->kv_isl_rank);
  row2(f, osl, r->kv_osl, r->kv_osl_rank);
  row2(f, all, r->kv_total, r->kv_total_rank);
  char batch[64];
  snprintf(batch, sizeof batch, "KV for the batch (%u requests)", o->batch);
  row2(f, batch, r->kv_batch, r->kv_batch_rank);
  fprintf(f, "\nPages of %u tokens, one rank\n", o->page_size);
  row(f, "IO bytes per page, access block", r->io_block);
  row(f, "IO bytes per page, access layer", r->io_layer);
  row_count(f, "pages per request (ISL+OSL)", r->pages_per_request);
  row(f, "KV of one request in whole pages", r->request_paged_rank);
  if (r->has_memory) print_memory(o, r, f);
}

/* ---- JSON ---- */

static void put_u64(json_object *o, const char *key, uint64_t v) {
  json_object_object_add(o, key, json_object_new_uint64(v));
}

static json_object *memory_json(const pio_bench_kv_options *o, const pio_bench_kv_report *r) {
  if (!r->has_memory) return NULL;
  json_object *j = json_object_new_object();
  json_object_object_add(j, "memory_gb", json_object_new_double(o->memory_gb));
  put_u64(j, "memory_bytes", r->memory_bytes);
  json_object_object_add(j, "weight_dtype",
                         json_object_new_string(pio_dtype_name(o->weight_dtype)));
  put_u64(j, "weight_bytes_per_rank", r->weight_bytes_rank);
  put_u64(j, "kv_budget_bytes_per_rank", r->kv_budget_rank);
  put_u64(j, "tokens_fit", r->tokens_fit);
  put_u64(j, "requests_fit", r->requests_fit);
  return j;
}

int pio_bench_kv_print_json(const pio_bench_kv_options *o, const pio_bench_model *m,
                            const pio_bench_kv_report *r, FILE *f) {
  const pio_kv_figures *k = &r->figures;
  json_object *j = json_object_new_object();
  if (j == NULL) return -1;
  json_object_object_add(j, "model", json_object_new_string(m->resolved.name));
  json_object_object_add(j, "architecture", json_object_new_string(m->resolved.architecture));
  json_object_object_add(j, "plugin", json_object_new_string(m->plugin_name));
  json_object_object_add(j, "plugin_version", json_object_new_string(m->plugin_version));
  json_object_object_add(j, "config_path", json_object_new_string(m->resolved.config_path));
  json_object_object_add(j, "formula", json_object_new_string(formula_name(o->formula)));
  json_object_object_add(j, "kv_dtype", json_object_new_string(pio_dtype_name(o->kv_dtype)));
  put_u64(j, "tp", o->tp);
  put_u64(j, "pp", o->pp);
  put_u64(j, "page_size", o->page_size);
  json_object_object_add(j, "access", json_object_new_string(access_name(o->access)));
  put_u64(j, "isl", o->isl);
  put_u64(j, "osl", o->osl);
  put_u64(j, "batch", o->batch);
  json_object_object_add(j, "layout", k->layout ? json_object_new_string(k->layout) : NULL);
  put_u64(j, "kv_bytes_per_token", k->bytes_per_token);
  put_u64(j, "kv_bytes_per_token_per_rank", k->bytes_per_token_per_rank);
  put_u64(j, "kv_bytes_per_token_per_layer_per_rank", k->bytes_per_token_per_layer_per_rank);
  put_u64(j, "layers_per_rank", k->layers_per_rank);
  put_u64(j, "kv_heads_per_rank", k->kv_heads_per_rank);
  put_u64(j, "replication", k->replication);
  put_u64(j, "io_bytes_per_page", k->io_bytes_per_page);
  put_u64(j, "io_bytes_per_page_block", r->io_block);
  put_u64(j, "io_bytes_per_page_layer", r->io_layer);
  put_u64(j, "kv_bytes_isl", r->kv_isl);
  put_u64(j, "kv_bytes_osl", r->kv_osl);
  put_u64(j, "kv_bytes_total", r->kv_total);
  put_u64(j, "kv_bytes_batch", r->kv_batch);
  put_u64(j, "kv_bytes_isl_per_rank", r->kv_isl_rank);
  put_u64(j, "kv_bytes_osl_per_rank", r->kv_osl_rank);
  put_u64(j, "kv_bytes_total_per_rank", r->kv_total_rank);
  put_u64(j, "kv_bytes_batch_per_rank", r->kv_batch_rank);
  put_u64(j, "pages_per_request", r->pages_per_request);
  put_u64(j, "page_bytes_per_rank", r->page_bytes_rank);
  put_u64(j, "kv_bytes_request_paged_per_rank", r->request_paged_rank);
  put_u64(j, "n_params", r->n_params);
  json_object_object_add(j, "memory", memory_json(o, r));
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
  int ok = text != NULL && fprintf(f, "%s\n", text) >= 0;
  json_object_put(j);
  return ok ? 0 : -1;
}
