/* sdk/src/error.c — filling pio_error records. */
#include <stdio.h>
#include <string.h>

#include "pio/status.h"

pio_status pio_error_setv(pio_error *err, pio_status code, const char *fmt, va_list ap) {
  if (err != NULL) {
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  }
  return code;
}

pio_status pio_error_set(pio_error *err, pio_status code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pio_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

pio_status pio_error_prefix(pio_error *err, const char *fmt, ...) {
  if (err == NULL) return PIO_ERR_INTERNAL;
  char prefix[PIO_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* message becomes "prefix: message", the old message cut to fit. */
  const size_t room = sizeof err->message - 1;
  size_t prefix_len = strlen(prefix);
  if (prefix_len > room - 2) prefix_len = room - 2;
  size_t keep = strnlen(err->message, room);
  if (keep > room - 2 - prefix_len) keep = room - 2 - prefix_len;
  memmove(err->message + prefix_len + 2, err->message, keep);
  memcpy(err->message, prefix, prefix_len);
  err->message[prefix_len] = ':';
  err->message[prefix_len + 1] = ' ';
  err->message[prefix_len + 2 + keep] = '\0';
  return err->code;
}

void pio_error_clear(pio_error *err) {
  if (err == NULL) return;
  err->code = PIO_OK;
  err->message[0] = '\0';
}

const char *pio_status_name(pio_status status) {
  switch (status) {
    case PIO_OK: return "ok";
    case PIO_ERR_INVALID_ARGUMENT: return "invalid argument";
    case PIO_ERR_NO_MEMORY: return "out of memory";
    case PIO_ERR_IO: return "input/output error";
    case PIO_ERR_PARSE: return "parse error";
    case PIO_ERR_INVALID: return "invalid";
    case PIO_ERR_NOT_FOUND: return "not found";
    case PIO_ERR_INCOMPATIBLE: return "incompatible";
    case PIO_ERR_ABI: return "ABI mismatch";
    case PIO_ERR_LOAD: return "load failed";
    case PIO_ERR_UNSUPPORTED: return "unsupported";
    case PIO_ERR_CRASHED: return "crashed";
    case PIO_ERR_LIMIT: return "over a limit";
    case PIO_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}
