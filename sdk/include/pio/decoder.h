/*
 * pio/decoder.h — a whole model instance for every family whose layer is a
 * Llama layer with options: RMSNorm; q, k and v projections (with biases
 * or not; q and k normalised per head or not); RoPE; causal grouped-query
 * attention over every position or a sliding window, with sink logits or
 * not; the o projection (with a bias or not); RMSNorm; and a gated MLP or
 * a softmax top-k mixture of gated experts (biased or not).  Llama 3,
 * Qwen2, Qwen3, Qwen3-MoE, Mistral, Mixtral, Gemma 2 and 3 and GPT-OSS are
 * all one pio_decoder_spec: a family's model component says
 * what its layers are and what its tensors are called, and the SDK owns
 * the weights (pio/weights.h), the KV cache, the scratch and the pass.
 */
#ifndef PIO_DECODER_H
#define PIO_DECODER_H

#include <stdint.h>

#include "pio/hf_config.h"
#include "pio/moe.h"
#include "pio/plugin.h"
#include "pio/rope.h"
#include "pio/status.h"
#include "pio/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The Hugging Face names of a family's tensors: printf patterns, a layer's
 * taking the layer index (%u) and an expert's the layer and the expert
 * (%u twice).  NULL for a tensor the spec does not use.
 */
typedef struct pio_decoder_names {
  const char *embed;                /* "model.embed_tokens.weight" (model.norm.weight and
                                       lm_head.weight: pio_weights_output_head) */
  /* input_layernorm, and post_attention_layernorm: the MLP's input norm,
   * or with sandwich norms (Gemma) the attention output's. */
  const char *attn_norm, *post_attention_norm;
  const char *q, *k, *v, *o;        /* projections' weights */
  const char *q_bias, *k_bias, *v_bias, *o_bias;
  const char *q_norm, *k_norm;  /* per-head RMSNorm weights [head_dim] */
  const char *gate, *up, *down; /* a dense layer's SwiGLU */
  const char *router;           /* an MoE layer's router [n_experts][d] */
  const char *expert_gate, *expert_up, *expert_down;
  /* With sandwich norms: pre_feedforward_layernorm (the MLP's input) and
   * post_feedforward_layernorm (its output's). */
  const char *pre_feedforward_norm, *post_feedforward_norm;
  /* GPT-OSS's (each used when named): a sink logit per head [n_heads]; the
   * router's bias [n_experts]; the experts fused into one tensor each
   * (pio_weights_experts: gate_up [n_experts][d][2 d_expert] in
   * spec.experts_order, down [n_experts][d_expert][d]) with their biases
   * [n_experts][2 d_expert] and [n_experts][d], in place of expert_gate,
   * expert_up and expert_down. */
  const char *sinks, *router_bias;
  const char *experts_gate_up, *experts_gate_up_bias, *experts_down, *experts_down_bias;
  /* Llama 4's shared expert beside the routed ones (used when named):
   * SwiGLU [spec.d_shared][d] gate and up, [d][d_shared] down. */
  const char *shared_gate, *shared_up, *shared_down;
} pio_decoder_names;

/* The MLP's gate activation. */
typedef enum pio_decoder_activation {
  PIO_DECODER_SILU = 0,     /* SwiGLU: silu(gate) * up */
  PIO_DECODER_GELU_TANH = 1, /* GeGLU with gelu_pytorch_tanh (Gemma) */
  /* GPT-OSS's: g = min(gate, limit), u = clamp(up, -limit, limit),
   * (u + 1) g sigmoid(alpha g) */
  PIO_DECODER_SWIGLU_CLAMPED = 2
} pio_decoder_activation;

/* The names of LlamaForCausalLM, which Llama, Mistral, Qwen2 and Qwen3
 * share, as designated initialisers: a family adds its own after them
 * ({PIO_DECODER_LLAMA_NAMES, .router = "..."}). */
#define PIO_DECODER_LLAMA_NAMES                                                                   \
  PIO_DECODER_LLAMA_ATTENTION_NAMES, .gate = "model.layers.%u.mlp.gate_proj.weight",              \
  .up = "model.layers.%u.mlp.up_proj.weight", .down = "model.layers.%u.mlp.down_proj.weight"

/* The same without the MLP's (a family naming its own). */
#define PIO_DECODER_LLAMA_ATTENTION_NAMES                                                         \
  .embed = "model.embed_tokens.weight", .attn_norm = "model.layers.%u.input_layernorm.weight",    \
  .post_attention_norm = "model.layers.%u.post_attention_layernorm.weight",                       \
  .q = "model.layers.%u.self_attn.q_proj.weight", .k = "model.layers.%u.self_attn.k_proj.weight", \
  .v = "model.layers.%u.self_attn.v_proj.weight", .o = "model.layers.%u.self_attn.o_proj.weight", \
  .q_bias = "model.layers.%u.self_attn.q_proj.bias",                                              \
  .k_bias = "model.layers.%u.self_attn.k_proj.bias",                                              \
  .v_bias = "model.layers.%u.self_attn.v_proj.bias",                                              \
  .o_bias = "model.layers.%u.self_attn.o_proj.bias",                                              \
  .q_norm = "model.layers.%u.self_attn.q_norm.weight",                                            \
  .k_norm = "model.layers.%u.self_attn.k_norm.weight"

/* What a family's config says of its layers.  window and moe_layer are
 * read during pio_decoder_create only; architecture and names must outlive
 * the instance (a plugin's static data). */
typedef struct pio_decoder_spec {
  const char *architecture; /* for messages */
  uint32_t n_layers, d_model, n_heads, n_kv_heads, head_dim, vocab_size, max_position;
  uint32_t d_ff; /* a dense layer's SwiGLU width */
  double rms_norm_eps;
  int tie_word_embeddings; /* lm_head is the embedding */
  int qkv_bias, o_bias;    /* the projections have biases */
  int qk_norm;             /* q and k heads go through their RMSNorm before RoPE */
  pio_rope_params rope;
  const uint32_t *window; /* [n_layers]: tokens a layer attends to, 0 all; NULL: all */
  /* Experts: layer l is MoE when moe_layer[l] (NULL: none is). */
  const uint8_t *moe_layer;
  uint32_t n_experts, n_experts_per_token, d_expert;
  int norm_topk_prob; /* the k chosen weights renormalised to sum 1 */
  const pio_decoder_names *names;
  /* Gemma's differences (all zero for Llama-like families): */
  unsigned norm_flags;       /* pio/norm.h flags of every RMSNorm (PIO_NORM_WEIGHT_PLUS_ONE) */
  int sandwich_norms;        /* each sublayer's output normalised before its residual */
  pio_decoder_activation activation;
  float embed_scale;         /* embeddings multiplied by it (0: 1) */
  float attention_scale;     /* logit = scale * q.k (0: 1 / sqrt(head_dim)) */
  float attn_softcap, final_softcap; /* c tanh(x / c) of attention and output logits; 0 none */
  int local_rope;            /* windowed layers rotate with rope_local (Gemma 3) */
  pio_rope_params rope_local;
  /* GPT-OSS's differences (zero for the others): */
  float swiglu_limit, swiglu_alpha; /* of PIO_DECODER_SWIGLU_CLAMPED */
  pio_moe_scoring router_scoring;   /* PIO_MOE_SCORE_SOFTMAX (0) or _SOFTMAX_CHOSEN */
  pio_experts_order experts_order;  /* of names->experts_gate_up */
  /* Llama 4's (zero or NULL for the others; arrays read during create): */
  const uint8_t *rope_layer; /* [n_layers]: 0 for a NoPE layer; NULL: every layer rotates */
  const uint32_t *chunk;     /* [n_layers]: tokens per attention chunk, 0 none; NULL: none */
  int qk_l2_norm;            /* q and k heads of rotating layers RMS-normalised, no weights */
  /* NoPE layers' queries at position p times log(floor((p + 1) / floor)
   * + 1) * scale + 1 (attn_temperature_tuning); floor 0: none. */
  float attn_temperature_floor, attn_temperature_scale;
  int expert_input_weighted; /* the router's weight scales an expert's input, not output */
  uint32_t d_shared;         /* the shared expert's width */
  /* Tensors of the files the model may leave unread: non-zero for those;
   * ctx is this spec.  NULL: pio_decoder_ignorable. */
  int (*ignorable)(const char *name, const void *ctx);
  uint64_t n_params; /* for stats */
} pio_decoder_spec;

/* A spec with the shape config.json states (layers, widths, heads,
 * vocabulary, positions, d_ff = intermediate_size, norm epsilon, tied
 * embeddings, RoPE) and architecture; the rest zero, for the family to
 * set. */
pio_decoder_spec pio_decoder_spec_from_hf(const pio_hf_decoder *d, const char *architecture);

/* What Transformers itself lets pass when loading such a checkpoint:
 * "*.rotary_emb.inv_freq" buffers. */
int pio_decoder_ignorable(const char *name, const void *spec);

typedef struct pio_decoder pio_decoder;

/*
 * Builds an instance: weights from opts (files by their names, each with
 * its exact shape, every tensor of the files used; or synthetic), the
 * rotary tables, a KV cache of max_context tokens (f32, every position of
 * every layer), and scratch for one chunk.  *out owned by the caller
 * (pio_decoder_destroy).  Errors name the tensor, file or option.
 */
pio_status pio_decoder_create(const pio_decoder_spec *spec, const pio_model_options *opts,
                              pio_decoder **out, pio_error *err);
void pio_decoder_destroy(pio_decoder *decoder);

/* pio_model_api.forward, .reset and .stats for the instance. */
pio_status pio_decoder_forward(pio_decoder *decoder, const int32_t *tokens, uint32_t n_tokens,
                               float *logits, int all_logits, pio_error *err);
void pio_decoder_reset(pio_decoder *decoder);
pio_status pio_decoder_stats(const pio_decoder *decoder, pio_model_stats *out, pio_error *err);

/*
 * A plugin whose model is a pio_decoder hands it out as its pio_model (its
 * create returns (pio_model *)decoder) and takes these for the rest of its
 * pio_model_api.
 */
void pio_decoder_model_destroy(pio_model *model);
pio_status pio_decoder_model_forward(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                                     float *logits, int all_logits, pio_error *err);
void pio_decoder_model_reset(pio_model *model);
pio_status pio_decoder_model_stats(const pio_model *model, pio_model_stats *out, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
