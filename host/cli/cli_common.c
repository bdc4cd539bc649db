/* host/cli/cli_common.c — options, registry opening and escaped printing
 * shared by the pio-host commands.  Only this program prints; the library
 * returns errors. */
#include "cli_common.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
      return 1;
    }
    case PIO_CLI_OPT_NO_CACHE: common->no_cache = 1; return 1;
    case PIO_CLI_OPT_CACHE: common->cache_dir = arg; return 1;
    case PIO_CLI_OPT_HELP:
    case 'h': common->help = 1; return 1;
    default: return 0;
  }
}

void pio_cli_common_free(pio_cli_common *common) {
  free(common->plugin_paths);
  common->plugin_paths = NULL;
  common->n_plugin_paths = 0;
}

int pio_cli_usage_error(const char *command, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "pio-host %s: ", command);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'pio-host %s --help'.\n", command);
  va_end(ap);
  return PIO_CLI_EXIT_USAGE;
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
    fputs("pio-host: ", stderr);
    pio_cli_put(stderr, err.message);
    fputc('\n', stderr);
    return NULL;
  }
  return registry;
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

void pio_cli_put_status(FILE *out, const pio_plugin_record *record) {
  fputs(pio_plugin_state_name(record->state), out);
  if (record->reason != NULL && record->reason[0] != '\0') {
    fputs(": ", out);
    pio_cli_put(out, record->reason);
  }
}
