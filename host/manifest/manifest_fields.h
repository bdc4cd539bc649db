/* host/manifest/manifest_fields.h — reading one manifest field at a time: type,
 * length and syntax checks whose errors say "path:line:column: field: what
 * was expected, what was found".  Internal to host/manifest*.c. */
#ifndef PIO_HOST_MANIFEST_FIELDS_H
#define PIO_HOST_MANIFEST_FIELDS_H

#include <stddef.h>

#include "manifest/manifest.h"
#include "pio/json.h"

/* What a field reader needs to report: the file, where values are, and
 * where remarks go.  Borrowed pointers, all owned by the caller. */
typedef struct mf_reader {
  const char *path;
  const pio_json_positions *positions;
  pio_string_list *warnings;
  pio_error *err;
} mf_reader;

/* A syntax rule for a text field: NULL when text is acceptable, or a phrase
 * saying what was expected ("a C identifier"). */
typedef const char *(*mf_rule)(const char *text);

const char *mf_rule_name(const char *text); /* [a-z][a-z0-9_-]{0,63} */
const char *mf_rule_semver(const char *text);
const char *mf_rule_identifier(const char *text); /* C identifier */
const char *mf_rule_module(const char *text);     /* plain file name */
const char *mf_rule_architecture(const char *text);
const char *mf_rule_token(const char *text); /* tags, modalities, sonames */
const char *mf_rule_requirement(const char *text);

/* Fails with "path:line:column: field: message", the position being that
 * of object[key] when present, else of object.  Returns err->code. */
pio_status mf_fail(const mf_reader *r, const json_object *object, const char *key,
                   const char *field, pio_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Finds object[key] of the given JSON type.  Absent and optional: PIO_OK
 * with *out NULL.  Absent and required, or the wrong type: an error. */
pio_status mf_member(const mf_reader *r, const json_object *object, const char *key,
                     const char *field, int required, json_type type, json_object **out);

/* A text field checked against max_bytes and rule (NULL: any text without
 * NUL).  *out is a new copy (caller frees), untouched when absent. */
pio_status mf_text(const mf_reader *r, const json_object *object, const char *key,
                   const char *field, int required, size_t max_bytes, mf_rule rule, char **out);

/* An array of texts, each checked as mf_text does; at most max_items. */
pio_status mf_text_list(const mf_reader *r, const json_object *object, const char *key,
                        const char *field, size_t max_items, size_t max_bytes, mf_rule rule,
                        pio_string_list *out);

/* A number within [min, max]; *out untouched when absent. */
pio_status mf_number(const mf_reader *r, const json_object *object, const char *key,
                     const char *field, double min, double max, double *out);

/* A non-negative integer up to max; *out untouched when absent. */
pio_status mf_count(const mf_reader *r, const json_object *object, const char *key,
                    const char *field, uint64_t max, uint64_t *out);

/* Adds a warning for every member of object not named in known (a
 * NULL-terminated list); prefix is the object's field path ("" at top). */
pio_status mf_warn_unknown(const mf_reader *r, const json_object *object, const char *prefix,
                           const char *const *known);

/* Fails on the first member of object not named in known: where a field
 * decides what may load (a variant's needs), one the host does not know
 * must not be skipped.  prefix is the object's field path. */
pio_status mf_refuse_unknown(const mf_reader *r, const json_object *object, const char *prefix,
                             const char *const *known);

/* object["cpu_features"] (absent: none): known CPU feature names, stored by
 * their canonical names ("amx" -> "amx_tile") in *names and as bits in
 * *mask, each once.  prefix is the object's field path. */
pio_status mf_cpu_features(const mf_reader *r, const json_object *object, const char *prefix,
                           pio_string_list *names, pio_cpu_features *mask);

/* Appends a copy of text; -1 when out of memory. */
int string_list_push(pio_string_list *list, const char *text);
void string_list_clear(pio_string_list *list);

#endif
