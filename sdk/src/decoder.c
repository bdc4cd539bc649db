/* sdk/src/decoder.c — creating, describing and destroying a pio_decoder
 * (pio/decoder.h).  Everything a forward pass touches is allocated here:
 * the weights once, the KV cache for max_context tokens, scratch for one
 * chunk of tokens. */
#include <stdlib.h>
#include <string.h>

#include "decoder_internal.h"
#include "pio/instance.h"

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* A 64-byte aligned buffer of bytes (at least 1), or NULL with *s set. */
static void *buffer(size_t bytes, pio_status *s) {
  void *p = aligned_alloc(64, (max_size(bytes, 1) + 63) / 64 * 64);
  if (p == NULL) *s = PIO_ERR_NO_MEMORY;
  return p;
}

static int any_moe(const pio_decoder_spec *sp) {
  for (uint32_t l = 0; sp->moe_layer != NULL && l < sp->n_layers; l++)
    if (sp->moe_layer[l]) return 1;
  return 0;
}

/* The experts' router of an MoE spec. */
static pio_moe_router moe_router(const pio_decoder_spec *sp) {
  return (pio_moe_router){.n_experts = sp->n_experts,
                          .top_k = sp->n_experts_per_token,
                          .scoring = sp->router_scoring,
                          .n_group = 1,
                          .topk_group = 1,
                          .normalize = sp->norm_topk_prob,
                          .scale = 1.0f};
}

/* Every scratch buffer of a pass over n tokens on threads threads, and its
 * size, in one list (the experts' only for an MoE spec): what is allocated
 * and what is counted before allocating are the same.  Returns the count. */
enum { DECODER_SCRATCH_MAX = 17 };
static size_t scratch_slots(pio_decoder *d, size_t n, uint32_t threads,
                            void **slots[DECODER_SCRATCH_MAX], size_t sizes[DECODER_SCRATCH_MAX]) {
  const pio_decoder_spec *sp = &d->spec;
  const size_t dm = sp->d_model, f = sizeof(float);
  const size_t widest =
      max_size(max_size(sp->d_ff, any_moe(sp) ? sp->d_expert : 0), sp->d_shared);
  const pio_attention_shape shape = {.n_heads = sp->n_heads,
                                     .n_kv_heads = sp->n_kv_heads,
                                     .k_dim = sp->head_dim,
                                     .v_dim = sp->head_dim};
  const size_t q_dim = (size_t)sp->n_heads * sp->head_dim;
  const size_t qkv_dim = q_dim + 2 * (size_t)sp->n_kv_heads * sp->head_dim;
  size_t k = 0;
#define SLOT(field, bytes) (slots[k] = (void **)&(field), sizes[k++] = (bytes))
  SLOT(d->x, n * dm * f);
  SLOT(d->xn, n * dm * f);
  SLOT(d->proj, n * dm * f);
  SLOT(d->qkv, n * qkv_dim * f);
  SLOT(d->attn, n * q_dim * f);
  SLOT(d->hidden, n * 2 * widest * f);
  SLOT(d->attention_scratch, pio_attention_scratch_size(&shape, threads));
  if (any_moe(sp)) {
    decoder_moe *M = &d->moe;
    const size_t E = sp->n_experts, top = sp->n_experts_per_token;
    const pio_moe_router router = moe_router(sp);
    SLOT(M->logits, n * E * f);
    SLOT(M->experts, n * top * sizeof(uint32_t));
    SLOT(M->weights, n * top * f);
    SLOT(M->offsets, (E + 1) * sizeof(uint32_t));
    SLOT(M->entries, n * top * sizeof(uint32_t));
    SLOT(M->rows, n * dm * f);
    SLOT(M->out, n * dm * f);
    SLOT(M->slots, n * top * dm * f);
    SLOT(M->route, pio_moe_route_scratch_bytes(&router));
  }
#undef SLOT
  return k;
}

static pio_status alloc_scratch(pio_decoder *d, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  const uint32_t threads = pio_threadpool_size(d->pool);
  if (any_moe(sp)) {
    d->moe.router = moe_router(sp);
    pio_status s = pio_moe_router_check(&d->moe.router, err);
    if (s != PIO_OK) return pio_error_prefix(err, "%s experts", sp->architecture);
  }
  void **slots[DECODER_SCRATCH_MAX];
  size_t sizes[DECODER_SCRATCH_MAX];
  const size_t count = scratch_slots(d, d->chunk, threads, slots, sizes);
  pio_status s = PIO_OK;
  for (size_t i = 0; i < count; i++) *slots[i] = buffer(sizes[i], &s);
  d->attention_scratch_size = sizes[6];
  if (s != PIO_OK)
    return pio_error_set(err, s, "model scratch for %u tokens: out of memory", d->chunk);
  /* The attention trusts its arguments: check what this model will pass,
   * once, here. */
  const pio_attention_args probe = decoder_attention_args(d, 0, 0, 0, d->chunk);
  return pio_attention_check(&probe, threads, err);
}

/* f32 keys and values of every position of every layer: what the KV
 * figures say for fp32 on one rank (a windowed layer's older positions are
 * masked, not evicted). */
static uint64_t cache_bytes(const pio_decoder *d) {
  return 2 * (uint64_t)d->spec.n_layers * d->max_context * d->kv_dim * sizeof(float);
}

static pio_status alloc_cache(pio_decoder *d, pio_error *err) {
  d->kv_bytes = cache_bytes(d);
  pio_status s = PIO_OK;
  d->k_cache = buffer((size_t)(d->kv_bytes / 2), &s);
  d->v_cache = buffer((size_t)(d->kv_bytes / 2), &s);
  if (s != PIO_OK)
    return pio_error_set(err, s, "KV cache of %u tokens (%llu bytes): out of memory",
                         d->max_context, (unsigned long long)d->kv_bytes);
  return PIO_OK;
}

/* What the model will hold, checked against the memory the process may
 * take before any of it is allocated: synthetic weights of the spec's
 * parameters in their dtype, the KV cache, the scratch of the larger of
 * the two chunk sizes (measured on a copy: nothing is allocated). */
static pio_status check_footprint(const pio_decoder *d, const pio_model_options *o,
                                  pio_error *err) {
  pio_decoder probe = *d;
  const uint32_t chunk = DECODER_CHUNK_TILES > DECODER_CHUNK ? DECODER_CHUNK_TILES : DECODER_CHUNK;
  void **slots[DECODER_SCRATCH_MAX];
  size_t sizes[DECODER_SCRATCH_MAX];
  const size_t count = scratch_slots(&probe, d->max_context < chunk ? d->max_context : chunk,
                                     pio_threadpool_size(d->pool), slots, sizes);
  pio_model_footprint f = {.synthetic_weights = d->spec.n_params * pio_dtype_size(o->weight_dtype),
                           .kv_cache = cache_bytes(d)};
  for (size_t i = 0; i < count; i++) f.scratch += (sizes[i] + 63) / 64 * 64;
  return pio_model_footprint_check(o, &f, d->max_context, err);
}

/* Multiply-adds x 2 of one token through the matrices it reads, the bytes
 * it reads, and the dtypes the matrices are held in. */
static void describe(pio_decoder *d) {
  const pio_decoder_spec *sp = &d->spec;
  uint64_t macs = (uint64_t)d->lm_head.rows * d->lm_head.cols;
  uint64_t bytes = pio_matrix_bytes(&d->lm_head) +
                   (uint64_t)sp->d_model * pio_dtype_size(d->embed.dtype); /* one embedding row */
  uint32_t dtypes = 1u << d->lm_head.dtype;
  for (uint32_t l = 0; l < sp->n_layers; l++) {
    const decoder_layer *L = &d->layers[l];
    const pio_swiglu_weights *ffn = L->moe ? &L->experts[0].w : &L->mlp.w;
    const pio_matrix *m[4] = {&L->qkv, &L->o, &ffn->gate_up, &ffn->down};
    const uint64_t share = L->moe ? sp->n_experts_per_token : 1;
    for (int i = 0; i < 4; i++) {
      const uint64_t times = i >= 2 ? share : 1;
      macs += times * m[i]->rows * m[i]->cols;
      bytes += times * pio_matrix_bytes(m[i]);
      dtypes |= 1u << m[i]->dtype;
    }
    if (L->moe) {
      const pio_matrix *extra[3] = {&L->router, &L->shared.w.gate_up, &L->shared.w.down};
      for (int i = 0; i < 3; i++) {
        macs += (uint64_t)extra[i]->rows * extra[i]->cols;
        bytes += pio_matrix_bytes(extra[i]);
      }
    }
  }
  d->flops_per_token = 2 * macs;
  d->weight_bytes_per_token = bytes;
  d->matmul_dtypes = dtypes;
}

/* An FFN's two matrices in layout (pio_weights_set_layouts). */
static pio_status lay_out_ffn(pio_decoder *d, decoder_ffn *f, pio_matrix_layout layout,
                              uint64_t *bytes, pio_error *err) {
  pio_matrix *const mats[] = {&f->w.gate_up, &f->w.down};
  return pio_weights_set_layouts(&d->set, d->pool, mats, 2, layout, bytes, err);
}

/* Every layer's matrices but the router's in the plan's layout
 * (pio_kernel_plan_layout), which the plan's reason then says. */
static pio_status lay_out_layers(pio_decoder *d, pio_error *err) {
  pio_matrix_layout layout;
  uint64_t bytes = 0;
  pio_status s = pio_kernel_plan_layout(&d->plan, &layout, err);
  for (uint32_t l = 0; s == PIO_OK && l < d->spec.n_layers; l++) {
    decoder_layer *L = &d->layers[l];
    pio_matrix *const attention[] = {&L->qkv, &L->o};
    s = pio_weights_set_layouts(&d->set, d->pool, attention, 2, layout, &bytes, err);
    for (uint32_t e = 0; s == PIO_OK && L->moe && e < d->spec.n_experts; e++)
      s = lay_out_ffn(d, &L->experts[e], layout, &bytes, err);
    if (s == PIO_OK) s = lay_out_ffn(d, L->moe ? &L->shared : &L->mlp, layout, &bytes, err);
  }
  if (s == PIO_OK && bytes > 0) pio_kernel_plan_note_layout(&d->plan, layout, bytes);
  return s;
}

static pio_status build(pio_decoder *d, const pio_model_options *o, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  d->q_dim = sp->n_heads * sp->head_dim;
  d->kv_dim = sp->n_kv_heads * sp->head_dim;
  d->qkv_dim = d->q_dim + 2 * d->kv_dim;
  pio_status s = pio_model_context_size(sp->max_position, o->max_context, DECODER_DEFAULT_CONTEXT,
                                        &d->max_context, err);
  /* A kernel path that cannot run here, or a layout asked for that does not
   * exist, is refused before any weight is read. */
  if (s == PIO_OK && o->kernel != NULL)
    s = pio_kernel_plan_choose(o->kernel, PIO_DTYPE_BF16, &d->plan, err);
  pio_matrix_layout layout;
  if (s == PIO_OK) s = pio_kernel_plan_layout(&d->plan, &layout, err);
  if (s == PIO_OK) s = pio_threadpool_create(o->n_threads, &d->pool, err);
  if (s == PIO_OK) s = check_footprint(d, o, err);
  if (s == PIO_OK)
    s = o->synthetic ? pio_weights_synthetic(&d->set, o->weight_dtype, o->seed, d->pool, err)
                     : pio_weights_open(&d->set, o->weights_dir, o->weights_load, err);
  if (s == PIO_OK) s = decoder_weights_build(d, err);
  if (s == PIO_OK) s = pio_rope_init(&d->rope, &sp->rope, d->max_context, err);
  if (s == PIO_OK && sp->local_rope)
    s = pio_rope_init(&d->rope_local, &sp->rope_local, d->max_context, err);
  if (s == PIO_OK) s = alloc_cache(d, err);
  if (s != PIO_OK) return s;
  /* The MLP's (or the experts') matrices hold most weights: their dtype
   * picks the plan. */
  const decoder_layer *L0 = &d->layers[0];
  s = pio_kernel_plan_choose(
      o->kernel, L0->moe ? L0->experts[0].w.gate_up.dtype : L0->mlp.w.gate_up.dtype, &d->plan,
      err);
  if (s == PIO_OK) s = lay_out_layers(d, err);
  if (s != PIO_OK) return pio_error_prefix(err, "model create");
  d->router_path = pio_kernel_plan_f32_path(&d->plan);
  const uint32_t chunk =
      d->plan.prefill == PIO_KERNEL_AMX_BF16 ? DECODER_CHUNK_TILES : DECODER_CHUNK;
  d->chunk = d->max_context < chunk ? d->max_context : chunk;
  describe(d);
  return alloc_scratch(d, err);
}

pio_status pio_decoder_create(const pio_decoder_spec *spec, const pio_model_options *opts,
                              pio_decoder **out, pio_error *err) {
  if (spec == NULL || out == NULL || spec->names == NULL || spec->n_layers == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "model create: no spec, names, layers "
                         "or output given");
  *out = NULL;
  pio_model_options o;
  pio_status s = pio_model_options_take(opts, &o, err);
  if (s != PIO_OK) return s;
  pio_decoder *d = calloc(1, sizeof *d);
  if (d == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  d->spec = *spec;
  s = build(d, &o, err);
  d->spec.window = NULL; /* the caller's arrays are read while building only */
  d->spec.moe_layer = NULL;
  d->spec.rope_layer = NULL;
  d->spec.chunk = NULL;
  if (s != PIO_OK) {
    pio_decoder_destroy(d);
    return s;
  }
  *out = d;
  return PIO_OK;
}

void pio_decoder_destroy(pio_decoder *d) {
  if (d == NULL) return;
  decoder_moe *M = &d->moe;
  void *buffers[] = {
      d->x,       d->xn,      d->proj,   d->qkv,     d->attn,    d->hidden,  d->attention_scratch,
      d->k_cache, d->v_cache, M->logits, M->experts, M->weights, M->offsets, M->entries,
      M->rows,    M->out,     M->slots,  M->route};
  for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++) free(buffers[i]);
  pio_rope_free(&d->rope);
  pio_rope_free(&d->rope_local);
  pio_weights_free(&d->set);
  pio_threadpool_destroy(d->pool);
  free(d);
}

pio_status pio_decoder_stats(const pio_decoder *d, pio_model_stats *out, pio_error *err) {
  if (d == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: model is NULL");
  const pio_model_stats s = {
      .struct_size = sizeof s,
      .n_params = d->spec.n_params,
      .weight_bytes = d->set.bytes,
      .weight_bytes_per_token = d->weight_bytes_per_token,
      .flops_per_token = d->flops_per_token,
      .kv_bytes = d->kv_bytes,
      .position = d->position,
      .max_context = d->max_context,
      .n_threads = pio_threadpool_size(d->pool),
      .kernel = d->plan.name,
      .kernel_prefill = pio_kernel_path_name(d->plan.prefill),
      .kernel_decode = pio_kernel_path_name(d->plan.decode),
      .kernel_why = d->plan.why,
      .matmul_dtypes = d->matmul_dtypes,
  };
  return pio_model_stats_copy(&s, out, err);
}

pio_decoder_spec pio_decoder_spec_from_hf(const pio_hf_decoder *d, const char *architecture) {
  const pio_decoder_spec spec = {.architecture = architecture,
                                 .n_layers = d->n_layers,
                                 .d_model = d->hidden_size,
                                 .n_heads = d->n_heads,
                                 .n_kv_heads = d->n_kv_heads,
                                 .head_dim = d->head_dim,
                                 .vocab_size = d->vocab_size,
                                 .max_position = d->max_position,
                                 .d_ff = d->intermediate_size,
                                 .rms_norm_eps = d->rms_norm_eps,
                                 .tie_word_embeddings = d->tie_word_embeddings,
                                 .rope = d->rope};
  return spec;
}

void pio_decoder_model_destroy(pio_model *model) { pio_decoder_destroy((pio_decoder *)model); }

pio_status pio_decoder_model_forward(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                                     float *logits, int all_logits, pio_error *err) {
  return pio_decoder_forward((pio_decoder *)model, tokens, n_tokens, logits, all_logits, err);
}

void pio_decoder_model_reset(pio_model *model) { pio_decoder_reset((pio_decoder *)model); }

pio_status pio_decoder_model_stats(const pio_model *model, pio_model_stats *out, pio_error *err) {
  return pio_decoder_stats((const pio_decoder *)model, out, err);
}
