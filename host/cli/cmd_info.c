/* host/cli/cmd_info.c — `pio-host info NAME`: everything about one plugin,
 * like gst-inspect-1.0 NAME.  The plugin is loaded to read its component
 * table, and that load runs in a child process (as `validate` does) so that
 * a plugin crashing in its constructor or entry point cannot take pio-host
 * down; it is then reported as crashed.
 *
 * Exit status: 0 when the plugin is ok, 1 when it is missing or not ok,
 * 2 on bad usage. */
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "describe.h"
#include "trial_load.h"

static void print_help(void) {
  fputs("Usage: pio-host info [OPTION...] NAME\n"
        "\n"
        "Show everything about the plugin NAME: manifest fields, files, status,\n"
        "compatibility, dependencies and the components its table provides.  The\n"
        "plugin is loaded in a child process to read its table.\n"
        "\n"
        "Options:\n" PIO_CLI_COMMON_HELP
        "\n"
        "Exit status: 0 when the plugin is ok; 1 when it is missing or not ok;\n"
        "2 on bad usage.\n",
        stdout);
}

static int parse_args(int argc, char **argv, pio_cli_common *common, const char **name) {
  static const struct option options[] = {PIO_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1)
    if (pio_cli_common_option(common, opt, optarg) != 1)
      return pio_cli_usage_error("info", "bad option");
  if (common->help) return PIO_CLI_EXIT_OK;
  if (argc - optind != 1)
    return pio_cli_usage_error("info", "expected one plugin NAME, got %d arguments", argc - optind);
  *name = argv[optind];
  return PIO_CLI_EXIT_OK;
}

static int describe(const pio_plugin_record *rec) {
  pio_plugin_state state = rec->state;
  const char *reason = rec->reason;
  pio_trial_result trial;
  memset(&trial, 0, sizeof trial);
  pio_error err;
  pio_error_clear(&err);
  int loaded = 0;
  if (state == PIO_PLUGIN_OK) {
    state = pio_trial_load_module(rec->module_path, rec->manifest, PIO_TRIAL_LOAD_TIMEOUT_MS,
                                  &trial, &err);
    if (state != PIO_PLUGIN_OK) reason = err.message;
    loaded = 1;
  }
  pio_cli_describe(stdout, rec, state, reason, loaded ? &trial : NULL);
  return state == PIO_PLUGIN_OK ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_PLUGIN;
}

int pio_cli_info(int argc, char **argv) {
  pio_cli_common common;
  memset(&common, 0, sizeof common);
  const char *name = NULL;
  int rc = parse_args(argc, argv, &common, &name);
  if (rc == PIO_CLI_EXIT_OK && common.help) print_help();
  if (rc != PIO_CLI_EXIT_OK || common.help) {
    pio_cli_common_free(&common);
    return rc;
  }
  pio_registry *registry = pio_cli_open_registry(&common, 0);
  pio_cli_common_free(&common);
  if (registry == NULL) return PIO_CLI_EXIT_PLUGIN;
  const pio_plugin_record *rec = pio_registry_find(registry, name);
  if (rec == NULL) {
    fputs("pio-host info: no plugin named '", stderr);
    pio_cli_put(stderr, name);
    fputs("' on the plugin path (see 'pio-host list')\n", stderr);
    rc = PIO_CLI_EXIT_PLUGIN;
  } else {
    rc = describe(rec);
  }
  pio_registry_close(registry);
  return rc;
}
