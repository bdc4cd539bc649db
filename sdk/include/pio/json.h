/* pio/json.h — reading JSON files safely (size and depth limits, errors with
 * file:line:column) and typed field access with errors that name the field.
 * Used by the host for manifests and by plugins for config.json. */
#ifndef PIO_JSON_H
#define PIO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits a caller passes to pio_json_parse_file; 0 picks the default. */
#define PIO_JSON_DEFAULT_MAX_BYTES (4u << 20) /* 4 MiB */
#define PIO_JSON_DEFAULT_MAX_DEPTH 64

/*
 * Reads and parses the JSON file at path.  A file over max_bytes or nested
 * deeper than max_depth is refused (PIO_ERR_LIMIT) without being parsed in
 * full; a syntax error is PIO_ERR_PARSE with "path:line:column: what".  On
 * success *out is a new json-c object owned by the caller (json_object_put).
 * If positions is not NULL it receives a table mapping objects back to their
 * line:column (see pio_json_position), owned by the caller
 * (pio_json_positions_free); it may be NULL when not needed.
 */
typedef struct pio_json_positions pio_json_positions;
pio_status pio_json_parse_file(const char *path, size_t max_bytes, int max_depth,
                               json_object **out, pio_json_positions **positions,
                               pio_error *err);
/* Same for a buffer already in memory; `name` is used in messages. */
pio_status pio_json_parse_buffer(const char *name, const char *text, size_t len,
                                 int max_depth, json_object **out,
                                 pio_json_positions **positions, pio_error *err);
void pio_json_positions_free(pio_json_positions *positions);

/* Line and column (1-based) where the value of member `key` of `object`
 * starts, or of `object` itself when key is NULL.  Returns 0 on success, -1
 * when unknown (positions NULL, or object not from that parse). */
int pio_json_position(const pio_json_positions *positions, const json_object *object,
                      const char *key, int *line, int *column);

/*
 * Typed getters.  `where` names the document in messages (usually its path).
 * Missing and required: PIO_ERR_INVALID "where: missing required field 'key'".
 * Missing and optional: *out keeps its value, PIO_OK.  Wrong JSON type or a
 * value outside [min, max]: PIO_ERR_INVALID naming the field, what was
 * expected and what was found.
 */
pio_status pio_json_get_u32(const json_object *object, const char *where, const char *key,
                            int required, uint32_t min, uint32_t max, uint32_t *out,
                            pio_error *err);
pio_status pio_json_get_u64(const json_object *object, const char *where, const char *key,
                            int required, uint64_t min, uint64_t max, uint64_t *out,
                            pio_error *err);
pio_status pio_json_get_double(const json_object *object, const char *where, const char *key,
                               int required, double min, double max, double *out,
                               pio_error *err);
pio_status pio_json_get_bool(const json_object *object, const char *where, const char *key,
                             int required, int *out, pio_error *err);
/* *out points into object (valid while object lives). */
pio_status pio_json_get_string(const json_object *object, const char *where, const char *key,
                               int required, const char **out, pio_error *err);

/*
 * Building a document.  json-c's constructors return NULL and its
 * insertions -1 when memory runs out, and an insertion that fails keeps
 * the value it was given.  A builder carries one flag instead of a check at
 * every call: each function below takes any value it is given (put when it
 * cannot be inserted), marks b failed, and pio_json_done gives the whole
 * document or NULL.  A NULL value is JSON null; only pio_json_made tells a
 * constructor's failure from it.
 */
typedef struct pio_json_build {
  int failed; /* nonzero once something could not be made or inserted */
} pio_json_build;

/* v (a json_object_new_* result), marking b failed when it is NULL. */
json_object *pio_json_made(pio_json_build *b, json_object *v);
/* A new string of text; NULL (JSON null) when text is NULL. */
json_object *pio_json_text(pio_json_build *b, const char *text);
/* obj[key] = v, v owned by obj from now on (put on failure; obj NULL fails). */
void pio_json_set(pio_json_build *b, json_object *obj, const char *key, json_object *v);
/* Appends v to array, likewise. */
void pio_json_push(pio_json_build *b, json_object *array, json_object *v);
/* doc when nothing failed, else NULL (doc put). */
json_object *pio_json_done(pio_json_build *b, json_object *doc);

/*
 * Writes text into out (size bytes, always terminated) as a double-quoted,
 * escaped quotation fit for a message: control characters, quotes and
 * backslashes escaped as in JSON, bytes that are not UTF-8 as \xNN, and
 * cut with "..." when it does not fit.  Returns out.  NULL text gives null.
 */
char *pio_json_quote(const char *text, char *out, size_t size);

/* Name of a json-c type as a person says it ("a string", "an object"). */
const char *pio_json_type_phrase(json_type type);

#ifdef __cplusplus
}
#endif
#endif
