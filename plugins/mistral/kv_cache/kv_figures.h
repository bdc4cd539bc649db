/* kv_cache/kv_figures.h — the mistral plugin's KV-cache sizing
 * (pio_kv_cache_api.figures). */
#ifndef PIO_MISTRAL_KV_FIGURES_H
#define PIO_MISTRAL_KV_FIGURES_H

#include "pio/plugin.h"

pio_status mistral_kv_figures(const pio_model_config *config, const pio_kv_query *query,
                              pio_kv_figures *out, pio_error *err);

#endif
