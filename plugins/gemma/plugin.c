/* plugin.c — the gemma plugin's entry point and its static tables: config
 * parsing, parameter counts and KV-cache sizing of Gemma3ForCausalLM,
 * Gemma2ForCausalLM and Gemma3ForConditionalGeneration, and the forward
 * pass (on the SDK's decoder) of the first two. */
#include "config/gemma_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/plugin.h"

static const pio_config_api gemma_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = gemma_config_parse_file,
    .free = gemma_config_free,
    .summarize = gemma_config_summarize,
    .fields = gemma_config_fields,
};

static const pio_kv_cache_api gemma_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = gemma_kv_figures,
};

static const pio_model_api gemma_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = gemma_model_create,
    .destroy = pio_decoder_model_destroy,
    .forward = pio_decoder_model_forward,
    .reset = pio_decoder_model_reset,
    .stats = pio_decoder_model_stats,
};

static const pio_plugin gemma_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "gemma",
    .version = "0.1.0",
    .model_architecture = "Gemma3ForCausalLM",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MODEL,
    .config = &gemma_config_api,
    .kv_cache = &gemma_kv_cache_api,
    .model = &gemma_model_api,
    .additional_architectures = gemma_architectures + 1,
};

PIO_PLUGIN_ENTRY(pio_gemma_entry) {
  if (pio_plugin_check_host(host, "gemma", err) != PIO_OK) return NULL;
  return &gemma_plugin;
}
