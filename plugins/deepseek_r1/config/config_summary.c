/* config/config_summary.c — what a DeepSeek-V3 configuration describes:
 * parameter counts from the tensor shapes (every expert, and the experts one
 * token uses) and the pio_model_summary for listings and benchmarks.
 * DeepSeek-V3's published figures are 671B total and 37B activated. */
#include <stddef.h>
#include <string.h>

#include "config/deepseek_config.h"
#include "pio/plugin_kit.h"

/* Fits in 64 bits within the DEEPSEEK_MAX_* limits: the largest terms,
 * routed and shared experts over every layer, are each at most 1024 layers
 * x 4096 experts x 3 x 65536 x 1048576 = 3 x 2^58, so the sum stays below
 * 2^61. */

int deepseek_config_layer_is_moe(const pio_model_config *c, uint32_t layer) {
  return c->n_routed_experts > 0 && layer >= c->first_k_dense_replace &&
         layer % c->moe_layer_freq == 0;
}

/* Multi-head latent attention of one layer (Transformers'
 * DeepseekV3Attention): queries through a low-rank q_a/q_b pair (or one
 * q_proj), keys and values through the shared latent kv_a (which also
 * yields the RoPE key) and the per-head kv_b, then o_proj. */
static uint64_t attention_params(const pio_model_config *c) {
  const uint64_t d = c->hidden_size, h = c->n_heads;
  const uint64_t q_head = (uint64_t)c->qk_nope_head_dim + c->qk_rope_head_dim;
  uint64_t n = 0;
  if (c->q_lora_rank > 0)
    n += d * c->q_lora_rank + c->q_lora_rank /* q_a_layernorm */ + c->q_lora_rank * h * q_head;
  else
    n += d * h * q_head;
  n += d * ((uint64_t)c->kv_lora_rank + c->qk_rope_head_dim); /* kv_a_proj_with_mqa */
  n += c->kv_lora_rank;                                       /* kv_a_layernorm */
  n += (uint64_t)c->kv_lora_rank * h * ((uint64_t)c->qk_nope_head_dim + c->v_head_dim);
  n += h * c->v_head_dim * d; /* o_proj */
  if (c->attention_bias)      /* q_a (or none), kv_a and o_proj carry biases */
    n += (c->q_lora_rank > 0 ? c->q_lora_rank : 0) + c->kv_lora_rank + c->qk_rope_head_dim + d;
  return n;
}

/* One SwiGLU MLP: gate, up and down projections. */
static uint64_t mlp_params(uint64_t d, uint64_t d_ff) { return 3 * d * d_ff; }

void deepseek_config_param_counts(const pio_model_config *c, uint64_t *total,
                                  uint64_t *active) {
  const uint64_t d = c->hidden_size;
  const uint64_t expert = mlp_params(d, c->moe_intermediate_size);
  /* The router's weight, and its score-correction bias under noaux_tc. */
  const uint64_t router =
      (uint64_t)c->n_routed_experts * d + (c->score_correction_bias ? c->n_routed_experts : 0);
  const uint64_t shared = (uint64_t)c->n_shared_experts * expert;
  const uint64_t embeddings = (uint64_t)c->vocab_size * d * (c->tie_word_embeddings ? 1 : 2);
  uint64_t all = embeddings + d /* final norm */, used = all;
  for (uint32_t layer = 0; layer < c->n_layers; layer++) {
    const uint64_t common = attention_params(c) + 2 * d; /* + input and post-attention norms */
    all += common;
    used += common;
    if (deepseek_config_layer_is_moe(c, layer)) {
      all += router + shared + (uint64_t)c->n_routed_experts * expert;
      used += router + shared + (uint64_t)c->n_experts_per_tok * expert;
    } else {
      all += mlp_params(d, c->intermediate_size);
      used += mlp_params(d, c->intermediate_size);
    }
  }
  *total = all;
  *active = used;
}

pio_status deepseek_config_summarize(const pio_model_config *c, pio_model_summary *out,
                                     pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: NULL argument");
  pio_model_summary s;
  memset(&s, 0, sizeof s);
  s.struct_size = sizeof s;
  s.architecture = c->architecture;
  s.attention_kind = "mla";
  s.n_layers = c->n_layers;
  s.d_model = c->hidden_size;
  s.n_heads = c->n_heads;
  s.n_kv_heads = 1; /* one latent, shared by every head */
  s.head_dim = c->qk_nope_head_dim + c->qk_rope_head_dim;
  s.d_ff = c->intermediate_size;
  s.vocab_size = c->vocab_size;
  s.max_position = c->max_position;
  deepseek_config_param_counts(c, &s.n_params, &s.n_params_active);
  s.n_experts = c->n_routed_experts;
  s.n_experts_per_token = c->n_routed_experts ? c->n_experts_per_tok : 0;
  return pio_model_summary_hand_back(&s, out, err);
}
