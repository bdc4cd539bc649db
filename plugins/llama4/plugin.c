/* plugin.c — the llama4 plugin's entry point and its static tables: config
 * parsing, parameter counts and KV-cache sizing of Llama4ForConditionalGeneration and
 * Llama4ForCausalLM (the text model), and the text model's forward pass (on
 * the SDK's decoder). */
#include "config/llama4_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/plugin.h"

static const pio_config_api llama4_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = llama4_config_parse_file,
    .free = llama4_config_free,
    .summarize = llama4_config_summarize,
    .fields = llama4_config_fields,
};

static const pio_kv_cache_api llama4_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = llama4_kv_figures,
};

static const pio_model_api llama4_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = llama4_model_create,
    .destroy = pio_decoder_model_destroy,
    .forward = pio_decoder_model_forward,
    .reset = pio_decoder_model_reset,
    .stats = pio_decoder_model_stats,
};

static const pio_plugin llama4_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "llama4",
    .version = "0.1.0",
    .model_architecture = "Llama4ForConditionalGeneration",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MODEL,
    .config = &llama4_config_api,
    .kv_cache = &llama4_kv_cache_api,
    .model = &llama4_model_api,
    .additional_architectures = llama4_architectures + 1,
};

PIO_PLUGIN_ENTRY(pio_llama4_entry) {
  if (pio_plugin_check_host(host, "llama4", err) != PIO_OK) return NULL;
  return &llama4_plugin;
}
