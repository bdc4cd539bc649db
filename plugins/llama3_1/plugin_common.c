/* plugin_common.c — the component tables both modules' entry points use. */
#include "config/llama_config.h"
#include "kv_cache/kv_figures.h"
#include "plugin_common.h"

const pio_config_api llama_config_api = {
    .struct_size = sizeof(pio_config_api),
    .parse_file = llama_config_parse_file,
    .free = llama_config_free,
    .summarize = llama_config_summarize,
    .fields = llama_config_fields,
};

const pio_kv_cache_api llama_kv_cache_api = {
    .struct_size = sizeof(pio_kv_cache_api),
    .figures = llama_kv_figures,
};
