/* plugin.c — the gpt_oss plugin's entry point and its static tables: config
 * parsing, parameter counts, KV-cache sizing and the forward pass (on the
 * SDK's decoder) of GptOssForCausalLM. */
#include "config/gpt_oss_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/plugin.h"

static const pio_config_api gpt_oss_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = gpt_oss_config_parse_file,
    .free = gpt_oss_config_free,
    .summarize = gpt_oss_config_summarize,
    .fields = gpt_oss_config_fields,
};

static const pio_kv_cache_api gpt_oss_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = gpt_oss_kv_figures,
};

static const pio_model_api gpt_oss_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = gpt_oss_model_create,
    .destroy = pio_decoder_model_destroy,
    .forward = pio_decoder_model_forward,
    .reset = pio_decoder_model_reset,
    .stats = pio_decoder_model_stats,
};

static const pio_plugin gpt_oss_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "gpt_oss",
    .version = "0.1.0",
    .model_architecture = GPT_OSS_ARCHITECTURE,
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MODEL,
    .config = &gpt_oss_config_api,
    .kv_cache = &gpt_oss_kv_cache_api,
    .model = &gpt_oss_model_api,
};

PIO_PLUGIN_ENTRY(pio_gpt_oss_entry) {
  if (pio_plugin_check_host(host, "gpt_oss", err) != PIO_OK) return NULL;
  return &gpt_oss_plugin;
}
