/* model/weights_build.c — every tensor of a DeepseekV3ForCausalLM by its
 * Hugging Face name and shape, asked of a pio_weights set, so loading from
 * files and building synthetic weights are one walk over the model.  What
 * differs (where routed experts come from) is the caller's expert_fn. */
#include <stdio.h>
#include <string.h>

#include "model/weights_internal.h"

#define NAME_MAX_LEN 160

/* name = "model.layers.<l>.<suffix>". */
static const char *layer_name(char *name, uint32_t l, const char *suffix) {
  snprintf(name, NAME_MAX_LEN, "model.layers.%u.%s", l, suffix);
  return name;
}

/* A SwiGLU MLP under prefix: gate and up stacked, then down. */
pio_status deepseek_build_mlp(pio_weights *set, const char *prefix, uint32_t d, uint32_t d_ff,
                              pio_swiglu_weights *out, pio_error *err) {
  char gate[NAME_MAX_LEN], up[NAME_MAX_LEN], down[NAME_MAX_LEN];
  snprintf(gate, sizeof gate, "%sgate_proj.weight", prefix);
  snprintf(up, sizeof up, "%sup_proj.weight", prefix);
  snprintf(down, sizeof down, "%sdown_proj.weight", prefix);
  const char *const names[2] = {gate, up};
  const uint32_t rows[2] = {d_ff, d_ff};
  pio_status s = pio_weights_stacked(set, names, rows, 2, d, &out->gate_up, err);
  if (s == PIO_OK) s = pio_weights_matrix(set, down, d, d_ff, &out->down, err);
  return s;
}

/* kv_b_proj's per-head halves: W_UK transposed into copies, W_UV viewed. */
static pio_status split_kv_b(pio_weights *set, const pio_model_config *c, const pio_matrix *kv_b,
                             deepseek_attn_weights *A, pio_error *err) {
  const uint32_t H = c->n_heads, nope = c->qk_nope_head_dim, v = c->v_head_dim;
  const uint32_t rank = c->kv_lora_rank;
  const size_t es = pio_dtype_size(kv_b->dtype);
  const unsigned char *src = kv_b->data;
  A->uk_t = pio_weights_alloc(set, H * sizeof *A->uk_t, err);
  A->uv = pio_weights_alloc(set, H * sizeof *A->uv, err);
  if (A->uk_t == NULL || A->uv == NULL) return PIO_ERR_NO_MEMORY;
  for (uint32_t h = 0; h < H; h++) {
    const unsigned char *head = src + (size_t)h * (nope + v) * rank * es;
    unsigned char *t = NULL;
    if (nope > 0 && (t = pio_weights_alloc(set, (size_t)rank * nope * es, err)) == NULL)
      return PIO_ERR_NO_MEMORY;
    /* uk_t[c][i] = kv_b[h (nope + v) + i][c] */
    for (uint32_t i = 0; i < nope; i++)
      for (uint32_t col = 0; col < rank; col++)
        memcpy(t + ((size_t)col * nope + i) * es, head + ((size_t)i * rank + col) * es, es);
    A->uk_t[h] = (pio_matrix){.data = t, .dtype = kv_b->dtype, .rows = rank, .cols = nope};
    A->uv[h] = (pio_matrix){.data = head + (size_t)nope * rank * es, .dtype = kv_b->dtype,
                            .rows = v, .cols = rank};
  }
  return PIO_OK;
}

/* attention_bias: q_a's (q LoRA; q_proj has none) and kv_a's biases as one
 * vector for the stacked input projection. */
static pio_status input_bias(pio_weights *set, const pio_model_config *c, uint32_t l,
                             uint32_t q_rows, deepseek_attn_weights *A, pio_error *err) {
  char name[NAME_MAX_LEN];
  const uint32_t kv_rows = c->kv_lora_rank + c->qk_rope_head_dim;
  const float *q_bias = NULL, *kv_bias = NULL;
  pio_status s = PIO_OK;
  if (c->q_lora_rank > 0)
    s = pio_weights_vector(set, layer_name(name, l, "self_attn.q_a_proj.bias"), q_rows, 0.0f,
                           0.0f, &q_bias, err);
  if (s == PIO_OK)
    s = pio_weights_vector(set, layer_name(name, l, "self_attn.kv_a_proj_with_mqa.bias"),
                           kv_rows, 0.0f, 0.0f, &kv_bias, err);
  if (s != PIO_OK) return s;
  float *bias = pio_weights_alloc(set, ((size_t)q_rows + kv_rows) * sizeof *bias, err);
  if (bias == NULL) return PIO_ERR_NO_MEMORY;
  for (uint32_t i = 0; i < q_rows; i++) bias[i] = q_bias ? q_bias[i] : 0.0f;
  memcpy(bias + q_rows, kv_bias, kv_rows * sizeof *bias);
  A->in_bias = bias;
  return PIO_OK;
}

static pio_status build_attention(pio_weights *set, const pio_model_config *c, uint32_t l,
                                  deepseek_attn_weights *A, pio_error *err) {
  const uint32_t d = c->hidden_size, H = c->n_heads;
  const uint32_t qk = c->qk_nope_head_dim + c->qk_rope_head_dim;
  const uint32_t q_rows = c->q_lora_rank > 0 ? c->q_lora_rank : H * qk;
  char q_name[NAME_MAX_LEN], kv_name[NAME_MAX_LEN], name[NAME_MAX_LEN];
  layer_name(q_name, l, c->q_lora_rank > 0 ? "self_attn.q_a_proj.weight" : "self_attn.q_proj.weight");
  layer_name(kv_name, l, "self_attn.kv_a_proj_with_mqa.weight");
  const char *const names[2] = {q_name, kv_name};
  const uint32_t rows[2] = {q_rows, c->kv_lora_rank + c->qk_rope_head_dim};
  pio_matrix kv_b;
  pio_status s = pio_weights_stacked(set, names, rows, 2, d, &A->in, err);
  if (s == PIO_OK && c->attention_bias) s = input_bias(set, c, l, q_rows, A, err);
  if (s == PIO_OK && c->q_lora_rank > 0)
    s = pio_weights_vector(set, layer_name(name, l, "self_attn.q_a_layernorm.weight"),
                           c->q_lora_rank, 1.0f, 0.0f, &A->q_a_norm, err);
  if (s == PIO_OK && c->q_lora_rank > 0)
    s = pio_weights_matrix(set, layer_name(name, l, "self_attn.q_b_proj.weight"), H * qk,
                           c->q_lora_rank, &A->q_b, err);
  if (s == PIO_OK)
    s = pio_weights_vector(set, layer_name(name, l, "self_attn.kv_a_layernorm.weight"),
                           c->kv_lora_rank, 1.0f, 0.0f, &A->kv_a_norm, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(set, layer_name(name, l, "self_attn.kv_b_proj.weight"),
                           H * (c->qk_nope_head_dim + c->v_head_dim), c->kv_lora_rank, &kv_b,
                           err);
  if (s == PIO_OK) s = split_kv_b(set, c, &kv_b, A, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(set, layer_name(name, l, "self_attn.o_proj.weight"), d,
                           H * c->v_head_dim, &A->o, err);
  if (s == PIO_OK && c->attention_bias)
    s = pio_weights_vector(set, layer_name(name, l, "self_attn.o_proj.bias"), d, 0.0f, 0.0f,
                           &A->o_bias, err);
  return s;
}

static pio_status build_moe(deepseek_builder *b, uint32_t l, deepseek_moe_weights *M,
                            pio_error *err) {
  const pio_model_config *c = b->config;
  pio_weights *set = &b->w->set;
  const uint32_t d = c->hidden_size, E = c->n_routed_experts;
  char name[NAME_MAX_LEN];
  pio_status s = pio_weights_matrix(set, layer_name(name, l, "mlp.gate.weight"), E, d,
                                    &M->router, err);
  /* Synthetic biases are small and random, so that they steer choices. */
  if (s == PIO_OK && c->score_correction_bias)
    s = pio_weights_vector(set, layer_name(name, l, "mlp.gate.e_score_correction_bias"), E,
                           0.0f, 0.01f, &M->bias, err);
  if (s == PIO_OK && c->n_shared_experts > 0)
    s = deepseek_build_mlp(set, layer_name(name, l, "mlp.shared_experts."), d,
                           c->n_shared_experts * c->moe_intermediate_size, &M->shared, err);
  if (s != PIO_OK) return s;
  M->experts = pio_weights_alloc(set, (size_t)E * sizeof *M->experts, err);
  if (M->experts == NULL) return PIO_ERR_NO_MEMORY;
  for (uint32_t e = 0; e < E && s == PIO_OK; e++) {
    snprintf(name, sizeof name, "model.layers.%u.mlp.experts.%u.", l, e);
    s = b->expert_fn(b, name, &M->experts[e], err);
  }
  return s;
}

static pio_status build_layer(deepseek_builder *b, uint32_t l, pio_error *err) {
  const pio_model_config *c = b->config;
  pio_weights *set = &b->w->set;
  deepseek_layer_weights *L = &b->w->layers[l];
  char name[NAME_MAX_LEN];
  pio_status s = pio_weights_vector(set, layer_name(name, l, "input_layernorm.weight"),
                                    c->hidden_size, 1.0f, 0.0f, &L->attn_norm, err);
  if (s == PIO_OK)
    s = pio_weights_vector(set, layer_name(name, l, "post_attention_layernorm.weight"),
                           c->hidden_size, 1.0f, 0.0f, &L->mlp_norm, err);
  if (s == PIO_OK) s = build_attention(set, c, l, &L->attn, err);
  if (s != PIO_OK) return s;
  L->is_moe = deepseek_config_layer_is_moe(c, l);
  if (L->is_moe) return build_moe(b, l, &L->moe, err);
  return deepseek_build_mlp(set, layer_name(name, l, "mlp."), c->hidden_size,
                            c->intermediate_size, &L->dense, err);
}

pio_status deepseek_build(deepseek_builder *b, pio_error *err) {
  const pio_model_config *c = b->config;
  deepseek_weights *w = b->w;
  pio_weights *set = &w->set;
  w->n_layers = c->n_layers;
  w->layers = pio_weights_alloc(set, (size_t)c->n_layers * sizeof *w->layers, err);
  if (w->layers == NULL) return PIO_ERR_NO_MEMORY;
  memset(w->layers, 0, (size_t)c->n_layers * sizeof *w->layers);
  pio_status s = pio_weights_matrix(set, "model.embed_tokens.weight", c->vocab_size,
                                    c->hidden_size, &w->embed, err);
  for (uint32_t l = 0; l < c->n_layers && s == PIO_OK; l++) s = build_layer(b, l, err);
  if (s != PIO_OK) return s;
  return pio_weights_output_head(set, c->tie_word_embeddings, &w->embed, &w->lm_head,
                                 &w->final_norm, err);
}
