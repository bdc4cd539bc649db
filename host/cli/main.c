/* host/cli/main.c — pio-host: list, inspect and validate pio plugins.  The
 * command table below maps a name to its function (one file per command,
 * host/cli/cmd_*.c); this file only dispatches. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "about.h"
#include "suggest.h"

typedef struct pio_cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  int json; /* takes --json, and with it gives usage errors as documents */
} pio_cli_command;

static const pio_cli_command commands[] = {
    {"list", pio_cli_list, "list every plugin on the plugin path and its status", 1},
    {"info", pio_cli_info, "show everything about one plugin", 1},
    {"validate", pio_cli_validate, "check a plugin folder, with a trial load in a child", 1},
    {"tokenize", pio_cli_tokenize, "encode text into token ids with a model's tokenizer.json", 1},
    {"detokenize", pio_cli_detokenize, "decode token ids into text", 0},
    {"template", pio_cli_template, "render a model's chat template for a conversation", 0},
    {"run", pio_cli_run, "run a model on a prompt (text or token ids), streaming its answer", 1},
};

static void print_help(FILE *out) {
  fputs("Usage: pio-host COMMAND [OPTION...] [ARG...]\n"
        "       pio-host --help | --version\n"
        "\n"
        "Find, check and load pio model plugins.\n"
        "\n"
        "Commands:\n",
        out);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "'pio-host COMMAND --help' shows a command's options.\n"
        "\n"
        "Plugin path (first wins; later plugins of the same name are 'shadowed'):\n"
        "  --plugin-path DIR, then PIO_PLUGIN_PATH (colon list), then the build\n"
        "  tree's plugins (uninstalled runs only), the installed plugin folder,\n"
        "  and $XDG_DATA_HOME/pio/plugins (default ~/.local/share/pio/plugins).\n"
        "\n"
        "Registry cache (what was learnt of each plugin folder, re-read when a\n"
        "file changes): --cache DIR, else the file $PIO_REGISTRY, else\n"
        "$XDG_CACHE_HOME/pio (default ~/.cache/pio); --no-cache bypasses it.\n"
        "\n"
        "Exit status: 0 all well, 1 a plugin problem, 2 bad usage.\n",
        out);
}

int main(int argc, char **argv) {
  /* Past a file size limit (ulimit -f) a write fails with EFBIG, which
   * each command reports, instead of SIGXFSZ killing pio-host mid-line. */
  signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) {
    print_help(stderr);
    return PIO_CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    print_help(stdout);
    return PIO_CLI_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    pio_about_print_version(stdout, "pio-host");
    return PIO_CLI_EXIT_OK;
  }
  const size_t n = sizeof commands / sizeof commands[0];
  const char *names[sizeof commands / sizeof commands[0]];
  for (size_t i = 0; i < n; i++) {
    if (strcmp(name, commands[i].name) == 0) {
      if (commands[i].json) pio_cli_usage_errors_as_json(argc - 1, argv + 1);
      return commands[i].run(argc - 1, argv + 1);
    }
    names[i] = commands[i].name;
  }
  fputs("pio-host: unknown command '", stderr);
  pio_cli_put(stderr, name);
  const char *near = pio_suggest(name, names, n);
  fputc('\'', stderr);
  if (near != NULL) fprintf(stderr, "; did you mean '%s'?", near);
  fputs("\nTry 'pio-host --help'.\n", stderr);
  return PIO_CLI_EXIT_USAGE;
}
