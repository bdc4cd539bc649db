/* host/cli/cmd_info.c — `pio-host info NAME`: everything about one plugin,
 * like gst-inspect-1.0 NAME: manifest, files, status, compatibility,
 * dependencies, components, and the model presets it serves with the
 * plugin's own figures for each (parameters, KV bytes per token).  The
 * plugin is loaded to read its table and compute those figures, and that
 * load runs in a child process (as `validate` does) so that a plugin
 * crashing in its constructor, entry point or config parser cannot take
 * pio-host down; it is then reported as crashed.
 *
 * Exit status: 0 when the plugin is ok, 1 when it is missing or not ok,
 * 2 on bad usage. */
#include <string.h>

#include "about.h"
#include "cli_common.h"
#include "commands.h"
#include "describe.h"
#include "describe_json.h"
#include "presets.h"

static void print_help(void) {
  fputs("Usage: pio-host info [OPTION...] NAME\n"
        "\n"
        "Show everything about the plugin NAME: manifest fields, files, status,\n"
        "compatibility, dependencies, the components its table provides, and the\n"
        "model presets it serves (presets whose config.json names its\n"
        "architecture) with the plugin's own figures for each: parameter count\n"
        "and KV-cache bytes per token (bf16, tp 1).  The plugin is loaded in a\n"
        "child process to read its table and compute those figures.\n"
        "\n"
        "Options:\n" PIO_CLI_COMMON_HELP
        "\n"
        "Exit status: 0 when the plugin is ok; 1 when it is missing or not ok;\n"
        "2 on bad usage.\n",
        stdout);
}

typedef struct info_args {
  pio_cli_common common;
  const char *name; /* an argv string */
} info_args;

static int parse_args(int argc, char **argv, info_args *args) {
  static const struct option options[] = {PIO_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  args->common.command = "info";
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') return pio_cli_bad_option("info", opt, argv, options);
    int common = pio_cli_common_option(&args->common, opt, optarg);
    if (common != 1) return pio_cli_option_failed(&args->common, common);
  }
  if (args->common.help) return PIO_CLI_EXIT_OK;
  if (argc - optind != 1)
    return pio_cli_usage_error("info", "expected one plugin NAME, got %d arguments", argc - optind);
  args->name = argv[optind];
  return PIO_CLI_EXIT_OK;
}

/* Loads rec in a child, which also computes the figures of presets. */
static pio_plugin_state load(const pio_plugin_record *rec, pio_cli_presets *presets,
                             pio_trial_result *trial, pio_error *err) {
  pio_plugin_state state = pio_plugin_probe(rec, (const char *const *)presets->config_paths,
                                            presets->count, trial, presets->probes, err);
  presets->probed = state == PIO_PLUGIN_OK;
  return state;
}

static int describe(const pio_registry *registry, const pio_plugin_record *rec,
                    const pio_cli_common *common) {
  pio_plugin_state state = rec->state;
  const char *reason = rec->reason;
  pio_trial_result trial;
  memset(&trial, 0, sizeof trial);
  pio_cli_presets presets;
  memset(&presets, 0, sizeof presets);
  pio_error err;
  pio_error_clear(&err);
  int loaded = 0;
  if (state == PIO_PLUGIN_OK) {
    if (pio_cli_presets_find(registry, rec, &presets, &err) != PIO_OK)
      return pio_cli_fail(common, PIO_CLI_EXIT_PLUGIN, err.code, "%s", err.message);
    state = load(rec, &presets, &trial, &err);
    if (state != PIO_PLUGIN_OK) reason = err.message;
    loaded = 1;
  }
  int rc = state == PIO_PLUGIN_OK ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_PLUGIN;
  if (common->json) {
    pio_json_build b = {0};
    json_object *doc = pio_json_made(&b, pio_cli_document(common));
    pio_json_set(&b, doc, "plugin",
                 pio_json_made(&b, pio_cli_describe_json(rec, state, reason, loaded ? &trial : NULL,
                                                         &presets)));
    doc = pio_json_done(&b, doc);
    if (doc == NULL || pio_about_print_json(stdout, doc) != 0)
      rc = pio_cli_fail(common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
    json_object_put(doc);
  } else {
    pio_cli_describe(stdout, rec, state, reason, loaded ? &trial : NULL, &presets);
  }
  pio_cli_presets_free(&presets);
  return rc;
}

int pio_cli_info(int argc, char **argv) {
  info_args args;
  memset(&args, 0, sizeof args);
  int rc = parse_args(argc, argv, &args);
  if (rc == PIO_CLI_EXIT_OK && args.common.help) print_help();
  if (rc != PIO_CLI_EXIT_OK || args.common.help) {
    pio_cli_common_free(&args.common);
    return rc;
  }
  pio_registry *registry = pio_cli_open_registry(&args.common, 0);
  pio_cli_common_free(&args.common);
  if (registry == NULL) return PIO_CLI_EXIT_PLUGIN;
  const pio_plugin_record *rec = pio_registry_find(registry, args.name);
  if (rec == NULL) {
    char text[512];
    pio_cli_no_plugin_text(registry, args.name, text, sizeof text);
    rc = pio_cli_fail(&args.common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NOT_FOUND, "%s", text);
  } else {
    rc = describe(registry, rec, &args.common);
  }
  pio_registry_close(registry);
  return rc;
}
