/* plugin.c — the llama3_1 plugin's entry point and its static tables: the
 * config, KV-cache and model components of LlamaForCausalLM. */
#include "config/llama_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/plugin.h"

static const pio_config_api llama_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = llama_config_parse_file,
    .free = llama_config_free,
    .summarize = llama_config_summarize,
    .fields = llama_config_fields,
};

static const pio_kv_cache_api llama_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = llama_kv_figures,
};

static const pio_model_api llama_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = llama_model_create,
    .destroy = llama_model_destroy,
    .forward = llama_model_forward,
    .reset = llama_model_reset,
    .stats = llama_model_stats,
};

static const pio_plugin llama_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "llama3_1",
    .version = "0.1.0",
    .model_architecture = "LlamaForCausalLM",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_MODEL | PIO_COMPONENT_ATTENTION |
                  PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MLP | PIO_COMPONENT_ROTARY |
                  PIO_COMPONENT_FUSED_LAYERS,
    .config = &llama_config_api,
    .kv_cache = &llama_kv_cache_api,
    .model = &llama_model_api,
};

PIO_PLUGIN_ENTRY(pio_llama3_1_entry) {
  if (pio_plugin_check_host(host, "llama3_1", err) != PIO_OK) return NULL;
  return &llama_plugin;
}
