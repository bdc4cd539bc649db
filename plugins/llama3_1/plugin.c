/* plugin.c — the llama3_1 CPU module's entry point and its static tables:
 * the config, KV-cache and model components of LlamaForCausalLM. */
#include "model/model.h"
#include "plugin_common.h"

static const pio_model_api llama_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = llama_model_create,
    .destroy = llama_model_destroy,
    .forward = llama_model_forward,
    .reset = llama_model_reset,
    .stats = llama_model_stats,
};

static const pio_plugin llama_plugin = LLAMA_PLUGIN_TABLE(llama_model_api);

PIO_PLUGIN_ENTRY(pio_llama3_1_entry) {
  if (pio_plugin_check_host(host, "llama3_1", err) != PIO_OK) return NULL;
  return &llama_plugin;
}
