/* host/cli/cmd_list.c — `pio-host list`: every plugin on the plugin path
 * with its version, architecture and status, as a table or JSON.  Reads
 * manifests and checks module files; loads code only with --check-load, and
 * then in a child process.
 *
 * Exit status: 0 when every plugin listed is ok (or shadowed: a later
 * duplicate is not a problem of a plugin); 1 when a plugin listed is
 * invalid, incompatible, failed or crashed, or a NAME given on the command
 * line is missing; 2 on bad usage.  Everything is printed either way: a
 * broken plugin is shown, and only the exit status says it. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "about.h"
#include "describe_json.h"

typedef struct list_args {
  pio_cli_common common;
  int check_load;
  char **names; /* NAME arguments (argv strings); n_names 0: all */
  int n_names;
} list_args;

static void print_help(void) {
  fputs("Usage: pio-host list [OPTION...] [NAME...]\n"
        "\n"
        "List every plugin found on the plugin path: name, version, model\n"
        "architecture and status (ok, invalid, incompatible, failed, crashed,\n"
        "shadowed) with the reason when not ok.  Only manifests and module files\n"
        "are read; no plugin code runs unless --check-load is given.\n"
        "With NAMEs, only those plugins are listed.\n"
        "\n"
        "Options:\n"
        "  --check-load       also load each ok plugin in a child process\n" PIO_CLI_COMMON_HELP
        "\n"
        "Exit status: 0 when every plugin listed is ok or shadowed; 1 when one\n"
        "is invalid, incompatible, failed or crashed, or a NAME is missing\n"
        "(everything is still listed); 2 on bad usage.\n",
        stdout);
}

enum { OPT_CHECK_LOAD = 0x200 };

static int parse_args(int argc, char **argv, list_args *args) {
  static const struct option options[] = {
      {"check-load", no_argument, NULL, OPT_CHECK_LOAD}, PIO_CLI_COMMON_OPTIONS, {NULL, 0, NULL, 0}};
  int opt;
  optind = 1;
  opterr = 0;
  args->common.command = "list";
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == OPT_CHECK_LOAD) {
      args->check_load = 1;
    } else if (opt == '?' || opt == ':') {
      return pio_cli_bad_option("list", opt, argv, options);
    } else {
      int common = pio_cli_common_option(&args->common, opt, optarg);
      if (common != 1) return pio_cli_option_failed(&args->common, common);
    }
  }
  args->names = argv + optind;
  args->n_names = argc - optind;
  return PIO_CLI_EXIT_OK;
}

static int is_selected(const list_args *args, const pio_plugin_record *rec) {
  if (args->n_names == 0) return 1;
  for (int i = 0; i < args->n_names; i++)
    if (strcmp(args->names[i], rec->name) == 0) return 1;
  return 0;
}

/* The document "pio-host list" (docs/json/list.schema.json): every plugin
 * listed, and the NAMEs asked for that are not on the path. */
static int print_json(const pio_registry *registry, const list_args *args) {
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, pio_cli_document(&args->common));
  json_object *plugins = pio_json_made(&b, json_object_new_array());
  json_object *missing = pio_json_made(&b, json_object_new_array());
  for (size_t i = 0; !b.failed && i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (is_selected(args, rec))
      pio_json_push(&b, plugins,
                    pio_json_made(&b, pio_cli_record_json(rec, rec->state, rec->reason,
                                                          pio_plugin_record_trial(rec))));
  }
  for (int i = 0; !b.failed && i < args->n_names; i++)
    if (pio_registry_find(registry, args->names[i]) == NULL)
      pio_json_push(&b, missing, pio_json_text(&b, args->names[i]));
  pio_json_set(&b, doc, "plugins", plugins);
  pio_json_set(&b, doc, "missing", missing);
  doc = pio_json_done(&b, doc);
  int ok = doc != NULL && pio_about_print_json(stdout, doc) == 0;
  json_object_put(doc);
  if (!ok)
    return pio_cli_fail(&args->common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
  return PIO_CLI_EXIT_OK;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static void print_table(const pio_registry *registry, const list_args *args) {
  size_t w_name = 4, w_version = 7, w_arch = 12, shown = 0;
  size_t per_state[PIO_PLUGIN_SHADOWED + 1] = {0};
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (!is_selected(args, rec)) continue;
    w_name = max_size(w_name, pio_cli_columns(rec->name));
    w_version = max_size(w_version, pio_cli_columns(rec->version));
    w_arch = max_size(w_arch, pio_cli_columns(rec->model_architecture));
  }
  printf("%-*s  %-*s  %-*s  STATUS\n", (int)w_name, "NAME", (int)w_version, "VERSION",
         (int)w_arch, "ARCHITECTURE");
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (!is_selected(args, rec)) continue;
    pio_cli_put_padded(stdout, rec->name, w_name + 2);
    pio_cli_put_padded(stdout, rec->version[0] != '\0' ? rec->version : "-", w_version + 2);
    pio_cli_put_padded(stdout, rec->model_architecture[0] != '\0' ? rec->model_architecture : "-",
                       w_arch + 2);
    pio_cli_put_status(stdout, rec);
    fputc('\n', stdout);
    shown++;
    per_state[rec->state]++;
  }
  printf("\n%zu plugin%s", shown, shown == 1 ? "" : "s");
  for (int s = PIO_PLUGIN_OK; s <= PIO_PLUGIN_SHADOWED; s++)
    if (per_state[s] > 0) printf(", %zu %s", per_state[s], pio_plugin_state_name((pio_plugin_state)s));
  fputc('\n', stdout);
}

static void print_path(const pio_registry *registry) {
  fputs("pio-host list: no plugins found.  Plugin path searched:\n", stderr);
  for (size_t i = 0; i < pio_registry_path_count(registry); i++) {
    fputs("  ", stderr);
    pio_cli_put(stderr, pio_registry_path_at(registry, i));
    fprintf(stderr, " (%s)\n", pio_registry_path_source_at(registry, i));
  }
}

/* 1 when a plugin listed has a problem of its own: a shadowed duplicate
 * is fine (its original is listed too), every other state but ok is not. */
static int listed_problem(const pio_registry *registry, const list_args *args) {
  for (size_t i = 0; i < pio_registry_count(registry); i++) {
    const pio_plugin_record *rec = pio_registry_at(registry, i);
    if (is_selected(args, rec) && rec->state != PIO_PLUGIN_OK && rec->state != PIO_PLUGIN_SHADOWED)
      return 1;
  }
  return 0;
}

/* 1 when a NAME asked for is not on the path at all. */
static int named_missing(const pio_registry *registry, const list_args *args) {
  int missing = 0;
  for (int i = 0; i < args->n_names; i++) {
    if (pio_registry_find(registry, args->names[i]) != NULL) continue;
    if (!args->common.json) pio_cli_no_plugin(registry, "list", args->names[i]);
    missing = 1;
  }
  return missing;
}

int pio_cli_list(int argc, char **argv) {
  list_args args;
  memset(&args, 0, sizeof args);
  int rc = parse_args(argc, argv, &args);
  if (rc == PIO_CLI_EXIT_OK && args.common.help) print_help();
  if (rc != PIO_CLI_EXIT_OK || args.common.help) {
    pio_cli_common_free(&args.common);
    return rc;
  }
  pio_registry *registry = pio_cli_open_registry(&args.common, args.check_load);
  pio_cli_common_free(&args.common);
  if (registry == NULL) return PIO_CLI_EXIT_PLUGIN;
  if (args.common.json) {
    rc = print_json(registry, &args);
  } else if (pio_registry_count(registry) == 0) {
    print_path(registry);
  } else {
    print_table(registry, &args);
  }
  if (rc == PIO_CLI_EXIT_OK && (named_missing(registry, &args) | listed_problem(registry, &args)))
    rc = PIO_CLI_EXIT_PLUGIN;
  pio_registry_close(registry);
  return rc;
}
