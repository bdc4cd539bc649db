/* sdk/src/kv_classes.c — KV figures of a model whose layers keep different
 * things (pio/kv.h, ABI 1.2): full attention, a sliding window, a chunk,
 * or a recurrent state; each class sized and sharded, then the stages of a
 * pipeline added up layer by layer, so a pattern such as GPT-OSS's
 * alternation or Jamba's one attention layer in eight is counted exactly
 * on every stage.  Also the figures of one FULL class, and kvbench's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kv_internal.h"
#include "pio/kv.h"

/* Bytes of an f32 scale. */
#define KV_SCALE_BYTES 4u

static const char *kind_name(pio_kv_layer_kind kind) {
  switch (kind) {
    case PIO_KV_LAYER_FULL:
      return "full";
    case PIO_KV_LAYER_SLIDING:
      return "sliding";
    case PIO_KV_LAYER_CHUNKED:
      return "chunked";
    case PIO_KV_LAYER_STATE:
      return "state";
  }
  return "unknown";
}

void pio_kv_stage_layers(uint32_t n_layers, uint32_t pp, uint32_t stage, uint32_t *first,
                         uint32_t *count) {
  if (pp == 0 || stage >= pp) {
    *first = *count = 0;
    return;
  }
  const uint32_t base = n_layers / pp, extra = n_layers % pp;
  /* Stages pp-1-extra .. pp-2 take one more layer each. */
  const uint32_t lo = pp - 1 - extra, hi = pp - 1;
  uint32_t before = stage < lo ? 0 : (stage < hi ? stage - lo : extra);
  *first = stage * base + before;
  *count = base + (stage >= lo && stage < hi ? 1 : 0);
}

/* What one layer of a STATE class keeps, whole and on one rank. */
static pio_status state_bytes(const pio_kv_query *q, uint32_t index, const pio_kv_class_spec *spec,
                              pio_kv_class *c, pio_error *err) {
  if (spec->state_split == 0 || spec->state_split % q->tp != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "class %u (state): tp %u does not "
                         "divide the %u channels the state is split along across ranks",
                         index, q->tp, spec->state_split);
  uint64_t bytes = 0;
  if (pio_kv_mul_u64(spec->state_numbers, pio_dtype_size(pio_kv_query_state_dtype(q)), &bytes))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "class %u (state): the state's size "
                         "exceeds 64 bits",
                         index);
  c->state_bytes_per_layer = bytes;
  c->state_bytes_per_layer_per_rank = bytes / q->tp;
  c->replication = 1;
  return PIO_OK;
}

/* What one layer of an attention class keeps per token, whole and on one
 * rank, scales included. */
static pio_status attention_bytes(const pio_kv_query *q, uint32_t index,
                                  const pio_kv_class_spec *spec, pio_kv_class *c, pio_error *err) {
  if (spec->kind != PIO_KV_LAYER_FULL && spec->window == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "class %u (%s): a window of 0 tokens",
                         index, kind_name(spec->kind));
  uint32_t heads = 0, replication = 0;
  pio_status s = PIO_OK;
  if (!spec->latent) {
    s = pio_kv_gqa_shard(spec->n_heads, spec->n_kv_heads, q->tp, &heads, &replication, err);
  } else if (spec->n_heads == 0 || spec->n_heads % q->tp != 0) {
    s = pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                      "tp %u does not divide the %u attention "
                      "heads (each rank takes an equal share of query heads; the latent is "
                      "held whole by every rank)",
                      q->tp, spec->n_heads);
  } else {
    heads = 1;
    replication = q->tp;
  }
  if (s != PIO_OK) return s;
  const uint64_t numbers = (uint64_t)spec->k_head_dim + spec->v_head_dim;
  const uint64_t scales = pio_kv_query_scales(q) == PIO_KV_SCALES_TOKEN_HEAD
                              ? KV_SCALE_BYTES * ((spec->k_head_dim > 0) + (spec->v_head_dim > 0))
                              : 0;
  uint64_t head = 0;
  if (pio_kv_mul_u64(numbers, pio_dtype_size(q->kv_dtype), &head) != 0 || head > UINT32_MAX)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "class %u (%s): a head of %llu "
                         "numbers is too large",
                         index, kind_name(spec->kind), (unsigned long long)numbers);
  const uint64_t distinct = spec->latent ? 1 : spec->n_kv_heads;
  c->bytes_per_token_per_layer = distinct * (head + scales);
  c->bytes_per_token_per_layer_per_rank = (uint64_t)heads * (head + scales);
  c->scale_bytes_per_token_per_layer_per_rank = (uint64_t)heads * scales;
  c->kv_heads_per_rank = heads;
  c->replication = replication;
  return PIO_OK;
}

static pio_status size_class(const pio_kv_query *q, uint32_t index, const pio_kv_class_spec *spec,
                             pio_kv_class *c, pio_error *err) {
  memset(c, 0, sizeof *c);
  c->kind = spec->kind;
  c->window =
      spec->kind == PIO_KV_LAYER_FULL || spec->kind == PIO_KV_LAYER_STATE ? 0 : spec->window;
  switch (spec->kind) {
    case PIO_KV_LAYER_STATE:
      return state_bytes(q, index, spec, c, err);
    case PIO_KV_LAYER_FULL:
    case PIO_KV_LAYER_SLIDING:
    case PIO_KV_LAYER_CHUNKED:
      return attention_bytes(q, index, spec, c, err);
  }
  return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "class %u: unknown kind %d", index,
                       (int)spec->kind);
}

/* Counts each class's layers, in the model and in every stage, and adds up
 * the stages' bytes per token: f's largest stage and classes' counts. */
static pio_status add_up_stages(const pio_kv_query *q, uint32_t n_layers,
                                const uint8_t *layer_class, uint32_t n_classes, pio_kv_figures *f,
                                pio_error *err) {
  for (uint32_t i = 0; i < n_layers; i++) {
    uint32_t c = layer_class != NULL ? layer_class[i] : 0;
    if (c >= n_classes)
      return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                           "KV figures: layer %u is of class "
                           "%u, but %u classes are described",
                           i, c, n_classes);
    f->classes[c].n_layers++;
  }
  uint64_t largest = 0;
  for (uint32_t stage = 0; stage < q->pp; stage++) {
    uint32_t first = 0, count = 0, per_class[PIO_KV_MAX_CLASSES] = {0};
    pio_kv_stage_layers(n_layers, q->pp, stage, &first, &count);
    uint64_t bytes = 0;
    for (uint32_t i = first; i < first + count; i++) {
      uint32_t c = layer_class != NULL ? layer_class[i] : 0;
      per_class[c]++;
      bytes += f->classes[c].bytes_per_token_per_layer_per_rank; /* < 2^32 x 2^10 layers */
    }
    for (uint32_t c = 0; c < n_classes; c++)
      if (per_class[c] > f->classes[c].layers_per_rank)
        f->classes[c].layers_per_rank = per_class[c];
    if (bytes > largest) largest = bytes;
  }
  f->bytes_per_token_per_rank = largest;
  return PIO_OK;
}

/* The ABI 1.0 figures from the classes (the rules written on
 * pio_kv_figures), for query->access. */
static pio_status summarise(const pio_kv_query *q, uint32_t n_layers, pio_kv_figures *f,
                            pio_error *err) {
  const pio_kv_class *widest = &f->classes[0];
  uint64_t per_token = 0;
  for (uint32_t c = 0; c < f->n_classes; c++) {
    const pio_kv_class *k = &f->classes[c];
    per_token += (uint64_t)k->n_layers * k->bytes_per_token_per_layer; /* < 2^52 */
    if (k->bytes_per_token_per_layer_per_rank > widest->bytes_per_token_per_layer_per_rank)
      widest = k;
  }
  f->bytes_per_token = per_token;
  f->bytes_per_token_per_layer_per_rank = widest->bytes_per_token_per_layer_per_rank;
  f->kv_heads_per_rank = widest->kv_heads_per_rank;
  f->replication = widest->replication;
  f->layers_per_rank = pio_kv_layers_per_stage(n_layers, q->pp);
  uint64_t page = q->access == PIO_KV_ACCESS_BLOCK ? f->bytes_per_token_per_rank
                                                   : f->bytes_per_token_per_layer_per_rank;
  if (pio_kv_mul_u64(page, q->page_size, &f->io_bytes_per_page) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "KV figures: a byte count exceeds "
                         "64 bits (page_size %u, %u layers)",
                         q->page_size, n_layers);
  return PIO_OK;
}

/* Copies f into out as far as out's struct_size reaches. */
static void hand_back(const pio_kv_figures *f, pio_kv_figures *out) {
  uint32_t size = out->struct_size < sizeof *f ? out->struct_size : (uint32_t)sizeof *f;
  memcpy(out, f, size);
  out->struct_size = size;
}

pio_status pio_kv_classes_fill(const pio_kv_query *q, uint32_t n_layers, const uint8_t *layer_class,
                               const pio_kv_class_spec *specs, uint32_t n_specs, const char *layout,
                               pio_kv_figures *out, pio_error *err) {
  if (specs == NULL || n_specs == 0 || n_specs > PIO_KV_MAX_CLASSES || n_layers == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "KV figures: %u classes of %u layers "
                         "(1 to %d classes of at least one layer expected)",
                         n_specs, n_layers, PIO_KV_MAX_CLASSES);
  pio_kv_figures f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  f.n_layers = n_layers;
  f.n_classes = n_specs;
  f.layer_class = layer_class;
  f.layout = layout;
  pio_status s = PIO_OK;
  for (uint32_t c = 0; c < n_specs && s == PIO_OK; c++)
    s = size_class(q, c, &specs[c], &f.classes[c], err);
  if (s == PIO_OK) s = add_up_stages(q, n_layers, layer_class, n_specs, &f, err);
  if (s == PIO_OK) s = summarise(q, n_layers, &f, err);
  if (s == PIO_OK) hand_back(&f, out);
  return s;
}

pio_status pio_kv_pattern_init(pio_kv_pattern *p, const uint8_t *kinds, uint32_t n_layers,
                               pio_error *err) {
  memset(p, 0, sizeof *p);
  int index[PIO_KV_MAX_CLASSES] = {-1, -1, -1, -1};
  for (uint32_t i = 0; i < n_layers; i++) {
    if (kinds[i] >= PIO_KV_MAX_CLASSES)
      return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                           "KV pattern: layer %u is of unknown "
                           "kind %u",
                           i, (unsigned)kinds[i]);
    index[kinds[i]] = 0;
  }
  if (n_layers == 0 || (p->layer_class = malloc(n_layers)) == NULL)
    return pio_error_set(err, n_layers ? PIO_ERR_NO_MEMORY : PIO_ERR_INVALID_ARGUMENT,
                         "KV pattern of %u layers: %s", n_layers,
                         n_layers ? "out of memory" : "no layers");
  for (uint32_t k = 0; k < PIO_KV_MAX_CLASSES; k++)
    if (index[k] == 0) {
      p->class_kind[p->n_classes] = (uint8_t)k;
      index[k] = (int)p->n_classes++;
    }
  for (uint32_t i = 0; i < n_layers; i++) p->layer_class[i] = (uint8_t)index[kinds[i]];
  p->n_layers = n_layers;
  return PIO_OK;
}

pio_status pio_kv_pattern_copy(const pio_kv_pattern *from, pio_kv_pattern *to, pio_error *err) {
  *to = *from;
  to->layer_class = NULL;
  if (from->layer_class == NULL) return PIO_OK;
  if ((to->layer_class = malloc(from->n_layers)) == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "KV pattern: out of memory");
  memcpy(to->layer_class, from->layer_class, from->n_layers);
  return PIO_OK;
}

void pio_kv_pattern_clear(pio_kv_pattern *p) {
  if (p == NULL) return;
  free(p->layer_class);
  memset(p, 0, sizeof *p);
}

pio_status pio_kv_pattern_fill(const pio_kv_query *q, const pio_kv_pattern *p,
                               const pio_kv_class_spec *by_kind, const char *layout,
                               pio_kv_figures *out, pio_error *err) {
  pio_kv_class_spec specs[PIO_KV_MAX_CLASSES];
  uint32_t n = p->n_classes <= PIO_KV_MAX_CLASSES ? p->n_classes : 0;
  for (uint32_t c = 0; c < n; c++) specs[c] = by_kind[p->class_kind[c] % PIO_KV_MAX_CLASSES];
  return pio_kv_classes_fill(q, p->n_layers, p->layer_class, specs, n, layout, out, err);
}

void pio_kv_gqa_by_kind(uint32_t n_heads, uint32_t n_kv_heads, uint32_t head_dim, uint32_t window,
                        uint32_t chunk, pio_kv_class_spec *by_kind) {
  memset(by_kind, 0, PIO_KV_MAX_CLASSES * sizeof *by_kind);
  for (uint32_t k = PIO_KV_LAYER_FULL; k <= PIO_KV_LAYER_CHUNKED; k++) {
    by_kind[k].kind = (pio_kv_layer_kind)k;
    by_kind[k].n_heads = n_heads;
    by_kind[k].n_kv_heads = n_kv_heads;
    by_kind[k].k_head_dim = by_kind[k].v_head_dim = head_dim;
  }
  by_kind[PIO_KV_LAYER_SLIDING].window = window;
  by_kind[PIO_KV_LAYER_CHUNKED].window = chunk;
  by_kind[PIO_KV_LAYER_STATE].kind = PIO_KV_LAYER_STATE;
}

void pio_kv_one_class(uint32_t n_layers, pio_kv_figures *out) {
  if (!PIO_TABLE_HAS(out, pio_kv_figures, layer_class)) return;
  out->n_layers = n_layers;
  out->n_classes = 1;
  memset(out->classes, 0, sizeof out->classes);
  pio_kv_class *c = &out->classes[0];
  c->kind = PIO_KV_LAYER_FULL;
  c->n_layers = n_layers;
  c->layers_per_rank = out->layers_per_rank;
  c->kv_heads_per_rank = out->kv_heads_per_rank;
  c->replication = out->replication;
  c->bytes_per_token_per_layer = n_layers ? out->bytes_per_token / n_layers : 0;
  c->bytes_per_token_per_layer_per_rank = out->bytes_per_token_per_layer_per_rank;
  out->layer_class = NULL;
}

/* kvbench computes in Python floats and truncates with int() after each
 * step; C doubles are the same IEEE binary64, and trunc() is int() on a
 * finite value. */
pio_status pio_kv_kvbench_fill(const pio_kv_query *q, uint32_t n_layers, double per_token,
                               const char *layout, pio_kv_figures *out, pio_error *err) {
  const double layers = n_layers;
  const double per_layer = trunc(per_token / layers);
  if (!(per_layer > 0.0))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "kvbench formula: KV size per layer "
                         "is 0");
  const double per_rank_layer = trunc(per_layer / (double)q->tp);
  const double stage = trunc(per_rank_layer * (layers / (double)q->pp));
  const double io = q->access == PIO_KV_ACCESS_BLOCK ? stage : per_rank_layer;
  /* Python multiplies two ints here: exact. */
  uint64_t io_bytes = 0;
  if (!(per_token < 18446744073709551616.0) ||
      pio_kv_mul_u64((uint64_t)io, q->page_size, &io_bytes) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "kvbench formula: io_bytes_per_page "
                         "exceeds 64 bits (page_size %u)",
                         q->page_size);
  out->bytes_per_token = (uint64_t)per_token;
  out->bytes_per_token_per_layer_per_rank = (uint64_t)per_rank_layer;
  out->bytes_per_token_per_rank = (uint64_t)stage;
  out->io_bytes_per_page = io_bytes;
  out->layers_per_rank = n_layers / q->pp;
  out->kv_heads_per_rank = 0;
  out->replication = 1;
  out->layout = layout;
  pio_kv_one_class(n_layers, out);
  return PIO_OK;
}

pio_status pio_kv_kvbench_refuse(const char *architecture, pio_error *err) {
  return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                       "kvbench formula: kvbench has no model for "
                       "%s (it has llama3_1, deepseek_r1, qwen3 and gpt_oss); the pio "
                       "formula sizes it",
                       architecture);
}

pio_status pio_kv_kvbench_gqa(const pio_kv_query *q, uint32_t n_layers, uint32_t n_kv_heads,
                              uint32_t head_dim, const char *layout, pio_kv_figures *out,
                              pio_error *err) {
  uint32_t precision = 0;
  pio_status s = pio_kv_kvbench_precision_bytes(q->kv_dtype, &precision, err);
  if (s != PIO_OK) return s;
  /* Within PIO_HF_MAX_* (2^10 x 2^10 x 2^10 x 2 x 2) this is exact. */
  const uint64_t per_token = (uint64_t)n_layers * n_kv_heads * head_dim * 2 * precision;
  return pio_kv_kvbench_fill(q, n_layers, (double)per_token, layout, out, err);
}

pio_status pio_kv_gqa_pattern_fill(const pio_kv_query *q, const pio_kv_pattern *p, uint32_t n_heads,
                                   uint32_t n_kv_heads, uint32_t head_dim, uint32_t window,
                                   uint32_t chunk, const char *layout, pio_kv_figures *out,
                                   pio_error *err) {
  pio_kv_class_spec by_kind[PIO_KV_MAX_CLASSES];
  pio_kv_gqa_by_kind(n_heads, n_kv_heads, head_dim, window, chunk, by_kind);
  return pio_kv_pattern_fill(q, p, by_kind, layout, out, err);
}

uint32_t *pio_kv_pattern_windows(const pio_kv_pattern *p, uint32_t window) {
  uint32_t *out = calloc(p->n_layers ? p->n_layers : 1, sizeof *out);
  for (uint32_t l = 0; out != NULL && l < p->n_layers; l++)
    if (p->class_kind[p->layer_class[l]] == PIO_KV_LAYER_SLIDING) out[l] = window;
  return out;
}
