/* model/model.c — creating, resetting, describing and destroying a
 * DeepSeek model instance.  Everything a forward pass touches is allocated
 * here: weights once, the MLA cache for max_context tokens, and scratch
 * for one chunk of tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "kv_cache/kv_figures.h"
#include "pio/instance.h"
#include "pio/kv.h"
#include "rotary/rotary.h"

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static void *scratch(size_t bytes, pio_status *s) {
  void *p = aligned_alloc(64, (max_size(bytes, 1) + 63) / 64 * 64);
  if (p == NULL) *s = PIO_ERR_NO_MEMORY;
  return p;
}

/* The router's rules from config.json (pio/moe.h). */
static pio_moe_router router_of(const pio_model_config *c) {
  const int grouped = c->topk_method != DEEPSEEK_TOPK_GREEDY;
  pio_moe_router r = {
      .n_experts = c->n_routed_experts,
      .top_k = c->n_experts_per_tok,
      .scoring = c->scoring == DEEPSEEK_SCORING_SIGMOID ? PIO_MOE_SCORE_SIGMOID
                                                        : PIO_MOE_SCORE_SOFTMAX,
      .n_group = grouped ? c->n_group : 1,
      .topk_group = grouped ? c->topk_group : 1,
      .group_rank = c->topk_method == DEEPSEEK_TOPK_NOAUX_TC ? PIO_MOE_GROUP_TOP2_SUM
                                                             : PIO_MOE_GROUP_MAX,
      .normalize = c->norm_topk_prob,
      .scale = (float)c->routed_scaling_factor,
  };
  return r;
}

/* The widest SwiGLU a layer runs: dense layers, one expert, the shared. */
static size_t widest_mlp(const pio_model_config *c) {
  size_t widest = c->moe_intermediate_size * (size_t)(c->n_shared_experts > 1 ? c->n_shared_experts : 1);
  for (uint32_t l = 0; l < c->n_layers; l++)
    if (!deepseek_config_layer_is_moe(c, l)) widest = max_size(widest, c->intermediate_size);
  return widest;
}

/* Every scratch buffer of a pass over n tokens of config c on threads
 * threads, and its size, in one list: what is allocated and what is
 * counted before allocating are the same.  Fills the sizes m's passes
 * read (per_thread, attention_bytes, widest) and returns the count. */
enum { SCRATCH_MAX = 22 };
static size_t scratch_slots(pio_model *m, const pio_model_config *c, size_t n, uint32_t threads,
                            void **slots[SCRATCH_MAX], size_t sizes[SCRATCH_MAX]) {
  deepseek_attn_scratch *A = &m->attn;
  deepseek_moe_scratch *M = &m->moe;
  const size_t H = c->n_heads, r = c->kv_lora_rank, d = c->hidden_size, f = sizeof(float);
  const size_t qk = (size_t)c->qk_nope_head_dim + c->qk_rope_head_dim;
  const size_t row = r + c->qk_rope_head_dim; /* a cached position: latent, then k_rope */
  /* The stacked input projection: q (or its low rank), then the latent and k_rope. */
  const size_t in_rows = (c->q_lora_rank > 0 ? c->q_lora_rank : H * qk) + row;
  const pio_attention_shape shape = {.n_heads = c->n_heads, .n_kv_heads = 1,
                                     .k_dim = (uint32_t)row, .v_dim = c->kv_lora_rank};
  A->per_thread = n * max_size(max_size(c->qk_nope_head_dim, r), c->v_head_dim);
  A->attention_bytes = pio_attention_scratch_size(&shape, threads);
  M->widest = widest_mlp(c);
  size_t k = 0;
#define SLOT(field, bytes) (slots[k] = (void **)&(field), sizes[k++] = (bytes))
  SLOT(m->x, n * d * f);
  SLOT(m->xn, n * d * f);
  SLOT(m->proj, n * d * f);
  SLOT(A->in, n * in_rows * f);
  SLOT(A->q_a, n * c->q_lora_rank * f);
  SLOT(A->q, n * H * qk * f);
  SLOT(A->q_lat, n * H * row * f);
  SLOT(A->lat, n * H * r * f);
  SLOT(A->heads, n * H * c->v_head_dim * f);
  SLOT(A->gather, threads * A->per_thread * f);
  SLOT(A->product, threads * A->per_thread * f);
  SLOT(A->attention, A->attention_bytes);
  /* A decoded token's k experts and the shared ones fit: chunk >= k + 1 is
   * not promised (a tiny max_context), so take the larger. */
  const size_t rows = max_size(n, (size_t)c->n_experts_per_tok + 1);
  SLOT(M->hidden, rows * 2 * M->widest * f);
  SLOT(M->out, n * d * f);
  if (c->n_routed_experts > 0) {
    const size_t E = c->n_routed_experts, top = c->n_experts_per_tok;
    const pio_moe_router router = router_of(c);
    SLOT(M->logits, n * E * f);
    SLOT(M->experts, n * top * sizeof(uint32_t));
    SLOT(M->weights, n * top * f);
    SLOT(M->offsets, (E + 1) * sizeof(uint32_t));
    SLOT(M->entries, n * top * sizeof(uint32_t));
    SLOT(M->rows, n * d * f);
    SLOT(M->slots, max_size(n * top, top + 1) * d * f);
    SLOT(M->route, pio_moe_route_scratch_bytes(&router));
  }
#undef SLOT
  return k;
}

static pio_status alloc_scratch(pio_model *m, pio_error *err) {
  const pio_model_config *c = m->config;
  const uint32_t threads = pio_threadpool_size(m->pool);
  if (c->n_routed_experts > 0) {
    m->moe.router = router_of(c);
    pio_status s = pio_moe_router_check(&m->moe.router, err);
    if (s != PIO_OK) return pio_error_prefix(err, "%s", c->path);
  }
  void **slots[SCRATCH_MAX];
  size_t sizes[SCRATCH_MAX];
  const size_t count = scratch_slots(m, c, m->chunk, threads, slots, sizes);
  pio_status s = PIO_OK;
  for (size_t i = 0; i < count; i++) *slots[i] = scratch(sizes[i], &s);
  if (s != PIO_OK)
    return pio_error_set(err, s, "model scratch for %u tokens: out of memory", m->chunk);
  const pio_attention_args probe = deepseek_mla_args(m, 0, 0, m->chunk);
  return pio_attention_check(&probe, threads, err);
}

/* What the model will hold, checked against the memory the process may
 * take before any of it is allocated: the synthetic weights as built (a
 * pool of routed experts may stand in for the rest), the MLA cache, the
 * scratch of a chunk (sized on a copy: nothing is allocated). */
static pio_status check_footprint(const pio_model *m, const pio_model_config *c,
                                  const pio_model_options *o, uint32_t max_context,
                                  pio_error *err) {
  pio_model probe = *m;
  pio_model_footprint f = {0};
  pio_status s = deepseek_weights_synthetic_bytes(c, o->weight_dtype, &f.synthetic_weights, err);
  if (s == PIO_OK) s = pio_kv_cache_bytes(deepseek_kv_figures, c, max_context, &f.kv_cache, err);
  if (s != PIO_OK) return s;
  void **slots[SCRATCH_MAX];
  size_t sizes[SCRATCH_MAX];
  const uint32_t chunk = max_context < DEEPSEEK_PREFILL_CHUNK ? max_context : DEEPSEEK_PREFILL_CHUNK;
  const size_t count = scratch_slots(&probe, c, chunk, pio_threadpool_size(m->pool), slots, sizes);
  for (size_t i = 0; i < count; i++) f.scratch += (max_size(sizes[i], 1) + 63) / 64 * 64;
  return pio_model_footprint_check(o, &f, max_context, err);
}

/* Says how the weights are held when it is not plain: a synthetic pool of
 * routed experts standing in for more than it holds. */
static void describe_weights(pio_model *m) {
  const deepseek_weights *w = &m->weights;
  if (w->expert_pool == 0) return;
  snprintf(m->weights_note, sizeof m->weights_note, "synthetic routed experts: %u distinct, "
           "shared in turn by the %llu expert slots of the model (a token still reads %u "
           "distinct experts a layer; docs/deepseek.md)", w->expert_pool,
           (unsigned long long)w->expert_slots, m->config->n_experts_per_tok);
}

/* The dtype of most of the weights, which picks the plan: the routed
 * experts' (or, without experts, the first layer's MLP). */
static pio_dtype bulk_dtype(const deepseek_weights *w) {
  for (uint32_t l = 0; l < w->n_layers; l++)
    if (w->layers[l].is_moe) return w->layers[l].moe.experts[0].gate_up.dtype;
  return w->n_layers > 0 ? w->layers[0].dense.gate_up.dtype : w->lm_head.dtype;
}

static pio_status build(pio_model *m, const pio_model_config *config,
                        const pio_model_options *o, pio_error *err) {
  uint32_t max_context = 0;
  pio_status s = deepseek_config_copy(config, &m->config, err);
  if (s == PIO_OK) s = pio_model_context_size(config->max_position, o->max_context,
                                              DEEPSEEK_DEFAULT_CONTEXT, &max_context, err);
  if (s == PIO_OK && config->weights_fp8 && !o->synthetic)
    s = pio_error_set(err, PIO_ERR_UNSUPPORTED, "%s: quantization_config says fp8 weights; this "
                      "plugin reads f32, bf16 or f16 safetensors (convert them, or run with "
                      "synthetic weights)", config->path);
  /* A kernel path that cannot run here is refused before any weight is read. */
  if (s == PIO_OK && o->kernel != NULL)
    s = pio_kernel_plan_choose(o->kernel, PIO_DTYPE_BF16, &m->plan, err);
  if (s == PIO_OK) s = pio_threadpool_create(o->n_threads, &m->pool, err);
  if (s == PIO_OK) s = check_footprint(m, config, o, max_context, err);
  if (s == PIO_OK)
    s = o->synthetic ? deepseek_weights_synthetic(&m->weights, config, o->weight_dtype, o->seed,
                                                  m->pool, err)
                     : deepseek_weights_load(&m->weights, config, o->weights_dir,
                                             o->weights_load, err);
  if (s == PIO_OK) s = deepseek_rotary_init(&m->rope, config, max_context, err);
  if (s == PIO_OK) s = deepseek_kv_cache_init(&m->cache, config, max_context, err);
  if (s != PIO_OK) return s;
  s = pio_kernel_plan_choose(o->kernel, bulk_dtype(&m->weights), &m->plan, err);
  if (s != PIO_OK) return pio_error_prefix(err, "model create");
  m->chunk = max_context < DEEPSEEK_PREFILL_CHUNK ? max_context : DEEPSEEK_PREFILL_CHUNK;
  /* The bf16 dot-product path rounds activations to bf16; the router's
   * choice is kept on f32 activations, as Transformers computes it, on the
   * plan's path otherwise (--kernel scalar or avx2 reaches it too). */
  m->router_path = pio_kernel_plan_f32_path(&m->plan);
  m->softmax_scale = deepseek_softmax_scale(config);
  m->flops_per_token = deepseek_weights_flops_per_token(&m->weights, config);
  m->weight_bytes_per_token = deepseek_weights_bytes_per_token(&m->weights, config);
  describe_weights(m);
  return alloc_scratch(m, err);
}

pio_status deepseek_model_create(const pio_model_config *config, const pio_model_options *opts,
                                 pio_model **out, pio_error *err) {
  return pio_model_instance_create(config, opts, sizeof(pio_model), build, deepseek_model_destroy,
                                   out, err);
}

void deepseek_model_destroy(pio_model *m) {
  if (m == NULL) return;
  void *buffers[] = {m->x, m->xn, m->proj, m->attn.in, m->attn.q_a, m->attn.q, m->attn.q_lat,
                     m->attn.lat, m->attn.heads, m->attn.gather, m->attn.product,
                     m->attn.attention, m->moe.logits, m->moe.experts, m->moe.weights,
                     m->moe.offsets, m->moe.entries, m->moe.rows, m->moe.hidden, m->moe.out,
                     m->moe.slots, m->moe.route};
  for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++) free(buffers[i]);
  deepseek_kv_cache_free(&m->cache);
  pio_rope_free(&m->rope);
  pio_threadpool_destroy(m->pool);
  deepseek_weights_free(&m->weights);
  deepseek_config_free(m->config);
  free(m);
}

void deepseek_model_reset(pio_model *m) {
  if (m != NULL) m->position = 0;
}

pio_status deepseek_model_stats(const pio_model *m, pio_model_stats *out, pio_error *err) {
  if (m == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: model is NULL");
  uint64_t total = 0, active = 0;
  deepseek_config_param_counts(m->config, &total, &active);
  const pio_model_stats s = {
      .struct_size = sizeof s,
      .n_params = total,
      .weight_bytes = m->weights.set.bytes,
      .weight_bytes_per_token = m->weight_bytes_per_token,
      .flops_per_token = m->flops_per_token,
      .kv_bytes = m->cache.bytes,
      .position = m->position,
      .max_context = m->cache.max_context,
      .n_threads = pio_threadpool_size(m->pool),
      .kernel = m->plan.name,
      .kernel_prefill = pio_kernel_path_name(m->plan.prefill),
      .kernel_decode = pio_kernel_path_name(m->plan.decode),
      .kernel_why = m->plan.why,
      .matmul_dtypes = deepseek_weights_matmul_dtypes(&m->weights, m->config),
      .weights_note = m->weights_note[0] != '\0' ? m->weights_note : NULL,
  };
  return pio_model_stats_copy(&s, out, err);
}
