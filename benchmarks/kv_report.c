/* benchmarks/kv_report.c — the figures of `pio-bench kv` derived from the
 * plugin's KV figures (request, batch, pages, memory), printed as a table
 * with binary units and exact bytes, or as JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "about.h"
#include "kv_bench.h"
#include "kv_sequence.h"
#include "pio/json.h"
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
 * make real ranks differ a little).  Weights that leave nothing for the
 * cache are refused: no figure of a cache that cannot exist is printed. */
static pio_status derive_memory(const pio_bench_kv_options *o, const pio_bench_model *m,
                                pio_bench_kv_report *r, int *bad, pio_error *err) {
  r->has_memory = o->memory_gb >= 0.0;
  r->n_params = m->summary.n_params;
  if (!r->has_memory) return PIO_OK;
  r->memory_bytes = (uint64_t)(o->memory_gb * 1e9);
  const pio_model_summary *sm = &m->summary;
  uint64_t weights = mul(r->n_params, pio_dtype_size(o->weight_dtype), bad);
  if (!o->weight_dtype_given && PIO_TABLE_HAS(sm, pio_model_summary, stored_weights) &&
      sm->stored_weight_bytes > 0) {
    weights = sm->stored_weight_bytes;
    r->stored_weights = sm->stored_weights;
  }
  r->weight_bytes_rank = ceil_div(weights, (uint64_t)o->tp * o->pp);
  if (r->weight_bytes_rank >= r->memory_bytes) {
    char need[48], params[48];
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "--memory-gb %g: the weights alone take "
                         "%s of each rank (%s parameters, %s, / %u ranks, tp x pp), leaving "
                         "nothing for the KV cache; raise --memory-gb, --tp or --pp, or give "
                         "the weights' real --weight-dtype", o->memory_gb,
                         pio_bench_format_bytes(r->weight_bytes_rank, need, sizeof need),
                         pio_bench_format_count(r->n_params, params, sizeof params),
                         r->stored_weights ? r->stored_weights : pio_dtype_name(o->weight_dtype),
                         o->tp * o->pp);
  }
  r->kv_budget_rank = r->memory_bytes - r->weight_bytes_rank;
  uint64_t pages = r->page_bytes_rank ? r->kv_budget_rank / r->page_bytes_rank : 0;
  r->tokens_fit = mul(pages, o->page_size, bad);
  r->requests_fit = r->request_paged_rank ? r->kv_budget_rank / r->request_paged_rank : 0;
  return PIO_OK;
}

/* The cache's element type and scales: the options', else what
 * config.json's kv_cache_scheme says, else bf16; an fp8 or int8 cache
 * keeps per-token-head scales unless told otherwise. */
static void choose_kv_dtype(const pio_bench_kv_options *o, const pio_bench_model *m,
                            pio_bench_kv_report *r) {
  const pio_model_summary *s = &m->summary;
  const int scheme = PIO_TABLE_HAS(s, pio_model_summary, kv_scales) && s->kv_quantized;
  r->kv_dtype = o->kv_dtype;
  r->kv_source = o->kv_dtype_given ? PIO_BENCH_KV_FROM_OPTION : PIO_BENCH_KV_FROM_DEFAULT;
  pio_kv_scales scales = r->kv_dtype == PIO_DTYPE_FP8 || r->kv_dtype == PIO_DTYPE_INT8
                             ? PIO_KV_SCALES_TOKEN_HEAD : PIO_KV_SCALES_NONE;
  if (!o->kv_dtype_given && scheme) {
    r->kv_dtype = s->kv_dtype;
    scales = (pio_kv_scales)s->kv_scales;
    r->kv_source = PIO_BENCH_KV_FROM_CONFIG;
  }
  r->kv_scales = o->kv_scales_given ? o->kv_scales : scales;
}

/* One request's cache: after its prompt, at its end (exact tokens), and
 * in whole pages; whole model and the largest rank. */
static void derive_request(const pio_bench_kv_options *o, pio_bench_kv_report *r, int *bad) {
  const pio_kv_figures *f = &r->figures;
  /* kvbench's arithmetic knows no layer classes: its per-rank figures stand. */
  pio_kv_figures legacy = *f;
  if (o->formula == PIO_KV_FORMULA_KVBENCH) legacy.n_classes = 0;
  pio_bench_kv_sequence seq = {o->isl, o->osl, o->prefill_chunk, o->page_size};
  pio_bench_kv_sequence prompt = {o->isl, 0, o->prefill_chunk, o->page_size};
  if (pio_bench_kv_sequence_bytes(&legacy, o->pp, &prompt, 0, &r->kv_isl, &r->kv_isl_rank) ||
      pio_bench_kv_sequence_bytes(&legacy, o->pp, &seq, 0, &r->kv_total, &r->kv_total_rank))
    *bad = 1;
  uint64_t paged_whole = 0;
  if (pio_bench_kv_sequence_bytes(&legacy, o->pp, &seq, 1, &paged_whole, &r->request_paged_rank))
    *bad = 1;
  /* What decoding adds to the prompt's cache (nothing once every layer's
   * window is full). */
  r->kv_osl = r->kv_total - r->kv_isl;
  r->kv_osl_rank = r->kv_total_rank - r->kv_isl_rank;
  for (uint32_t c = 0; c < f->n_classes && c < PIO_KV_MAX_CLASSES; c++) {
    r->class_tokens[c] = pio_bench_kv_class_tokens(&f->classes[c], &seq);
    r->class_pages[c] = pio_bench_kv_class_pages(&f->classes[c], &seq);
  }
}

pio_status pio_bench_kv_derive(const pio_bench_kv_options *o, const pio_bench_model *m,
                               pio_bench_kv_report *r, pio_error *err) {
  memset(r, 0, sizeof *r);
  choose_kv_dtype(o, m, r);
  pio_kv_figures block, layer;
  pio_kv_query q = pio_bench_kv_query(r->kv_dtype, o->tp, o->pp, o->page_size,
                                      PIO_KV_ACCESS_BLOCK, o->formula);
  q.scales = r->kv_scales;
  q.state_dtype = o->state_dtype;
  pio_status s = pio_bench_model_kv_figures(m, &q, &block, err);
  if (s != PIO_OK) return s;
  q.access = PIO_KV_ACCESS_LAYER;
  if ((s = pio_bench_model_kv_figures(m, &q, &layer, err)) != PIO_OK) return s;
  r->figures = o->access == PIO_KV_ACCESS_BLOCK ? block : layer;
  r->io_block = block.io_bytes_per_page;
  r->io_layer = layer.io_bytes_per_page;
  int bad = 0;
  derive_request(o, r, &bad);
  r->kv_batch = mul(r->kv_total, o->batch, &bad);
  r->kv_batch_rank = mul(r->kv_total_rank, o->batch, &bad);
  r->pages_per_request = ceil_div((uint64_t)o->isl + o->osl, o->page_size);
  r->page_bytes_rank = mul(r->figures.bytes_per_token_per_rank, o->page_size, &bad);
  s = bad ? PIO_OK : derive_memory(o, m, r, &bad, err);
  if (s == PIO_OK && bad)
    s = pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "a byte count exceeds 64 bits: lower "
                      "--isl, --osl, --batch or --page-size");
  return s;
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

static const char *source_name(pio_bench_kv_source source) {
  return source == PIO_BENCH_KV_FROM_OPTION   ? "--kv-dtype"
         : source == PIO_BENCH_KV_FROM_CONFIG ? "config.json kv_cache_scheme"
                                              : "default";
}

static const char *kind_name(uint32_t kind) {
  static const char *const names[] = {"full", "sliding", "chunked", "state"};
  return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

/* Parameters, and for an MoE those one token uses. */
static void print_params(const pio_bench_model *m, FILE *f) {
  const pio_model_summary *s = &m->summary;
  char all[48], active[48];
  fprintf(f, "  params   %s", pio_bench_format_count(s->n_params, all, sizeof all));
  if (s->n_params_active != s->n_params)
    fprintf(f, ", %s active per token", pio_bench_format_count(s->n_params_active, active,
                                                                sizeof active));
  if (PIO_TABLE_HAS(s, pio_model_summary, n_experts_per_token) && s->n_experts > 0)
    fprintf(f, " (%u of %u experts)", s->n_experts_per_token, s->n_experts);
  fputc('\n', f);
}

/* The layers by what they keep, when the model has more than one kind or
 * a kind other than full, or scales. */
static void print_classes(const pio_bench_kv_options *o, const pio_bench_kv_report *r, FILE *f) {
  const pio_kv_figures *k = &r->figures;
  int plain = k->n_classes <= 1 && k->classes[0].kind == PIO_KV_LAYER_FULL &&
              k->classes[0].scale_bytes_per_token_per_layer_per_rank == 0;
  if (plain || o->formula == PIO_KV_FORMULA_KVBENCH) return;
  fprintf(f, "\nLayers by what they keep (per rank: the stage holding the most; a window holds "
          "at most window - 1 + %u tokens in flight)\n", o->prefill_chunk);
  fprintf(f, "  %-8s %6s %8s %8s  %-22s %-22s %10s\n", "class", "layers", "per rank", "window",
          "per token+layer, rank", "state per layer, rank", "tokens held");
  for (uint32_t c = 0; c < k->n_classes && c < PIO_KV_MAX_CLASSES; c++) {
    const pio_kv_class *x = &k->classes[c];
    char window[16], bytes[48], state[48];
    snprintf(window, sizeof window, "%u", x->window);
    fprintf(f, "  %-8s %6u %8u %8s  %-22s %-22s %10llu\n", kind_name(x->kind), x->n_layers,
            x->layers_per_rank, x->window ? window : "-",
            pio_bench_format_bytes_exact(x->bytes_per_token_per_layer_per_rank, bytes,
                                         sizeof bytes),
            pio_bench_format_bytes_exact(x->state_bytes_per_layer_per_rank, state, sizeof state),
            (unsigned long long)r->class_tokens[c]);
    if (x->scale_bytes_per_token_per_layer_per_rank > 0)
      fprintf(f, "  %-8s of which f32 scales: %llu B per token and layer\n", "",
              (unsigned long long)x->scale_bytes_per_token_per_layer_per_rank);
  }
}

static void print_memory(const pio_bench_kv_options *o, const pio_bench_kv_report *r, FILE *f) {
  char params[48];
  fprintf(f, "\nMemory of one rank: %g GB (10^9 bytes)\n", o->memory_gb);
  if (r->stored_weights != NULL)
    fprintf(f, "  weights assumed: %s parameters as stored (%s) / %u ranks (tp x pp), even split\n",
            pio_bench_format_count(r->n_params, params, sizeof params), r->stored_weights,
            o->tp * o->pp);
  else
    fprintf(f, "  weights assumed: %s parameters x %zu B (%s) / %u ranks (tp x pp), even split\n",
            pio_bench_format_count(r->n_params, params, sizeof params),
            pio_dtype_size(o->weight_dtype), pio_dtype_name(o->weight_dtype), o->tp * o->pp);
  row(f, "weights per rank", r->weight_bytes_rank);
  row(f, "left for the KV cache", r->kv_budget_rank);
  row_count(f, "tokens that fit (whole pages)", r->tokens_fit);
  row_count(f, "requests of ISL+OSL that fit", r->requests_fit);
}

void pio_bench_kv_print_table(const pio_bench_kv_options *o, const pio_bench_model *m,
                              const pio_bench_kv_report *r, FILE *f) {
  const pio_kv_figures *k = &r->figures;
  fprintf(f, "pio-bench kv: %s (%s, plugin %s %s)\n", m->resolved.name,
          m->resolved.architecture, m->plugin_name, m->plugin_version);
  fprintf(f, "  config   %s\n", m->resolved.config_path);
  print_params(m, f);
  fprintf(f, "  query    kv-dtype %s (%s), scales %s, tp %u, pp %u, page %u tokens, access %s, "
          "formula %s\n", pio_dtype_name(r->kv_dtype), source_name(r->kv_source),
          pio_bench_scales_name(r->kv_scales), o->tp, o->pp, o->page_size,
          access_name(o->access), formula_name(o->formula));
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
  print_classes(o, r, f);
  fprintf(f, "\nPages of %u tokens, one rank\n", o->page_size);
  row(f, "IO bytes per page, access block", r->io_block);
  row(f, "IO bytes per page, access layer", r->io_layer);
  row_count(f, "pages per request (ISL+OSL)", r->pages_per_request);
  row(f, "KV of one request in whole pages", r->request_paged_rank);
  if (r->has_memory) print_memory(o, r, f);
}

/* ---- JSON ---- */

static void put_u64(pio_json_build *b, json_object *o, const char *key, uint64_t v) {
  pio_json_set(b, o, key, pio_json_made(b, json_object_new_uint64(v)));
}

static json_object *classes_json(pio_json_build *b, const pio_bench_kv_report *r) {
  const pio_kv_figures *k = &r->figures;
  json_object *list = pio_json_made(b, json_object_new_array());
  for (uint32_t c = 0; list != NULL && c < k->n_classes && c < PIO_KV_MAX_CLASSES; c++) {
    const pio_kv_class *x = &k->classes[c];
    json_object *j = pio_json_made(b, json_object_new_object());
    pio_json_set(b, j, "kind", pio_json_made(b, json_object_new_string(kind_name(x->kind))));
    put_u64(b, j, "window", x->window);
    put_u64(b, j, "layers", x->n_layers);
    put_u64(b, j, "layers_per_rank", x->layers_per_rank);
    put_u64(b, j, "kv_heads_per_rank", x->kv_heads_per_rank);
    put_u64(b, j, "replication", x->replication);
    put_u64(b, j, "kv_bytes_per_token_per_layer", x->bytes_per_token_per_layer);
    put_u64(b, j, "kv_bytes_per_token_per_layer_per_rank", x->bytes_per_token_per_layer_per_rank);
    put_u64(b, j, "scale_bytes_per_token_per_layer_per_rank",
            x->scale_bytes_per_token_per_layer_per_rank);
    put_u64(b, j, "state_bytes_per_layer", x->state_bytes_per_layer);
    put_u64(b, j, "state_bytes_per_layer_per_rank", x->state_bytes_per_layer_per_rank);
    put_u64(b, j, "tokens_held", r->class_tokens[c]);
    put_u64(b, j, "pages_per_request", r->class_pages[c]);
    pio_json_push(b, list, j);
  }
  return list;
}

static json_object *memory_json(pio_json_build *b, const pio_bench_kv_options *o,
                                const pio_bench_kv_report *r) {
  if (!r->has_memory) return NULL;
  json_object *j = pio_json_made(b, json_object_new_object());
  pio_json_set(b, j, "memory_gb", pio_json_made(b, json_object_new_double(o->memory_gb)));
  put_u64(b, j, "memory_bytes", r->memory_bytes);
  pio_json_set(
      b, j, "weight_dtype",
      pio_json_made(b, json_object_new_string(
                           r->stored_weights ? "as stored" : pio_dtype_name(o->weight_dtype))));
  pio_json_set(
      b, j, "stored_weights",
      r->stored_weights ? pio_json_made(b, json_object_new_string(r->stored_weights)) : NULL);
  put_u64(b, j, "weight_bytes_per_rank", r->weight_bytes_rank);
  put_u64(b, j, "kv_budget_bytes_per_rank", r->kv_budget_rank);
  put_u64(b, j, "tokens_fit", r->tokens_fit);
  put_u64(b, j, "requests_fit", r->requests_fit);
  return j;
}

int pio_bench_kv_print_json(const pio_bench_kv_options *o, const pio_bench_model *m,
                            const pio_bench_kv_report *r, FILE *f) {
  const pio_kv_figures *k = &r->figures;
  pio_json_build build = {0}, *b = &build;
  json_object *j = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench kv"));
  pio_json_set(b, j, "model", pio_json_made(b, json_object_new_string(m->resolved.name)));
  pio_json_set(b, j, "architecture",
               pio_json_made(b, json_object_new_string(m->resolved.architecture)));
  pio_json_set(b, j, "plugin", pio_json_made(b, json_object_new_string(m->plugin_name)));
  pio_json_set(b, j, "plugin_version", pio_json_made(b, json_object_new_string(m->plugin_version)));
  pio_json_set(b, j, "config_path",
               pio_json_made(b, json_object_new_string(m->resolved.config_path)));
  pio_json_set(b, j, "formula", pio_json_made(b, json_object_new_string(formula_name(o->formula))));
  pio_json_set(b, j, "kv_dtype",
               pio_json_made(b, json_object_new_string(pio_dtype_name(r->kv_dtype))));
  pio_json_set(b, j, "kv_dtype_source",
               pio_json_made(b, json_object_new_string(source_name(r->kv_source))));
  pio_json_set(b, j, "kv_scales",
               pio_json_made(b, json_object_new_string(pio_bench_scales_name(r->kv_scales))));
  pio_json_set(b, j, "state_dtype",
               pio_json_made(b, json_object_new_string(pio_dtype_name(o->state_dtype))));
  put_u64(b, j, "prefill_chunk", o->prefill_chunk);
  put_u64(b, j, "tp", o->tp);
  put_u64(b, j, "pp", o->pp);
  put_u64(b, j, "page_size", o->page_size);
  pio_json_set(b, j, "access", pio_json_made(b, json_object_new_string(access_name(o->access))));
  put_u64(b, j, "isl", o->isl);
  put_u64(b, j, "osl", o->osl);
  put_u64(b, j, "batch", o->batch);
  pio_json_set(b, j, "layout",
               k->layout ? pio_json_made(b, json_object_new_string(k->layout)) : NULL);
  put_u64(b, j, "kv_bytes_per_token", k->bytes_per_token);
  put_u64(b, j, "kv_bytes_per_token_per_rank", k->bytes_per_token_per_rank);
  put_u64(b, j, "kv_bytes_per_token_per_layer_per_rank", k->bytes_per_token_per_layer_per_rank);
  put_u64(b, j, "layers_per_rank", k->layers_per_rank);
  put_u64(b, j, "kv_heads_per_rank", k->kv_heads_per_rank);
  put_u64(b, j, "replication", k->replication);
  put_u64(b, j, "io_bytes_per_page", k->io_bytes_per_page);
  put_u64(b, j, "io_bytes_per_page_block", r->io_block);
  put_u64(b, j, "io_bytes_per_page_layer", r->io_layer);
  put_u64(b, j, "kv_bytes_isl", r->kv_isl);
  put_u64(b, j, "kv_bytes_osl", r->kv_osl);
  put_u64(b, j, "kv_bytes_total", r->kv_total);
  put_u64(b, j, "kv_bytes_batch", r->kv_batch);
  put_u64(b, j, "kv_bytes_isl_per_rank", r->kv_isl_rank);
  put_u64(b, j, "kv_bytes_osl_per_rank", r->kv_osl_rank);
  put_u64(b, j, "kv_bytes_total_per_rank", r->kv_total_rank);
  put_u64(b, j, "kv_bytes_batch_per_rank", r->kv_batch_rank);
  put_u64(b, j, "pages_per_request", r->pages_per_request);
  put_u64(b, j, "page_bytes_per_rank", r->page_bytes_rank);
  put_u64(b, j, "kv_bytes_request_paged_per_rank", r->request_paged_rank);
  put_u64(b, j, "n_params", r->n_params);
  put_u64(b, j, "n_params_active", m->summary.n_params_active);
  const int experts = PIO_TABLE_HAS(&m->summary, pio_model_summary, n_experts_per_token);
  put_u64(b, j, "n_experts", experts ? m->summary.n_experts : 0);
  put_u64(b, j, "n_experts_per_token", experts ? m->summary.n_experts_per_token : 0);
  put_u64(b, j, "n_layers", k->n_layers);
  pio_json_set(b, j, "layer_classes", classes_json(b, r));
  pio_json_set(b, j, "memory", memory_json(b, o, r));
  j = pio_json_done(b, j);
  if (j == NULL) return -1;
  const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
  int ok = text != NULL && fprintf(f, "%s\n", text) >= 0;
  json_object_put(j);
  return ok ? 0 : -1;
}
