/*
 * pio/hf_config.h — reading a Hugging Face config.json as every model
 * plugin's config component does: the file read within size and depth
 * limits, each field read with "path:line:column" in its message, JSON null
 * taken as "not given" (Transformers writes null for optional fields), the
 * `architectures` list checked and the weights' dtype read.  A plugin keeps
 * only its own fields and rules; the wording of errors is the same for all.
 */
#ifndef PIO_HF_CONFIG_H
#define PIO_HF_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pio/dtype.h"
#include "pio/json.h"
#include "pio/plugin.h"
#include "pio/rope.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One config.json being read.  Caller-owned (usually on the stack); filled
 * by pio_hf_config_open, released by pio_hf_config_close. */
typedef struct pio_hf_config {
  const char *path;              /* borrowed from the caller: names the file in messages */
  json_object *root;             /* owned: the document, a JSON object */
  pio_json_positions *positions; /* owned: where each value sits */
  char where[4200];              /* the place last named (pio_hf_config_where) */
} pio_hf_config;

/*
 * Reads the JSON file at path within max_bytes and max_depth
 * (pio_json_parse_file: PIO_ERR_IO, PIO_ERR_LIMIT, PIO_ERR_PARSE with
 * "path:line:column") and checks that the top is an object (PIO_ERR_INVALID
 * "path: expected a JSON object at the top, found an array").  path must
 * outlive doc.  On PIO_OK doc owns the document until pio_hf_config_close;
 * on an error doc holds nothing, and closing it anyway is harmless.
 */
pio_status pio_hf_config_open(pio_hf_config *doc, const char *path, size_t max_bytes,
                              int max_depth, pio_error *err);
void pio_hf_config_close(pio_hf_config *doc);

/* A plugin's reading of an open config.json into its own config. */
typedef pio_status (*pio_hf_config_reader)(pio_hf_config *doc, pio_model_config *config,
                                           pio_error *err);

/*
 * The whole of a config component's parse_file but the allocation: opens
 * path (pio_hf_config_open), runs read on it into config (the caller's),
 * and closes it.  Returns open's or read's status; on an error config may
 * hold part of what read filled, for the caller to free.
 */
pio_status pio_hf_config_read_file(const char *path, size_t max_bytes, int max_depth,
                                   pio_hf_config_reader read, pio_model_config *config,
                                   pio_error *err);

/*
 * Names member key of object (doc->root or an object inside it) for a
 * message: "path:L:C" where the member's value starts, or "path" when its
 * position is unknown (an absent member has none); when parent is not NULL,
 * ": parent" follows ("path:L:C: rope_scaling").  Returns doc->where, valid
 * until the next call that names a place.
 */
const char *pio_hf_config_where(pio_hf_config *doc, const json_object *object, const char *key,
                                const char *parent);

/* 1 when member key of object is present and not JSON null, else 0. */
int pio_hf_config_given(const json_object *object, const char *key);

/*
 * Typed members of object, placed as pio_hf_config_where(doc, object, key,
 * NULL) names them, with pio_json_get_*'s rules and messages ("field 'key':
 * expected an integer from 1 to 1024, found 5000").  An optional member
 * that is absent or JSON null leaves *out as it was; a required one that
 * is absent is "missing required field 'key'".  *out of get_string points
 * into doc->root.
 */
pio_status pio_hf_config_get_u32(pio_hf_config *doc, const json_object *object, const char *key,
                                 int required, uint32_t min, uint32_t max, uint32_t *out,
                                 pio_error *err);
pio_status pio_hf_config_get_double(pio_hf_config *doc, const json_object *object,
                                    const char *key, int required, double min, double max,
                                    double *out, pio_error *err);
pio_status pio_hf_config_get_bool(pio_hf_config *doc, const json_object *object,
                                  const char *key, int required, int *out, pio_error *err);
pio_status pio_hf_config_get_string(pio_hf_config *doc, const json_object *object,
                                    const char *key, int required, const char **out,
                                    pio_error *err);

/*
 * How many experts each token is routed to (num_experts_per_tok): an
 * optional member from 1 to n_experts, the experts that experts_key (e.g.
 * "num_local_experts") gave.  Absent or null, *out keeps the family's
 * default, which must be no more than n_experts either: Transformers' top-2
 * of a one-expert Mixtral names no model.  Such a default is PIO_ERR_INVALID
 * "field 'key' is absent: its default 2 is more than the 1 expert of
 * 'experts_key'", placed at experts_key.
 */
pio_status pio_hf_config_get_experts_per_token(pio_hf_config *doc, const json_object *object,
                                               const char *key, const char *experts_key,
                                               uint32_t n_experts, uint32_t *out,
                                               pio_error *err);

/*
 * An optional member that must be an object or null (rope_scaling,
 * quantization_config).  Given: *out points to it, inside doc->root;
 * absent or null: *out = NULL.  Anything else is PIO_ERR_INVALID "field
 * 'key': expected an object or null, found an array".
 */
pio_status pio_hf_config_get_object(pio_hf_config *doc, const json_object *object,
                                    const char *key, json_object **out, pio_error *err);

/*
 * An optional string member that must be one of choices (NULL-terminated).
 * Given: *out is set to the matching entry of choices (so a caller may
 * compare pointers); absent or null: *out is left as it was.  Anything else
 * is PIO_ERR_INVALID "field 'key': expected <expected>, found "<value>"",
 * expected being how a person reads the choices ("\"silu\"").
 */
pio_status pio_hf_config_get_choice(pio_hf_config *doc, const json_object *object,
                                    const char *key, const char *const *choices,
                                    const char *expected, const char **out, pio_error *err);

/*
 * "architectures": required, an array of strings, one of which is
 * architecture (e.g. "LlamaForCausalLM").  PIO_ERR_INVALID otherwise,
 * naming the field and what was found ("found \"MistralForCausalLM\"",
 * "found an empty array", "item 0: expected a string, found an integer").
 */
pio_status pio_hf_config_check_architecture(pio_hf_config *doc, const char *architecture,
                                            pio_error *err);

/*
 * The weights' element type: "torch_dtype", or "dtype" (its name since
 * Transformers 4.56) when torch_dtype is not given.  "float32", "bfloat16"
 * and "float16" give PIO_DTYPE_F32, _BF16 and _F16 with *present = 1;
 * neither key given: *present = 0 and *dtype untouched; another value:
 * PIO_ERR_INVALID naming the key.
 */
pio_status pio_hf_config_read_dtype(pio_hf_config *doc, int *present, pio_dtype *dtype,
                                    pio_error *err);

/*
 * Like pio_hf_config_check_architecture for a plugin serving several:
 * "architectures" must name one of choices (NULL-terminated); *found is
 * set to that entry of choices (compare pointers; found may be NULL).  The
 * message of a mismatch lists every choice.
 */
pio_status pio_hf_config_check_architectures(pio_hf_config *doc, const char *const *choices,
                                             const char **found, pio_error *err);

/* An optional number above 0 and up to max; absent or null leaves *out. */
pio_status pio_hf_config_get_positive(pio_hf_config *doc, const json_object *object,
                                      const char *key, double max, double *out,
                                      pio_error *err);

/* PIO_OK when value divides whole; else PIO_ERR_INVALID naming member key
 * of object: "field 'key': expected a divisor of whole_key (whole), found
 * value" (a patch size and its image, heads and their KV heads). */
pio_status pio_hf_config_check_divisor(pio_hf_config *doc, const json_object *object,
                                       const char *key, uint32_t value, const char *whole_key,
                                       uint32_t whole, pio_error *err);

/* ---- The shape of a decoder-only transformer ---- */

/* Largest values accepted: generous beside every published model (Llama
 * 3.1 405B: 126 layers, 16384 hidden, 53248 intermediate; Gemma 3: 262208
 * tokens; Llama 4: 10485760 positions) while keeping every product a
 * plugin forms inside 64 bits and every matrix side inside 32 bits. */
#define PIO_HF_MAX_HIDDEN 65536u
#define PIO_HF_MAX_INTERMEDIATE 1048576u
#define PIO_HF_MAX_LAYERS 1024u
#define PIO_HF_MAX_HEADS 1024u
#define PIO_HF_MAX_HEAD_DIM 1024u
#define PIO_HF_MAX_VOCAB 4194304u
#define PIO_HF_MAX_POSITIONS 16777216u
#define PIO_HF_MAX_EXPERTS 4096u

/* What every decoder-only config.json states, with Llama's field names
 * (Qwen, Mistral, Gemma, GPT-OSS, Llama 4's text_config and Jamba use
 * them too). */
typedef struct pio_hf_decoder {
  uint32_t hidden_size;        /* d_model */
  uint32_t intermediate_size;  /* d_ff of a dense MLP; 0 when the caller does not ask */
  uint32_t n_layers;           /* num_hidden_layers */
  uint32_t n_heads;            /* num_attention_heads */
  uint32_t n_kv_heads;         /* num_key_value_heads; n_heads when absent */
  uint32_t head_dim;           /* even; see pio_hf_decoder_read */
  uint32_t vocab_size;
  uint32_t max_position;       /* max_position_embeddings */
  double rms_norm_eps;         /* > 0 */
  double rope_theta;           /* > 0 */
  int tie_word_embeddings;
  int has_torch_dtype;         /* torch_dtype (or dtype) given, in torch_dtype */
  pio_dtype torch_dtype;
  char rope_type[24];          /* rope_scaling's rope_type (or type); "default" when none */
  double rope_factor;          /* rope_scaling.factor; 1 when none or absent */
  /* The rotary embedding as pio/rope.h computes it (every dimension of a
   * head; pio_hf_config_read_rope), when rope_computable: the kinds
   * "default", "linear", "llama3" and "yarn".  Another kind ("dynamic",
   * "longrope") is kept in rope_type only, for a forward pass to refuse. */
  int rope_computable;
  pio_rope_params rope;
} pio_hf_decoder;

/*
 * Reads d from object (doc->root, or an object inside it such as Llama 4's
 * "text_config").  The caller sets the family's defaults in d first (or
 * zeroes it): a field stays as set when absent, and hidden_size,
 * num_hidden_layers, num_attention_heads, vocab_size,
 * max_position_embeddings (and intermediate_size when need_intermediate)
 * left 0 are required; num_key_value_heads left 0 defaults to
 * num_attention_heads, which it must divide; head_dim left 0 is
 * hidden_size / num_attention_heads (which must divide) and must be even
 * (rotary embeddings pair dimensions).  rms_norm_eps, rope_theta (10000
 * when the caller leaves 0) and tie_word_embeddings keep the caller's
 * values when absent.  torch_dtype is
 * read from doc->root, rope_scaling from object (any rope_type is kept:
 * what a forward pass cannot compute is its to refuse).  Errors name the
 * file, line:column and field.
 */
pio_status pio_hf_decoder_read(pio_hf_config *doc, const json_object *object,
                               int need_intermediate, pio_hf_decoder *d, pio_error *err);

/*
 * The top-level config.json fields that pio_hf_decoder_read (with the rope,
 * dtype and kv_cache_scheme readers it and a family call) reads, then those
 * no forward pass needs (training, generation, bookkeeping).  A family's
 * pio_config_api.fields lists them before its own, NULL last:
 *   {PIO_HF_DECODER_FIELDS, "sliding_window", NULL}
 */
#define PIO_HF_DECODER_FIELDS                                                                   \
  "architectures", "model_type", "hidden_size", "intermediate_size", "num_hidden_layers",       \
      "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",                   \
      "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling",                  \
      "rope_parameters", "tie_word_embeddings", "torch_dtype", "dtype", "quantization_config",  \
      "attention_dropout", "initializer_range", "use_cache", "bos_token_id", "eos_token_id",    \
      "pad_token_id", "transformers_version", "_name_or_path"

/* PIO_OK when a forward pass can compute d's rope_scaling (the default,
 * linear, llama3 and yarn kinds pio/rope.h computes), else
 * PIO_ERR_UNSUPPORTED naming path and the kind. */
pio_status pio_hf_decoder_check_rope(const pio_hf_decoder *d, const char *path, pio_error *err);

/* Embeddings (and lm_head unless tied) plus the final norm: the parameters
 * of a decoder that are outside its layers. */
uint64_t pio_hf_decoder_outer_params(const pio_hf_decoder *d);

/* Q, K, V and O projections of one attention layer (no biases). */
uint64_t pio_hf_decoder_attention_params(const pio_hf_decoder *d);

/*
 * "layer_types" of object, when given: an array of exactly n_layers
 * strings, "full_attention", "sliding_attention" or "chunked_attention",
 * written into kinds[n_layers] as PIO_KV_LAYER_FULL, _SLIDING, _CHUNKED
 * with *given = 1.  Absent or null: *given = 0, kinds untouched.  Another
 * kind (Qwen3-Next's "linear_attention") is PIO_ERR_UNSUPPORTED naming it.
 */
pio_status pio_hf_config_read_layer_types(pio_hf_config *doc, const json_object *object,
                                          uint32_t n_layers, uint8_t *kinds, int *given,
                                          pio_error *err);

/*
 * Per-layer lists.  read_layer_indices: member key of object, when given,
 * is an array of distinct layer indices below n_layers (Qwen's
 * mlp_only_layers, Llama 4's moe_layers); flags[index] = value for each.
 * read_layer_mask: an array of n_layers integers 0 or 1 (Llama 4's
 * no_rope_layers) into mask.  *given says whether the list was there; an
 * empty array is not given (Transformers then derives it), and neither
 * touches its output then.  Errors name the field and the item.
 */
pio_status pio_hf_config_read_layer_indices(pio_hf_config *doc, const json_object *object,
                                            const char *key, uint32_t n_layers, uint8_t value,
                                            uint8_t *flags, int *given, pio_error *err);
pio_status pio_hf_config_read_layer_mask(pio_hf_config *doc, const json_object *object,
                                         const char *key, uint32_t n_layers, uint8_t *mask,
                                         int *given, pio_error *err);

/* The KV cache a config.json asks for. */
typedef struct pio_hf_kv_scheme {
  int quantized;    /* quantization_config.kv_cache_scheme given */
  pio_dtype dtype;  /* PIO_DTYPE_FP8 or _INT8 when quantized */
  uint32_t scales;  /* pio_kv_scales, when quantized */
} pio_hf_kv_scheme;

/*
 * Reads quantization_config.kv_cache_scheme (compressed-tensors: num_bits
 * 8, type "float" (fp8) or "int" (int8), strategy "tensor" or
 * "attn_head") into *out.  Absent or null: out->quantized = 0; anything
 * else it cannot size is PIO_ERR_UNSUPPORTED naming the field.
 */
pio_status pio_hf_config_read_kv_scheme(pio_hf_config *doc, pio_hf_kv_scheme *out,
                                        pio_error *err);

/* ---- RoPE ---- */

/*
 * The RoPE parameters of object (doc->root, or a text_config inside it)
 * into *p (zeroed first; layout half-split, rotary_dim as given: head_dim,
 * or less for a partial rotary): rope_theta (default_theta when absent)
 * and rope_scaling, or Transformers 5's rope_parameters holding both.
 * The type is rope_type, or the older "type": null, absent or "default",
 * "linear" (factor), "llama3" (factor, low_freq_factor, high_freq_factor,
 * original_max_position_embeddings, all required) or "yarn" (factor, else
 * max_position / original; original_max_position_embeddings, else
 * max_position; beta_fast, beta_slow, mscale, mscale_all_dim,
 * attention_factor, truncate optional).  Another type is
 * PIO_ERR_UNSUPPORTED naming it; bad values PIO_ERR_INVALID naming the
 * file, line:column and field.  The caller sets p->layout for an
 * interleaved model (DeepSeek's rope_interleave).
 */
pio_status pio_hf_config_read_rope(pio_hf_config *doc, const json_object *object,
                                   uint32_t rotary_dim, uint32_t max_position,
                                   double default_theta, pio_rope_params *p, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
