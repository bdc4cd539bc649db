/* host/cli/cli_common.h — what every pio-host command shares: the common
 * options (--plugin-path, --no-cache, --help), exit codes, opening the
 * registry, and printing text from manifests escaped. */
#ifndef PIO_CLI_COMMON_H
#define PIO_CLI_COMMON_H

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "pio/host.h"

enum {
  PIO_CLI_EXIT_OK = 0,      /* all well */
  PIO_CLI_EXIT_PLUGIN = 1,  /* a plugin problem */
  PIO_CLI_EXIT_USAGE = 2    /* bad usage */
};

/* getopt_long values of the common options. */
enum {
  PIO_CLI_OPT_PLUGIN_PATH = 0x100,
  PIO_CLI_OPT_NO_CACHE,
  PIO_CLI_OPT_HELP,
  PIO_CLI_OPT_CACHE,
  PIO_CLI_OPT_JSON
};

/* The common options, to splice into a command's option table. */
#define PIO_CLI_COMMON_OPTIONS                                                \
  {"plugin-path", required_argument, NULL, PIO_CLI_OPT_PLUGIN_PATH},          \
      {"no-cache", no_argument, NULL, PIO_CLI_OPT_NO_CACHE},                  \
      {"cache", required_argument, NULL, PIO_CLI_OPT_CACHE},                  \
      {"json", no_argument, NULL, PIO_CLI_OPT_JSON},                          \
      {"help", no_argument, NULL, PIO_CLI_OPT_HELP}

/* Help text lines for the common options. */
#define PIO_CLI_COMMON_HELP                                                        \
  "  --plugin-path DIR  search DIR for plugin folders first (repeatable)\n"       \
  "  --no-cache         neither read nor write the registry cache\n"              \
  "  --cache DIR        keep the registry cache in DIR\n"                         \
  "  --json             print one JSON document (docs/json/), errors included\n"  \
  "  -h, --help         show this help\n"

typedef struct pio_cli_common {
  const char **plugin_paths; /* argv strings; the array is owned */
  size_t n_plugin_paths;
  int no_cache;
  const char *cache_dir; /* --cache DIR: an argv string, or NULL */
  int json;              /* --json: documents and errors as JSON on stdout */
  int help;
  const char *command;   /* "list", ...: names the command in messages and documents */
} pio_cli_common;

/* Handles opt when it is a common option: returns 1 when it was one, 0
 * when not, -1 when out of memory. */
int pio_cli_common_option(pio_cli_common *common, int opt, const char *arg);
/* What a command returns when pio_cli_common_option gave result (0 or -1)
 * for an option: a usage error (exit 2) for 0, "out of memory" (exit 1)
 * for -1. */
int pio_cli_option_failed(const pio_cli_common *common, int result);
void pio_cli_common_free(pio_cli_common *common);

/* Makes usage errors documents when argv (a command's, before "--") holds
 * --json: a bad value can come before --json is parsed.  main() calls it
 * for the commands that take --json. */
void pio_cli_usage_errors_as_json(int argc, char **argv);

/* Reports a usage error ("pio-host CMD: message; see --help") on stderr,
 * or as the error document (status "invalid argument") on stdout after
 * pio_cli_usage_errors_as_json found --json; returns PIO_CLI_EXIT_USAGE. */
int pio_cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Reports that command failed: "pio-host COMMAND: message" on stderr, or
 * with --json the error document "pio-host COMMAND" on stdout
 * (docs/json/error.schema.json).  Returns exit_code. */
int pio_cli_fail(const pio_cli_common *common, int exit_code, pio_status status,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A new JSON document of the command ("pio-host COMMAND"): see about.h. */
json_object *pio_cli_document(const pio_cli_common *common);

/* What a command's getopt_long loop (optstring starting with ':', opterr
 * 0) does with opt '?' or ':': reports the unknown option (with "did you
 * mean" when one is near) or the missing value, and returns
 * PIO_CLI_EXIT_USAGE.  argv and optind as getopt left them. */
int pio_cli_bad_option(const char *command, int opt, char **argv,
                       const struct option *options);

/* Prints "pio-host COMMAND: no plugin named 'NAME' on the plugin path" on
 * stderr, and "; did you mean 'OTHER'?" when one is near. */
void pio_cli_no_plugin(const pio_registry *registry, const char *command, const char *name);

/* The same sentence in buf, for pio_cli_fail. */
void pio_cli_no_plugin_text(const pio_registry *registry, const char *name, char *buf,
                            size_t size);

/* Opens the registry with the common options.  On failure reports the
 * error (pio_cli_fail) and returns NULL. */
pio_registry *pio_cli_open_registry(const pio_cli_common *common, int check_load);

/* Prints text escaped (control characters, invalid UTF-8). */
void pio_cli_put(FILE *out, const char *text);
/* Prints text escaped, padded with spaces to width columns. */
void pio_cli_put_padded(FILE *out, const char *text, size_t width);
/* Columns text takes once escaped. */
size_t pio_cli_columns(const char *text);

/* The component folders, in PIO_COMPONENT_* bit order. */
extern const char *const pio_cli_component_names[];
extern const size_t pio_cli_component_count;

/* "ok", "ok (variant NAME)" for a plugin with variants, or "STATE: REASON". */
void pio_cli_put_status(FILE *out, const pio_plugin_record *record);

/* The manifest variant a load without --variant loads for record here
 * (pio_plugin_variants' chosen one); NULL when the record is not ok, its
 * manifest lists none, or none runs here.  Valid while the registry is. */
const char *pio_cli_chosen_variant(const pio_plugin_record *record);

#endif
