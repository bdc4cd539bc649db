/* config/deepseek_config.h — the typed, validated form of a Hugging Face
 * DeepseekV3ForCausalLM config.json (DeepSeek-V3, DeepSeek-R1): multi-head
 * latent attention (MLA) and the mixture of experts (MoE), with limits that
 * keep hostile values out of every byte and parameter count. */
#ifndef PIO_DEEPSEEK_R1_CONFIG_H
#define PIO_DEEPSEEK_R1_CONFIG_H

#include <stdint.h>

#include "pio/plugin.h"
#include "pio/rope.h"

#define DEEPSEEK_ARCHITECTURE "DeepseekV3ForCausalLM"

/* Largest values accepted: generous next to DeepSeek-V3 (61 layers, 7168
 * hidden, 18432 intermediate, 128 heads, 256 experts, 129280 vocabulary,
 * 163840 positions) while every product the plugin forms stays in 64 bits. */
#define DEEPSEEK_MAX_HIDDEN 65536u
#define DEEPSEEK_MAX_INTERMEDIATE 1048576u
#define DEEPSEEK_MAX_LAYERS 1024u
#define DEEPSEEK_MAX_HEADS 1024u
#define DEEPSEEK_MAX_HEAD_DIM 4096u
#define DEEPSEEK_MAX_RANK 65536u
#define DEEPSEEK_MAX_EXPERTS 4096u
#define DEEPSEEK_MAX_VOCAB 4194304u
#define DEEPSEEK_MAX_POSITIONS 16777216u
#define DEEPSEEK_CONFIG_MAX_BYTES (1u << 20)
#define DEEPSEEK_CONFIG_MAX_DEPTH 16

/* scoring_func: how the router turns logits into expert scores. */
typedef enum deepseek_scoring {
  DEEPSEEK_SCORING_SOFTMAX = 0, /* DeepSeek-V2 */
  DEEPSEEK_SCORING_SIGMOID = 1  /* DeepSeek-V3 */
} deepseek_scoring;

/* topk_method: how a token's experts are chosen from the scores. */
typedef enum deepseek_topk_method {
  DEEPSEEK_TOPK_GREEDY = 0,               /* the best num_experts_per_tok (groups unused) */
  DEEPSEEK_TOPK_GROUP_LIMITED_GREEDY = 1, /* within the topk_group groups of best expert */
  DEEPSEEK_TOPK_NOAUX_TC = 2              /* biased scores, groups ranked by their best two */
} deepseek_topk_method;

/* The opaque handle of the config API, defined for this plugin.  Owns its
 * strings. */
struct pio_model_config {
  char *path;                     /* config.json read, for messages */
  char *architecture;             /* "DeepseekV3ForCausalLM" */
  uint32_t hidden_size;           /* d_model */
  uint32_t intermediate_size;     /* d_ff of the dense layers */
  uint32_t n_layers;              /* num_hidden_layers */
  uint32_t n_heads;               /* num_attention_heads */
  uint32_t n_kv_heads;            /* num_key_value_heads (unused by MLA; default n_heads) */
  uint32_t vocab_size;
  uint32_t max_position;          /* max_position_embeddings */
  /* MLA */
  uint32_t q_lora_rank;           /* 0: queries not compressed (q_lora_rank null) */
  uint32_t kv_lora_rank;          /* the latent c_kv cached per token and layer */
  uint32_t qk_rope_head_dim;      /* decoupled RoPE key, cached beside the latent */
  uint32_t qk_nope_head_dim;
  uint32_t v_head_dim;
  int attention_bias;
  /* MoE: layer i is MoE when n_routed_experts > 0, i >= first_k_dense_replace
   * and i % moe_layer_freq == 0 (as Transformers' DeepseekV3 decides). */
  uint32_t moe_intermediate_size; /* d_ff of one expert */
  uint32_t n_routed_experts;      /* 0: no MoE layers */
  uint32_t n_shared_experts;
  uint32_t n_experts_per_tok;     /* routed experts a token uses */
  uint32_t first_k_dense_replace;
  uint32_t moe_layer_freq;
  uint32_t n_group;               /* expert groups of the router */
  uint32_t topk_group;            /* groups a token may pick from */
  deepseek_scoring scoring;       /* scoring_func; default sigmoid, as Transformers computes */
  deepseek_topk_method topk_method; /* default noaux_tc, as Transformers computes */
  int score_correction_bias;      /* topk_method "noaux_tc": a bias per expert and layer */
  int norm_topk_prob;             /* divide the chosen weights by their sum; default true */
  double routed_scaling_factor;   /* then multiply them by this; default 2.5 */
  uint32_t n_nextn_predict_layers; /* multi-token-prediction modules (not counted) */
  double rms_norm_eps;
  /* rope_theta and rope_scaling (or rope_parameters) as the SDK reads them
   * (pio_hf_config_read_rope) over the qk_rope_head_dim dimensions; the
   * layout follows rope_interleave: pairs (2i, 2i+1) unless it is false. */
  pio_rope_params rope;
  int rope_interleave;            /* default true */
  int tie_word_embeddings;
  int has_torch_dtype;
  pio_dtype torch_dtype;          /* F32, BF16 or F16 when present */
  int weights_fp8;                /* quantization_config.quant_method "fp8" */
};

/* Parses and validates the config.json at path (pio_config_api.parse_file).
 * Errors read "path:line:column: field 'x': expected ..., found ...".
 * *out owned by the caller (deepseek_config_free). */
/* The top-level fields read (or knowingly ignored): pio_config_api.fields. */
extern const char *const deepseek_config_fields[];

pio_status deepseek_config_parse_file(const char *path, pio_model_config **out,
                                      pio_error *err);
void deepseek_config_free(pio_model_config *config);
/* A copy of config that owns its own strings (a model keeps one). */
pio_status deepseek_config_copy(const pio_model_config *config, pio_model_config **out,
                                pio_error *err);

/* Layer index is a mixture-of-experts layer. */
int deepseek_config_layer_is_moe(const pio_model_config *config, uint32_t layer);

/* Parameter counts from the shapes: embeddings, every layer (MLA, norms,
 * dense MLP or MoE with router), final norm, lm_head unless tied; the
 * multi-token-prediction module is left out, as the published 671B is.
 * total: every expert; active: the experts one token uses. */
void deepseek_config_param_counts(const pio_model_config *config, uint64_t *total,
                                  uint64_t *active);

/* pio_config_api.summarize.  out->struct_size set by the caller. */
pio_status deepseek_config_summarize(const pio_model_config *config, pio_model_summary *out,
                                     pio_error *err);

#endif
