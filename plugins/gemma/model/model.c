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
  if (!c->d.rope_computable)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: rope_scaling of type \"%s\": this "
                         "plugin's forward pass computes default, linear, llama3 and yarn",
                         c->path, c->d.rope_type);
  return PIO_OK;
}

pio_status gemma_model_create(const pio_model_config *c, const pio_model_options *opts,
                              pio_model **out, pio_error *err) {
  if (c == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "model create: config or out is NULL");
  pio_status s = check_runnable(c, err);
  if (s != PIO_OK) return s;
  uint32_t *window = calloc(c->d.n_layers, sizeof *window);
  if (window == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "model create: out of memory");
  for (uint32_t l = 0; l < c->d.n_layers; l++)
    if (c->kv.class_kind[c->kv.layer_class[l]] == PIO_KV_LAYER_SLIDING)
      window[l] = c->sliding_window;
  /* Gemma 3's sliding layers: default RoPE on rope_local_base_freq. */
  const pio_rope_params local = {.type = PIO_ROPE_DEFAULT,
                                 .layout = PIO_ROPE_HALF_SPLIT,
                                 .rotary_dim = c->d.head_dim,
                                 .theta = c->rope_local_theta};
  pio_decoder_spec spec = {.architecture = c->architecture,
                           .n_layers = c->d.n_layers,
                           .d_model = c->d.hidden_size,
                           .n_heads = c->d.n_heads,
                           .n_kv_heads = c->d.n_kv_heads,
                           .head_dim = c->d.head_dim,
                           .vocab_size = c->d.vocab_size,
                           .max_position = c->d.max_position,
                           .d_ff = c->d.intermediate_size,
                           .rms_norm_eps = c->d.rms_norm_eps,
                           .tie_word_embeddings = c->d.tie_word_embeddings,
                           .qk_norm = c->generation == 3,
                           .rope = c->d.rope,
                           .window = window,
                           .names = &gemma_names,
                           .norm_flags = PIO_NORM_WEIGHT_PLUS_ONE,
                           .sandwich_norms = 1,
                           .activation = PIO_DECODER_GELU_TANH,
                           .embed_scale = sqrtf((float)c->d.hidden_size),
                           .attention_scale = (float)(1.0 / sqrt(c->query_pre_attn_scalar)),
                           .attn_softcap = (float)c->attn_logit_softcapping,
                           .final_softcap = (float)c->final_logit_softcapping,
                           .local_rope = c->generation == 3,
                           .rope_local = local,
                           .n_params = gemma_config_param_count(c)};
  pio_decoder *d = NULL;
  s = pio_decoder_create(&spec, opts, &d, err);
  free(window);
  *out = (pio_model *)d;
  return s;
}
