/* model/model.c — a Llama 4 text config (Llama4ForCausalLM) as a
 * pio_decoder_spec: what differs from Llama is said here (three layers in
 * four rotate, with interleaved RoPE, attend within their chunk and
 * normalise q and k without weights; the fourth is NoPE, attends to
 * everything and scales its queries by a temperature growing with the
 * position; MoE layers route each token to its top expert by a sigmoid
 * score that scales the expert's input, beside a shared expert; experts
 * fused into one tensor each), and the SDK's decoder runs it. */
#include <stdlib.h>

#include "config/llama4_config.h"
#include "model/model.h"
#include "pio/decoder.h"

#define LAYER "model.layers.%u.feed_forward."

static const pio_decoder_names llama4_names = {
    PIO_DECODER_LLAMA_ATTENTION_NAMES,
    .gate = LAYER "gate_proj.weight",
    .up = LAYER "up_proj.weight",
    .down = LAYER "down_proj.weight",
    .router = LAYER "router.weight",
    .experts_gate_up = LAYER "experts.gate_up_proj",
    .experts_down = LAYER "experts.down_proj",
    .shared_gate = LAYER "shared_expert.gate_proj.weight",
    .shared_up = LAYER "shared_expert.up_proj.weight",
    .shared_down = LAYER "shared_expert.down_proj.weight",
};

/* What the pass cannot run is refused before any weight is read. */
static pio_status check_runnable(const pio_model_config *c, pio_error *err) {
  if (c->architecture != llama4_architectures[1])
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: %s: this plugin's forward pass runs the text model "
                         "Llama4ForCausalLM, not the vision encoder (sizing and parameter counts "
                         "cover it)",
                         c->path, c->architecture);
  if (!c->silu)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: hidden_act: this plugin's forward pass computes \"silu\"", c->path);
  return pio_hf_decoder_check_rope(&c->d, c->path, err);
}

pio_status llama4_model_create(const pio_model_config *c, const pio_model_options *opts,
                               pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = check_runnable(c, err);
  if (s != PIO_OK) return s;
  const uint32_t n = c->d.n_layers;
  uint32_t *chunk = calloc(n, sizeof *chunk);
  uint8_t *rope = calloc(n, 1);
  if (chunk == NULL || rope == NULL) {
    free(chunk);
    free(rope);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  }
  /* The config's chunked layers are its rotating ones (NoPE layers: full). */
  for (uint32_t l = 0; l < n; l++) {
    rope[l] = c->kv.class_kind[c->kv.layer_class[l]] == PIO_KV_LAYER_CHUNKED;
    chunk[l] = rope[l] ? c->attention_chunk_size : 0;
  }
  pio_decoder_spec spec = pio_decoder_spec_from_hf(&c->d, c->architecture);
  spec.rope.layout = PIO_ROPE_INTERLEAVED; /* Meta's complex pairs (2i, 2i + 1) */
  spec.d_ff = c->intermediate_size_mlp;
  spec.qkv_bias = spec.o_bias = c->attention_bias;
  spec.rope_layer = rope;
  spec.chunk = chunk;
  spec.qk_l2_norm = c->use_qk_norm;
  spec.attn_temperature_floor = (float)c->temperature_floor;
  spec.attn_temperature_scale = (float)c->temperature_scale;
  spec.moe_layer = c->moe_layer;
  spec.n_experts = c->n_experts;
  spec.n_experts_per_token = c->n_experts_per_token;
  spec.d_expert = spec.d_shared = c->d.intermediate_size;
  spec.router_scoring = PIO_MOE_SCORE_SIGMOID;
  spec.expert_input_weighted = 1;
  spec.experts_order = PIO_EXPERTS_IN_ORDER;
  spec.names = &llama4_names;
  uint64_t active = 0;
  llama4_config_param_counts(c, &spec.n_params, &active);
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(chunk);
  free(rope);
  *out = (pio_model *)d;
  return s;
}
