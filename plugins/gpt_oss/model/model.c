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
  return pio_hf_decoder_check_rope(&c->d, c->path, err);
}

pio_status gpt_oss_model_create(const pio_model_config *c, const pio_model_options *opts,
                                pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = check_runnable(c, err);
  if (s != PIO_OK) return s;
  const uint32_t n = c->d.n_layers;
  uint32_t *window = pio_kv_pattern_windows(&c->kv, c->sliding_window);
  uint8_t *moe = malloc(n);
  if (window == NULL || moe == NULL) {
    free(window);
    free(moe);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  }
  memset(moe, 1, n); /* every layer's MLP is its experts */
  pio_decoder_spec spec = pio_decoder_spec_from_hf(&c->d, GPT_OSS_ARCHITECTURE);
  spec.qkv_bias = spec.o_bias = c->attention_bias;
  spec.window = window;
  spec.moe_layer = moe;
  spec.n_experts = c->n_experts;
  spec.n_experts_per_token = c->n_experts_per_token;
  spec.d_expert = c->d.intermediate_size;
  spec.names = &gpt_oss_names;
  spec.activation = PIO_DECODER_SWIGLU_CLAMPED;
  spec.swiglu_limit = (float)c->swiglu_limit;
  spec.swiglu_alpha = GPT_OSS_SWIGLU_ALPHA;
  spec.router_scoring = PIO_MOE_SCORE_SOFTMAX_CHOSEN;
  spec.experts_order = PIO_EXPERTS_INTERLEAVED;
  uint64_t active = 0;
  gpt_oss_config_param_counts(c, &spec.n_params, &active);
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  free(moe);
  *out = (pio_model *)d;
  return s;
}
