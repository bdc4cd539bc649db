/* host/manifest/variants.c — a manifest's "variants": several builds of one
 * plugin in its folder (scalar, AVX-512, AMX, CUDA), each with its module,
 * entry function and needs, in order of preference.  Only reading and
 * checking; which one this machine takes is host/load/variant_choice.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/variants.h"

/* Up to `most` decimal digits at *p (no sign, no leading zero unless the
 * number is 0) into *value; the count read, 0 when none. */
static int read_digits(const char *p, int most, unsigned *value) {
  int n = 0;
  *value = 0;
  while (n < most && p[n] >= '0' && p[n] <= '9') *value = *value * 10 + (unsigned)(p[n++] - '0');
  if (n > 1 && p[0] == '0') return 0;
  return n;
}

/* "M.m" (M up to 3 digits, m up to 2); -1 when text is not one. */
static int parse_version(const char *text, unsigned *major, unsigned *minor) {
  const int a = read_digits(text, 3, major);
  if (a == 0 || text[a] != '.') return -1;
  const int b = read_digits(text + a + 1, 2, minor);
  return b > 0 && text[a + 1 + b] == '\0' ? 0 : -1;
}

static pio_status read_version(const mf_reader *r, const json_object *cuda, const char *key,
                               const char *field, int required, unsigned *major,
                               unsigned *minor, int *present) {
  char *text = NULL;
  pio_status s = mf_text(r, cuda, key, field, required, 16, NULL, &text);
  *present = text != NULL;
  if (s == PIO_OK && text != NULL && parse_version(text, major, minor) != 0) {
    char quoted[48];
    s = mf_fail(r, cuda, key, field, PIO_ERR_INVALID, "expected \"major.minor\" such as \"9.0\", "
                "found %s", pio_json_quote(text, quoted, sizeof quoted));
  }
  free(text);
  return s;
}

static pio_status read_cuda(const mf_reader *r, const json_object *needs, const char *prefix,
                            pio_manifest_variant *v) {
  static const char *const known[] = {"compute_capability", "driver", "memory_gb", NULL};
  char field[96];
  snprintf(field, sizeof field, "%s.cuda", prefix);
  json_object *cuda;
  pio_status s = mf_member(r, needs, "cuda", field, 0, json_type_object, &cuda);
  if (s != PIO_OK || cuda == NULL) return s;
  v->needs_cuda = 1;
  unsigned major = 0, minor = 0;
  int present = 0;
  char sub[128];
  snprintf(sub, sizeof sub, "%s.compute_capability", field);
  s = read_version(r, cuda, "compute_capability", sub, 1, &major, &minor, &present);
  if (s == PIO_OK && minor > 9)
    s = mf_fail(r, cuda, "compute_capability", sub, PIO_ERR_INVALID,
                "expected a minor version of one digit, found %u", minor);
  v->cuda_min_capability = 10u * major + minor;
  snprintf(sub, sizeof sub, "%s.driver", field);
  if (s == PIO_OK) s = read_version(r, cuda, "driver", sub, 0, &major, &minor, &present);
  if (s == PIO_OK && present) v->cuda_min_driver = 1000u * major + 10u * minor;
  snprintf(sub, sizeof sub, "%s.memory_gb", field);
  if (s == PIO_OK) s = mf_number(r, cuda, "memory_gb", sub, 0, 1e6, &v->cuda_min_memory_gb);
  if (s == PIO_OK) s = mf_refuse_unknown(r, cuda, field, known);
  return s;
}

static pio_status read_needs(const mf_reader *r, const json_object *variant, const char *prefix,
                             pio_manifest_variant *v) {
  static const char *const known[] = {"cpu_features", "cuda", NULL};
  char field[80];
  snprintf(field, sizeof field, "%s.needs", prefix);
  json_object *needs;
  pio_status s = mf_member(r, variant, "needs", field, 0, json_type_object, &needs);
  if (s != PIO_OK || needs == NULL) return s;
  s = mf_cpu_features(r, needs, field, &v->cpu_features, &v->cpu_feature_mask);
  if (s == PIO_OK) s = read_cuda(r, needs, field, v);
  if (s == PIO_OK) s = mf_refuse_unknown(r, needs, field, known);
  return s;
}

static pio_status read_variant(const mf_reader *r, const json_object *variant, const char *prefix,
                               pio_manifest_variant *v) {
  static const char *const known[] = {"name", "module", "factory_function", "needs", NULL};
  char field[64];
  snprintf(field, sizeof field, "%s.name", prefix);
  pio_status s = mf_text(r, variant, "name", field, 1, 32, mf_rule_name, &v->name);
  snprintf(field, sizeof field, "%s.module", prefix);
  if (s == PIO_OK) s = mf_text(r, variant, "module", field, 1, 128, mf_rule_module, &v->module);
  snprintf(field, sizeof field, "%s.factory_function", prefix);
  if (s == PIO_OK)
    s = mf_text(r, variant, "factory_function", field, 1, 128, mf_rule_identifier,
                &v->function);
  if (s == PIO_OK) s = read_needs(r, variant, prefix, v);
  if (s == PIO_OK) s = mf_refuse_unknown(r, variant, prefix, known);
  return s;
}

/* Later checks over the whole list: unique names, and entry_point among them. */
static pio_status check_list(const mf_reader *r, const json_object *array, const pio_manifest *m) {
  for (size_t i = 0; i < m->n_variants; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp(m->variants[i].name, m->variants[j].name) == 0) {
        char field[48];
        snprintf(field, sizeof field, "variants[%zu].name", i);
        return mf_fail(r, json_object_array_get_idx(array, i), "name", field, PIO_ERR_INVALID,
                       "expected each variant's name once, found \"%s\" again (variants[%zu])",
                       m->variants[i].name, j);
      }
  for (size_t i = 0; i < m->n_variants; i++)
    if (strcmp(m->variants[i].module, m->entry_module) == 0 &&
        strcmp(m->variants[i].function, m->entry_function) == 0)
      return PIO_OK;
  return mf_fail(r, array, NULL, "variants", PIO_ERR_INVALID,
                 "expected entry_point (module \"%s\", factory_function \"%s\") to be one of the "
                 "variants: it is the build hosts without variants load",
                 m->entry_module, m->entry_function);
}

pio_status manifest_read_variants(const mf_reader *r, const json_object *root, pio_manifest *m) {
  json_object *array;
  pio_status s = mf_member(r, root, "variants", "variants", 0, json_type_array, &array);
  if (s != PIO_OK || array == NULL) return s;
  const size_t n = json_object_array_length(array);
  if (n == 0 || n > MANIFEST_MAX_VARIANTS)
    return mf_fail(r, root, "variants", "variants", PIO_ERR_INVALID,
                   "expected 1 to %d variants, found %zu", MANIFEST_MAX_VARIANTS, n);
  m->variants = calloc(n, sizeof *m->variants);
  if (m->variants == NULL)
    return pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
  for (size_t i = 0; i < n; i++) {
    json_object *variant = json_object_array_get_idx(array, i);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "variants[%zu]", i);
    m->n_variants = i + 1; /* so that free sees what was filled */
    if (!json_object_is_type(variant, json_type_object))
      return mf_fail(r, variant != NULL ? variant : array, NULL, prefix, PIO_ERR_INVALID,
                     "expected an object {\"name\", \"module\", \"factory_function\", "
                     "\"needs\"}, found %s", pio_json_type_phrase(json_object_get_type(variant)));
    s = read_variant(r, variant, prefix, &m->variants[i]);
    if (s != PIO_OK) return s;
  }
  return check_list(r, array, m);
}

void manifest_free_variants(pio_manifest *m) {
  for (size_t i = 0; i < m->n_variants; i++) {
    pio_manifest_variant *v = &m->variants[i];
    free(v->name);
    free(v->module);
    free(v->function);
    string_list_clear(&v->cpu_features);
  }
  free(m->variants);
  m->variants = NULL;
  m->n_variants = 0;
}
