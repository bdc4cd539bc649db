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

#ifdef __cplusplus
}
#endif
#endif
