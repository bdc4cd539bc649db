/* fuzz/fuzz_template.c — libFuzzer target for the SDK's chat-template
 * engine: the input is a template, compiled and rendered for a fixed
 * conversation (with tools and a tool call).  Beyond "no crash": an error
 * fills the record with its own code and a terminated message; a rendering
 * that succeeds is NUL-terminated at its length and within the output limit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/chat_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vars_json[] =
    "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_generation_prompt\": true,"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"a\": "
    "1}}}],"
    " \"messages\": [{\"role\": \"system\", \"content\": \"sys\"}, {\"role\": \"user\", "
    "\"content\": \"hi \\u00e9\"},"
    " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"abcdefghi\", "
    "\"type\": \"function\","
    " \"function\": {\"name\": \"f\", \"arguments\": {\"x\": [1, 2.5, false]}}}]},"
    " {\"role\": \"tool\", \"content\": \"42\"}, {\"role\": \"assistant\", \"content\": "
    "\"<think>r</think>done\"}]}";

static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_template: broken promise: %s\n", what);
    abort();
  }
}

static void check_error(pio_status st, const pio_error *err) {
  require(err->code == st, "error code equals the returned status");
  const char *end = memchr(err->message, '\0', sizeof err->message);
  require(end != NULL && end != err->message, "message is terminated and not empty");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pio_chat_template *t = NULL;
  pio_error err;
  pio_status st = pio_chat_template_compile("fuzz.jinja", (const char *)data, size, &t, &err);
  if (st != PIO_OK) {
    check_error(st, &err);
    require(t == NULL, "nothing is returned on error");
    return 0;
  }
  json_object *vars = json_tokener_parse(vars_json);
  require(vars != NULL, "the fixed variables parse");
  char *text = NULL;
  size_t len = 0;
  st = pio_chat_template_render(t, vars, &text, &len, &err);
  if (st != PIO_OK) {
    check_error(st, &err);
    require(text == NULL, "no text on error");
  } else {
    require(text != NULL && text[len] == '\0', "the text is terminated at its length");
    require(len <= PIO_TEMPLATE_MAX_OUTPUT, "the text is within the output limit");
  }
  free(text);
  json_object_put(vars);
  pio_chat_template_free(t);
  return 0;
}
