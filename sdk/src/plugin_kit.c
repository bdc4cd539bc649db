/* sdk/src/plugin_kit.c — the steps every model plugin shares
 * (pio/plugin_kit.h). */
#include <stdlib.h>
#include <string.h>

#include "pio/plugin_kit.h"

pio_status pio_hf_config_parse_new(const char *path, size_t config_size, size_t max_bytes,
                                   int max_depth, pio_hf_config_reader read,
                                   void (*free_config)(pio_model_config *config),
                                   pio_model_config **out, pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "config path or output is NULL");
  *out = NULL;
  pio_model_config *c = calloc(1, config_size);
  if (c == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  pio_status s = pio_hf_config_read_file(path, max_bytes, max_depth, read, c, err);
  if (s != PIO_OK) {
    free_config(c);
    return s;
  }
  *out = c;
  return PIO_OK;
}

void pio_model_summary_from_decoder(const pio_hf_decoder *d, const pio_hf_kv_scheme *kv,
                                    const char *architecture, pio_model_summary *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  out->architecture = architecture;
  out->attention_kind = "gqa";
  out->n_layers = d->n_layers;
  out->d_model = d->hidden_size;
  out->n_heads = d->n_heads;
  out->n_kv_heads = d->n_kv_heads;
  out->head_dim = d->head_dim;
  out->d_ff = d->intermediate_size;
  out->vocab_size = d->vocab_size;
  out->max_position = d->max_position;
  if (kv != NULL && kv->quantized) {
    out->kv_quantized = 1;
    out->kv_dtype = kv->dtype;
    out->kv_scales = kv->scales;
  }
}

pio_status pio_model_summary_hand_back(const pio_model_summary *summary, pio_model_summary *out,
                                       pio_error *err) {
  if (summary == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "summarize: config or output is NULL");
  const size_t abi_1_0 = offsetof(pio_model_summary, n_params_active) + sizeof(uint64_t);
  uint32_t size = out->struct_size;
  if (size < abi_1_0)
    return pio_error_set(err, PIO_ERR_ABI,
                         "summarize: struct_size %u is smaller than the "
                         "ABI 1.0 summary (%zu)",
                         size, abi_1_0);
  if (size > sizeof *summary) size = sizeof *summary;
  memcpy(out, summary, size);
  out->struct_size = size;
  return PIO_OK;
}
