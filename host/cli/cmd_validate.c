/* host/cli/cmd_validate.c — `pio-host validate DIR`: every check on one
 * plugin folder (manifest, module file security, compatibility with this
 * machine) and a trial load with the handshake in a child process, so that
 * a plugin crashing in its constructor or entry point is reported as
 * `crashed` with the signal's name while pio-host exits normally.
 *
 * Exit status: 0 when the plugin is ok, 1 when not, 2 on bad usage (DIR
 * missing or not a folder). */
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "commands.h"
#include "describe.h"

static void print_help(void) {
  fputs("Usage: pio-host validate [OPTION...] DIR\n"
        "\n"
        "Check the plugin folder DIR before shipping it: the manifest, the module\n"
        "file (a plain name inside DIR, not writable by others), compatibility with\n"
        "this machine, and a trial load with the handshake in a child process.\n"
        "\n"
        "Options:\n" PIO_CLI_COMMON_HELP
        "\n"
        "Exit status: 0 when the plugin is ok; 1 when it is not; 2 on bad usage.\n",
        stdout);
}

static int parse_args(int argc, char **argv, pio_cli_common *common, const char **dir) {
  static const struct option options[] = {PIO_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1)
    if (pio_cli_common_option(common, opt, optarg) != 1)
      return pio_cli_usage_error("validate", "bad option");
  if (common->help) return PIO_CLI_EXIT_OK;
  if (argc - optind != 1)
    return pio_cli_usage_error("validate", "expected one plugin folder DIR, got %d arguments",
                               argc - optind);
  *dir = argv[optind];
  struct stat st;
  if (stat(*dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return pio_cli_usage_error("validate", "%s is not a folder", *dir);
  return PIO_CLI_EXIT_OK;
}

int pio_cli_validate(int argc, char **argv) {
  pio_cli_common common;
  memset(&common, 0, sizeof common);
  const char *dir = NULL;
  int rc = parse_args(argc, argv, &common, &dir);
  if (rc == PIO_CLI_EXIT_OK && common.help) print_help();
  pio_cli_common_free(&common);
  if (rc != PIO_CLI_EXIT_OK || common.help) return rc;

  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  if (pio_registry_open_folder(dir, 1, &registry, &err) != PIO_OK) {
    fputs("pio-host validate: ", stderr);
    pio_cli_put(stderr, err.message);
    fputc('\n', stderr);
    return PIO_CLI_EXIT_PLUGIN;
  }
  const pio_plugin_record *rec = pio_registry_at(registry, 0);
  pio_cli_describe(stdout, rec, rec->state, rec->reason, pio_plugin_record_trial(rec), NULL);
  fputs("\nResult: ", stdout);
  pio_cli_put_status(stdout, rec);
  fputc('\n', stdout);
  rc = rec->state == PIO_PLUGIN_OK ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_PLUGIN;
  pio_registry_close(registry);
  return rc;
}
