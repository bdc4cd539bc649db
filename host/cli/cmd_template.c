/* host/cli/cmd_template.c — `pio-host template DIR --messages FILE`: the
 * prompt a model folder's chat template makes of a conversation, rendered
 * as Transformers' apply_chat_template(tokenize=False) renders it: with
 * messages, add_generation_prompt, tools and documents (None unless given)
 * and the special tokens of tokenizer_config.json.
 *
 * Exit status: 0 all well, 1 a bad template, file or conversation, 2 bad usage. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli_common.h"
#include "commands.h"
#include "pio/chat_template.h"
#include "pio/json.h"
#include "text_io.h"

enum { OPT_MESSAGES = 0x200, OPT_GENERATION, OPT_TOOLS, OPT_VAR };

static void print_help(void) {
  fputs(
      "Usage: pio-host template [OPTION...] DIR --messages FILE\n"
      "\n"
      "Render the chat template of DIR (chat_template.jinja, or the chat_template of\n"
      "tokenizer_config.json) for a conversation, as Hugging Face Transformers'\n"
      "apply_chat_template renders it, and print the prompt as it is.\n"
      "\n"
      "Options:\n"
      "  --messages FILE          a JSON list of {\"role\": ..., \"content\": ...}\n"
      "                           ('-' reads stdin)\n"
      "  --add-generation-prompt  end with the start of the assistant's turn\n"
      "  --tools FILE             a JSON list of tool schemas, passed as `tools`\n"
      "  --var NAME=JSON          one more template variable (repeatable), e.g.\n"
      "                           --var enable_thinking=false\n"
      "  -h, --help               show this help\n"
      "\n"
      "Exit status: 0 all well; 1 a bad template, file or conversation; 2 bad usage.\n",
      stdout);
}

static json_object *read_json(const char *what, const char *path) {
  json_object *v = NULL;
  pio_error err = {0};
  if (strcmp(path, "-") == 0) {
    char *text = NULL;
    size_t len = 0;
    if (pio_cli_read_all("template", stdin, &text, &len) != 0) return NULL;
    pio_status st = pio_json_parse_buffer("stdin", text, len, 0, &v, NULL, &err);
    free(text);
    if (st != PIO_OK) v = NULL;
  } else if (pio_json_parse_file(path, 64u << 20, 0, &v, NULL, &err) != PIO_OK) {
    v = NULL;
  }
  if (v == NULL) fprintf(stderr, "pio-host template: %s: %s\n", what, err.message);
  return v;
}

/* Adds one --var NAME=JSON; -1 when it is not one. */
static int add_var(json_object *vars, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (eq == NULL || eq == spec) return -1;
  json_object *v = NULL;
  pio_error err;
  if (pio_json_parse_buffer("--var", eq + 1, strlen(eq + 1), 0, &v, NULL, &err) != PIO_OK)
    return -1;
  char name[256];
  size_t n = (size_t)(eq - spec) < sizeof name - 1 ? (size_t)(eq - spec) : sizeof name - 1;
  memcpy(name, spec, n);
  name[n] = '\0';
  pio_json_build b = {0};
  pio_json_set(&b, vars, name, v);
  return b.failed ? -2 : 0;
}

int pio_cli_template(int argc, char **argv) {
  static const struct option options[] = {
      {"messages", required_argument, NULL, OPT_MESSAGES},
      {"add-generation-prompt", no_argument, NULL, OPT_GENERATION},
      {"tools", required_argument, NULL, OPT_TOOLS},
      {"var", required_argument, NULL, OPT_VAR},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *messages = NULL, *tools = NULL;
  int generation = 0;
  json_object *extra = json_object_new_object();
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') {
      json_object_put(extra);
      return pio_cli_bad_option("template", opt, argv, options);
    }
    switch (opt) {
      case OPT_MESSAGES:
        messages = optarg;
        break;
      case OPT_GENERATION:
        generation = 1;
        break;
      case OPT_TOOLS:
        tools = optarg;
        break;
      case OPT_VAR: {
        int added = add_var(extra, optarg);
        if (added != 0) json_object_put(extra);
        if (added == -2) {
          fprintf(stderr, "pio-host template: --var: out of memory\n");
          return PIO_CLI_EXIT_PLUGIN;
        }
        if (added != 0)
          return pio_cli_usage_error("template", "--var: expected NAME=JSON, found '%s'", optarg);
        break;
      }
      case 'h':
        json_object_put(extra);
        print_help();
        return PIO_CLI_EXIT_OK;
      default:
        json_object_put(extra);
        return pio_cli_usage_error("template", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1 || messages == NULL) {
    json_object_put(extra);
    return pio_cli_usage_error("template", "expected DIR and --messages FILE");
  }
  pio_chat_template *tmpl = NULL;
  json_object *vars = NULL;
  pio_error err = {0};
  int rc = PIO_CLI_EXIT_PLUGIN;
  if (pio_chat_template_load_dir(argv[optind], &tmpl, &vars, &err) != PIO_OK) {
    fprintf(stderr, "pio-host template: %s\n", err.message);
    goto done;
  }
  json_object *list = read_json("--messages", messages);
  if (list == NULL) goto done;
  if (!json_object_is_type(list, json_type_array)) {
    fprintf(stderr, "pio-host template: --messages: expected a JSON list of messages\n");
    json_object_put(list);
    goto done;
  }
  pio_json_build b = {0};
  pio_json_set(&b, vars, "messages", list);
  json_object *tool_list = NULL;
  if (tools != NULL && (tool_list = read_json("--tools", tools)) == NULL) goto done;
  pio_json_set(&b, vars, "tools", tool_list);
  pio_json_set(&b, vars, "documents", NULL);
  pio_json_set(&b, vars, "add_generation_prompt",
               pio_json_made(&b, json_object_new_boolean(generation)));
  if (extra == NULL) {
    b.failed = 1;
  } else {
    json_object_object_foreach(extra, key, value) pio_json_set(&b, vars, key, json_object_get(value));
  }
  if (b.failed) {
    fprintf(stderr, "pio-host template: out of memory\n");
    goto done;
  }
  char *text = NULL;
  size_t len = 0;
  if (pio_chat_template_render(tmpl, vars, &text, &len, &err) != PIO_OK) {
    fprintf(stderr, "pio-host template: %s\n", err.message);
    goto done;
  }
  fwrite(text, 1, len, stdout);
  free(text);
  rc = fflush(stdout) == 0 ? PIO_CLI_EXIT_OK : PIO_CLI_EXIT_PLUGIN;
done:
  json_object_put(extra);
  json_object_put(vars);
  pio_chat_template_free(tmpl);
  return rc;
}
