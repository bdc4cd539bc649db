/* host/cli/about.h — what pio-host and pio-bench say about themselves:
 * the --version text (version, commit, plugin ABI, the kernel paths built
 * and those this CPU runs), the head every JSON document they print
 * starts with (schema_version, the tool, the machine), and errors as JSON
 * documents.  docs/json/ holds the schemas of the documents. */
#ifndef PIO_CLI_ABOUT_H
#define PIO_CLI_ABOUT_H

#include <json-c/json.h>
#include <stdio.h>

#include "pio/status.h"

/* The version of every document's layout: bumped when a field changes
 * meaning or goes away (adding one does not). */
#define PIO_JSON_SCHEMA_VERSION 1

/* The --version text of tool ("pio-host", "pio-bench"). */
void pio_about_print_version(FILE *out, const char *tool);

/* A new JSON document (owned by the caller, json_object_put) holding
 * schema_version, "document" (its kind, e.g. "pio-host list", naming its
 * schema in docs/json/), "tool" and "machine"; the caller adds the rest.
 * NULL when out of memory. */
json_object *pio_about_json_document(const char *tool, const char *kind);

/* Prints the head of a document of kind on one line without its closing
 * brace ({"schema_version": 1, ..., "machine": {...}), for a command that
 * writes the rest of its document itself, starting with a comma.  -1 when
 * out of memory (nothing printed). */
int pio_about_print_json_head(FILE *out, const char *tool, const char *kind);

/* Prints on out the document of kind with "error": {"status" (the
 * status's name), "code", "message"} — what a command given --json prints
 * instead of its document when it fails. */
void pio_about_print_json_error(FILE *out, const char *tool, const char *kind, pio_status code,
                                const char *message);

/* Prints a document pretty; strings safe for a terminal and valid UTF-8
 * (text_escape_json).  -1 when out of memory. */
int pio_about_print_json(FILE *out, json_object *document);
/* The same on one line (JSON Lines: one document a line). */
int pio_about_print_json_line(FILE *out, json_object *document);

#endif
