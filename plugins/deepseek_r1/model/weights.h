/* model/weights.h — a DeepseekV3ForCausalLM's weights as the forward pass
 * reads them: matrices in their stored dtype (views into the safetensors,
 * or copies where two are read by one matmul), norm and bias vectors in
 * f32, kv_b_proj split per head into the two halves the absorbed attention
 * multiplies by, and each routed expert on its own so that a token reads
 * only the experts it chose. */
#ifndef PIO_DEEPSEEK_R1_WEIGHTS_H
#define PIO_DEEPSEEK_R1_WEIGHTS_H

#include <stdint.h>

#include "config/deepseek_config.h"
#include "pio/kernels.h"
#include "pio/mlp.h"
#include "pio/threadpool.h"
#include "pio/weights.h"

/* Multi-head latent attention of one layer.  qk = qk_nope + qk_rope. */
typedef struct deepseek_attn_weights {
  /* xn's projections, one matmul: [q rows ; kv_lora_rank + qk_rope] x d,
   * q rows being q_a_proj's q_lora_rank (q LoRA) or q_proj's n_heads x qk. */
  pio_matrix in;
  const float *in_bias;  /* [in.rows] or NULL (attention_bias: q_a and kv_a's biases) */
  const float *q_a_norm; /* [q_lora_rank] (q LoRA only) */
  pio_matrix q_b;        /* [n_heads x qk][q_lora_rank] (q LoRA only) */
  const float *kv_a_norm; /* [kv_lora_rank] */
  /* kv_b_proj [n_heads x (qk_nope + v_head)][kv_lora_rank] as two per-head
   * halves: W_UK transposed [kv_lora_rank][qk_nope] (a copy, absorbed into
   * the query) and W_UV [v_head][kv_lora_rank] (a view, applied after). */
  pio_matrix *uk_t;      /* [n_heads], owned array */
  pio_matrix *uv;        /* [n_heads], owned array */
  pio_matrix o;          /* o_proj [d][n_heads x v_head] */
  const float *o_bias;   /* [d] or NULL */
} deepseek_attn_weights;

/* The mixture of experts of one layer. */
typedef struct deepseek_moe_weights {
  pio_matrix router;             /* mlp.gate [n_routed_experts][d] */
  const float *bias;             /* e_score_correction_bias [n_routed_experts], or NULL */
  pio_swiglu_weights *experts;   /* [n_routed_experts], owned array */
  pio_swiglu_weights shared;     /* n_shared_experts as one MLP; rows 0 when none */
} deepseek_moe_weights;

typedef struct deepseek_layer_weights {
  const float *attn_norm; /* input_layernorm [d] */
  const float *mlp_norm;  /* post_attention_layernorm [d] */
  deepseek_attn_weights attn;
  int is_moe;
  pio_swiglu_weights dense; /* when !is_moe */
  deepseek_moe_weights moe; /* when is_moe */
} deepseek_layer_weights;

typedef struct deepseek_weights {
  pio_weights set;               /* the files (or synthetic) and every buffer */
  pio_matrix embed;              /* embed_tokens [vocab][d] */
  pio_matrix lm_head;            /* [vocab][d]; the embedding when tied */
  const float *final_norm;       /* [d] */
  deepseek_layer_weights *layers; /* [n_layers], owned */
  uint32_t n_layers;
  /* Synthetic only: routed experts drawn from a pool of this many distinct
   * ones that the expert slots of every layer share in turn (0: every slot
   * its own); see docs/deepseek.md. */
  uint32_t expert_pool;
  pio_swiglu_weights *pool_experts; /* [expert_pool], owned by set; NULL when no pool */
  uint64_t expert_slots;         /* routed expert slots of the model */
} deepseek_weights;

/* Reads config's weights from the safetensors in dir (PIO_WEIGHTS_MAP or
 * PIO_WEIGHTS_READ): every tensor DeepseekV3ForCausalLM has, each with
 * exactly its shape; a missing, misshapen or extra tensor is an error
 * naming it and the file.  Multi-token-prediction layers past
 * num_hidden_layers are let pass, as Transformers does.  Free with
 * deepseek_weights_free. */
pio_status deepseek_weights_load(deepseek_weights *w, const pio_model_config *config,
                                 const char *dir, uint32_t load, pio_error *err);

/* Deterministic random weights of config's shapes in dtype, filled with
 * pool.  When the routed experts would take more than
 * DEEPSEEK_SYNTHETIC_EXPERT_BYTES, a pool of that many bytes of distinct
 * experts (at least one layer's worth) stands in for them, its experts
 * shared in turn by the expert slots of every layer. */
pio_status deepseek_weights_synthetic(deepseek_weights *w, const pio_model_config *config,
                                      pio_dtype dtype, uint64_t seed, pio_threadpool *pool,
                                      pio_error *err);

void deepseek_weights_free(deepseek_weights *w);

/* Distinct routed experts deepseek_weights_synthetic builds for config in
 * dtype: 0 when every slot gets its own, else the pool's size. */
uint32_t deepseek_expert_pool_size(const pio_model_config *config, pio_dtype dtype);

/* Bytes deepseek_weights_synthetic builds for config in dtype: every
 * parameter in dtype, less the routed-expert slots a pool stands in for. */
pio_status deepseek_weights_synthetic_bytes(const pio_model_config *config, pio_dtype dtype,
                                            uint64_t *bytes, pio_error *err);

/* Bytes one decoded token reads: attention, the dense MLP or the router,
 * shared experts and num_experts_per_tok routed experts of each layer, the
 * norms, lm_head and one embedding row. */
uint64_t deepseek_weights_bytes_per_token(const deepseek_weights *w,
                                          const pio_model_config *config);

/* Bit (1u << dtype) for each type the matrices are held in. */
uint32_t deepseek_weights_matmul_dtypes(const deepseek_weights *w,
                                        const pio_model_config *config);

/* Multiply-adds x 2 of one token through the same matrices. */
uint64_t deepseek_weights_flops_per_token(const deepseek_weights *w,
                                          const pio_model_config *config);

/* 1 GiB: 32 times this machine's 32 MiB L3, and 10 times the largest
 * shipping per-die L3 (96 MiB), so no cache holds what a token reads. */
#define DEEPSEEK_SYNTHETIC_EXPERT_BYTES ((uint64_t)1 << 30)

#endif
