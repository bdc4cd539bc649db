/* plugin.c — the jamba plugin's entry point and its static tables: config
 * parsing, parameter counts and KV-cache sizing of JambaForCausalLM. */
#include "config/jamba_config.h"
#include "kv_cache/kv_figures.h"
#include "pio/plugin.h"

static const pio_config_api jamba_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = jamba_config_parse_file,
    .free = jamba_config_free,
    .summarize = jamba_config_summarize,
    .fields = jamba_config_fields,
};

static const pio_kv_cache_api jamba_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = jamba_kv_figures,
};

static const pio_plugin jamba_plugin = {
    .struct_size = sizeof(pio_plugin),
    .abi_major = PIO_ABI_MAJOR,
    .abi_minor = PIO_ABI_MINOR,
    .name = "jamba",
    .version = "0.1.0",
    .model_architecture = JAMBA_ARCHITECTURE,
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_KV_CACHE,
    .config = &jamba_config_api,
    .kv_cache = &jamba_kv_cache_api,
    .model = NULL,
};

PIO_PLUGIN_ENTRY(pio_jamba_entry) {
  if (pio_plugin_check_host(host, "jamba", err) != PIO_OK) return NULL;
  return &jamba_plugin;
}
