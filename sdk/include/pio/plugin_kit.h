/*
 * pio/plugin_kit.h — the few steps every model plugin's config component
 * takes the same way: allocating a config and parsing config.json into it,
 * and handing a summary back within the caller's struct_size (the entry
 * point's check is pio_plugin_check_host in pio/plugin.h).  A family plugin then writes only what is its own.
 */
#ifndef PIO_PLUGIN_KIT_H
#define PIO_PLUGIN_KIT_H

#include <stddef.h>

#include "pio/hf_config.h"
#include "pio/plugin.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * parse_file of a config component: allocates config_size zeroed bytes as
 * the config, reads path into it (pio_hf_config_read_file with max_bytes
 * and max_depth) and returns it in *out, owned by the caller.  On any error
 * *out is NULL and what read had allocated is released with free_config.
 */
pio_status pio_hf_config_parse_new(const char *path, size_t config_size, size_t max_bytes,
                                   int max_depth, pio_hf_config_reader read,
                                   void (*free_config)(pio_model_config *config),
                                   pio_model_config **out, pio_error *err);

/* Clears *out and fills struct_size, architecture (borrowed), attention
 * kind "gqa", the shapes of d and the KV scheme kv (NULL: none); the caller
 * adds its counts and the rest. */
void pio_model_summary_from_decoder(const pio_hf_decoder *d, const pio_hf_kv_scheme *kv,
                                    const char *architecture, pio_model_summary *out);

/*
 * Copies summary into out as far as out->struct_size reaches (an older
 * caller's table is shorter) and sets out->struct_size to what was
 * written.  A table smaller than the ABI 1.0 summary is PIO_ERR_ABI; out
 * NULL is PIO_ERR_INVALID_ARGUMENT.
 */
pio_status pio_model_summary_hand_back(const pio_model_summary *summary, pio_model_summary *out,
                                       pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
