/* host/cli/cmd_tokenize.c — `pio-host tokenize DIR`: text to token ids with
 * the tokenizer.json of a model folder.  The text comes from --text or
 * stdin (taken byte for byte, a final newline included); --jsonl turns
 * each line's JSON string into a line holding a JSON array of ids.
 *
 * Exit status: 0 all well, 1 a bad tokenizer or input, 2 bad usage. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "about.h"
#include "cli_common.h"
#include "commands.h"
#include "text_io.h"

enum { OPT_TEXT = 0x200, OPT_JSONL, OPT_JSON, OPT_ADD_SPECIAL };

static void print_help(void) {
  fputs(
      "Usage: pio-host tokenize [OPTION...] DIR\n"
      "\n"
      "Encode text into token ids with DIR/tokenizer.json (DIR a Hugging Face\n"
      "model folder, or the tokenizer.json file itself; config.json is not\n"
      "needed). The text is read from stdin, byte for byte, unless --text.\n"
      "\n"
      "Options:\n"
      "  --text TEXT      encode TEXT instead of stdin\n"
      "  --add-special    apply the tokenizer's post-processor (BOS and the like)\n"
      "  --json           print {\"ids\": [...], \"tokens\": [...]} for the document\n"
      "  --jsonl          read one JSON string a line, write one JSON array of ids\n"
      "                   a line\n"
      "  -h, --help       show this help\n"
      "\n"
      "Output: the ids comma-separated on one line.\n"
      "Exit status: 0 all well; 1 a bad tokenizer or input; 2 bad usage.\n",
      stdout);
}

/* The document "pio-host tokenize" (docs/json/tokenize.schema.json): the
 * head every document has, then the ids and their tokens' texts. */
static int put_json_document(const pio_tokenizer *tok, const pio_token_ids *ids) {
  if (pio_about_print_json_head(stdout, "pio-host", "pio-host tokenize") != 0) {
    fprintf(stderr, "pio-host tokenize: out of memory\n");
    return PIO_CLI_EXIT_PLUGIN;
  }
  fputc(',', stdout);
  fputs("\"ids\":", stdout);
  pio_cli_put_ids(stdout, ids->ids, ids->count, 1);
  fputs(",\"tokens\":[", stdout);
  for (size_t i = 0; i < ids->count; i++) {
    const char *t = pio_tokenizer_token_text(tok, ids->ids[i]);
    if (i) fputc(',', stdout);
    pio_cli_put_json_string(stdout, t, strlen(t));
  }
  fputs("]}\n", stdout);
  return PIO_CLI_EXIT_OK;
}

static int encode_one(pio_tokenizer_session *s, const char *text, size_t len, unsigned flags,
                      pio_token_ids *ids, const char *where, int json) {
  pio_error err = {0};
  ids->count = 0;
  if (pio_tokenizer_session_encode(s, text, len, flags, ids, &err) != PIO_OK) {
    pio_cli_common common = {.command = "tokenize", .json = json};
    pio_cli_fail(&common, PIO_CLI_EXIT_PLUGIN, err.code, "%s%s", where, err.message);
    return -1;
  }
  return 0;
}

typedef struct jsonl_state {
  pio_tokenizer_session *session;
  unsigned flags;
  pio_token_ids ids;
} jsonl_state;

static int jsonl_line(void *ctx, json_object *v, const char *where) {
  jsonl_state *st = ctx;
  if (v == NULL || !json_object_is_type(v, json_type_string)) {
    fprintf(stderr, "pio-host tokenize: %sexpected a JSON string\n", where);
    return PIO_CLI_EXIT_PLUGIN;
  }
  if (encode_one(st->session, json_object_get_string(v), (size_t)json_object_get_string_len(v),
                 st->flags, &st->ids, where, 0) != 0)
    return PIO_CLI_EXIT_PLUGIN;
  pio_cli_put_ids(stdout, st->ids.ids, st->ids.count, 1);
  fputc('\n', stdout);
  return PIO_CLI_EXIT_OK;
}

static int run_jsonl(pio_tokenizer_session *s, unsigned flags) {
  jsonl_state st = {s, flags, {0}};
  int rc = pio_cli_each_jsonl(stdin, jsonl_line, &st);
  pio_token_ids_free(&st.ids);
  return rc < 0 ? PIO_CLI_EXIT_PLUGIN : rc;
}

int pio_cli_tokenize(int argc, char **argv) {
  static const struct option options[] = {{"text", required_argument, NULL, OPT_TEXT},
                                          {"jsonl", no_argument, NULL, OPT_JSONL},
                                          {"json", no_argument, NULL, OPT_JSON},
                                          {"add-special", no_argument, NULL, OPT_ADD_SPECIAL},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *text = NULL;
  int jsonl = 0, json = 0;
  unsigned flags = 0;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') {
      return pio_cli_bad_option("tokenize", opt, argv, options);
    }
    switch (opt) {
      case OPT_TEXT:
        text = optarg;
        break;
      case OPT_JSONL:
        jsonl = 1;
        break;
      case OPT_JSON:
        json = 1;
        break;
      case OPT_ADD_SPECIAL:
        flags |= PIO_ENCODE_ADD_SPECIAL;
        break;
      case 'h':
        print_help();
        return PIO_CLI_EXIT_OK;
      default:
        return pio_cli_bad_option("tokenize", '?', argv, options);
    }
  }
  if (optind != argc - 1) return pio_cli_usage_error("tokenize", "expected one DIR");
  if (jsonl && (text != NULL || json))
    return pio_cli_usage_error("tokenize", "--jsonl reads stdin: no --text or --json with it");
  pio_tokenizer *tok = pio_cli_load_tokenizer("tokenize", json, argv[optind]);
  if (tok == NULL) return PIO_CLI_EXIT_PLUGIN;
  pio_tokenizer_session *s = NULL;
  pio_error err = {0};
  if (pio_tokenizer_session_new(tok, &s, &err) != PIO_OK) {
    fprintf(stderr, "pio-host tokenize: %s\n", err.message);
    pio_tokenizer_free(tok);
    return PIO_CLI_EXIT_PLUGIN;
  }
  int rc = PIO_CLI_EXIT_OK;
  if (jsonl) {
    rc = run_jsonl(s, flags);
  } else {
    char *input = NULL;
    size_t len = 0;
    if (text != NULL)
      len = strlen(text);
    else if (pio_cli_read_all("tokenize", stdin, &input, &len) != 0)
      rc = PIO_CLI_EXIT_PLUGIN;
    pio_token_ids ids = {0};
    if (rc == PIO_CLI_EXIT_OK &&
        encode_one(s, text ? text : input, len, flags, &ids, text ? "--text: " : "stdin: ",
                   json) != 0)
      rc = PIO_CLI_EXIT_PLUGIN;
    if (rc == PIO_CLI_EXIT_OK && json) {
      rc = put_json_document(tok, &ids);
    } else if (rc == PIO_CLI_EXIT_OK) {
      pio_cli_put_ids(stdout, ids.ids, ids.count, 0);
      fputc('\n', stdout);
    }
    pio_token_ids_free(&ids);
    free(input);
  }
  pio_tokenizer_session_free(s);
  pio_tokenizer_free(tok);
  if (fflush(stdout) != 0) rc = PIO_CLI_EXIT_PLUGIN;
  return rc;
}
