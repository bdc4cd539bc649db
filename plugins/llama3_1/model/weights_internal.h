/* model/weights_internal.h — helpers the weight loaders share (not used
 * outside model/weights*.c). */
#ifndef PIO_LLAMA3_1_WEIGHTS_INTERNAL_H
#define PIO_LLAMA3_1_WEIGHTS_INTERNAL_H

#include "model/weights.h"

/* A 64-byte aligned buffer of bytes owned by w (freed with it); NULL with
 * err filled when out of memory. */
void *llama_weights_alloc(llama_weights *w, size_t bytes, pio_error *err);

/* Allocates w->layers for config. */
pio_status llama_weights_begin(llama_weights *w, const pio_model_config *config,
                               pio_error *err);

#endif
