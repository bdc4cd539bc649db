/* cuda/plugin_cuda.c — the llama3_1 CUDA module's entry point: the same
 * plugin (name, version, config and KV components) as the CPU module, with
 * the forward pass on an NVIDIA GPU. */
#include "cuda/cuda_model.h"
#include "plugin_common.h"

static const pio_model_api lc_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = lc_model_create,
    .destroy = lc_model_destroy,
    .forward = lc_model_forward,
    .reset = lc_model_reset,
    .stats = lc_model_stats,
    .forward_argmax = lc_model_forward_argmax,
};

static const pio_plugin lc_plugin = LLAMA_PLUGIN_TABLE(lc_model_api);

PIO_PLUGIN_ENTRY(pio_llama3_1_cuda_entry) {
  if (pio_plugin_check_host(host, "llama3_1", err) != PIO_OK) return NULL;
  return &lc_plugin;
}
