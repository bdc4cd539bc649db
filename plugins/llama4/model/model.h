/* model/model.h — the llama4 plugin's model component: the SDK's decoder
 * (pio/decoder.h) built from a Llama4ForCausalLM config; destroy, forward,
 * reset and stats are the decoder's own (pio_decoder_model_*). */
#ifndef PIO_LLAMA4_MODEL_H
#define PIO_LLAMA4_MODEL_H

#include "pio/plugin.h"

/* pio_model_api.create: *out owned by the caller (pio_decoder_model_destroy). */
pio_status llama4_model_create(const pio_model_config *config, const pio_model_options *opts,
                               pio_model **out, pio_error *err);

#endif
