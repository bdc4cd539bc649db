/* pio/chat_template.h — the chat templates of Hugging Face model folders
 * (tokenizer_config.json's `chat_template`, or chat_template.jinja): the
 * subset of Jinja that real chat templates use, rendered as Transformers
 * renders them (Jinja2 with trim_blocks, lstrip_blocks and loop controls;
 * its own tojson, raise_exception and strftime_now).  Anything outside the
 * subset is an error naming the template's line and column, never a wrong
 * prompt.  docs/chat-templates.md lists what is read. */
#ifndef PIO_CHAT_TEMPLATE_H
#define PIO_CHAT_TEMPLATE_H

#include <stddef.h>

#include <json-c/json.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest template read, and most bytes one rendering may write. */
#define PIO_TEMPLATE_MAX_SOURCE (1u << 20)
#define PIO_TEMPLATE_MAX_OUTPUT (16u << 20)

/* A compiled template: immutable, shareable between threads. */
typedef struct pio_chat_template pio_chat_template;

/* Compiles len bytes of template source; name names it in messages
 * ("name:LINE:COLUMN: what").  PIO_ERR_PARSE for a syntax error,
 * PIO_ERR_UNSUPPORTED for a tag, filter or test outside the subset. */
pio_status pio_chat_template_compile(const char *name, const char *source, size_t len,
                                     pio_chat_template **out, pio_error *err);
void pio_chat_template_free(pio_chat_template *tmpl);

/*
 * Renders the template with the variables of `vars`, a JSON object (for a
 * chat: messages, add_generation_prompt, bos_token, eos_token, tools, ...);
 * JSON objects, arrays, strings, numbers, booleans and null become Python's
 * dicts, lists, str, int/float, bool and None.  *text (NUL-terminated,
 * *len bytes) is owned by the caller (free).  A raise_exception() in the
 * template, a type error or an undefined value used where a value is
 * needed is PIO_ERR_INVALID naming the line and column.
 */
pio_status pio_chat_template_render(const pio_chat_template *tmpl, json_object *vars, char **text,
                                    size_t *len, pio_error *err);

/*
 * A model folder's chat template and the variables Transformers passes
 * with it: DIR/chat_template.jinja when present, else tokenizer_config.json's
 * `chat_template` (a string, or a list of {name, template} of which
 * "default" is taken), and the special tokens of tokenizer_config.json
 * (bos_token, eos_token, unk_token, pad_token: strings or {"content": ...}).
 * *tmpl is owned by the caller; *specials is a new JSON object holding the
 * tokens found (json_object_put).  PIO_ERR_NOT_FOUND when the folder has no
 * template.
 */
pio_status pio_chat_template_load_dir(const char *dir, pio_chat_template **tmpl,
                                      json_object **specials, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
