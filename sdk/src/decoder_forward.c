/* sdk/src/decoder_forward.c — the forward pass of a pio_decoder: embedding,
 * the layers (attention and a gated MLP or the experts, each behind an
 * RMSNorm with a residual), final norm, lm_head.  Prefill and decode are the same
 * code: n new tokens at positions [position, position + n), n = 1 for
 * decode.  Shapes are written beside each step; d = d_model. */
#include <math.h>
#include <string.h>

#include "decoder_internal.h"
#include "pio/attention.h"
#include "pio/forward.h"
#include "pio/norm.h"

/* rows[n][dim] += bias[dim] */
static void add_bias(float *rows, size_t stride, const float *bias, uint32_t n, size_t dim) {
  for (uint32_t t = 0; t < n; t++)
    for (size_t i = 0; i < dim; i++) rows[t * stride + i] += bias[i];
}

static float *k_at(const pio_decoder *d, uint32_t layer, uint32_t pos) {
  return d->k_cache + ((size_t)layer * d->max_context + pos) * d->kv_dim;
}

static float *v_at(const pio_decoder *d, uint32_t layer, uint32_t pos) {
  return d->v_cache + ((size_t)layer * d->max_context + pos) * d->kv_dim;
}

/* qkv[n][qkv_dim] holds q[n_heads][head_dim], k and v[n_kv_heads][head_dim]:
 * Qwen3's per-head RMSNorm of q and k, then RoPE on both, then k and v
 * into the cache. */
static void prepare_qkv(pio_decoder *d, const decoder_layer *L, uint32_t layer, uint32_t start,
                        uint32_t n) {
  const pio_decoder_spec *sp = &d->spec;
  const size_t hd = sp->head_dim;
  float *qkv = d->qkv;
  const float eps = (float)sp->rms_norm_eps;
  if (L->q_norm != NULL)
    for (uint32_t t = 0; t < n; t++) {
      float *q = qkv + (size_t)t * d->qkv_dim, *k = q + d->q_dim;
      pio_rmsnorm_strided(q, hd, L->q_norm, sp->n_heads, hd, eps, sp->norm_flags, q, hd);
      pio_rmsnorm_strided(k, hd, L->k_norm, sp->n_kv_heads, hd, eps, sp->norm_flags, k, hd);
    }
  /* Gemma 3's windowed layers rotate with their own, local, base. */
  const pio_rope *rope = sp->local_rope && L->window ? &d->rope_local : &d->rope;
  if (L->rope) {
    pio_rope_apply(rope, qkv, n, d->qkv_dim, sp->n_heads, hd, start);
    pio_rope_apply(rope, qkv + d->q_dim, n, d->qkv_dim, sp->n_kv_heads, hd, start);
  } else if (sp->attn_temperature_floor > 0) {
    for (uint32_t t = 0; t < n; t++) { /* Llama 4's NoPE layers: q[t] *= its temperature */
      const float f = floorf((float)(start + t + 1) / sp->attn_temperature_floor);
      const float scale = logf(f + 1.0f) * sp->attn_temperature_scale + 1.0f;
      float *q = qkv + (size_t)t * d->qkv_dim;
      for (size_t i = 0; i < d->q_dim; i++) q[i] *= scale;
    }
  }
  for (uint32_t t = 0; t < n; t++) {
    const float *k = qkv + (size_t)t * d->qkv_dim + d->q_dim, *v = k + d->kv_dim;
    memcpy(k_at(d, layer, start + t), k, d->kv_dim * sizeof *k);
    memcpy(v_at(d, layer, start + t), v, d->kv_dim * sizeof *v);
  }
}

pio_attention_args decoder_attention_args(const pio_decoder *d, uint32_t layer, uint32_t window,
                                          uint32_t start, uint32_t n) {
  const pio_decoder_spec *sp = &d->spec;
  const size_t hd = sp->head_dim;
  pio_attention_args a = {
      .shape = {.n_heads = sp->n_heads,
                .n_kv_heads = sp->n_kv_heads,
                .k_dim = sp->head_dim,
                .v_dim = sp->head_dim},
      .n_tokens = n,
      .start = start,
      .q = d->qkv,
      .q_token_stride = d->qkv_dim,
      .q_head_stride = hd,
      .k = k_at(d, layer, 0),
      .k_pos_stride = d->kv_dim,
      .k_head_stride = hd,
      .v = v_at(d, layer, 0),
      .v_pos_stride = d->kv_dim,
      .v_head_stride = hd,
      .out = d->attn,
      .out_token_stride = d->q_dim,
      .out_head_stride = hd,
      .scale = sp->attention_scale > 0 ? sp->attention_scale : 1.0f / sqrtf((float)hd),
      .window = window,
      .softcap = sp->attn_softcap,
      .sinks = d->layers[layer].sinks,
      .chunk = d->layers[layer].chunk,
      .scratch = d->attention_scratch,
      .scratch_size = d->attention_scratch_size};
  return a;
}

/* x = c tanh(x / c) over n values. */
static void softcap(float *x, size_t n, float c) {
  for (size_t i = 0; i < n; i++) x[i] = c * tanhf(x[i] / c);
}

/* One layer on n tokens.  On entry xn[n][d] is rmsnorm(x) with this
 * layer's input norm; on exit x has both residuals added and xn is x
 * normalised with next_norm (the next layer's input norm, or the final). */
static void layer_forward(pio_decoder *d, uint32_t l, uint32_t start, uint32_t n,
                          const float *next_norm) {
  const pio_decoder_spec *sp = &d->spec;
  const decoder_layer *L = &d->layers[l];
  const float eps = (float)sp->rms_norm_eps;
  const size_t dm = sp->d_model;
  const unsigned flags = sp->norm_flags;
  const pio_kernel_path path = pio_kernel_plan_path(&d->plan, n);
  pio_matmul(d->pool, path, &L->qkv, d->xn, n, d->qkv); /* qkv[n][qkv_dim] */
  if (L->qkv_bias != NULL) add_bias(d->qkv, d->qkv_dim, L->qkv_bias, n, d->qkv_dim);
  prepare_qkv(d, L, l, start, n);
  const pio_attention_args attention = decoder_attention_args(d, l, L->window, start, n);
  pio_attention(d->pool, &attention);                    /* attn[n][n_heads head_dim] */
  pio_matmul(d->pool, path, &L->o, d->attn, n, d->proj); /* proj[n][d] */
  if (L->o_bias != NULL) add_bias(d->proj, dm, L->o_bias, n, dm);
  if (L->post_attn_norm != NULL)
    pio_rmsnorm(d->proj, L->post_attn_norm, n, dm, eps, flags, d->proj);
  pio_rmsnorm_residual(d->x, d->proj, L->mlp_norm, n, dm, eps, flags, d->xn);
  if (L->moe)
    decoder_moe_step(d, L, n); /* proj[n][d] */
  else
    decoder_ffn_run(d, &L->mlp, d->xn, n, path, d->hidden, d->proj); /* proj[n][d] */
  if (L->post_mlp_norm != NULL) pio_rmsnorm(d->proj, L->post_mlp_norm, n, dm, eps, flags, d->proj);
  pio_rmsnorm_residual(d->x, d->proj, next_norm, n, dm, eps, flags, d->xn);
}

void decoder_run_chunk(void *decoder, const int32_t *tokens, uint32_t n, float *logits,
                       int all_logits, int last_chunk) {
  pio_decoder *d = decoder;
  const pio_decoder_spec *sp = &d->spec;
  const uint32_t start = d->position;
  pio_embed_rows(&d->embed, tokens, n, d->x); /* x[n][d] */
  if (sp->embed_scale > 0)
    for (size_t i = 0; i < (size_t)n * sp->d_model; i++) d->x[i] *= sp->embed_scale;
  pio_rmsnorm(d->x, d->layers[0].attn_norm, n, sp->d_model, (float)sp->rms_norm_eps, sp->norm_flags,
              d->xn);
  for (uint32_t l = 0; l < sp->n_layers; l++)
    layer_forward(d, l, start, n,
                  l + 1 < sp->n_layers ? d->layers[l + 1].attn_norm : d->final_norm);
  d->position = start + n;
  /* logits[rows][vocab]: every token's, or the last one's */
  const uint32_t rows = all_logits ? n : last_chunk ? 1 : 0;
  if (rows == 0) return;
  pio_matmul(d->pool, pio_kernel_plan_path(&d->plan, rows), &d->lm_head,
             d->xn + (size_t)(n - rows) * sp->d_model, rows, logits);
  if (sp->final_softcap > 0) softcap(logits, (size_t)rows * sp->vocab_size, sp->final_softcap);
}

pio_status pio_decoder_forward(pio_decoder *d, const int32_t *tokens, uint32_t n_tokens,
                               float *logits, int all_logits, pio_error *err) {
  if (d == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: model is NULL");
  pio_status s = pio_forward_check(tokens, n_tokens, logits, d->spec.vocab_size, d->position,
                                   d->max_context, err);
  if (s != PIO_OK) return s;
  pio_forward_chunks(d, decoder_run_chunk, tokens, n_tokens, d->chunk, d->spec.vocab_size, logits,
                     all_logits);
  return PIO_OK;
}

void pio_decoder_reset(pio_decoder *d) {
  if (d != NULL) d->position = 0;
}
