/* sdk/src/json.c — reading JSON documents safely: a size limit checked
 * before the file is read, a depth limit json-c enforces while it parses,
 * and syntax errors reported as "name:line:column: what". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/printbuf.h>

#include "json_internal.h"

void pio_json_advance_line_column(const char *text, size_t from, size_t to, int *line,
                                  int *column) {
  int l = *line, c = *column;
  for (size_t i = from; i < to; i++) {
    unsigned char b = (unsigned char)text[i];
    if (b == '\n') {
      l++;
      c = 1;
    } else if ((b & 0xC0) != 0x80) { /* continuation bytes share their lead's column */
      c++;
    }
  }
  *line = l;
  *column = c;
}

void pio_json_offset_to_line_column(const char *text, size_t len, size_t offset, int *line,
                                    int *column) {
  *line = 1;
  *column = 1;
  pio_json_advance_line_column(text, 0, offset < len ? offset : len, line, column);
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise: a message must not
 * carry raw control characters from the input. */
static void describe_byte(unsigned char b, char *out, size_t size) {
  if (b >= 0x20 && b < 0x7F)
    snprintf(out, size, "'%c'", (char)b);
  else
    snprintf(out, size, "byte 0x%02X", (unsigned)b);
}

static pio_status syntax_error(pio_error *err, pio_status code, const char *name,
                               const char *text, size_t len, size_t offset, const char *what) {
  int line, column;
  pio_json_offset_to_line_column(text, len, offset, &line, &column);
  if (offset < len) {
    char found[16];
    describe_byte((unsigned char)text[offset], found, sizeof found);
    return pio_error_set(err, code, "%s:%d:%d: invalid JSON: %s (found %s)", name, line, column,
                         what, found);
  }
  return pio_error_set(err, code, "%s:%d:%d: invalid JSON: %s (at end of input)", name, line,
                       column, what);
}

static int only_whitespace(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') return 0;
  return 1;
}

/* The text is the literal null, whitespace around it. */
static int is_null_literal(const char *text, size_t len) {
  size_t b = 0, e = len;
  while (b < e && only_whitespace(text + b, 1)) b++;
  while (e > b && only_whitespace(text + e - 1, 1)) e--;
  return e - b == 4 && memcmp(text + b, "null", 4) == 0;
}

/* Runs json-c over the whole buffer.  A top-level number or literal is only
 * complete once json-c sees the end, hence the final one-byte "" call. */
static pio_status run_tokener(const char *name, const char *text, size_t len, int max_depth,
                              json_object **out, pio_error *err) {
  /* json-c counts a scalar as a level of its own; pio counts containers. */
  struct json_tokener *tok = json_tokener_new_ex(max_depth + 1);
  /* json-c's tokener ignores a failed growth of its string buffer and
   * goes on with the string cut short: room for the longest string or
   * number the text can hold (no longer than the text) is taken first. */
  if (tok != NULL && printbuf_memset(tok->pb, 0, 0, (int)len + 2) < 0) {
    json_tokener_free(tok);
    tok = NULL;
  }
  if (tok == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
  printbuf_reset(tok->pb);
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *root = json_tokener_parse_ex(tok, text, (int)len);
  enum json_tokener_error jerr = json_tokener_get_error(tok);
  size_t offset = json_tokener_get_parse_end(tok);
  if (jerr == json_tokener_continue) {
    root = json_tokener_parse_ex(tok, "", 1);
    jerr = json_tokener_get_error(tok);
    offset = len; /* json-c restarts its count for the final call */
  }
  json_tokener_free(tok);
  /* json-c reports success with no object when an allocation failed inside
   * it: only the literal null may give NULL. */
  if (jerr == json_tokener_success && root == NULL && !is_null_literal(text, len))
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory while parsing", name);
  if (jerr == json_tokener_success) {
    *out = root;
    return PIO_OK;
  }
  json_object_put(root);
  if (jerr == json_tokener_error_depth) {
    int line, column;
    pio_json_offset_to_line_column(text, len, offset, &line, &column);
    return pio_error_set(err, PIO_ERR_LIMIT,
                         "%s:%d:%d: invalid JSON: nested deeper than the limit of %d levels",
                         name, line, column, max_depth);
  }
  if (jerr == json_tokener_error_parse_utf8_string)
    return syntax_error(err, PIO_ERR_PARSE, name, text, len, offset,
                        "text is not valid UTF-8");
  return syntax_error(err, PIO_ERR_PARSE, name, text, len, offset, json_tokener_error_desc(jerr));
}

pio_status pio_json_parse_buffer(const char *name, const char *text, size_t len, int max_depth,
                                 json_object **out, pio_json_positions **positions,
                                 pio_error *err) {
  if (name == NULL) name = "<json>";
  if (out == NULL || (text == NULL && len > 0))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "%s: no JSON text or no result pointer",
                         name);
  *out = NULL;
  if (positions != NULL) *positions = NULL;
  if (max_depth <= 0) max_depth = PIO_JSON_DEFAULT_MAX_DEPTH;
  if (max_depth > PIO_JSON_DEPTH_CEILING) max_depth = PIO_JSON_DEPTH_CEILING;
  if (len > INT_MAX - 1)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: %zu bytes is over the limit of %d bytes", name,
                         len, INT_MAX - 1);
  if (len == 0 || only_whitespace(text, len))
    return pio_error_set(err, PIO_ERR_PARSE, "%s:1:1: invalid JSON: the document is empty", name);
  /* json-c stops at a NUL as if the text ended there; say what it is. */
  const char *nul = memchr(text, '\0', len);
  if (nul != NULL)
    return syntax_error(err, PIO_ERR_PARSE, name, text, len, (size_t)(nul - text),
                        "NUL byte in the text");

  json_object *root = NULL;
  pio_status status = run_tokener(name, text, len, max_depth, &root, err);
  if (status != PIO_OK) return status;
  status = pio_json_check_and_locate(name, text, len, root, positions, err);
  if (status != PIO_OK) {
    json_object_put(root);
    return status;
  }
  *out = root;
  return PIO_OK;
}

/* Reads at most max_bytes + 1 bytes: a file that grew after fstat is still
 * caught by the limit. */
static pio_status read_whole(int fd, const char *path, size_t expected, size_t max_bytes,
                             char **out, size_t *out_len, pio_error *err) {
  size_t cap = expected + 1, used = 0;
  char *buf = malloc(cap);
  if (buf == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  for (;;) {
    if (used == cap) {
      if (cap > max_bytes) break;
      size_t grown = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
      char *bigger = realloc(buf, grown);
      if (bigger == NULL) {
        free(buf);
        return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
      }
      buf = bigger;
      cap = grown;
    }
    ssize_t got = read(fd, buf + used, cap - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int e = errno;
      free(buf);
      return pio_error_set(err, PIO_ERR_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (got == 0) break;
    used += (size_t)got;
  }
  if (used > max_bytes) {
    free(buf);
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: file is over the limit of %zu bytes", path,
                         max_bytes);
  }
  *out = buf;
  *out_len = used;
  return PIO_OK;
}

pio_status pio_json_parse_file(const char *path, size_t max_bytes, int max_depth,
                               json_object **out, pio_json_positions **positions,
                               pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no JSON path or no result pointer");
  *out = NULL;
  if (positions != NULL) *positions = NULL;
  if (max_bytes == 0) max_bytes = PIO_JSON_DEFAULT_MAX_BYTES;
  /* O_NONBLOCK: opening a FIFO planted in place of the file must not hang. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    return pio_error_set(err, e == ENOENT ? PIO_ERR_NOT_FOUND : PIO_ERR_IO, "%s: cannot open: %s",
                         path, strerror(e));
  }
  struct stat st;
  pio_status status = PIO_OK;
  if (fstat(fd, &st) != 0) {
    status = pio_error_set(err, PIO_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = pio_error_set(err, PIO_ERR_IO, "%s: not a regular file", path);
  } else if ((uintmax_t)st.st_size > max_bytes) {
    status = pio_error_set(err, PIO_ERR_LIMIT, "%s: file is %jd bytes, over the limit of %zu bytes",
                           path, (intmax_t)st.st_size, max_bytes);
  }
  char *text = NULL;
  size_t len = 0;
  if (status == PIO_OK) status = read_whole(fd, path, (size_t)st.st_size, max_bytes, &text, &len, err);
  close(fd);
  if (status != PIO_OK) return status;
  status = pio_json_parse_buffer(path, text, len, max_depth, out, positions, err);
  free(text);
  return status;
}
