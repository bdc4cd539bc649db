/* host/manifest/semver.h — semantic versions (semver.org 2.0.0) and the version
 * requirements a manifest's dependencies carry (">=1.2.0, <2.0.0", "^1.2.0").
 * Internal to libpio-host. */
#ifndef PIO_HOST_SEMVER_H
#define PIO_HOST_SEMVER_H

#include <stddef.h>
#include <stdint.h>

/* Longest version or requirement text accepted. */
#define SEMVER_MAX_TEXT 128

/* A parsed version; pre points into the parsed text (NULL when none). */
typedef struct semver {
  uint64_t major, minor, patch;
  const char *pre; /* pre-release identifiers, without the '-' */
  size_t pre_len;
} semver;

/* 0 when text is a full semantic version MAJOR.MINOR.PATCH[-pre][+build]
 * with no leading zeros; -1 otherwise.  out's pre borrows from text. */
int semver_parse(const char *text, semver *out);

/* <0, 0, >0 as a precedes, equals, follows b (build metadata ignored). */
int semver_compare(const semver *a, const semver *b);

/* 0 when requirement is well-formed: "*", or comparators separated by
 * commas and/or spaces, each an optional operator (= == > >= < <= ^ ~)
 * and a full version.  On -1, why (when not NULL) says what is wrong. */
int semver_requirement_check(const char *requirement, char *why, size_t why_size);

/* 1 when version satisfies requirement, 0 when not, -1 when either is
 * malformed.  A pre-release satisfies only comparators that name a
 * pre-release of the same MAJOR.MINOR.PATCH, as npm does. */
int semver_satisfies(const char *version, const char *requirement);

#endif
