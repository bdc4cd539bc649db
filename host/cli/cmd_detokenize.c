/* host/cli/cmd_detokenize.c — `pio-host detokenize DIR`: token ids back to
 * text with the tokenizer.json of a model folder, special tokens kept
 * unless --skip-special; --jsonl turns each line's JSON array of ids into a
 * line holding a JSON string.
 *
 * Exit status: 0 all well, 1 a bad tokenizer or input, 2 bad usage. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli_common.h"
#include "commands.h"
#include "text_io.h"

enum { OPT_IDS = 0x200, OPT_JSONL, OPT_SKIP_SPECIAL };

static void print_help(void) {
  fputs(
      "Usage: pio-host detokenize [OPTION...] DIR\n"
      "\n"
      "Decode token ids into text with DIR/tokenizer.json (DIR a Hugging Face\n"
      "model folder, or the tokenizer.json file itself). The ids are read from\n"
      "stdin, comma-separated, unless --ids.\n"
      "\n"
      "Options:\n"
      "  --ids LIST       decode LIST (comma-separated) instead of stdin\n"
      "  --skip-special   leave out special tokens (BOS, EOS, ...)\n"
      "  --jsonl          read one JSON array of ids a line, write one JSON string\n"
      "                   a line\n"
      "  -h, --help       show this help\n"
      "\n"
      "Output: the text, as it is (no newline added).\n"
      "Exit status: 0 all well; 1 a bad tokenizer or input; 2 bad usage.\n",
      stdout);
}

static int decode_put(const pio_tokenizer *tok, const pio_token_ids *ids, unsigned flags, int json,
                      const char *where) {
  char *text = NULL;
  size_t len = 0;
  pio_error err = {0};
  if (pio_tokenizer_decode(tok, ids->ids, ids->count, flags, &text, &len, &err) != PIO_OK) {
    fprintf(stderr, "pio-host detokenize: %s%s\n", where, err.message);
    return -1;
  }
  if (json) {
    pio_cli_put_json_string(stdout, text, len);
    fputc('\n', stdout);
  } else {
    fwrite(text, 1, len, stdout);
  }
  free(text);
  return 0;
}

/* A JSON array of integers into ids; -1 when it is not one. */
static int read_array(json_object *v, pio_token_ids *ids) {
  if (v == NULL || !json_object_is_type(v, json_type_array)) return -1;
  pio_error err;
  for (size_t i = 0; i < json_object_array_length(v); i++) {
    json_object *x = json_object_array_get_idx(v, i);
    if (!json_object_is_type(x, json_type_int)) return -1;
    int64_t id = json_object_get_int64(x);
    if (id < INT32_MIN || id > INT32_MAX) return -1;
    if (pio_token_ids_push(ids, (int32_t)id, &err) != PIO_OK) return -1;
  }
  return 0;
}

typedef struct jsonl_state {
  const pio_tokenizer *tok;
  unsigned flags;
} jsonl_state;

static int jsonl_line(void *ctx, json_object *v, const char *where) {
  const jsonl_state *st = ctx;
  pio_token_ids ids = {0};
  int rc = PIO_CLI_EXIT_OK;
  if (read_array(v, &ids) != 0) {
    fprintf(stderr, "pio-host detokenize: %sexpected a JSON array of ids\n", where);
    rc = PIO_CLI_EXIT_PLUGIN;
  } else if (decode_put(st->tok, &ids, st->flags, 1, where) != 0) {
    rc = PIO_CLI_EXIT_PLUGIN;
  }
  pio_token_ids_free(&ids);
  return rc;
}

static int run_jsonl(const pio_tokenizer *tok, unsigned flags) {
  jsonl_state st = {tok, flags};
  int rc = pio_cli_each_jsonl(stdin, jsonl_line, &st);
  return rc < 0 ? PIO_CLI_EXIT_PLUGIN : rc;
}

int pio_cli_detokenize(int argc, char **argv) {
  static const struct option options[] = {{"ids", required_argument, NULL, OPT_IDS},
                                          {"jsonl", no_argument, NULL, OPT_JSONL},
                                          {"skip-special", no_argument, NULL, OPT_SKIP_SPECIAL},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *list = NULL;
  int jsonl = 0;
  unsigned flags = 0;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    if (opt == '?' || opt == ':') {
      return pio_cli_bad_option("detokenize", opt, argv, options);
    }
    switch (opt) {
      case OPT_IDS:
        list = optarg;
        break;
      case OPT_JSONL:
        jsonl = 1;
        break;
      case OPT_SKIP_SPECIAL:
        flags |= PIO_DECODE_SKIP_SPECIAL;
        break;
      case 'h':
        print_help();
        return PIO_CLI_EXIT_OK;
      default:
        return pio_cli_usage_error("detokenize", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) return pio_cli_usage_error("detokenize", "expected one DIR");
  if (jsonl && list != NULL)
    return pio_cli_usage_error("detokenize", "--jsonl reads stdin: no --ids with it");
  pio_token_ids ids = {0};
  const char *bad = NULL;
  if (list != NULL && pio_cli_parse_ids(list, &ids, &bad) != 0) {
    pio_token_ids_free(&ids);
    return pio_cli_usage_error("detokenize", "--ids: not a comma-separated list of ids at '%.20s'",
                               bad);
  }
  pio_tokenizer *tok = pio_cli_load_tokenizer("detokenize", 0, argv[optind]);
  if (tok == NULL) {
    pio_token_ids_free(&ids);
    return PIO_CLI_EXIT_PLUGIN;
  }
  int rc = PIO_CLI_EXIT_OK;
  if (jsonl) {
    rc = run_jsonl(tok, flags);
  } else {
    char *input = NULL;
    size_t len = 0;
    if (list == NULL) {
      if (pio_cli_read_all("detokenize", stdin, &input, &len) != 0)
        rc = PIO_CLI_EXIT_PLUGIN;
      else if (strlen(input) != len || pio_cli_parse_ids(input, &ids, &bad) != 0) {
        fprintf(stderr, "pio-host detokenize: stdin: not a comma-separated list of ids\n");
        rc = PIO_CLI_EXIT_PLUGIN;
      }
    }
    if (rc == PIO_CLI_EXIT_OK && decode_put(tok, &ids, flags, 0, list ? "--ids: " : "stdin: ") != 0)
      rc = PIO_CLI_EXIT_PLUGIN;
    free(input);
  }
  pio_token_ids_free(&ids);
  pio_tokenizer_free(tok);
  if (fflush(stdout) != 0) rc = PIO_CLI_EXIT_PLUGIN;
  return rc;
}
