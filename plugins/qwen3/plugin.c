/* plugin.c — the qwen3 plugin's entry point and its static tables: config
 * parsing, parameter counts, KV-cache sizing and the forward pass (on the
 * SDK's decoder) of Qwen3ForCausalLM, Qwen2ForCausalLM and
 * Qwen3MoeForCausalLM. */
#include "config/qwen_config.h"
#include "kv_cache/kv_figures.h"
#include "model/model.h"
#include "pio/decoder.h"
#include "pio/plugin.h"

static const pio_config_api qwen_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = qwen_config_parse_file,
    .free = qwen_config_free,
    .summarize = qwen_config_summarize,
    .fields = qwen_config_fields,
};

static const pio_kv_cache_api qwen_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = qwen_kv_figures,
};

static const pio_model_api qwen_model_api = {
    .struct_size = sizeof(pio_model_api),
    .create = qwen_model_create,
    .destroy = pio_decoder_model_destroy,
    .forward = pio_decoder_model_forward,
    .reset = pio_decoder_model_reset,
    .stats = pio_decoder_model_stats,
};

static const pio_plugin qwen_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "qwen3",
    .version = "0.1.0",
    .model_architecture = "Qwen3ForCausalLM",
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MODEL,
    .config = &qwen_config_api,
    .kv_cache = &qwen_kv_cache_api,
    .model = &qwen_model_api,
    .additional_architectures = qwen_architectures + 1,
};

PIO_PLUGIN_ENTRY(pio_qwen3_entry) {
  if (pio_plugin_check_host(host, "qwen3", err) != PIO_OK) return NULL;
  return &qwen_plugin;
}
