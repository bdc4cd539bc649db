/* pio/status.h — status codes and the error record every fallible call fills. */
#ifndef PIO_STATUS_H
#define PIO_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_status {
  PIO_OK = 0,
  PIO_ERR_INVALID_ARGUMENT = 1, /* caller passed something unusable */
  PIO_ERR_NO_MEMORY = 2,
  PIO_ERR_IO = 3,               /* open/read/write/mmap failed */
  PIO_ERR_PARSE = 4,            /* malformed JSON or binary header */
  PIO_ERR_INVALID = 5,          /* well-formed but wrong: a field's value */
  PIO_ERR_NOT_FOUND = 6,        /* plugin, model, tensor, symbol, file */
  PIO_ERR_INCOMPATIBLE = 7,     /* needs something this machine lacks */
  PIO_ERR_ABI = 8,              /* ABI major or struct_size mismatch */
  PIO_ERR_LOAD = 9,             /* the shared object could not be loaded */
  PIO_ERR_UNSUPPORTED = 10,     /* valid request this build cannot serve */
  PIO_ERR_CRASHED = 11,         /* a trial load died on a signal */
  PIO_ERR_LIMIT = 12,           /* input over a size or depth limit */
  PIO_ERR_INTERNAL = 13
} pio_status;

/* Longest message an error record keeps, terminator included. */
#define PIO_ERROR_MESSAGE_MAX 1024

/*
 * The error record.  Caller-owned (usually on the stack).  A call that
 * returns a status other than PIO_OK sets code to that status and message
 * to a sentence a person can act on: file, line:column, field, what was
 * expected and what was found.  On PIO_OK the record is left untouched.
 */
typedef struct pio_error {
  pio_status code;
  char message[PIO_ERROR_MESSAGE_MAX];
} pio_error;

/* Fills err (when not NULL) with code and a printf-formatted message, and
 * returns code, so that callers can write `return pio_error_set(...)`. */
pio_status pio_error_set(pio_error *err, pio_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Same as pio_error_set with a va_list. */
pio_status pio_error_setv(pio_error *err, pio_status code, const char *fmt, va_list ap);

/* Prepends "prefix: " to an already filled message (context as an error
 * climbs up the stack) and returns err->code. */
pio_status pio_error_prefix(pio_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Resets err to PIO_OK with an empty message. */
void pio_error_clear(pio_error *err);

/* Static English name of a status ("invalid argument", ...). */
const char *pio_status_name(pio_status status);

#ifdef __cplusplus
}
#endif
#endif
