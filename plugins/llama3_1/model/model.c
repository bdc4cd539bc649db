/* model/model.c — creating, resetting, describing and destroying a Llama
 * model instance.  Everything a forward pass touches is allocated here. */
#include <stdlib.h>
#include <string.h>

#include "attention/attention.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/instance.h"
#include "pio/kv.h"
#include "rotary/rope_params.h"

/* The pass buffers' sizes for chunk tokens of config. */
static llama_pass_dims pass_dims(const pio_model_config *c, uint32_t chunk, uint32_t n_threads) {
  const pio_attention_shape attention = {.n_heads = c->n_heads, .n_kv_heads = c->n_kv_heads,
                                         .k_dim = c->head_dim, .v_dim = c->head_dim};
  return (llama_pass_dims){.chunk = chunk, .d_model = c->hidden_size,
                           .qkv_dim = (c->n_heads + 2 * c->n_kv_heads) * c->head_dim,
                           .attn_dim = c->n_heads * c->head_dim,
                           .mlp_dim = 2 * c->intermediate_size, .attention = attention,
                           .n_threads = n_threads};
}

/* What the model will hold, checked against the memory the process may
 * take before any of it is allocated: synthetic weights of the config's
 * parameters in their dtype, the KV cache for max_context tokens, the
 * pass buffers for the larger of the two chunk sizes. */
static pio_status check_footprint(const pio_model_config *c, const pio_model_options *o,
                                  uint32_t max_context, uint32_t n_threads, pio_error *err) {
  pio_model_summary summary = {.struct_size = sizeof summary};
  pio_model_footprint f = {0};
  pio_status s = llama_config_summarize(c, &summary, err);
  if (s == PIO_OK) s = pio_kv_cache_bytes(llama_kv_figures, c, max_context, &f.kv_cache, err);
  if (s != PIO_OK) return s;
  f.synthetic_weights = summary.n_params * pio_dtype_size(o->weight_dtype);
  const uint32_t chunk = LLAMA_PREFILL_CHUNK_TILES > LLAMA_PREFILL_CHUNK
                             ? LLAMA_PREFILL_CHUNK_TILES
                             : LLAMA_PREFILL_CHUNK;
  const llama_pass_dims dims = pass_dims(c, max_context < chunk ? max_context : chunk, n_threads);
  f.scratch = llama_pass_buffers_bytes(&dims);
  return pio_model_footprint_check(o, &f, max_context, err);
}

static pio_status alloc_scratch(pio_model *m, pio_error *err) {
  const pio_model_config *c = m->config;
  const llama_pass_dims dims = pass_dims(c, m->chunk, pio_threadpool_size(m->pool));
  m->qkv_dim = dims.qkv_dim;
  pio_status s = llama_pass_buffers_alloc(&m->buf, &dims, err);
  if (s != PIO_OK) return s;
  /* The attention trusts its arguments: check the shapes and strides this
   * model will pass, once, here. */
  const pio_attention_args a =
      llama_attention_args(&m->cache, c->n_heads, 0, 0, 1, m->buf.qkv, m->qkv_dim, m->buf.attn,
                           m->buf.attention_scratch, m->buf.attention_scratch_size);
  return pio_attention_check(&a, dims.n_threads, err);
}

/* Multiply-adds x 2 of one token through every matrix. */
static uint64_t flops_per_token(const llama_weights *w) {
  uint64_t macs = (uint64_t)w->lm_head.rows * w->lm_head.cols;
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const llama_layer_weights *L = &w->layers[l];
    macs += (uint64_t)L->qkv.rows * L->qkv.cols + (uint64_t)L->o.rows * L->o.cols +
            (uint64_t)L->mlp.gate_up.rows * L->mlp.gate_up.cols +
            (uint64_t)L->mlp.down.rows * L->mlp.down.cols;
  }
  return 2 * macs;
}

/* Bit (1u << dtype) for each type the matrices are held in. */
static uint32_t matmul_dtypes(const llama_weights *w) {
  uint32_t mask = 1u << w->lm_head.dtype;
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const llama_layer_weights *L = &w->layers[l];
    mask |= 1u << L->qkv.dtype | 1u << L->o.dtype | 1u << L->mlp.gate_up.dtype |
            1u << L->mlp.down.dtype;
  }
  return mask;
}

/* The layers' matrices in the plan's layout (pio_kernel_plan_layout), which
 * the plan's reason then says. */
static pio_status lay_out_layers(pio_model *m, pio_error *err) {
  llama_weights *w = &m->weights;
  pio_matrix_layout layout;
  uint64_t bytes = 0;
  pio_status s = pio_kernel_plan_layout(&m->plan, &layout, err);
  for (uint32_t l = 0; s == PIO_OK && l < w->n_layers; l++) {
    llama_layer_weights *L = &w->layers[l];
    pio_matrix *const mats[] = {&L->qkv, &L->o, &L->mlp.gate_up, &L->mlp.down};
    s = pio_weights_set_layouts(&w->set, m->pool, mats, sizeof mats / sizeof mats[0], layout,
                                &bytes, err);
  }
  if (s == PIO_OK && bytes > 0) pio_kernel_plan_note_layout(&m->plan, layout, bytes);
  return s;
}

static pio_status build(pio_model *m, const pio_model_config *config,
                        const pio_model_options *o, pio_error *err) {
  uint32_t max_context = 0;
  pio_status s = llama_config_copy(config, &m->config, err);
  if (s == PIO_OK)
    s = pio_model_context_size(config->max_position, o->max_context, LLAMA_DEFAULT_CONTEXT,
                               &max_context, err);
  /* A kernel path that cannot run here, or a layout asked for that does not
   * exist, is refused before any weight is read. */
  if (s == PIO_OK && o->kernel != NULL)
    s = pio_kernel_plan_choose(o->kernel, PIO_DTYPE_BF16, &m->plan, err);
  pio_matrix_layout layout;
  if (s == PIO_OK) s = pio_kernel_plan_layout(&m->plan, &layout, err);
  if (s == PIO_OK) s = pio_threadpool_create(o->n_threads, &m->pool, err);
  if (s == PIO_OK)
    s = check_footprint(config, o, max_context, pio_threadpool_size(m->pool), err);
  if (s == PIO_OK)
    s = o->synthetic ? llama_weights_synthetic(&m->weights, config, o->weight_dtype, o->seed,
                                               m->pool, err)
                     : llama_weights_load(&m->weights, config, o->weights_dir,
                                          o->weights_load, err);
  if (s == PIO_OK) {
    const pio_rope_params rope = llama_rope_params(config);
    s = pio_rope_init(&m->rope, &rope, max_context, err);
  }
  if (s == PIO_OK) s = llama_kv_cache_init(&m->cache, config, max_context, err);
  if (s != PIO_OK) return s;
  /* The MLP's matrices hold most of the weights: their dtype picks the plan. */
  const llama_weights *w = &m->weights;
  s = pio_kernel_plan_choose(o->kernel, w->n_layers > 0 ? w->layers[0].mlp.gate_up.dtype
                                                         : w->lm_head.dtype, &m->plan, err);
  if (s == PIO_OK) s = lay_out_layers(m, err);
  if (s != PIO_OK) return pio_error_prefix(err, "model create");
  const uint32_t chunk = m->plan.prefill == PIO_KERNEL_AMX_BF16 ? LLAMA_PREFILL_CHUNK_TILES
                                                                 : LLAMA_PREFILL_CHUNK;
  m->chunk = max_context < chunk ? max_context : chunk;
  m->flops_per_token = flops_per_token(&m->weights);
  m->matmul_dtypes = matmul_dtypes(&m->weights);
  m->weight_bytes_per_token = llama_weights_bytes_per_token(&m->weights, config);
  return alloc_scratch(m, err);
}

pio_status llama_model_create(const pio_model_config *config, const pio_model_options *opts,
                              pio_model **out, pio_error *err) {
  return pio_model_instance_create(config, opts, sizeof(pio_model), build, llama_model_destroy, out,
                                   err);
}

void llama_model_destroy(pio_model *m) {
  if (m == NULL) return;
  llama_pass_buffers_free(&m->buf);
  llama_kv_cache_free(&m->cache);
  pio_rope_free(&m->rope);
  pio_threadpool_destroy(m->pool);
  llama_weights_free(&m->weights);
  llama_config_free(m->config);
  free(m);
}

void llama_model_reset(pio_model *m) {
  if (m != NULL) m->position = 0;
}

pio_status llama_model_stats(const pio_model *m, pio_model_stats *out, pio_error *err) {
  if (m == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model stats: model is NULL");
  const pio_model_stats s = {
      .struct_size = sizeof s,
      .n_params = llama_config_param_count(m->config),
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
      .matmul_dtypes = m->matmul_dtypes,
      .device = "cpu",
  };
  return pio_model_stats_copy(&s, out, err);
}
