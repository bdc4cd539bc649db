/* model/weights.c — a DeepSeek model's weights from files or synthetic, and
 * what one token reads of them.  Synthetic routed experts may come from a
 * pool of distinct experts shared by the expert slots, so that a model
 * whose experts do not fit this machine still runs with the bytes per token
 * it really reads (docs/deepseek.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/weights_internal.h"

static pio_status expert_from_set(deepseek_builder *b, const char *prefix,
                                  pio_swiglu_weights *out, pio_error *err) {
  return deepseek_build_mlp(&b->w->set, prefix, b->config->hidden_size,
                            b->config->moe_intermediate_size, out, err);
}

/* Tensors Transformers itself lets pass: rotary inv_freq buffers, and the
 * multi-token-prediction layers after the last decoder layer. */
static int ignorable(const char *name, const void *ctx) {
  const pio_model_config *c = ctx;
  static const char inv_freq[] = ".rotary_emb.inv_freq";
  const size_t n = strlen(name), k = sizeof inv_freq - 1;
  if (n >= k && strcmp(name + n - k, inv_freq) == 0) return 1;
  unsigned layer = 0;
  int used = 0;
  if (sscanf(name, "model.layers.%u.%n", &layer, &used) == 1 && used > 0)
    return layer >= c->n_layers && layer < (uint64_t)c->n_layers + c->n_nextn_predict_layers;
  return 0;
}

void deepseek_weights_free(deepseek_weights *w) {
  if (w == NULL) return;
  pio_weights_free(&w->set);
  memset(w, 0, sizeof *w);
}

pio_status deepseek_weights_load(deepseek_weights *w, const pio_model_config *config,
                                 const char *dir, uint32_t load, pio_error *err) {
  memset(w, 0, sizeof *w);
  pio_status s = pio_weights_open(&w->set, dir, load, err);
  deepseek_builder b = {.w = w, .config = config, .expert_fn = expert_from_set};
  if (s == PIO_OK) s = deepseek_build(&b, err);
  if (s == PIO_OK)
    s = pio_weights_check_unused(&w->set, DEEPSEEK_ARCHITECTURE, ignorable, config, err);
  if (s != PIO_OK) deepseek_weights_free(w);
  return s;
}

/* ---- synthetic ---------------------------------------------------------- */

static uint64_t expert_bytes(const pio_model_config *c, pio_dtype dtype) {
  return 3ull * c->hidden_size * c->moe_intermediate_size * pio_dtype_size(dtype);
}

static uint64_t routed_slots(const pio_model_config *c) {
  uint64_t slots = 0;
  for (uint32_t l = 0; l < c->n_layers; l++)
    if (deepseek_config_layer_is_moe(c, l)) slots += c->n_routed_experts;
  return slots;
}

/* Distinct experts to build: all of them while they fit the budget; else
 * as many as the budget holds, at least one layer's worth, so the experts
 * a token chooses in a layer are always distinct buffers.  The budget is a
 * constant, not this machine's memory or cache, so every machine builds
 * the same model. */
uint32_t deepseek_expert_pool_size(const pio_model_config *c, pio_dtype dtype) {
  const uint64_t slots = routed_slots(c);
  const uint64_t budget = DEEPSEEK_SYNTHETIC_EXPERT_BYTES;
  const uint64_t one = expert_bytes(c, dtype);
  if (slots == 0 || slots * one <= budget) return 0;
  uint64_t n = budget / one;
  if (n < c->n_routed_experts) n = c->n_routed_experts;
  return n < slots ? (uint32_t)n : 0;
}

pio_status deepseek_weights_synthetic_bytes(const pio_model_config *config, pio_dtype dtype,
                                            uint64_t *bytes, pio_error *err) {
  pio_model_summary summary = {.struct_size = sizeof summary};
  pio_status s = deepseek_config_summarize(config, &summary, err);
  if (s != PIO_OK) return s;
  *bytes = summary.n_params * pio_dtype_size(dtype);
  const uint32_t pool = deepseek_expert_pool_size(config, dtype);
  if (pool > 0) *bytes -= (routed_slots(config) - pool) * expert_bytes(config, dtype);
  return PIO_OK;
}

/* Slot s of the model takes pool expert s % pool, built when s < pool. */
static pio_status expert_from_pool(deepseek_builder *b, const char *prefix,
                                   pio_swiglu_weights *out, pio_error *err) {
  deepseek_weights *w = b->w;
  const uint64_t s = b->slot++;
  if (w->expert_pool == 0 || s < w->expert_pool) {
    pio_status st = expert_from_set(b, prefix, out, err);
    if (st == PIO_OK && w->expert_pool != 0) w->pool_experts[s] = *out;
    return st;
  }
  *out = w->pool_experts[s % w->expert_pool];
  return PIO_OK;
}

pio_status deepseek_weights_synthetic(deepseek_weights *w, const pio_model_config *config,
                                      pio_dtype dtype, uint64_t seed, pio_threadpool *pool,
                                      pio_error *err) {
  memset(w, 0, sizeof *w);
  pio_status s = pio_weights_synthetic(&w->set, dtype, seed, pool, err);
  if (s != PIO_OK) return s;
  w->expert_slots = routed_slots(config);
  w->expert_pool = deepseek_expert_pool_size(config, dtype);
  if (w->expert_pool > 0) {
    w->pool_experts = pio_weights_alloc(&w->set, w->expert_pool * sizeof *w->pool_experts, err);
    if (w->pool_experts == NULL) s = PIO_ERR_NO_MEMORY;
  }
  deepseek_builder b = {.w = w, .config = config, .expert_fn = expert_from_pool};
  if (s == PIO_OK) s = deepseek_build(&b, err);
  if (s != PIO_OK) deepseek_weights_free(w);
  return s;
}

/* ---- what a token reads ------------------------------------------------ */

static uint64_t swiglu_bytes(const pio_swiglu_weights *m) {
  return pio_matrix_bytes(&m->gate_up) + pio_matrix_bytes(&m->down);
}

static uint64_t swiglu_macs(const pio_swiglu_weights *m) {
  return (uint64_t)m->gate_up.rows * m->gate_up.cols + (uint64_t)m->down.rows * m->down.cols;
}

/* Bytes and multiply-adds of one layer's attention matrices. */
static void attention_cost(const deepseek_attn_weights *A, uint32_t n_heads, uint64_t *bytes,
                           uint64_t *macs) {
  const pio_matrix *ms[3] = {&A->in, &A->q_b, &A->o};
  for (int i = 0; i < 3; i++) {
    *bytes += pio_matrix_bytes(ms[i]);
    *macs += (uint64_t)ms[i]->rows * ms[i]->cols;
  }
  for (uint32_t h = 0; h < n_heads; h++) {
    *bytes += pio_matrix_bytes(&A->uk_t[h]) + pio_matrix_bytes(&A->uv[h]);
    *macs += (uint64_t)A->uk_t[h].rows * A->uk_t[h].cols + (uint64_t)A->uv[h].rows * A->uv[h].cols;
  }
}

/* Bytes (or, with macs non-NULL, also multiply-adds) of one token's pass
 * through layer L: k routed experts, all of one size. */
static void layer_cost(const deepseek_layer_weights *L, const pio_model_config *c,
                       uint64_t *bytes, uint64_t *macs) {
  attention_cost(&L->attn, c->n_heads, bytes, macs);
  if (!L->is_moe) {
    *bytes += swiglu_bytes(&L->dense);
    *macs += swiglu_macs(&L->dense);
    return;
  }
  const deepseek_moe_weights *M = &L->moe;
  *bytes += pio_matrix_bytes(&M->router) + swiglu_bytes(&M->shared) +
            c->n_experts_per_tok * swiglu_bytes(&M->experts[0]);
  *macs += (uint64_t)M->router.rows * M->router.cols + swiglu_macs(&M->shared) +
           c->n_experts_per_tok * swiglu_macs(&M->experts[0]);
  if (M->bias) *bytes += (uint64_t)c->n_routed_experts * sizeof(float);
}

/* Norm and bias vectors a token reads, as f32. */
static uint64_t vector_bytes(const deepseek_weights *w, const pio_model_config *c) {
  uint64_t floats = (2ull * c->n_layers + 1) * c->hidden_size +
                    (uint64_t)c->n_layers * (c->q_lora_rank + c->kv_lora_rank);
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const deepseek_attn_weights *A = &w->layers[l].attn;
    if (A->in_bias) floats += A->in.rows;
    if (A->o_bias) floats += c->hidden_size;
  }
  return floats * sizeof(float);
}

uint64_t deepseek_weights_bytes_per_token(const deepseek_weights *w,
                                          const pio_model_config *c) {
  uint64_t bytes = 0, macs = 0;
  for (uint32_t l = 0; l < w->n_layers; l++) layer_cost(&w->layers[l], c, &bytes, &macs);
  const uint64_t embed_row = (uint64_t)c->hidden_size * pio_dtype_size(w->embed.dtype);
  return bytes + vector_bytes(w, c) + pio_matrix_bytes(&w->lm_head) + embed_row;
}

static uint32_t swiglu_dtypes(const pio_swiglu_weights *m) {
  return m->gate_up.rows ? 1u << m->gate_up.dtype | 1u << m->down.dtype : 0;
}

uint32_t deepseek_weights_matmul_dtypes(const deepseek_weights *w, const pio_model_config *c) {
  uint32_t mask = 1u << w->lm_head.dtype;
  for (uint32_t l = 0; l < w->n_layers; l++) {
    const deepseek_layer_weights *L = &w->layers[l];
    mask |= 1u << L->attn.in.dtype | 1u << L->attn.o.dtype | 1u << L->attn.uv[0].dtype;
    if (L->attn.q_b.rows) mask |= 1u << L->attn.q_b.dtype;
    if (!L->is_moe) {
      mask |= swiglu_dtypes(&L->dense);
      continue;
    }
    mask |= 1u << L->moe.router.dtype | swiglu_dtypes(&L->moe.shared);
    for (uint32_t e = 0; e < c->n_routed_experts; e++) mask |= swiglu_dtypes(&L->moe.experts[e]);
  }
  return mask;
}

uint64_t deepseek_weights_flops_per_token(const deepseek_weights *w,
                                          const pio_model_config *c) {
  uint64_t bytes = 0, macs = (uint64_t)w->lm_head.rows * w->lm_head.cols;
  for (uint32_t l = 0; l < w->n_layers; l++) layer_cost(&w->layers[l], c, &bytes, &macs);
  return 2 * macs;
}
