/* cuda/cuda_decode.c — the decode step as one CUDA graph: the step's token
 * and position copied in, five kernels a layer (qkv + RoPE + KV write,
 * attention, o_proj + residual, gate/up + SwiGLU, down + residual), lm_head
 * with its argmax, and the chosen token copied out.  Kernels are chained
 * with programmatic dependent launch, so each starts streaming its
 * weights while the one before finishes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_model.h"
#include "cuda/cuda_status.h"

lc_decode_tuning lc_decode_tuning_default(const pio_model *m) {
  /* Measured on an H200 (docs/cuda.md, pio-cuda-tune, session 8): up to 32
   * splits of the context of at least 8 positions each (shorter ranges
   * cost more to merge than they save; 8 splits are faster at a 128-token
   * context and far slower at 1024).  llama-3.2-1b shapes (hidden 2048):
   * two GEMV blocks a multiprocessor with the deepest rings that leaves
   * room for, down_proj (whose d/2 units fill one block a multiprocessor)
   * one block with 4 stages: 814.8 us a step against 826.0.  llama-3.1-8b
   * shapes (hidden 4096): one block with 4 stages for every GEMV, 4055 us
   * against 4137; giving any one GEMV two blocks back was slower.  The
   * attention kernel built for 512 threads (no spills; session 11, H100):
   * 8B 5290.7 us a step against 5357.5, 1B 1016.4 against 1017.8. */
  const int wide = m != NULL && m->config != NULL && m->config->hidden_size >= 4096;
  lc_decode_tuning t = {.pdl = 1, .blocks_per_sm = wide ? 1 : 2, .stages = wide ? 4 : 8,
                        .attn_splits = 32, .attn_min_positions = 8, .attn_bound = 512};
  if (!wide) {
    t.kind_blocks_per_sm[LC_GEMV_DOWN] = 1;
    t.kind_stages[LC_GEMV_DOWN] = 4;
  }
  /* PIO_CUDA_DECODE (lc_decode_tuning_parse's form): another setting for
   * this process, for measuring (pio-bench, the tests); lc_decode_capture
   * checks its ranges.  Text of another form is a setting capture refuses,
   * so a mistyped measurement fails instead of timing the default. */
  const char *env = getenv("PIO_CUDA_DECODE");
  if (env != NULL && env[0] != '\0') {
    const char *end = lc_decode_tuning_parse(env, &t);
    if (end == NULL || *end != '\0') t.stages = 0;
    else if (t.probe != 0)
      fprintf(stderr, "PIO_CUDA_DECODE=%s: probe !%u is for timing only; the logits are "
              "wrong\n", env, t.probe);
  }
  return t;
}

const char *lc_decode_tuning_parse(const char *text, lc_decode_tuning *out) {
  lc_decode_tuning t;
  memset(&t, 0, sizeof t);
  int used = 0;
  if (sscanf(text, "%d,%u,%u,%u,%u%n", &t.pdl, &t.blocks_per_sm, &t.stages, &t.attn_splits,
             &t.attn_min_positions, &used) != 5)
    return NULL;
  text += used;
  /* Optional sixth and seventh fields: attn_block_splits, attn_bound. */
  if (*text == ',') {
    if (sscanf(text, ",%u%n", &t.attn_block_splits, &used) != 1) return NULL;
    text += used;
    if (*text == ',') {
      if (sscanf(text, ",%u%n", &t.attn_bound, &used) != 1) return NULL;
      text += used;
    }
  }
  while (*text == '/') {
    unsigned kind = 0, blocks = 0, stages = 0;
    if (sscanf(text, "/%u:%u:%u%n", &kind, &blocks, &stages, &used) != 3 ||
        kind >= LC_GEMV_KINDS)
      return NULL;
    t.kind_blocks_per_sm[kind] = blocks;
    t.kind_stages[kind] = stages;
    text += used;
  }
  if (*text == '!') { /* timing probes (LC_PROBE_*) */
    if (sscanf(text, "!%u%n", &t.probe, &used) != 1) return NULL;
    text += used;
  }
  *out = t;
  return text;
}

/* t with kind's own GEMV settings, where it has them. */
static lc_decode_tuning for_kind(const lc_decode_tuning *t, lc_gemv_kind kind) {
  lc_decode_tuning k = *t;
  if (t->kind_blocks_per_sm[kind] != 0) k.blocks_per_sm = t->kind_blocks_per_sm[kind];
  if (t->kind_stages[kind] != 0) k.stages = t->kind_stages[kind];
  return k;
}

static lc_gemv_input input_copy(const uint16_t *x_bf16) {
  lc_gemv_input in = {.mode = LC_INPUT_COPY, .x_bf16 = x_bf16};
  return in;
}

static lc_gemv_input input_norm(const float *x, const float *norm, float eps) {
  lc_gemv_input in = {.mode = LC_INPUT_NORM, .x = x, .norm = norm, .eps = eps};
  return in;
}

/* Enqueues one step's kernels on the (capturing) stream. */
static cudaError_t enqueue_kernels(pio_model *m, const lc_decode_tuning *t) {
  const pio_model_config *c = m->config;
  const lc_decode_buffers *b = &m->dec;
  const uint32_t d = c->hidden_size, hd = c->n_heads * c->head_dim, ff = c->intermediate_size;
  const float eps = (float)c->rms_norm_eps;
  const size_t layer_cache = (size_t)c->n_kv_heads * m->max_context * c->head_dim;
  const lc_device dev = {.sm_count = m->sm_count, .smem_per_block = m->smem_per_block};
  cudaError_t e = cudaSuccess;
  for (uint32_t l = 0; l < c->n_layers && e == cudaSuccess; l++) {
    const lc_layer *L = &m->w.layers[l];
    uint16_t *k = m->k_cache + l * layer_cache, *v = m->v_cache + l * layer_cache;
    const uint32_t probe = t->probe;
    /* LC_PROBE_NO_NORM: a stale bf16 vector of at least d in place of the norms. */
    lc_gemv_input in = probe & LC_PROBE_NO_NORM && l > 0 ? input_copy(b->h)
                                                : input_norm(b->x, L->attn_norm, eps);
    lc_decode_tuning first = for_kind(t, LC_GEMV_QKV);
    const lc_decode_tuning o = for_kind(t, LC_GEMV_O), gate_up = for_kind(t, LC_GEMV_GATE_UP),
                           down = for_kind(t, LC_GEMV_DOWN);
    if (l == 0) {
      /* Layer 0 reads the embedding row of the step's token; block 0 also
       * stores it as the residual.  It follows a copy, not a kernel. */
      in.mode = LC_INPUT_EMBED_NORM;
      in.embed = m->w.embed;
      in.step = b->step;
      in.x_out = b->x;
      first.pdl = 0;
    }
    e = lc_decode_qkv(m->stream, &first, &dev, L->qkv, d, &in, c->n_heads,
                      c->n_kv_heads, c->head_dim, m->max_context, m->rope_cos, m->rope_sin,
                      b->step, b->q, k, v);
    if (e == cudaSuccess && !(probe & LC_PROBE_NO_ATTENTION))
      e = lc_decode_attention(m->stream, t, b->q, k, v, c->n_heads, c->n_kv_heads, c->head_dim,
                              m->max_context, b->step, b->attn_partial, b->counters, b->attn);
    in = input_copy(b->attn);
    in.no_wait = (probe & LC_PROBE_O_NO_WAIT) != 0;
    if (e == cudaSuccess)
      e = lc_decode_residual(m->stream, &o, &dev, L->o, d, hd, &in, b->x);
    in = probe & LC_PROBE_NO_NORM ? input_copy(b->h) : input_norm(b->x, L->mlp_norm, eps);
    if (e == cudaSuccess)
      e = lc_decode_swiglu(m->stream, &gate_up, &dev, L->gate_up, ff, d, &in, b->h);
    in = input_copy(b->h);
    if (e == cudaSuccess)
      e = lc_decode_residual(m->stream, &down, &dev, L->down, d, ff, &in, b->x);
  }
  lc_gemv_input in = input_norm(b->x, m->w.final_norm, eps);
  const lc_decode_tuning head = for_kind(t, LC_GEMV_LM_HEAD);
  if (e == cudaSuccess)
    e = lc_decode_lm_head(m->stream, &head, &dev, m->w.lm_head, c->vocab_size, d, &in,
                          b->logits, b->next, b->lm_value, b->lm_index,
                          b->counters + c->n_kv_heads);
  return e;
}

static cudaError_t record(pio_model *m, const lc_decode_tuning *t, cudaGraph_t *graph) {
  const lc_decode_buffers *b = &m->dec;
  cudaError_t e = cudaStreamBeginCapture(m->stream, cudaStreamCaptureModeThreadLocal);
  if (e != cudaSuccess) return e;
  e = cudaMemcpyAsync(b->step, b->host_step, sizeof *b->step, cudaMemcpyHostToDevice, m->stream);
  if (e == cudaSuccess) e = enqueue_kernels(m, t);
  if (e == cudaSuccess)
    e = cudaMemcpyAsync(b->host_next, b->next, sizeof *b->host_next, cudaMemcpyDeviceToHost,
                        m->stream);
  /* End the capture whatever happened, so the stream is usable again. */
  const cudaError_t end = cudaStreamEndCapture(m->stream, graph);
  return e != cudaSuccess ? e : end;
}

pio_status lc_decode_capture(pio_model *m, const lc_decode_tuning *t, pio_error *err) {
  for (int k = 0; k < LC_GEMV_KINDS; k++)
    if (t->kind_blocks_per_sm[k] > 2 ||
        (t->kind_stages[k] != 0 && (t->kind_stages[k] < 2 ||
                                    t->kind_stages[k] > lc_gemv_max_stages())))
      return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "decode tuning (PIO_CUDA_DECODE "
                           "where set): GEMV %d: blocks_per_sm %u (0-2) or stages %u (0, "
                           "2-%u) out of range", k,
                           t->kind_blocks_per_sm[k], t->kind_stages[k], lc_gemv_max_stages());
  if (t->blocks_per_sm < 1 || t->blocks_per_sm > 2 || t->attn_splits < 1 ||
      t->attn_splits > 32 || t->stages < 2 || t->stages > lc_gemv_max_stages() ||
      t->attn_min_positions < 1 || t->attn_min_positions > 1024)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "decode tuning (PIO_CUDA_DECODE "
                         "where set): blocks_per_sm %u (1-2), attn_splits %u (1-32), stages "
                         "%u (2-%u) or attn_min_positions %u (1-1024) out of range",
                         t->blocks_per_sm, t->attn_splits, t->stages, lc_gemv_max_stages(),
                         t->attn_min_positions);
  const uint32_t group = m->config->n_kv_heads ? m->config->n_heads / m->config->n_kv_heads : 0;
  const uint32_t S = t->attn_block_splits ? t->attn_block_splits : 1;
  if (t->attn_splits % S != 0 || S * group > 32 ||
      (t->attn_bound != 0 && t->attn_bound != 512 && t->attn_bound != 1024) ||
      (t->probe & ~(uint32_t)LC_PROBES) != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "decode tuning (PIO_CUDA_DECODE "
                         "where set): attn_block_splits %u (must divide attn_splits %u, and "
                         "x %u query heads a KV head at most 32), attn_bound %u (0, 512, 1024) "
                         "or probe %u (bits of %u) out of range", t->attn_block_splits,
                         t->attn_splits, group, t->attn_bound, t->probe, (unsigned)LC_PROBES);
  if (m->step_graph != NULL) {
    cudaGraphExecDestroy(m->step_graph);
    m->step_graph = NULL;
  }
  cudaGraph_t graph = NULL;
  cudaError_t e = record(m, t, &graph);
  if (e == cudaSuccess) e = cudaGraphInstantiate(&m->step_graph, graph, 0);
  if (graph != NULL) cudaGraphDestroy(graph);
  if (e != cudaSuccess) {
    (void)cudaGetLastError(); /* a failed capture is not sticky; clear it */
    m->step_graph = NULL;
    return lc_cuda_check(e, err, "capturing the decode step (PDL %s)", t->pdl ? "on" : "off");
  }
  m->tuning = *t;
  return PIO_OK;
}

pio_status lc_decode_step(pio_model *m, int32_t token, float *logits, int32_t *next,
                          pio_error *err) {
  const pio_model_config *c = m->config;
  m->dec.host_step->token = token;
  m->dec.host_step->pos = m->position;
  pio_status s = lc_cuda_check(cudaGraphLaunch(m->step_graph, m->stream), err,
                               "launching the decode step");
  if (s == PIO_OK && logits != NULL)
    s = lc_cuda_check(cudaMemcpyAsync(logits, m->dec.logits, (size_t)c->vocab_size * sizeof *logits,
                                      cudaMemcpyDeviceToHost, m->stream),
                      err, "copying logits");
  if (s == PIO_OK)
    s = lc_cuda_check(cudaStreamSynchronize(m->stream), err, "decode step at position %u",
                      m->position);
  if (s != PIO_OK) return s;
  if (next != NULL) *next = *m->dec.host_next;
  m->position++;
  return PIO_OK;
}
