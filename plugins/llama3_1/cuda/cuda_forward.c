/* cuda/cuda_forward.c — the forward pass on the device.  A single token is
 * the decode step's graph (cuda_decode.c); a longer input runs as prefill,
 * a chunk at a time: embedding, then per layer RMSNorm, qkv (cuBLASLt),
 * RoPE and the cache write, tiled attention, o_proj into the residual,
 * RMSNorm, gate/up, SwiGLU, down into the residual; the final norm and
 * lm_head for the rows whose logits are wanted.  d = hidden_size. */
#include <stdlib.h>

#include "cuda/cuda_model.h"
#include "cuda/cuda_status.h"
#include "pio/forward.h"

#define CUDA(call, what) lc_cuda_check((call), err, "%s", what)

static pio_status layer_prefill(pio_model *m, uint32_t l, uint32_t start, uint32_t n,
                                pio_error *err) {
  const pio_model_config *c = m->config;
  const lc_layer *L = &m->w.layers[l];
  lc_prefill_buffers *p = &m->pre;
  const uint32_t d = c->hidden_size, ff = c->intermediate_size;
  const uint32_t hd = c->n_heads * c->head_dim;
  const float eps = (float)c->rms_norm_eps;
  const size_t layer_cache = (size_t)c->n_kv_heads * m->max_context * c->head_dim;
  uint16_t *k = m->k_cache + l * layer_cache, *v = m->v_cache + l * layer_cache;
  pio_status s = CUDA(lc_rmsnorm_rows(m->stream, p->x, d, n, d, L->attn_norm, eps, p->xn),
                      "input_layernorm");
  if (s == PIO_OK) /* qkv[n][qkv_dim] */
    s = lc_gemm_run(&m->gemm, m->stream, L->qkv, m->qkv_dim, d, p->xn, n, p->qkv, 0, err);
  if (s == PIO_OK)
    s = CUDA(lc_rope_store_rows(m->stream, p->qkv, n, start, c->n_heads, c->n_kv_heads,
                                c->head_dim, m->max_context, m->rope_cos, m->rope_sin, p->q, k,
                                v),
             "RoPE and cache write");
  if (s == PIO_OK) /* attn[n][H D] */
    s = CUDA(lc_prefill_attention(m->stream, p->q, k, v, n, start, c->n_heads, c->n_kv_heads,
                                  c->head_dim, m->max_context, p->attn),
             "attention");
  if (s == PIO_OK) /* x[n][d] += attn . o^T */
    s = lc_gemm_run(&m->gemm, m->stream, L->o, d, hd, p->attn, n, p->x, 1, err);
  if (s == PIO_OK)
    s = CUDA(lc_rmsnorm_rows(m->stream, p->x, d, n, d, L->mlp_norm, eps, p->xn),
             "post_attention_layernorm");
  if (s == PIO_OK) /* gate_up[n][2 ff] */
    s = lc_gemm_run(&m->gemm, m->stream, L->gate_up, 2 * ff, d, p->xn, n, p->gate_up, 0, err);
  if (s == PIO_OK) s = CUDA(lc_silu_mul_rows(m->stream, p->gate_up, n, ff, p->h), "SwiGLU");
  if (s == PIO_OK) /* x[n][d] += h . down^T */
    s = lc_gemm_run(&m->gemm, m->stream, L->down, d, ff, p->h, n, p->x, 1, err);
  return s != PIO_OK ? pio_error_prefix(err, "prefill layer %u", l) : PIO_OK;
}

/* Room for rows logit rows. */
static pio_status logit_rows(pio_model *m, uint32_t rows, pio_error *err) {
  lc_prefill_buffers *p = &m->pre;
  if (rows <= p->logit_rows) return PIO_OK;
  cudaFree(p->logits);
  p->logits = NULL;
  p->logit_rows = 0;
  const size_t bytes = (size_t)rows * m->config->vocab_size * sizeof(float);
  pio_status s = lc_cuda_check(cudaMalloc((void **)&p->logits, bytes), err,
                               "logits of %u tokens: %zu bytes of device memory", rows, bytes);
  if (s == PIO_OK) p->logit_rows = rows;
  return s;
}

/* The final norm and lm_head for the last `rows` of the chunk's n, into
 * logits[rows][vocab] (host, may be NULL) and, when next is not NULL, the
 * argmax of the last row into *next. */
static pio_status head(pio_model *m, uint32_t n, uint32_t rows, float *logits, int32_t *next,
                       pio_error *err) {
  const pio_model_config *c = m->config;
  lc_prefill_buffers *p = &m->pre;
  const uint32_t d = c->hidden_size, vocab = c->vocab_size;
  pio_status s = logit_rows(m, rows, err);
  if (s == PIO_OK)
    s = CUDA(lc_rmsnorm_rows(m->stream, p->x + (size_t)(n - rows) * d, d, rows, d,
                             m->w.final_norm, (float)c->rms_norm_eps, p->xn),
             "final norm");
  if (s == PIO_OK) /* logits[rows][vocab] */
    s = lc_gemm_run(&m->gemm, m->stream, m->w.lm_head, vocab, d, p->xn, rows, p->logits, 0, err);
  if (s == PIO_OK && next != NULL)
    s = CUDA(lc_argmax(m->stream, p->logits + (size_t)(rows - 1) * vocab, vocab, m->dec.next),
             "argmax");
  if (s == PIO_OK && next != NULL)
    s = CUDA(cudaMemcpyAsync(m->dec.host_next, m->dec.next, sizeof(int32_t),
                             cudaMemcpyDeviceToHost, m->stream),
             "copying the token");
  if (s == PIO_OK && logits != NULL)
    s = CUDA(cudaMemcpyAsync(logits, p->logits, (size_t)rows * vocab * sizeof *logits,
                             cudaMemcpyDeviceToHost, m->stream),
             "copying logits");
  return s;
}

/* n <= chunk tokens at the current position.  want_rows: logit rows
 * wanted (0, 1 for the last token, or n). */
static pio_status prefill_chunk(pio_model *m, const int32_t *tokens, uint32_t n,
                                uint32_t want_rows, float *logits, int32_t *next,
                                pio_error *err) {
  const pio_model_config *c = m->config;
  lc_prefill_buffers *p = &m->pre;
  const uint32_t start = m->position;
  pio_status s = CUDA(cudaMemcpyAsync(p->tokens, tokens, (size_t)n * sizeof *tokens,
                                      cudaMemcpyHostToDevice, m->stream),
                      "copying tokens");
  if (s == PIO_OK)
    s = CUDA(lc_embed_rows(m->stream, p->tokens, n, m->w.embed, c->hidden_size, p->x),
             "embedding");
  for (uint32_t l = 0; s == PIO_OK && l < c->n_layers; l++) s = layer_prefill(m, l, start, n, err);
  if (s == PIO_OK && (want_rows > 0 || next != NULL))
    s = head(m, n, want_rows > 0 ? want_rows : 1, logits, next, err);
  if (s == PIO_OK) s = CUDA(cudaStreamSynchronize(m->stream), "prefill");
  if (s != PIO_OK) return s;
  if (next != NULL) *next = *m->dec.host_next;
  m->position = start + n;
  return PIO_OK;
}

/* Runs tokens[n]; logits as pio_model_api.forward says (may be NULL), and
 * the argmax of the last token's logits into *next (may be NULL). */
static pio_status run(pio_model *m, const int32_t *tokens, uint32_t n, float *logits,
                      int all_logits, int32_t *next, pio_error *err) {
  pio_status s = CUDA(cudaSetDevice(m->device), "cudaSetDevice");
  if (s != PIO_OK) return s;
  if (n == 1) return lc_decode_step(m, tokens[0], logits, next, err);
  const size_t vocab = m->config->vocab_size;
  for (uint32_t done = 0; done < n && s == PIO_OK;) {
    const uint32_t k = n - done < m->chunk ? n - done : m->chunk;
    const int last = done + k == n;
    const uint32_t rows = all_logits ? k : (last && logits != NULL ? 1 : 0);
    float *out = logits == NULL ? NULL : all_logits ? logits + done * vocab : logits;
    s = prefill_chunk(m, tokens + done, k, rows, rows ? out : NULL, last ? next : NULL, err);
    done += k;
  }
  return s;
}

/* The checks of every forward (pio_forward_check); out is the logits, or
 * the next token's slot for forward_argmax. */
static pio_status guard(pio_model *m, const int32_t *tokens, uint32_t n, const void *out,
                        pio_error *err) {
  if (m == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: model, tokens or output "
                         "is NULL");
  if (m->failed)
    return pio_error_set(err, PIO_ERR_INTERNAL, "forward: an earlier CUDA error left this "
                         "model unusable; destroy it");
  static const float present = 0.0f; /* out was checked above, whatever its type */
  return pio_forward_check(tokens, n, &present, m->config->vocab_size, m->position,
                           m->max_context, err);
}

pio_status lc_model_forward(pio_model *m, const int32_t *tokens, uint32_t n_tokens,
                            float *logits, int all_logits, pio_error *err) {
  pio_status s = guard(m, tokens, n_tokens, logits, err);
  if (s != PIO_OK) return s;
  s = run(m, tokens, n_tokens, logits, all_logits, NULL, err);
  if (s != PIO_OK) m->failed = 1;
  return s;
}

pio_status lc_model_forward_argmax(pio_model *m, const int32_t *tokens, uint32_t n_tokens,
                                   int32_t *next_token, pio_error *err) {
  pio_status s = guard(m, tokens, n_tokens, next_token, err);
  if (s != PIO_OK) return s;
  s = run(m, tokens, n_tokens, NULL, 0, next_token, err);
  if (s != PIO_OK) m->failed = 1;
  return s;
}
