/* plugin.c — the mistral plugin's entry point and its static tables: config
 * parsing, parameter counts, KV-cache sizing and the forward pass (on the
 * SDK's decoder) of MistralForCausalLM and MixtralForCausalLM. */
#include "config/mistral_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/plugin.h"

static const pio_config_api mistral_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = mistral_config_parse_file,
    .free = mistral_config_free,
    .summarize = mistral_config_summarize,
    .fields = mistral_config_fields,
};

static const pio_kv_cache_api mistral_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = mistral_kv_figures,
};

static const pio_model_api mistral_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = mistral_model_create,
    .destroy = pio_decoder_model_destroy,
    .forward = pio_decoder_model_forward,
    .reset = pio_decoder_model_reset,
    .stats = pio_decoder_model_stats,
};

static const pio_plugin mistral_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "mistral",
    .version = "0.1.0",
    .model_architecture = "MistralForCausalLM",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MODEL,
    .config = &mistral_config_api,
    .kv_cache = &mistral_kv_cache_api,
    .model = &mistral_model_api,
    .additional_architectures = mistral_architectures + 1,
};

PIO_PLUGIN_ENTRY(pio_mistral_entry) {
  if (pio_plugin_check_host(host, "mistral", err) != PIO_OK) return NULL;
  return &mistral_plugin;
}
