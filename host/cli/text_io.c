/* host/cli/text_io.c — the text commands' shared input and output. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cli_common.h"
#include "text_io.h"

int pio_cli_path_join(char *out, size_t size, const char *dir, const char *name) {
  size_t n = strlen(dir);
  int written = snprintf(out, size, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/", name);
  return written < 0 || (size_t)written >= size ? -1 : 0;
}

pio_tokenizer *pio_cli_load_tokenizer(const char *command, int json, const char *path) {
  pio_cli_common common = {.command = command, .json = json};
  char file[PATH_MAX];
  struct stat st;
  size_t n = strlen(path);
  int is_file =
      stat(path, &st) == 0 ? !S_ISDIR(st.st_mode) : n >= 5 && strcmp(path + n - 5, ".json") == 0;
  if (!is_file) {
    if (pio_cli_path_join(file, sizeof file, path, "tokenizer.json") != 0) {
      pio_cli_fail(&common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_INVALID_ARGUMENT, "%s: path too long",
                   path);
      return NULL;
    }
  } else {
    snprintf(file, sizeof file, "%s", path);
  }
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  if (pio_tokenizer_load(file, &tok, &err) != PIO_OK) {
    pio_cli_fail(&common, PIO_CLI_EXIT_PLUGIN, err.code, "%s", err.message);
    return NULL;
  }
  return tok;
}

int pio_cli_read_all(const char *command, FILE *in, char **text, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf != NULL) {
    if (n + 1 >= cap) {
      if (cap >= PIO_CLI_MAX_INPUT) {
        fprintf(stderr, "pio-host %s: the input is over %u bytes\n", command, PIO_CLI_MAX_INPUT);
        free(buf);
        return -1;
      }
      char *grown = realloc(buf, cap * 2);
      if (grown == NULL) break;
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, in);
    n += got;
    if (got == 0) {
      if (ferror(in)) {
        fprintf(stderr, "pio-host %s: reading the input: %s\n", command, strerror(errno));
        free(buf);
        return -1;
      }
      buf[n] = '\0';
      *text = buf;
      *len = n;
      return 0;
    }
  }
  free(buf);
  fprintf(stderr, "pio-host %s: out of memory reading the input\n", command);
  return -1;
}

int pio_cli_parse_ids(const char *text, pio_token_ids *out, const char **bad) {
  const char *p = text;
  pio_error err;
  while (*p == ' ' || *p == '\t') p++;
  if (*p == '\n' || *p == '\r' || *p == '\0') {
    while (*p == '\n' || *p == '\r') p++;
    *bad = p;
    return *p == '\0' ? 0 : -1;
  }
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    if (*p < '0' || *p > '9') break;
    errno = 0;
    char *end = NULL;
    long v = strtol(p, &end, 10);
    if (errno != 0 || v > INT32_MAX) break;
    if (pio_token_ids_push(out, (int32_t)v, &err) != PIO_OK) break;
    p = end;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == ',') {
      p++;
      continue;
    }
    while (*p == '\n' || *p == '\r') p++;
    if (*p == '\0') return 0;
    break;
  }
  *bad = p;
  return -1;
}

void pio_cli_put_ids(FILE *out, const int32_t *ids, size_t n, int json) {
  if (json) fputc('[', out);
  for (size_t i = 0; i < n; i++) fprintf(out, i ? ",%d" : "%d", ids[i]);
  if (json) fputc(']', out);
}

/* As json-c writes a string (JSON_C_TO_STRING_NOSLASHESCAPE), without
 * taking memory: a failed allocation cannot turn the text into "". */
void pio_cli_put_json_string(FILE *out, const char *text, size_t len) {
  fputc('"', out);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    const char *named = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\b'  ? "\\b"
                        : c == '\f'  ? "\\f"
                        : c == '\n'  ? "\\n"
                        : c == '\r'  ? "\\r"
                        : c == '\t'  ? "\\t"
                                     : NULL;
    if (named != NULL)
      fputs(named, out);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

int pio_cli_each_jsonl(FILE *in, pio_cli_jsonl_fn fn, void *ctx) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long number = 0;
  int rc = 0;
  json_tokener *parser = json_tokener_new();
  if (parser == NULL) return -1;
  while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
    char where[64];
    snprintf(where, sizeof where, "stdin:%ld: ", ++number);
    json_tokener_reset(parser);
    json_object *v = json_tokener_parse_ex(parser, line, (int)n);
    rc = fn(ctx, v, where);
    json_object_put(v);
    fflush(stdout);
  }
  json_tokener_free(parser);
  free(line);
  return rc;
}
