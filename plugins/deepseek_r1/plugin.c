/* plugin.c — the deepseek_r1 plugin's entry point and its static tables:
 * the config, KV-cache and model components of DeepseekV3ForCausalLM
 * (DeepSeek-V3, DeepSeek-R1, and DeepSeek-V2's shapes): multi-head latent
 * attention in absorbed form, the mixture of experts, YaRN RoPE. */
#include "config/deepseek_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/plugin.h"

static const pio_config_api deepseek_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = deepseek_config_parse_file,
    .free = deepseek_config_free,
    .summarize = deepseek_config_summarize,
    .fields = deepseek_config_fields,
};

static const pio_kv_cache_api deepseek_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = deepseek_kv_figures,
};

static const pio_model_api deepseek_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = deepseek_model_create,
    .destroy = deepseek_model_destroy,
    .forward = deepseek_model_forward,
    .reset = deepseek_model_reset,
    .stats = deepseek_model_stats,
};

static const pio_plugin deepseek_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "deepseek_r1",
    .version = "0.1.0",
    .model_architecture = DEEPSEEK_ARCHITECTURE,
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_MODEL | PIO_COMPONENT_ATTENTION |
                  PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MLP | PIO_COMPONENT_ROTARY,
    .config = &deepseek_config_api,
    .kv_cache = &deepseek_kv_cache_api,
    .model = &deepseek_model_api,
};

PIO_PLUGIN_ENTRY(pio_deepseek_r1_entry) {
  if (pio_plugin_check_host(host, "deepseek_r1", err) != PIO_OK) return NULL;
  return &deepseek_plugin;
}
