/* model/model.c — a Gemma 2 or Gemma 3 config as a pio_decoder_spec: what
 * differs from Llama is said here (RMSNorm by 1 + weight, a norm after each
 * sublayer as well as before, GeGLU, embeddings scaled by sqrt(d), the
 * attention scaled by query_pre_attn_scalar, logit softcapping, the
 * sliding layers, Gemma 3's q/k norms and the local RoPE base of its
 * sliding layers), and the SDK's decoder runs it. */
#include <math.h>
#include <stdlib.h>

#include "config/gemma_config.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/norm.h"

static const pio_decoder_names gemma_names = {
    PIO_DECODER_LLAMA_NAMES,
    .pre_feedforward_norm = "model.layers.%u.pre_feedforward_layernorm.weight",
    .post_feedforward_norm = "model.layers.%u.post_feedforward_layernorm.weight",
};

/* What the pass cannot run is refused before any weight is read. */
static pio_status check_runnable(const pio_model_config *c, pio_error *err) {
  if (c->vision.present)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: %s: this plugin's forward pass runs "
                         "the text models Gemma2ForCausalLM and Gemma3ForCausalLM, not the "
                         "vision tower (sizing and parameter counts cover it)",
                         c->path, c->architecture);
  if (!c->gelu_tanh)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: hidden_activation: this plugin's "
                         "forward pass computes gelu_pytorch_tanh",
                         c->path);
  return pio_hf_decoder_check_rope(&c->d, c->path, err);
}

pio_status gemma_model_create(const pio_model_config *c, const pio_model_options *opts,
                              pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = check_runnable(c, err);
  if (s != PIO_OK) return s;
  uint32_t *window = pio_kv_pattern_windows(&c->kv, c->sliding_window);
  if (window == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  pio_decoder_spec spec = pio_decoder_spec_from_hf(&c->d, c->architecture);
  spec.qk_norm = c->generation == 3;
  spec.window = window;
  spec.names = &gemma_names;
  spec.norm_flags = PIO_NORM_WEIGHT_PLUS_ONE;
  spec.sandwich_norms = 1;
  spec.activation = PIO_DECODER_GELU_TANH;
  spec.embed_scale = sqrtf((float)c->d.hidden_size);
  spec.attention_scale = (float)(1.0 / sqrt(c->query_pre_attn_scalar));
  spec.attn_softcap = (float)c->attn_logit_softcapping;
  spec.final_softcap = (float)c->final_logit_softcapping;
  /* Gemma 3's sliding layers: default RoPE on rope_local_base_freq. */
  spec.local_rope = c->generation == 3;
  spec.rope_local = (pio_rope_params){.type = PIO_ROPE_DEFAULT,
                                      .layout = PIO_ROPE_HALF_SPLIT,
                                      .rotary_dim = c->d.head_dim,
                                      .theta = c->rope_local_theta};
  spec.n_params = gemma_config_param_count(c);
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  *out = (pio_model *)d;
  return s;
}
