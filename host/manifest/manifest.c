/* host/manifest/manifest.c — reads plugin_manifest.json and validates every field
 * (manifests/plugin_manifest.schema.json is the same contract in writing).
 * The first error stops the read; unknown fields become warnings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/manifest.h"
#include "manifest/variants.h"
#include "manifest/manifest_fields.h"
#include "manifest/semver.h"
#include "pio/json.h"
#include "pio/version.h"

/* Length limits on text fields, in bytes. */
#define TEXT_SHORT 128
#define TEXT_AUTHOR 256
#define TEXT_DESCRIPTION 4096
#define LIST_MAX 64
/* Memory figures above this many GiB are surely a typo. */
#define MEMORY_GB_MAX 1048576.0

static const char *const known_os[] = {"linux", "freebsd", "openbsd", "netbsd", "darwin", NULL};
static const char *const known_arch[] = {"x86_64",  "aarch64", "i686",  "armv7l",
                                         "riscv64", "ppc64le", "s390x", NULL};

/* "MAJOR.MINOR", or a bare "MAJOR" when allow_bare; each part 0..65534. */
static int parse_abi(const char *text, int allow_bare, uint16_t *major, uint16_t *minor) {
  unsigned long parts[2] = {0, PIO_MANIFEST_ABI_ANY_MINOR};
  int n = 0;
  const char *s = text;
  while (n < 2) {
    if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9')) return -1;
    unsigned long v = 0;
    while (*s >= '0' && *s <= '9') {
      v = v * 10 + (unsigned long)(*s++ - '0');
      if (v >= PIO_MANIFEST_ABI_ANY_MINOR) return -1;
    }
    parts[n++] = v;
    if (*s != '.') break;
    s++;
  }
  if (*s != '\0' || (n == 1 && !allow_bare)) return -1;
  *major = (uint16_t)parts[0];
  *minor = (uint16_t)parts[1];
  return 0;
}

static pio_status read_abi(const mf_reader *r, const json_object *compat,
                           pio_manifest_compatibility *c) {
  static const char *const known[] = {"min", "max", NULL};
  json_object *abi;
  pio_status s = mf_member(r, compat, "abi", "compatibility.abi", 1, json_type_object, &abi);
  if (s != PIO_OK) return s;
  char *min = NULL, *max = NULL;
  s = mf_text(r, abi, "min", "compatibility.abi.min", 1, 16, NULL, &min);
  if (s == PIO_OK) s = mf_text(r, abi, "max", "compatibility.abi.max", 0, 16, NULL, &max);
  if (s == PIO_OK && parse_abi(min, 0, &c->abi_min_major, &c->abi_min_minor) != 0)
    s = mf_fail(r, abi, "min", "compatibility.abi.min", PIO_ERR_INVALID,
                "expected an ABI version MAJOR.MINOR such as \"1.0\", found \"%.16s\"", min);
  if (s == PIO_OK && max == NULL) { /* absent: every minor of min's major */
    c->abi_max_major = c->abi_min_major;
    c->abi_max_minor = PIO_MANIFEST_ABI_ANY_MINOR;
  } else if (s == PIO_OK && parse_abi(max, 1, &c->abi_max_major, &c->abi_max_minor) != 0) {
    s = mf_fail(r, abi, "max", "compatibility.abi.max", PIO_ERR_INVALID,
                "expected an ABI version MAJOR or MAJOR.MINOR such as \"1\", found \"%.16s\"", max);
  }
  if (s == PIO_OK && PIO_ABI_PACK(c->abi_max_major, c->abi_max_minor) <
                         PIO_ABI_PACK(c->abi_min_major, c->abi_min_minor))
    s = mf_fail(r, abi, "max", "compatibility.abi.max", PIO_ERR_INVALID,
                "expected a version not below min \"%s\", found \"%s\"", min, max);
  free(min);
  free(max);
  if (s != PIO_OK) return s;
  return mf_warn_unknown(r, abi, "compatibility.abi", known);
}

/* Each entry of list must be one of known; the message lists them. */
static pio_status check_choices(const mf_reader *r, const json_object *object, const char *key,
                                const char *field, const pio_string_list *list,
                                const char *const *known) {
  json_object *array = NULL;
  json_object_object_get_ex(object, key, &array);
  for (size_t i = 0; i < list->count; i++) {
    int found = 0;
    char choices[256] = "";
    for (const char *const *k = known; *k != NULL; k++) {
      found |= strcmp(list->items[i], *k) == 0;
      strncat(choices, k == known ? "" : ", ", sizeof choices - strlen(choices) - 1);
      strncat(choices, *k, sizeof choices - strlen(choices) - 1);
    }
    if (!found) {
      char element[96], quoted[96];
      snprintf(element, sizeof element, "%s[%zu]", field, i);
      return mf_fail(r, json_object_array_get_idx(array, i), NULL, element, PIO_ERR_INVALID,
                     "expected one of %s, found %s", choices,
                     pio_json_quote(list->items[i], quoted, sizeof quoted));
    }
  }
  return PIO_OK;
}

static pio_status read_compatibility(const mf_reader *r, const json_object *root,
                                     pio_manifest_compatibility *c) {
  static const char *const known[] = {"abi", "os", "arch", "cpu_features", "min_memory_gb", NULL};
  json_object *compat;
  pio_status s = mf_member(r, root, "compatibility", "compatibility", 1, json_type_object, &compat);
  if (s == PIO_OK) s = read_abi(r, compat, c);
  if (s == PIO_OK)
    s = mf_text_list(r, compat, "os", "compatibility.os", LIST_MAX, 32, NULL, &c->os);
  if (s == PIO_OK) s = check_choices(r, compat, "os", "compatibility.os", &c->os, known_os);
  if (s == PIO_OK)
    s = mf_text_list(r, compat, "arch", "compatibility.arch", LIST_MAX, 32, NULL, &c->arch);
  if (s == PIO_OK) s = check_choices(r, compat, "arch", "compatibility.arch", &c->arch, known_arch);
  if (s == PIO_OK)
    s = mf_cpu_features(r, compat, "compatibility", &c->cpu_features, &c->cpu_feature_mask);
  if (s == PIO_OK)
    s = mf_number(r, compat, "min_memory_gb", "compatibility.min_memory_gb", 0, MEMORY_GB_MAX,
                  &c->min_memory_gb);
  if (s == PIO_OK) s = mf_warn_unknown(r, compat, "compatibility", known);
  return s;
}

static pio_status read_entry_point(const mf_reader *r, const json_object *root, pio_manifest *m) {
  static const char *const known[] = {"module", "factory_function", NULL};
  json_object *entry;
  pio_status s = mf_member(r, root, "entry_point", "entry_point", 1, json_type_object, &entry);
  if (s == PIO_OK)
    s = mf_text(r, entry, "module", "entry_point.module", 1, TEXT_SHORT, mf_rule_module,
                &m->entry_module);
  if (s == PIO_OK)
    s = mf_text(r, entry, "factory_function", "entry_point.factory_function", 1, TEXT_SHORT,
                mf_rule_identifier, &m->entry_function);
  if (s == PIO_OK) s = mf_warn_unknown(r, entry, "entry_point", known);
  return s;
}

static pio_status read_dependency(const mf_reader *r, const json_object *dep, const char *field,
                                  pio_manifest_dependency *d) {
  static const char *const known[] = {"name", "kind", "version", NULL};
  char sub[96];
  snprintf(sub, sizeof sub, "%s.kind", field);
  pio_status s = mf_text(r, dep, "kind", sub, 1, 16, NULL, &d->kind);
  if (s == PIO_OK && strcmp(d->kind, "plugin") != 0 && strcmp(d->kind, "library") != 0) {
    char quoted[64];
    s = mf_fail(r, dep, "kind", sub, PIO_ERR_INVALID,
                "expected \"plugin\" or \"library\", found %s",
                pio_json_quote(d->kind, quoted, sizeof quoted));
  }
  snprintf(sub, sizeof sub, "%s.name", field);
  if (s == PIO_OK)
    s = mf_text(r, dep, "name", sub, 1, TEXT_SHORT,
                strcmp(d->kind, "plugin") == 0 ? mf_rule_name : mf_rule_token, &d->name);
  snprintf(sub, sizeof sub, "%s.version", field);
  if (s == PIO_OK)
    s = mf_text(r, dep, "version", sub, 0, SEMVER_MAX_TEXT, mf_rule_requirement, &d->version);
  if (s == PIO_OK) s = mf_warn_unknown(r, dep, field, known);
  return s;
}

static pio_status read_dependencies(const mf_reader *r, const json_object *root, pio_manifest *m) {
  json_object *array;
  pio_status s = mf_member(r, root, "dependencies", "dependencies", 0, json_type_array, &array);
  if (s != PIO_OK || array == NULL) return s;
  size_t n = json_object_array_length(array);
  if (n > LIST_MAX)
    return mf_fail(r, root, "dependencies", "dependencies", PIO_ERR_INVALID,
                   "expected at most %d entries, found %zu", LIST_MAX, n);
  m->dependencies = calloc(n ? n : 1, sizeof *m->dependencies);
  if (m->dependencies == NULL)
    return pio_error_set(r->err, PIO_ERR_NO_MEMORY, "%s: out of memory", r->path);
  for (size_t i = 0; i < n; i++) {
    json_object *dep = json_object_array_get_idx(array, i);
    char field[48];
    snprintf(field, sizeof field, "dependencies[%zu]", i);
    m->n_dependencies = i + 1; /* so that free sees what was filled */
    if (!json_object_is_type(dep, json_type_object))
      return mf_fail(r, dep != NULL ? dep : array, NULL, field, PIO_ERR_INVALID,
                     "expected an object {\"name\", \"kind\", \"version\"}, found %s",
                     pio_json_type_phrase(json_object_get_type(dep)));
    s = read_dependency(r, dep, field, &m->dependencies[i]);
    if (s != PIO_OK) return s;
    for (size_t j = 0; j < i; j++)
      if (strcmp(m->dependencies[j].name, m->dependencies[i].name) == 0 &&
          strcmp(m->dependencies[j].kind, m->dependencies[i].kind) == 0)
        return mf_fail(r, dep, "name", field, PIO_ERR_INVALID,
                       "expected each dependency once, found a repeat of dependencies[%zu]", j);
  }
  return PIO_OK;
}

static pio_status read_plugin_type(const mf_reader *r, const json_object *root, pio_manifest *m) {
  pio_status s =
      mf_text(r, root, "plugin_type", "plugin_type", 1, TEXT_SHORT, NULL, &m->plugin_type);
  if (s == PIO_OK && strcmp(m->plugin_type, "model") != 0) {
    char quoted[160];
    s = mf_fail(r, root, "plugin_type", "plugin_type", PIO_ERR_INVALID,
                "expected \"model\", found %s",
                pio_json_quote(m->plugin_type, quoted, sizeof quoted));
  }
  return s;
}

/* Architectures served beside model_architecture (one plugin for a family:
 * Qwen2 and Qwen3, Mistral and Mixtral); model_architecture is not
 * repeated among them. */
static pio_status read_additional_architectures(const mf_reader *r, const json_object *root,
                                                pio_manifest *m) {
  const char *key = "additional_architectures";
  pio_status s = mf_text_list(r, root, key, key, LIST_MAX, TEXT_SHORT, mf_rule_architecture,
                              &m->additional_architectures);
  for (size_t i = 0; s == PIO_OK && i < m->additional_architectures.count; i++)
    if (strcmp(m->additional_architectures.items[i], m->model_architecture) == 0)
      s = mf_fail(r, root, key, key, PIO_ERR_INVALID, "expected architectures other than "
                  "model_architecture, found it again at entry %zu", i);
  return s;
}

static pio_status read_manifest(const mf_reader *r, const json_object *root, pio_manifest *m) {
  static const char *const known[] = {"$schema",
                                      "name",
                                      "version",
                                      "author",
                                      "description",
                                      "plugin_type",
                                      "dependencies",
                                      "compatibility",
                                      "model_architecture",
                                      "additional_architectures",
                                      "model_size",
                                      "required_memory_gb",
                                      "supported_modalities",
                                      "license",
                                      "tags",
                                      "model_family",
                                      "num_parameters",
                                      "entry_point",
                                      "variants",
                                      NULL};
  char *schema = NULL;
  pio_status s = mf_text(r, root, "$schema", "$schema", 0, 512, NULL, &schema);
  free(schema); /* accepted so editors can validate; not kept */
  if (s == PIO_OK) s = mf_text(r, root, "name", "name", 1, 64, mf_rule_name, &m->name);
  if (s == PIO_OK)
    s = mf_text(r, root, "version", "version", 1, SEMVER_MAX_TEXT, mf_rule_semver, &m->version);
  if (s == PIO_OK) s = read_plugin_type(r, root, m);
  if (s == PIO_OK)
    s = mf_text(r, root, "model_architecture", "model_architecture", 1, TEXT_SHORT,
                mf_rule_architecture, &m->model_architecture);
  if (s == PIO_OK) s = read_additional_architectures(r, root, m);
  if (s == PIO_OK) s = read_entry_point(r, root, m);
  if (s == PIO_OK) s = read_compatibility(r, root, &m->compatibility);
  if (s == PIO_OK) s = mf_text(r, root, "author", "author", 0, TEXT_AUTHOR, NULL, &m->author);
  if (s == PIO_OK)
    s = mf_text(r, root, "description", "description", 0, TEXT_DESCRIPTION, NULL, &m->description);
  if (s == PIO_OK) s = mf_text(r, root, "license", "license", 0, TEXT_SHORT, NULL, &m->license);
  if (s == PIO_OK)
    s = mf_text(r, root, "model_family", "model_family", 0, TEXT_SHORT, NULL, &m->model_family);
  if (s == PIO_OK) s = mf_text(r, root, "model_size", "model_size", 0, 64, NULL, &m->model_size);
  if (s == PIO_OK)
    s = mf_number(r, root, "required_memory_gb", "required_memory_gb", 0, MEMORY_GB_MAX,
                  &m->required_memory_gb);
  if (s == PIO_OK)
    s = mf_count(r, root, "num_parameters", "num_parameters", UINT64_MAX, &m->num_parameters);
  if (s == PIO_OK)
    s = mf_text_list(r, root, "supported_modalities", "supported_modalities", LIST_MAX, 64,
                     mf_rule_token, &m->supported_modalities);
  if (s == PIO_OK) s = mf_text_list(r, root, "tags", "tags", LIST_MAX, 64, mf_rule_token, &m->tags);
  if (s == PIO_OK) s = read_dependencies(r, root, m);
  if (s == PIO_OK) s = manifest_read_variants(r, root, m);
  if (s == PIO_OK) s = mf_warn_unknown(r, root, "", known);
  return s;
}

/* A manifest as parsed: every text and list its own allocation.  Only
 * this file sees one; what leaves it is packed (manifest_pack). */
static void free_pieces(pio_manifest *m) {
  if (m == NULL) return;
  free(m->path);
#define FREE_TEXT(field, required) free(m->field);
#define FREE_LIST(field) string_list_clear(&m->field);
#define FREE_DEP_TEXT(field, required) free(m->dependencies[i].field);
#define FREE_DEPS(field, count)               \
  for (size_t i = 0; i < m->count; i++) {     \
    MANIFEST_DEPENDENCY_FIELDS(FREE_DEP_TEXT) \
  }                                           \
  free(m->field);
#define FREE_VARIANTS(field, count) manifest_free_variants(m);
  MANIFEST_FIELDS(FREE_TEXT, MANIFEST_SKIP, MANIFEST_SKIP, FREE_LIST, FREE_DEPS, MANIFEST_SKIP,
                  FREE_VARIANTS)
#undef FREE_TEXT
#undef FREE_LIST
#undef FREE_DEP_TEXT
#undef FREE_DEPS
#undef FREE_VARIANTS
  free(m);
}

static pio_status finish(const char *path, json_object *root, pio_json_positions *positions,
                         struct arena *arena, pio_manifest **out, pio_error *err) {
  pio_manifest *m = calloc(1, sizeof *m);
  pio_status s = PIO_OK;
  if (m == NULL || (m->path = strdup(path)) == NULL) {
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  } else if (!json_object_is_type(root, json_type_object)) {
    mf_reader r = {path, positions, &m->warnings, err};
    s = mf_fail(&r, root, NULL, "manifest", PIO_ERR_INVALID,
                "expected a JSON object at the top level, found %s",
                pio_json_type_phrase(json_object_get_type(root)));
  } else {
    mf_reader r = {path, positions, &m->warnings, err};
    s = read_manifest(&r, root, m);
  }
  json_object_put(root);
  pio_json_positions_free(positions);
  pio_manifest *packed = s == PIO_OK ? manifest_pack(m, arena) : NULL;
  if (s == PIO_OK && packed == NULL)
    s = pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  free_pieces(m);
  if (s != PIO_OK) return s;
  *out = packed;
  return PIO_OK;
}

pio_status manifest_load(const char *path, struct arena *arena, pio_manifest **out,
                         pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no manifest path or no result pointer");
  *out = NULL;
  json_object *root = NULL;
  pio_json_positions *positions = NULL;
  pio_status s =
      pio_json_parse_file(path, MANIFEST_MAX_BYTES, MANIFEST_MAX_DEPTH, &root, &positions, err);
  if (s != PIO_OK) return s;
  return finish(path, root, positions, arena, out, err);
}

pio_status manifest_parse_buffer(const char *path, const char *text, size_t len,
                                 struct arena *arena, pio_manifest **out, pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no manifest name or no result pointer");
  *out = NULL;
  if (len > MANIFEST_MAX_BYTES)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: %zu bytes, over the limit of %u bytes", path, len,
                         MANIFEST_MAX_BYTES);
  json_object *root = NULL;
  pio_json_positions *positions = NULL;
  pio_status s = pio_json_parse_buffer(path, text, len, MANIFEST_MAX_DEPTH, &root, &positions, err);
  if (s != PIO_OK) return s;
  return finish(path, root, positions, arena, out, err);
}

void manifest_free(pio_manifest *m) { free(m); /* one block: manifest_pack */ }
