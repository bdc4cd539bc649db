/* host/cli/cmd_validate.c — `pio-host validate DIR`: every check on one
 * plugin folder (manifest, module file security, compatibility with this
 * machine) and a trial load with the handshake in a child process, so that
 * a plugin crashing in its constructor or entry point is reported as
 * `crashed` with the signal's name while pio-host exits normally.
 *
 * Exit status: 0 when the plugin is ok, 1 when not, 2 on bad usage (DIR
 * missing or not a folder). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "about.h"
#include "cli_common.h"
#include "commands.h"
#include "describe.h"
#include "describe_json.h"

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
  opterr = 0;
  common->command = "validate";
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') return pio_cli_bad_option("validate", opt, argv, options);
    int taken = pio_cli_common_option(common, opt, optarg);
    if (taken != 1) return pio_cli_option_failed(common, taken);
  }
  if (common->help) return PIO_CLI_EXIT_OK;
  if (argc - optind != 1)
    return pio_cli_usage_error("validate", "expected one plugin folder DIR, got %d arguments",
                               argc - optind);
  *dir = argv[optind];
  struct stat st;
  if (stat(*dir, &st) != 0)
    return pio_cli_usage_error("validate", "'%s': %s", *dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return pio_cli_usage_error("validate", "'%s' is not a folder", *dir);
  return PIO_CLI_EXIT_OK;
}

/* The document "pio-host validate" (docs/json/validate.schema.json): the
 * plugin as info describes it, and the result in one word. */
static int print_json(const pio_cli_common *common, const pio_plugin_record *rec) {
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, pio_cli_document(common));
  pio_json_set(&b, doc, "plugin",
               pio_json_made(&b, pio_cli_describe_json(rec, rec->state, rec->reason,
                                                       pio_plugin_record_trial(rec), NULL)));
  pio_json_set(&b, doc, "result", pio_json_text(&b, pio_plugin_state_name(rec->state)));
  doc = pio_json_done(&b, doc);
  int rc = doc != NULL ? pio_about_print_json(stdout, doc) : -1;
  json_object_put(doc);
  return rc;
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
  if (pio_registry_open_folder(dir, 1, &registry, &err) != PIO_OK)
    return pio_cli_fail(&common, PIO_CLI_EXIT_PLUGIN, err.code, "%s", err.message);
  const pio_plugin_record *rec = pio_registry_at(registry, 0);
  rc = rec->state == PIO_PLUGIN_OK ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_PLUGIN;
  if (common.json) {
    if (print_json(&common, rec) != 0)
      rc = pio_cli_fail(&common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
  } else {
    pio_cli_describe(stdout, rec, rec->state, rec->reason, pio_plugin_record_trial(rec), NULL);
    fputs("\nResult: ", stdout);
    pio_cli_put_status(stdout, rec);
    fputc('\n', stdout);
  }
  pio_registry_close(registry);
  return rc;
}
