/* plugin_common.h — what the CPU and the CUDA module's entry points share:
 * the config and KV-cache component tables and the plugin table's fixed
 * part. */
#ifndef PIO_LLAMA3_1_PLUGIN_COMMON_H
#define PIO_LLAMA3_1_PLUGIN_COMMON_H

#include "pio/plugin.h"

extern const pio_config_api llama_config_api;
extern const pio_kv_cache_api llama_kv_cache_api;

/* The plugin table of a module whose model component is model_api.  Name
 * and version are the manifest's, whichever module is loaded. */
#define LLAMA_PLUGIN_TABLE(model_api)                                                     \
  {                                                                                       \
    .struct_size = sizeof(pio_plugin), .abi_major = PIO_ABI_MAJOR,                        \
    .abi_minor = PIO_ABI_MINOR, .name = "llama3_1", .version = "0.1.0",                   \
    .model_architecture = "LlamaForCausalLM",                                             \
    .components = PIO_COMPONENT_CONFIG | PIO_COMPONENT_MODEL | PIO_COMPONENT_ATTENTION |  \
                  PIO_COMPONENT_KV_CACHE | PIO_COMPONENT_MLP | PIO_COMPONENT_ROTARY |     \
                  PIO_COMPONENT_FUSED_LAYERS,                                             \
    .config = &llama_config_api, .kv_cache = &llama_kv_cache_api, .model = &(model_api)   \
  }

#endif
