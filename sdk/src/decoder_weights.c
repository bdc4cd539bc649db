/* sdk/src/decoder_weights.c — every tensor of a pio_decoder by its family's
 * names (pio_decoder_names) and exact shape, asked of a pio_weights set, so
 * loading from files and building synthetic weights are one walk: q, k and
 * v stacked for one matmul, gate and up likewise, their biases and norms
 * widened to f32. */
#include <stdio.h>
#include <string.h>

#include "decoder_internal.h"
#include "pio/norm.h"

#define NAME_MAX_LEN 192

/* name = pattern with the layer (and the expert) filled in. */
static const char *named(char *name, const char *pattern, uint32_t layer, uint32_t expert) {
  /* Patterns are the family's constants, with one or two %u. */
  snprintf(name, NAME_MAX_LEN, pattern, layer, expert);
  return name;
}

/* A SwiGLU of width d_ff: gate and up stacked, then down. */
static pio_status build_swiglu(pio_decoder *d, const char *gate, const char *up, const char *down,
                               uint32_t l, uint32_t e, uint32_t d_ff, decoder_ffn *out,
                               pio_error *err) {
  char g[NAME_MAX_LEN], u[NAME_MAX_LEN], dn[NAME_MAX_LEN];
  const char *const names[2] = {named(g, gate, l, e), named(u, up, l, e)};
  const uint32_t rows[2] = {d_ff, d_ff};
  const uint32_t dm = d->spec.d_model;
  pio_status s = pio_weights_stacked(&d->set, names, rows, 2, dm, &out->w.gate_up, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(&d->set, named(dn, down, l, e), dm, d_ff, &out->w.down, err);
  return s;
}

/* GPT-OSS's experts: each of the layer's fused tensors split (transposed)
 * into the experts' matrices, with their biases when named. */
static pio_status build_fused_experts(pio_decoder *d, uint32_t l, decoder_layer *L,
                                      pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  const pio_decoder_names *n = sp->names;
  const uint32_t E = sp->n_experts, f = sp->d_expert, dm = sp->d_model;
  pio_matrix *gate_up = pio_weights_alloc(&d->set, 2 * E * sizeof *gate_up, err);
  if (gate_up == NULL) return PIO_ERR_NO_MEMORY;
  pio_matrix *down = gate_up + E;
  const float *gate_up_bias = NULL, *down_bias = NULL;
  char name[NAME_MAX_LEN];
  pio_status s = pio_weights_experts(&d->set, named(name, n->experts_gate_up, l, 0), E, 2 * f, dm,
                                     sp->experts_order, gate_up, err);
  if (s == PIO_OK)
    s = pio_weights_experts(&d->set, named(name, n->experts_down, l, 0), E, dm, f,
                            PIO_EXPERTS_IN_ORDER, down, err);
  if (s == PIO_OK && n->experts_gate_up_bias != NULL)
    s = pio_weights_expert_biases(&d->set, named(name, n->experts_gate_up_bias, l, 0), E, 2 * f,
                                  sp->experts_order, 0.02f, &gate_up_bias, err);
  if (s == PIO_OK && n->experts_down_bias != NULL)
    s = pio_weights_expert_biases(&d->set, named(name, n->experts_down_bias, l, 0), E, dm,
                                  PIO_EXPERTS_IN_ORDER, 0.02f, &down_bias, err);
  for (uint32_t e = 0; s == PIO_OK && e < E; e++)
    L->experts[e] = (decoder_ffn){
        .w = {.gate_up = gate_up[e], .down = down[e]},
        .gate_up_bias = gate_up_bias != NULL ? gate_up_bias + (size_t)e * 2 * f : NULL,
        .down_bias = down_bias != NULL ? down_bias + (size_t)e * dm : NULL};
  return s;
}

/* q, k and v biases as one vector beside the stacked projection. */
static pio_status build_qkv_bias(pio_decoder *d, uint32_t l, decoder_layer *L, pio_error *err) {
  const pio_decoder_names *n = d->spec.names;
  const char *patterns[3] = {n->q_bias, n->k_bias, n->v_bias};
  const uint32_t sizes[3] = {d->q_dim, d->kv_dim, d->kv_dim};
  float *bias = pio_weights_alloc(&d->set, d->qkv_dim * sizeof *bias, err);
  if (bias == NULL) return PIO_ERR_NO_MEMORY;
  uint32_t at = 0;
  for (int i = 0; i < 3; i++) {
    char name[NAME_MAX_LEN];
    const float *part = NULL;
    pio_status s = pio_weights_vector(&d->set, named(name, patterns[i], l, 0), sizes[i], 0.0f,
                                      0.02f, &part, err);
    if (s != PIO_OK) return s;
    memcpy(bias + at, part, sizes[i] * sizeof *bias);
    at += sizes[i];
  }
  L->qkv_bias = bias;
  return PIO_OK;
}

static pio_status build_attention(pio_decoder *d, uint32_t l, decoder_layer *L, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  const pio_decoder_names *n = sp->names;
  char q[NAME_MAX_LEN], k[NAME_MAX_LEN], v[NAME_MAX_LEN], name[NAME_MAX_LEN];
  const char *const names[3] = {named(q, n->q, l, 0), named(k, n->k, l, 0), named(v, n->v, l, 0)};
  const uint32_t rows[3] = {d->q_dim, d->kv_dim, d->kv_dim};
  pio_status s = pio_weights_stacked(&d->set, names, rows, 3, sp->d_model, &L->qkv, err);
  if (s == PIO_OK && sp->qkv_bias) s = build_qkv_bias(d, l, L, err);
  if (s == PIO_OK)
    s = pio_weights_matrix(&d->set, named(name, n->o, l, 0), sp->d_model, d->q_dim, &L->o, err);
  if (s == PIO_OK && sp->o_bias)
    s = pio_weights_vector(&d->set, named(name, n->o_bias, l, 0), sp->d_model, 0.0f, 0.02f,
                           &L->o_bias, err);
  const float norm_fill = sp->norm_flags & PIO_NORM_WEIGHT_PLUS_ONE ? 0.0f : 1.0f;
  if (s == PIO_OK && sp->qk_l2_norm && L->rope) {
    /* Llama 4's L2 norm is an RMSNorm of unit weight; normalising before
     * or after the rotation is the same, a rotation keeping the norm. */
    float *ones = pio_weights_alloc(&d->set, sp->head_dim * sizeof *ones, err);
    if (ones == NULL) return PIO_ERR_NO_MEMORY;
    for (uint32_t i = 0; i < sp->head_dim; i++) ones[i] = 1.0f;
    L->q_norm = L->k_norm = ones;
  }
  if (s == PIO_OK && sp->qk_norm)
    s = pio_weights_vector(&d->set, named(name, n->q_norm, l, 0), sp->head_dim, norm_fill, 0.1f,
                           &L->q_norm, err);
  if (s == PIO_OK && sp->qk_norm)
    s = pio_weights_vector(&d->set, named(name, n->k_norm, l, 0), sp->head_dim, norm_fill, 0.1f,
                           &L->k_norm, err);
  if (s == PIO_OK && n->sinks != NULL)
    s = pio_weights_vector(&d->set, named(name, n->sinks, l, 0), sp->n_heads, 0.0f, 0.5f,
                           &L->sinks, err);
  return s;
}

static pio_status build_feed_forward(pio_decoder *d, uint32_t l, decoder_layer *L, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  const pio_decoder_names *n = sp->names;
  if (!L->moe) return build_swiglu(d, n->gate, n->up, n->down, l, 0, sp->d_ff, &L->mlp, err);
  char name[NAME_MAX_LEN];
  pio_status s = pio_weights_matrix(&d->set, named(name, n->router, l, 0), sp->n_experts,
                                    sp->d_model, &L->router, err);
  if (s == PIO_OK && n->router_bias != NULL)
    s = pio_weights_vector(&d->set, named(name, n->router_bias, l, 0), sp->n_experts, 0.0f, 0.1f,
                           &L->router_bias, err);
  if (s != PIO_OK) return s;
  L->experts = pio_weights_alloc(&d->set, sp->n_experts * sizeof *L->experts, err);
  if (L->experts == NULL) return PIO_ERR_NO_MEMORY;
  memset(L->experts, 0, sp->n_experts * sizeof *L->experts);
  if (n->shared_gate != NULL)
    s = build_swiglu(d, n->shared_gate, n->shared_up, n->shared_down, l, 0, sp->d_shared,
                     &L->shared, err);
  if (s != PIO_OK) return s;
  if (n->experts_gate_up != NULL) return build_fused_experts(d, l, L, err);
  for (uint32_t e = 0; e < sp->n_experts && s == PIO_OK; e++)
    s = build_swiglu(d, n->expert_gate, n->expert_up, n->expert_down, l, e, sp->d_expert,
                     &L->experts[e], err);
  return s;
}

/* A norm's weight [d]; synthetic ones scale by 1 either way (0 under
 * Gemma's 1 + weight). */
static pio_status build_norm(pio_decoder *d, const char *pattern, uint32_t l, const float **out,
                             pio_error *err) {
  char name[NAME_MAX_LEN];
  const float fill = d->spec.norm_flags & PIO_NORM_WEIGHT_PLUS_ONE ? 0.0f : 1.0f;
  return pio_weights_vector(&d->set, named(name, pattern, l, 0), d->spec.d_model, fill, 0.0f, out,
                            err);
}

static pio_status build_layer(pio_decoder *d, uint32_t l, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  const pio_decoder_names *n = sp->names;
  decoder_layer *L = &d->layers[l];
  L->window = sp->window != NULL ? sp->window[l] : 0;
  L->chunk = sp->chunk != NULL ? sp->chunk[l] : 0;
  L->rope = sp->rope_layer == NULL || sp->rope_layer[l];
  L->moe = sp->moe_layer != NULL && sp->moe_layer[l];
  pio_status s = build_norm(d, n->attn_norm, l, &L->attn_norm, err);
  if (s == PIO_OK) s = build_attention(d, l, L, err);
  if (s == PIO_OK && sp->sandwich_norms) {
    if ((s = build_norm(d, n->post_attention_norm, l, &L->post_attn_norm, err)) == PIO_OK &&
        (s = build_norm(d, n->pre_feedforward_norm, l, &L->mlp_norm, err)) == PIO_OK)
      s = build_norm(d, n->post_feedforward_norm, l, &L->post_mlp_norm, err);
  } else if (s == PIO_OK) {
    s = build_norm(d, n->post_attention_norm, l, &L->mlp_norm, err);
  }
  if (s == PIO_OK) s = build_feed_forward(d, l, L, err);
  return s;
}

int pio_decoder_ignorable(const char *name, const void *spec) {
  static const char suffix[] = ".rotary_emb.inv_freq";
  (void)spec;
  size_t n = strlen(name), k = sizeof suffix - 1;
  return n >= k && strcmp(name + n - k, suffix) == 0;
}

pio_status decoder_weights_build(pio_decoder *d, pio_error *err) {
  const pio_decoder_spec *sp = &d->spec;
  d->layers = pio_weights_alloc(&d->set, sp->n_layers * sizeof *d->layers, err);
  if (d->layers == NULL) return PIO_ERR_NO_MEMORY;
  memset(d->layers, 0, sp->n_layers * sizeof *d->layers);
  pio_status s =
      pio_weights_matrix(&d->set, sp->names->embed, sp->vocab_size, sp->d_model, &d->embed, err);
  for (uint32_t l = 0; l < sp->n_layers && s == PIO_OK; l++) s = build_layer(d, l, err);
  if (s == PIO_OK)
    s = pio_weights_output_head(&d->set, sp->tie_word_embeddings, &d->embed, &d->lm_head,
                                &d->final_norm, err);
  if (s != PIO_OK) return s;
  return pio_weights_check_unused(&d->set, sp->architecture,
                                  sp->ignorable ? sp->ignorable : pio_decoder_ignorable, sp, err);
}
