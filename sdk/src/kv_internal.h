/* sdk/src/kv_internal.h — what kv.c and kv_classes.c share. */
#ifndef PIO_SDK_KV_INTERNAL_H
#define PIO_SDK_KV_INTERNAL_H

#include "pio/kv.h"

/* Writes the ABI 1.2 part of out (when its struct_size covers it): every
 * one of n_layers layers in one FULL class made of out's ABI 1.0 figures. */
void pio_kv_one_class(uint32_t n_layers, pio_kv_figures *out);

#endif
