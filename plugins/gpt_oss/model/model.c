/* model/model.c — a GPT-OSS config as a pio_decoder_spec: what differs
 * from Llama is said here (biased projections, a sink logit per head,
 * layers alternating between a sliding window and full attention, every
 * layer's experts chosen by a biased router with a softmax over the k
 * chosen logits, the experts fused into one tensor each with gate and up
 * interleaved, their biases, and the clamped SwiGLU), and the SDK's
 * decoder runs it. */
#include <stdlib.h>
#include <string.h>

#include "config/gpt_oss_config.h"
#include "model/model.h"
#include "pio/decoder.h"

#define LAYER "model.layers.%u."

static const pio_decoder_names gpt_oss_names = {
    PIO_DECODER_LLAMA_NAMES,
    .sinks = LAYER "self_attn.sinks",
    .router = LAYER "mlp.router.weight",
    .router_bias = LAYER "mlp.router.bias",
    .experts_gate_up = LAYER "mlp.experts.gate_up_proj",
    .experts_gate_up_bias = LAYER "mlp.experts.gate_up_proj_bias",
    .experts_down = LAYER "mlp.experts.down_proj",
    .experts_down_bias = LAYER "mlp.experts.down_proj_bias",
};

/* GptOssExperts' alpha: the gate's sigmoid is sigmoid(1.702 g). */
#define GPT_OSS_SWIGLU_ALPHA 1.702f

/* What the pass cannot run is refused before any weight is read. */
static pio_status check_runnable(const pio_model_config *c, pio_error *err) {
  if (c->mxfp4_experts)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: quantization_config.quant_method \"mxfp4\": this plugin's forward "
                         "pass reads the experts as bf16, f16 or f32 tensors "
                         "(mlp.experts.gate_up_proj [experts][hidden][2 x intermediate]), not "
                         "MXFP4 blocks; save the model dequantized (Transformers' "
                         "Mxfp4Config(dequantize=True)) to run it (sizing covers MXFP4)",
                         c->path);
  if (!c->d.rope_computable)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: rope_scaling of type \"%s\": this plugin's forward pass computes "
                         "default, linear, llama3 and yarn",
                         c->path, c->d.rope_type);
  return PIO_OK;
}

pio_status gpt_oss_model_create(const pio_model_config *c, const pio_model_options *opts,
                                pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = check_runnable(c, err);
  if (s != PIO_OK) return s;
  const uint32_t n = c->d.n_layers;
  uint32_t *window = calloc(n, sizeof *window);
  uint8_t *moe = malloc(n);
  if (window == NULL || moe == NULL) {
    free(window);
    free(moe);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  }
  memset(moe, 1, n); /* every layer's MLP is its experts */
  for (uint32_t l = 0; l < n; l++)
    if (c->kv.class_kind[c->kv.layer_class[l]] == PIO_KV_LAYER_SLIDING)
      window[l] = c->sliding_window;
  uint64_t total = 0, active = 0;
  gpt_oss_config_param_counts(c, &total, &active);
  const pio_decoder_spec spec = {.architecture = GPT_OSS_ARCHITECTURE,
                                 .n_layers = n,
                                 .d_model = c->d.hidden_size,
                                 .n_heads = c->d.n_heads,
                                 .n_kv_heads = c->d.n_kv_heads,
                                 .head_dim = c->d.head_dim,
                                 .vocab_size = c->d.vocab_size,
                                 .max_position = c->d.max_position,
                                 .rms_norm_eps = c->d.rms_norm_eps,
                                 .tie_word_embeddings = c->d.tie_word_embeddings,
                                 .qkv_bias = c->attention_bias,
                                 .o_bias = c->attention_bias,
                                 .rope = c->d.rope,
                                 .window = window,
                                 .moe_layer = moe,
                                 .n_experts = c->n_experts,
                                 .n_experts_per_token = c->n_experts_per_token,
                                 .d_expert = c->d.intermediate_size,
                                 .names = &gpt_oss_names,
                                 .activation = PIO_DECODER_SWIGLU_CLAMPED,
                                 .swiglu_limit = (float)c->swiglu_limit,
                                 .swiglu_alpha = GPT_OSS_SWIGLU_ALPHA,
                                 .router_scoring = PIO_MOE_SCORE_SOFTMAX_CHOSEN,
                                 .experts_order = PIO_EXPERTS_INTERLEAVED,
                                 .n_params = total};
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  free(moe);
  *out = (pio_model *)d;
  return s;
}
