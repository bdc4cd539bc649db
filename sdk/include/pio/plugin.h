/*
 * pio/plugin.h — the plugin ABI: the one contract between libpio-host and a
 * model plugin.  A plugin exports one entry function (named by its manifest's
 * entry_point.factory_function, declared with PIO_PLUGIN_ENTRY); the host
 * calls it with a table of host services and receives a table describing the
 * plugin and its components.
 *
 * Compatibility rules
 *  - Every table starts with struct_size; the plugin and host tables also
 *    carry the ABI major/minor they were compiled against (pio/version.h).
 *  - ABI major differs: the host refuses the plugin (PIO_ERR_ABI).
 *  - ABI minor differs, either way round: it works.  Fields are only ever
 *    appended at the end of a table, never reordered, resized or removed.
 *    A reader uses a field only when the writer's struct_size covers it
 *    (PIO_TABLE_HAS) and treats an uncovered field as NULL / 0.
 *  - A struct_size smaller than the ABI 1.0 table is refused.
 *
 * Ownership and lifetime
 *  - The plugin table and the component tables it points to are owned by
 *    the plugin, static, and valid until the module is unloaded.
 *  - Opaque handles (pio_model_config, pio_model) are created and destroyed
 *    by the plugin's own functions; any number may live at once, and the
 *    plugin keeps no global mutable state.
 *  - Nothing in a plugin prints, exits or aborts on bad input: every call
 *    that can fail returns a pio_status and fills the caller's pio_error.
 */
#ifndef PIO_PLUGIN_H
#define PIO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/status.h"
#include "pio/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define PIO_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define PIO_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PIO_PLUGIN_EXPORT
#endif

/* True when a table whose first field is struct_size covers `field`. */
#define PIO_TABLE_HAS(table, type, field) \
  ((table)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------ */
/* Host services: filled by the host, read by the plugin.              */

typedef enum pio_log_level {
  PIO_LOG_ERROR = 0,
  PIO_LOG_WARNING = 1,
  PIO_LOG_INFO = 2,
  PIO_LOG_DEBUG = 3
} pio_log_level;

typedef struct pio_host_services {
  uint32_t struct_size;     /* sizeof(pio_host_services) as the host built it */
  uint16_t abi_major;       /* PIO_ABI_MAJOR of the host */
  uint16_t abi_minor;       /* PIO_ABI_MINOR of the host */
  const char *host_version; /* PIO_VERSION_STRING of the host */
  void *host_data;          /* passed back to the callbacks below */
  /* Hands a message to the host, which decides whether and where it goes.
   * May be NULL.  message is only read during the call. */
  void (*log)(void *host_data, pio_log_level level, const char *plugin_name,
              const char *message);
} pio_host_services;

/* ------------------------------------------------------------------ */
/* Component tables: filled by the plugin.                             */

/* A parsed, validated model configuration (Hugging Face config.json). */
typedef struct pio_model_config pio_model_config;
/* A model instance: weights, KV cache, scratch.  One sequence at a time. */
typedef struct pio_model pio_model;

/* What a configuration describes, for listings and benchmarks. */
typedef struct pio_model_summary {
  uint32_t struct_size;
  const char *architecture;   /* e.g. "LlamaForCausalLM"; owned by the config */
  const char *attention_kind; /* "gqa" or "mla"; static */
  uint32_t n_layers;
  uint32_t d_model;           /* hidden_size */
  uint32_t n_heads;           /* query heads */
  uint32_t n_kv_heads;        /* key/value heads (GQA); 1 latent for MLA */
  uint32_t head_dim;
  uint32_t d_ff;              /* intermediate_size (dense MLP) */
  uint32_t vocab_size;
  uint32_t max_position;      /* max_position_embeddings */
  uint64_t n_params;          /* all parameters, embeddings included */
  uint64_t n_params_active;   /* parameters used for one token (MoE); = n_params when dense */
  /* ABI 1.2 */
  uint32_t n_experts;           /* routed experts of an MoE layer; 0 when dense */
  uint32_t n_experts_per_token; /* routed experts each token uses; 0 when dense */
  /* The KV cache config.json asks for (quantization_config.kv_cache_scheme):
   * kv_dtype PIO_DTYPE_FP8 or _INT8 with kv_scales (pio_kv_scales) when
   * kv_quantized, else nothing asked (the cache follows the caller). */
  int kv_quantized;
  pio_dtype kv_dtype;
  uint32_t kv_scales;
  /* Bytes of the weights as config.json's quantization_config says they
   * are stored (GPT-OSS's MXFP4 experts), and how, in one line (static);
   * 0 and NULL when it says nothing beyond a dtype. */
  uint64_t stored_weight_bytes;
  const char *stored_weights;
} pio_model_summary;

typedef struct pio_config_api {
  uint32_t struct_size;
  /* Parses and validates the config.json at path.  On success *out is a new
   * config owned by the caller (free with config_free).  Errors name the
   * file, the field and what was expected. */
  pio_status (*parse_file)(const char *path, pio_model_config **out, pio_error *err);
  void (*free)(pio_model_config *config);
  pio_status (*summarize)(const pio_model_config *config, pio_model_summary *out,
                          pio_error *err);
  /* ABI 1.2.  The top-level config.json fields the plugin reads, or knows it
   * may ignore (training-only ones such as attention_dropout), as a
   * NULL-terminated list; NULL: not said.  The host warns about any other
   * field of a config it hands the plugin (pio_config_unread_fields):
   * its value would have no effect. */
  const char *const *fields;
} pio_config_api;

typedef enum pio_kv_access {
  PIO_KV_ACCESS_BLOCK = 0, /* one IO moves a page for all layers of a pipeline stage */
  PIO_KV_ACCESS_LAYER = 1  /* one IO moves a page of one layer */
} pio_kv_access;

typedef enum pio_kv_formula {
  PIO_KV_FORMULA_PIO = 0,     /* real sharding: heads split and replicated */
  PIO_KV_FORMULA_KVBENCH = 1  /* NVIDIA kvbench's arithmetic, reproduced exactly */
} pio_kv_formula;

/* ABI 1.2: scales kept beside a quantised (fp8, int8) cache, each an f32. */
typedef enum pio_kv_scales {
  PIO_KV_SCALES_NONE = 0,      /* none counted (an unquantised cache, or unit scales) */
  PIO_KV_SCALES_TENSOR = 1,    /* one for K and one for V per layer: nothing per token */
  PIO_KV_SCALES_HEAD = 2,      /* one for K and one for V per layer and KV head: nothing per
                                  token (compressed-tensors "attn_head") */
  PIO_KV_SCALES_TOKEN_HEAD = 3 /* one for K and one for V per token, layer and KV head
                                  (dynamic per-token-head quantisation) */
} pio_kv_scales;

typedef struct pio_kv_query {
  uint32_t struct_size;
  pio_dtype kv_dtype;     /* element type of the cache */
  uint32_t tp;            /* tensor-parallel ranks, >= 1 */
  uint32_t pp;            /* pipeline-parallel stages, >= 1 */
  uint32_t page_size;     /* tokens per page, >= 1 */
  pio_kv_access access;
  pio_kv_formula formula;
  /* ABI 1.2; a reader of an older query takes PIO_KV_SCALES_NONE and
   * PIO_DTYPE_BF16. */
  uint32_t scales;        /* pio_kv_scales; NONE unless kv_dtype is fp8 or int8 */
  pio_dtype state_dtype;  /* element type of recurrent state (Mamba layers) */
} pio_kv_query;

/* ABI 1.2: what a layer keeps of a sequence. */
typedef enum pio_kv_layer_kind {
  PIO_KV_LAYER_FULL = 0,    /* every token of the sequence */
  PIO_KV_LAYER_SLIDING = 1, /* the last `window` tokens (sliding-window attention) */
  PIO_KV_LAYER_CHUNKED = 2, /* the tokens of the current chunk of `window` tokens (chunked
                               local attention: chunks start at multiples of window) */
  PIO_KV_LAYER_STATE = 3    /* a state of fixed size per sequence (Mamba): no bytes per token */
} pio_kv_layer_kind;

/* ABI 1.2: the layers of one kind, window and size.  Bytes include the
 * scales the query asked for. */
typedef struct pio_kv_class {
  uint32_t kind;                /* pio_kv_layer_kind */
  uint32_t window;              /* SLIDING: the window; CHUNKED: the chunk; else 0 (tokens) */
  uint32_t n_layers;            /* layers of this class in the model */
  uint32_t layers_per_rank;     /* in the pipeline stage holding the most of them */
  uint32_t kv_heads_per_rank;   /* GQA heads one rank holds; 1 for an MLA latent; 0 for state */
  uint32_t replication;         /* ranks holding the same bytes (>= 1) */
  uint64_t bytes_per_token_per_layer;           /* whole model: every distinct head */
  uint64_t bytes_per_token_per_layer_per_rank;
  uint64_t scale_bytes_per_token_per_layer_per_rank; /* of the figure above, the scales */
  uint64_t state_bytes_per_layer;               /* STATE: per sequence, whole model */
  uint64_t state_bytes_per_layer_per_rank;
} pio_kv_class;

#define PIO_KV_MAX_CLASSES 4

typedef struct pio_kv_figures {
  uint32_t struct_size;
  uint64_t bytes_per_token;            /* whole model: all layers, all distinct heads */
  uint64_t bytes_per_token_per_rank;   /* one rank: its layers (pp) and its heads (tp) */
  uint64_t bytes_per_token_per_layer_per_rank;
  uint64_t io_bytes_per_page;          /* one IO of one rank for query->access */
  uint32_t layers_per_rank;            /* layers of one pipeline stage */
  uint32_t kv_heads_per_rank;          /* GQA heads one rank holds; 1 for an MLA latent */
  uint32_t replication;                /* ranks holding the same KV data (>= 1) */
  const char *layout;                  /* one line, e.g. "K,V[kv_heads][head_dim]"; static */
  /* ABI 1.2: the layers by what they keep.  With more than one class the
   * figures above read: bytes_per_token sums every layer that keeps tokens
   * (what a token costs while it is inside every window);
   * bytes_per_token_per_rank is the largest stage's such sum;
   * bytes_per_token_per_layer_per_rank and kv_heads_per_rank are the
   * largest class's; io_bytes_per_page for access layer is the largest
   * layer's page, for block the largest stage's page of all its layers.
   * A plugin older than 1.2 fills none of this: a reader takes one FULL
   * class made of the figures above. */
  uint32_t n_layers;                   /* every layer of the model, of any class */
  uint32_t n_classes;                  /* classes[] used, 1 to PIO_KV_MAX_CLASSES */
  pio_kv_class classes[PIO_KV_MAX_CLASSES];
  /* [n_layers]: the classes[] index of each layer, in order; owned by the
   * config (valid while it lives); NULL when every layer is class 0. */
  const uint8_t *layer_class;
} pio_kv_figures;

typedef struct pio_kv_cache_api {
  uint32_t struct_size;
  /* KV-cache sizing for config under query.  A pipeline stage holds
   * ceil(layers / pp) layers.  Invalid sharding (tp that must divide the
   * heads and does not, pp larger than the layer count, page_size 0) is
   * PIO_ERR_INVALID_ARGUMENT with a reason. */
  pio_status (*figures)(const pio_model_config *config, const pio_kv_query *query,
                        pio_kv_figures *out, pio_error *err);
} pio_kv_cache_api;

typedef struct pio_model_options {
  uint32_t struct_size;
  const char *weights_dir;  /* folder with *.safetensors (and maybe an index); NULL when synthetic */
  int synthetic;            /* non-zero: deterministic random weights, no files */
  uint64_t seed;            /* seed of the synthetic weights */
  pio_dtype weight_dtype;   /* synthetic: dtype to build; from files: the files' dtype rules */
  uint32_t n_threads;       /* 0: all online cores */
  uint32_t max_context;     /* KV-cache capacity in tokens; 0: min(max_position, 4096) */
  /* ABI 1.1: how weights from files are held, PIO_WEIGHTS_MAP (0: mapped
   * in place) or PIO_WEIGHTS_READ (read into the model's own memory); the
   * values of pio_safetensors_load (pio/safetensors.h). */
  uint32_t weights_load;
  /* ABI 1.2: the matmul kernel path for every matmul ("scalar", "avx2",
   * "avx512", "avx512bf16", "amx_bf16"), or NULL / "auto" for the SDK's
   * plan (pio_kernel_plan_choose in pio/kernels.h). */
  const char *kernel;
} pio_model_options;

#define PIO_WEIGHTS_MAP 0u
#define PIO_WEIGHTS_READ 1u

typedef struct pio_model_stats {
  uint32_t struct_size;
  uint64_t n_params;
  uint64_t weight_bytes;            /* bytes of all weight tensors as stored */
  uint64_t weight_bytes_per_token;  /* weight bytes one decoded token reads */
  uint64_t flops_per_token;         /* multiply-adds x 2 of one token, without attention */
  uint64_t kv_bytes;                /* bytes of the allocated KV cache */
  uint32_t position;                /* tokens in the cache now */
  uint32_t max_context;
  uint32_t n_threads;
  const char *kernel;               /* kernel path in use, e.g. "avx512bf16"; static */
  /* ABI 1.2: the matmul paths by size, why they were chosen, and the types
   * the matmul weights are held in (what bounds the prefill). */
  const char *kernel_prefill;       /* path of matmuls over many tokens, e.g. "amx_bf16"; static */
  const char *kernel_decode;        /* path of single-token matmuls; static */
  const char *kernel_why;           /* one line; valid until the model is destroyed; may be NULL */
  uint32_t matmul_dtypes;           /* bit (1u << d) for each pio_dtype d of the matmul weights */
  /* ABI 1.2 too: how the weights are held, one line for people, when it is
   * not simply "as the files or the synthetic seed say" (a synthetic pool
   * of routed experts shared by the expert slots, ...); NULL otherwise.
   * Owned by the model, valid until it is destroyed. */
  const char *weights_note;
  /* ABI 1.2: where the forward pass runs: "cpu", or "cuda" for an NVIDIA
   * GPU (its memory holds weights and cache); static.  NULL from an older
   * plugin means "cpu". */
  const char *device;
  /* ABI 1.2: the device's name, e.g. "NVIDIA H200"; valid while the model
   * lives.  NULL when the device is the CPU. */
  const char *device_name;
} pio_model_stats;

typedef struct pio_model_api {
  uint32_t struct_size;
  /* Builds a model instance for config (copied: the config may be freed
   * afterwards) with weights from opts.  *out is owned by the caller
   * (destroy with destroy). */
  pio_status (*create)(const pio_model_config *config, const pio_model_options *opts,
                       pio_model **out, pio_error *err);
  void (*destroy)(pio_model *model);
  /* Appends tokens[n_tokens] to the sequence and runs them (prefill when
   * n_tokens > 1, decode when 1).  logits: [n_tokens][vocab_size] when
   * all_logits, else [vocab_size] for the last token.  Fails, changing
   * nothing, on a token id outside the vocabulary or a full cache. */
  pio_status (*forward)(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                        float *logits, int all_logits, pio_error *err);
  /* Empties the KV cache: the next forward starts a new sequence. */
  void (*reset)(pio_model *model);
  pio_status (*stats)(const pio_model *model, pio_model_stats *out, pio_error *err);
  /* ABI 1.2: forward without logits: appends and runs tokens[n_tokens] as
   * forward does, then sets *next_token to the id of the last token's
   * largest logit (the lowest id among equals): greedy decoding, chosen
   * where the logits are (on a GPU they never cross the bus).  NULL when
   * the plugin has none; callers then use forward and pick it themselves. */
  pio_status (*forward_argmax)(pio_model *model, const int32_t *tokens, uint32_t n_tokens,
                               int32_t *next_token, pio_error *err);
} pio_model_api;

/* ------------------------------------------------------------------ */
/* The plugin table.                                                    */

/* Bits of pio_plugin.components: which component folders have code. */
enum {
  PIO_COMPONENT_CONFIG = 1u << 0,
  PIO_COMPONENT_MODEL = 1u << 1,
  PIO_COMPONENT_ATTENTION = 1u << 2,
  PIO_COMPONENT_KV_CACHE = 1u << 3,
  PIO_COMPONENT_MLP = 1u << 4,
  PIO_COMPONENT_ROTARY = 1u << 5,
  PIO_COMPONENT_FUSED_LAYERS = 1u << 6
};

typedef struct pio_plugin {
  uint32_t struct_size;           /* sizeof(pio_plugin) as the plugin built it */
  uint16_t abi_major;             /* PIO_ABI_MAJOR the plugin was built with */
  uint16_t abi_minor;
  const char *name;               /* must equal the manifest's name */
  const char *version;            /* must equal the manifest's version */
  const char *model_architecture; /* must equal the manifest's model_architecture */
  uint32_t components;            /* PIO_COMPONENT_* bits */
  const pio_config_api *config;   /* NULL when absent */
  const pio_kv_cache_api *kv_cache;
  const pio_model_api *model;
  /* ABI 1.2: the other architectures served (e.g. "Qwen2ForCausalLM"),
   * NULL-terminated; NULL when none.  Must equal the manifest's
   * additional_architectures, in order. */
  const char *const *additional_architectures;
} pio_plugin;

/*
 * The entry function.  host is valid until the plugin is unloaded.  Returns
 * the plugin's static table, or NULL with err filled when the plugin cannot
 * run here.
 */
typedef const pio_plugin *(*pio_plugin_entry_fn)(const pio_host_services *host, pio_error *err);

/* The check every entry function makes first (libpio-sdk): the host
 * refuses a plugin of another ABI major, and the plugin returns the
 * favour, since the host table's layout would differ.  PIO_OK, or
 * PIO_ERR_ABI naming plugin_name when host is NULL, too small to hold its
 * header, or of another major. */
pio_status pio_plugin_check_host(const pio_host_services *host, const char *plugin_name,
                                 pio_error *err);

/* Declares and exports an entry function:
 *   PIO_PLUGIN_ENTRY(pio_myplugin_entry) {
 *     if (pio_plugin_check_host(host, "myplugin", err) != PIO_OK) return NULL;
 *     return &table;
 *   }                                                                  */
#define PIO_PLUGIN_ENTRY(symbol)                                                   \
  PIO_PLUGIN_EXPORT const pio_plugin *symbol(const pio_host_services *host,         \
                                             pio_error *err);                       \
  PIO_PLUGIN_EXPORT const pio_plugin *symbol(const pio_host_services *host, pio_error *err)

#ifdef __cplusplus
}
#endif
#endif
