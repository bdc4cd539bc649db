/* host/cli/cli_common.c — options, registry opening and escaped printing
 * shared by the pio-host commands.  Only this program prints; the library
 * returns errors. */
#include "cli_common.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "about.h"
#include "plugin_path_warning.h"
#include "suggest.h"
#include "text_escape.h"

const char *const pio_cli_component_names[] = {
    "config", "model", "attention", "kv_cache", "mlp", "rotary", "fused_layers"};
const size_t pio_cli_component_count =
    sizeof pio_cli_component_names / sizeof pio_cli_component_names[0];

int pio_cli_common_option(pio_cli_common *common, int opt, const char *arg) {
  switch (opt) {
    case PIO_CLI_OPT_PLUGIN_PATH: {
      const char **grown =
          realloc(common->plugin_paths, (common->n_plugin_paths + 1) * sizeof *grown);
      if (grown == NULL) return -1;
      common->plugin_paths = grown;
      common->plugin_paths[common->n_plugin_paths++] = arg;
      char prefix[64];
      snprintf(prefix, sizeof prefix, "pio-host %s",
               common->command != NULL ? common->command : "");
      pio_warn_plugin_path(stderr, prefix, arg);
      return 1;
    }
    case PIO_CLI_OPT_NO_CACHE: common->no_cache = 1; return 1;
    case PIO_CLI_OPT_CACHE: common->cache_dir = arg; return 1;
    case PIO_CLI_OPT_JSON: common->json = 1; return 1;
    case PIO_CLI_OPT_HELP:
    case 'h': common->help = 1; return 1;
    default: return 0;
  }
}

int pio_cli_option_failed(const pio_cli_common *common, int result) {
  if (result < 0) return pio_cli_fail(common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
  return pio_cli_usage_error(common->command != NULL ? common->command : "", "bad option");
}

void pio_cli_common_free(pio_cli_common *common) {
  free(common->plugin_paths);
  common->plugin_paths = NULL;
  common->n_plugin_paths = 0;
}

/* Set by pio_cli_usage_errors_as_json: usage errors are documents. */
static int usage_errors_as_json;

void pio_cli_usage_errors_as_json(int argc, char **argv) {
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--json") == 0) usage_errors_as_json = 1;
}

int pio_cli_usage_error(const char *command, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  if (usage_errors_as_json) {
    char kind[64];
    snprintf(kind, sizeof kind, "pio-host %s", command);
    pio_about_print_json_error(stdout, "pio-host", kind, PIO_ERR_INVALID_ARGUMENT, message);
    return PIO_CLI_EXIT_USAGE;
  }
  fprintf(stderr, "pio-host %s: ", command);
  pio_cli_put(stderr, message);
  fprintf(stderr, "\nTry 'pio-host %s --help'.\n", command);
  return PIO_CLI_EXIT_USAGE;
}

int pio_cli_bad_option(const char *command, int opt, char **argv,
                       const struct option *options) {
  const char *given = optind > 0 && argv[optind - 1] != NULL ? argv[optind - 1] : "?";
  if (opt == ':') return pio_cli_usage_error(command, "option '%s' needs a value", given);
  char buf[80];
  const char *near = pio_suggest_option(given, options, buf, sizeof buf);
  if (near != NULL)
    return pio_cli_usage_error(command, "unknown option '%s'; did you mean '%s'?", given, near);
  return pio_cli_usage_error(command, "unknown option '%s'", given);
}

void pio_cli_no_plugin_text(const pio_registry *registry, const char *name, char *buf,
                            size_t size) {
  size_t n = pio_registry_count(registry);
  const char **names = malloc((n ? n : 1) * sizeof *names);
  const char *near = NULL;
  if (names != NULL) {
    for (size_t i = 0; i < n; i++) names[i] = pio_registry_at(registry, i)->name;
    near = pio_suggest(name, names, n);
  }
  int len = snprintf(buf, size, "no plugin named '%s' on the plugin path", name);
  if (near != NULL && len >= 0 && (size_t)len < size)
    len += snprintf(buf + len, size - (size_t)len, "; did you mean '%s'?", near);
  free(names);
  if (names == NULL && len >= 0 && (size_t)len < size)
    len += snprintf(buf + len, size - (size_t)len, " (out of memory)");
  /* A folder that could not be read may hold it: say why it was not. */
  for (size_t i = 0; i < n && len >= 0 && (size_t)len < size; i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (pio_plugin_record_unread(rec))
      len += snprintf(buf + len, size - (size_t)len, "; %s could not be read: %s", rec->dir,
                      rec->reason);
  }
}

void pio_cli_no_plugin(const pio_registry *registry, const char *command, const char *name) {
  char text[512];
  pio_cli_no_plugin_text(registry, name, text, sizeof text);
  fprintf(stderr, "pio-host %s: ", command);
  pio_cli_put(stderr, text);
  fputc('\n', stderr);
}

pio_registry *pio_cli_open_registry(const pio_cli_common *common, int check_load) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  opts.plugin_paths = common->plugin_paths;
  opts.n_plugin_paths = common->n_plugin_paths;
  opts.no_cache = common->no_cache;
  opts.cache_dir = common->cache_dir;
  opts.check_load = check_load;
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  if (pio_registry_open(&opts, &registry, &err) != PIO_OK) {
    pio_cli_fail(common, PIO_CLI_EXIT_PLUGIN, err.code, "%s", err.message);
    return NULL;
  }
  return registry;
}

static void document_kind(const pio_cli_common *common, char *out, size_t size) {
  snprintf(out, size, "pio-host %s", common->command != NULL ? common->command : "");
}

json_object *pio_cli_document(const pio_cli_common *common) {
  char kind[64];
  document_kind(common, kind, sizeof kind);
  return pio_about_json_document("pio-host", kind);
}

int pio_cli_fail(const pio_cli_common *common, int exit_code, pio_status status,
                 const char *fmt, ...) {
  char message[PIO_ERROR_MESSAGE_MAX + 256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  if (common->json) {
    char kind[64];
    document_kind(common, kind, sizeof kind);
    pio_about_print_json_error(stdout, "pio-host", kind, status, message);
  } else {
    fprintf(stderr, "pio-host %s: ", common->command != NULL ? common->command : "");
    pio_cli_put(stderr, message);
    fputc('\n', stderr);
  }
  return exit_code;
}

/* Writes text escaped; returns the columns it took. */
static size_t put_counted(FILE *out, const char *text) {
  size_t plain = text_plain_length(text);
  if (plain != TEXT_NOT_PLAIN) {
    fwrite(text != NULL ? text : "", 1, plain, out);
    return plain;
  }
  char *escaped = text_escape(text);
  const char *shown = escaped != NULL ? escaped : "(out of memory)";
  fputs(shown, out);
  size_t cols = text_columns(shown);
  free(escaped);
  return cols;
}

void pio_cli_put(FILE *out, const char *text) { put_counted(out, text); }

size_t pio_cli_columns(const char *text) {
  size_t plain = text_plain_length(text);
  if (plain != TEXT_NOT_PLAIN) return plain;
  char *escaped = text_escape(text);
  size_t cols = escaped != NULL ? text_columns(escaped) : 0;
  free(escaped);
  return cols;
}

void pio_cli_put_padded(FILE *out, const char *text, size_t width) {
  static const char spaces[] = "                                ";
  for (size_t cols = put_counted(out, text); cols < width;) {
    size_t n = width - cols < sizeof spaces - 1 ? width - cols : sizeof spaces - 1;
    fwrite(spaces, 1, n, out);
    cols += n;
  }
}

const char *pio_cli_chosen_variant(const pio_plugin_record *record) {
  pio_variant_verdict v[16];
  size_t n = 0;
  pio_error err;
  if (record->state != PIO_PLUGIN_OK || pio_plugin_variants(record, v, 16, &n, &err) != PIO_OK)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (v[i].chosen) return v[i].name;
  return NULL;
}

void pio_cli_put_status(FILE *out, const pio_plugin_record *record) {
  fputs(pio_plugin_state_name(record->state), out);
  const char *variant = pio_cli_chosen_variant(record);
  if (variant != NULL) {
    fputs(" (variant ", out);
    pio_cli_put(out, variant);
    fputc(')', out);
  }
  if (record->reason != NULL && record->reason[0] != '\0') {
    fputs(": ", out);
    pio_cli_put(out, record->reason);
  }
}
