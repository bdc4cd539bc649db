/* host/manifest/semver.c — semantic version parsing, precedence and requirement
 * matching for manifest versions and dependency requirements. */
#include <stdio.h>
#include <string.h>

#include "manifest/semver.h"

/* Numbers above this are refused: keeps arithmetic far from overflow. */
#define SEMVER_NUMBER_MAX 999999999999ull

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int is_ident_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Reads a numeric identifier without leading zeros; advances *p. */
static int read_number(const char **p, uint64_t *out) {
  const char *s = *p;
  if (!is_digit(*s)) return -1;
  if (*s == '0' && is_digit(s[1])) return -1;
  uint64_t v = 0;
  while (is_digit(*s)) {
    v = v * 10 + (uint64_t)(*s - '0');
    if (v > SEMVER_NUMBER_MAX) return -1;
    s++;
  }
  *p = s;
  *out = v;
  return 0;
}

/* Dot-separated non-empty identifiers; numeric ones without leading zeros
 * when numeric_rule is set (pre-release), any when not (build). */
static int read_identifiers(const char **p, int numeric_rule) {
  const char *s = *p;
  for (;;) {
    const char *start = s;
    int all_digits = 1;
    while (is_ident_char(*s)) {
      if (!is_digit(*s)) all_digits = 0;
      s++;
    }
    if (s == start) return -1;
    if (numeric_rule && all_digits && *start == '0' && s - start > 1) return -1;
    if (*s != '.') break;
    s++;
  }
  *p = s;
  return 0;
}

/* Parses a version at *p and stops at the first character that cannot
 * continue it; the caller decides what may follow. */
static int parse_prefix(const char **p, semver *out) {
  const char *s = *p;
  semver v = {0};
  if (read_number(&s, &v.major) || *s++ != '.' || read_number(&s, &v.minor) || *s++ != '.' ||
      read_number(&s, &v.patch))
    return -1;
  if (*s == '-') {
    v.pre = ++s;
    if (read_identifiers(&s, 1)) return -1;
    v.pre_len = (size_t)(s - v.pre);
  }
  if (*s == '+') {
    s++;
    if (read_identifiers(&s, 0)) return -1;
  }
  *p = s;
  *out = v;
  return 0;
}

int semver_parse(const char *text, semver *out) {
  if (text == NULL || strlen(text) > SEMVER_MAX_TEXT) return -1;
  const char *s = text;
  semver v;
  if (parse_prefix(&s, &v) || *s != '\0') return -1;
  if (out != NULL) *out = v;
  return 0;
}

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Pre-release precedence (semver 2.0.0 §11): identifiers compared left to
 * right, numeric ones as numbers and below alphanumeric ones. */
static int compare_pre(const char *a, size_t alen, const char *b, size_t blen) {
  size_t i = 0, j = 0;
  while (i < alen && j < blen) {
    size_t ie = i, je = j;
    int anum = 1, bnum = 1;
    while (ie < alen && a[ie] != '.') anum &= is_digit(a[ie++]);
    while (je < blen && b[je] != '.') bnum &= is_digit(b[je++]);
    int c;
    if (anum && bnum) {
      c = ie - i != je - j ? ((ie - i) < (je - j) ? -1 : 1) : memcmp(a + i, b + j, ie - i);
    } else if (anum != bnum) {
      c = anum ? -1 : 1;
    } else {
      size_t n = (ie - i) < (je - j) ? ie - i : je - j;
      c = memcmp(a + i, b + j, n);
      if (c == 0) c = cmp_u64(ie - i, je - j);
    }
    if (c != 0) return c < 0 ? -1 : 1;
    i = ie + (ie < alen);
    j = je + (je < blen);
  }
  return (i < alen) - (j < blen); /* a longer list of equal identifiers follows */
}

int semver_compare(const semver *a, const semver *b) {
  int c = cmp_u64(a->major, b->major);
  if (c == 0) c = cmp_u64(a->minor, b->minor);
  if (c == 0) c = cmp_u64(a->patch, b->patch);
  if (c != 0) return c;
  if (a->pre == NULL || b->pre == NULL) return (a->pre == NULL) - (b->pre == NULL);
  return compare_pre(a->pre, a->pre_len, b->pre, b->pre_len);
}

typedef enum op { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE, OP_CARET, OP_TILDE } op;

static op read_op(const char **p) {
  /* Two-character operators first, so ">=" is not read as ">". */
  static const struct {
    const char *text;
    op o;
  } ops[] = {{">=", OP_GE}, {"<=", OP_LE}, {"==", OP_EQ},   {">", OP_GT},
             {"<", OP_LT},  {"=", OP_EQ},  {"^", OP_CARET}, {"~", OP_TILDE}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].text);
    if (strncmp(*p, ops[i].text, n) == 0) {
      *p += n;
      return ops[i].o;
    }
  }
  return OP_EQ;
}

/* Upper bound (exclusive) of ^v and ~v. */
static semver upper_bound(op o, const semver *v) {
  semver u = {0};
  if (o == OP_TILDE || (v->major == 0 && v->minor > 0)) {
    u.major = v->major;
    u.minor = v->minor + 1;
  } else if (v->major > 0) {
    u.major = v->major + 1;
  } else {
    u.patch = v->patch + 1;
  }
  u.pre = "0"; /* below every release of the bound itself */
  u.pre_len = 1;
  return u;
}

static int matches(op o, const semver *v, const semver *c) {
  int cmp = semver_compare(v, c);
  switch (o) {
    case OP_EQ:
      return cmp == 0;
    case OP_GT:
      return cmp > 0;
    case OP_GE:
      return cmp >= 0;
    case OP_LT:
      return cmp < 0;
    case OP_LE:
      return cmp <= 0;
    case OP_CARET:
    case OP_TILDE: {
      semver u = upper_bound(o, c);
      return cmp >= 0 && semver_compare(v, &u) < 0;
    }
  }
  return 0;
}

static void skip_separators(const char **p) {
  while (**p == ' ' || **p == ',') (*p)++;
}

/* Walks requirement; with version NULL only checks the syntax.  Returns 1
 * satisfied (or well-formed), 0 not satisfied, -1 malformed. */
static int walk(const char *requirement, const semver *version, char *why, size_t why_size) {
  if (requirement == NULL || strlen(requirement) > SEMVER_MAX_TEXT) {
    if (why) snprintf(why, why_size, "longer than %d characters", SEMVER_MAX_TEXT);
    return -1;
  }
  const char *s = requirement;
  skip_separators(&s);
  if (*s == '*') {
    const char *rest = s + 1;
    skip_separators(&rest);
    if (*rest == '\0') return 1;
    if (why) snprintf(why, why_size, "\"*\" must stand alone");
    return -1;
  }
  int any = 0, ok = 1, pre_allowed = version == NULL || version->pre == NULL;
  while (*s != '\0') {
    op o = read_op(&s);
    semver c;
    if (parse_prefix(&s, &c) || (*s != '\0' && *s != ' ' && *s != ',')) {
      if (why)
        snprintf(why, why_size,
                 "expected an operator (= > >= < <= ^ ~) and a full "
                 "version such as 1.2.0");
      return -1;
    }
    any = 1;
    if (version != NULL) {
      if (!matches(o, version, &c)) ok = 0;
      if (version->pre != NULL && c.pre != NULL && c.major == version->major &&
          c.minor == version->minor && c.patch == version->patch)
        pre_allowed = 1;
    }
    skip_separators(&s);
  }
  if (!any) {
    if (why) snprintf(why, why_size, "empty requirement (write \"*\" for any version)");
    return -1;
  }
  return ok && pre_allowed;
}

int semver_requirement_check(const char *requirement, char *why, size_t why_size) {
  return walk(requirement, NULL, why, why_size) < 0 ? -1 : 0;
}

int semver_satisfies(const char *version, const char *requirement) {
  semver v;
  if (semver_parse(version, &v) != 0) return -1;
  return walk(requirement, &v, NULL, 0);
}
