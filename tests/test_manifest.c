/* tests/test_manifest.c — manifest parsing and validation: every required
 * field, every type, the syntax rules, limits, and the positions in errors;
 * plus the semantic versions manifests carry. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "manifest/semver.h"
#include "pio/json.h"
#include "registry/arena.h"

#define ASSERT_HAS(message, needle) \
  ck_assert_msg(strstr((message), (needle)) != NULL, "expected \"%s\" in: %s", (needle), (message))

static const char good[] =
    "{\n"
    "  \"$schema\": \"https://example.org/plugin_manifest.schema.json\",\n"
    "  \"name\": \"llama3_1\",\n"
    "  \"version\": \"1.2.3\",\n"
    "  \"author\": \"pio authors\",\n"
    "  \"description\": \"Llama 3.1 family\",\n"
    "  \"plugin_type\": \"model\",\n"
    "  \"model_architecture\": \"LlamaForCausalLM\",\n"
    "  \"model_family\": \"llama\",\n"
    "  \"model_size\": \"8B\",\n"
    "  \"license\": \"MIT\",\n"
    "  \"required_memory_gb\": 16,\n"
    "  \"num_parameters\": 8030261248,\n"
    "  \"supported_modalities\": [\"text\"],\n"
    "  \"tags\": [\"llama\", \"gqa\"],\n"
    "  \"dependencies\": [\n"
    "    {\"name\": \"tokenizer_core\", \"kind\": \"plugin\", \"version\": \">=1.0.0, <2.0.0\"},\n"
    "    {\"name\": \"libjson-c.so.5\", \"kind\": \"library\"}\n"
    "  ],\n"
    "  \"entry_point\": {\"module\": \"libpio_llama3_1\", \"factory_function\": \"pio_plugin_entry\"},\n"
    "  \"compatibility\": {\n"
    "    \"abi\": {\"min\": \"1.0\", \"max\": \"1\"},\n"
    "    \"os\": [\"linux\"],\n"
    "    \"arch\": [\"x86_64\", \"aarch64\"],\n"
    "    \"cpu_features\": [\"avx2\", \"fma\"],\n"
    "    \"min_memory_gb\": 8\n"
    "  }\n"
    "}\n";

static const char minimal[] =
    "{\"name\": \"tiny\", \"version\": \"0.1.0\", \"plugin_type\": \"model\",\n"
    " \"model_architecture\": \"TinyForCausalLM\",\n"
    " \"entry_point\": {\"module\": \"tiny\", \"factory_function\": \"tiny_entry\"},\n"
    " \"compatibility\": {\"abi\": {\"min\": \"1.0\"}}}";

static pio_status parse_text(const char *text, pio_manifest **out, pio_error *err) {
  *out = NULL;
  pio_error_clear(err);
  return manifest_parse_buffer("m.json", text, strlen(text), NULL, out, err);
}

/* The good manifest with the member at dotted `path` replaced by the JSON
 * `value`, or removed when value is NULL; parsed and returned. */
static pio_status parse_edited(const char *path, const char *value, pio_manifest **out,
                               pio_error *err) {
  json_object *root = json_tokener_parse(good);
  ck_assert_ptr_nonnull(root);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  json_object *parent = root;
  char *key = buf, *dot;
  while ((dot = strchr(key, '.')) != NULL) {
    *dot = '\0';
    ck_assert(json_object_object_get_ex(parent, key, &parent));
    key = dot + 1;
  }
  if (value == NULL) {
    json_object_object_del(parent, key);
  } else {
    json_object *v = json_tokener_parse(value);
    ck_assert_msg(v != NULL || strcmp(value, "null") == 0, "bad test value %s", value);
    json_object_object_add(parent, key, v);
  }
  const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
  pio_status s = parse_text(text, out, err);
  json_object_put(root);
  return s;
}

/* Asserts the edit is refused as invalid with "m.json:L:C: " + expected. */
static void assert_refused(const char *path, const char *value, const char *expected) {
  pio_manifest *m = NULL;
  pio_error err;
  pio_status s = parse_edited(path, value, &m, &err);
  ck_assert_msg(s == PIO_ERR_INVALID, "%s = %s: status %d, message %s", path,
                value ? value : "(removed)", s, err.message);
  ck_assert_ptr_null(m);
  int line = 0, column = 0, used = 0;
  ck_assert_msg(sscanf(err.message, "m.json:%d:%d: %n", &line, &column, &used) == 2 && used > 0,
                "no position in: %s", err.message);
  ASSERT_HAS(err.message + used, expected);
}

/* ---- a good manifest ---- */

/* Every field of `good` as parsed. */
static void assert_good_fields(const pio_manifest *m) {
  ck_assert_str_eq(m->path, "m.json");
  ck_assert_str_eq(m->name, "llama3_1");
  ck_assert_str_eq(m->version, "1.2.3");
  ck_assert_str_eq(m->author, "pio authors");
  ck_assert_str_eq(m->plugin_type, "model");
  ck_assert_str_eq(m->model_architecture, "LlamaForCausalLM");
  ck_assert_str_eq(m->model_family, "llama");
  ck_assert_str_eq(m->model_size, "8B");
  ck_assert_str_eq(m->license, "MIT");
  ck_assert_double_eq(m->required_memory_gb, 16.0);
  ck_assert(m->num_parameters == 8030261248ull);
  ck_assert_uint_eq(m->supported_modalities.count, 1);
  ck_assert_uint_eq(m->tags.count, 2);
  ck_assert_str_eq(m->tags.items[1], "gqa");
  ck_assert_uint_eq(m->n_dependencies, 2);
  ck_assert_str_eq(m->dependencies[0].kind, "plugin");
  ck_assert_str_eq(m->dependencies[0].version, ">=1.0.0, <2.0.0");
  ck_assert_ptr_null(m->dependencies[1].version);
  ck_assert_str_eq(m->entry_module, "libpio_llama3_1");
  ck_assert_str_eq(m->entry_function, "pio_plugin_entry");
  const pio_manifest_compatibility *c = &m->compatibility;
  ck_assert_uint_eq(c->abi_min_major, 1);
  ck_assert_uint_eq(c->abi_min_minor, 0);
  ck_assert_uint_eq(c->abi_max_major, 1);
  ck_assert_uint_eq(c->abi_max_minor, PIO_MANIFEST_ABI_ANY_MINOR);
  ck_assert_str_eq(c->os.items[0], "linux");
  ck_assert_uint_eq(c->arch.count, 2);
  ck_assert(c->cpu_feature_mask == ((1ull << PIO_CPU_AVX2) | (1ull << PIO_CPU_FMA)));
  ck_assert_double_eq(c->min_memory_gb, 8.0);
}

START_TEST(test_good_manifest_fills_every_field) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text(good, &m, &err), PIO_OK);
  assert_good_fields(m);
  ck_assert_uint_eq(m->warnings.count, 0);
  manifest_free(m);
}
END_TEST

/* p lies inside the block [base, base + size). */
static int inside(const void *p, const void *base, size_t size) {
  return (const char *)p >= (const char *)base && (const char *)p < (const char *)base + size;
}

/* A manifest is one block: every text and list it points to lies inside
 * the allocation that holds it, so one free() returns it all. */
static void assert_one_block(const pio_manifest *m) {
  size_t size = malloc_usable_size((void *)m);
  ck_assert(inside(m->path, m, size) && inside(m->name, m, size));
  ck_assert(inside(m->entry_function, m, size));
  ck_assert(m->tags.items == NULL || inside(m->tags.items[0], m, size));
  ck_assert(m->warnings.items == NULL || inside(m->warnings.items, m, size));
  ck_assert(m->dependencies == NULL || inside(m->dependencies[0].name, m, size));
}

START_TEST(test_manifest_is_one_block_with_every_field) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("x_vendor_note", "\"kept as a warning\"", &m, &err), PIO_OK);
  assert_one_block(m);
  assert_good_fields(m);
  ck_assert_str_eq(m->compatibility.cpu_features.items[1], "fma");
  ck_assert_ptr_null(m->tags.items[m->tags.count]);
  ck_assert_uint_eq(m->warnings.count, 1);
  ck_assert_ptr_nonnull(strstr(m->warnings.items[0], "x_vendor_note"));
  ck_assert_ptr_null(m->warnings.items[1]);
  pio_manifest *copy = manifest_pack(m, NULL); /* a copy is one block too */
  ck_assert_ptr_nonnull(copy);
  assert_one_block(copy);
  assert_good_fields(copy);
  ck_assert_str_eq(copy->warnings.items[0], m->warnings.items[0]);
  manifest_free(m);
  manifest_free(copy);
}
END_TEST

/* What a registry keeps of a listing: manifests read into its arena,
 * freed with it. */
START_TEST(test_manifests_read_into_an_arena_live_with_it) {
  struct arena *arena = arena_new();
  ck_assert_ptr_nonnull(arena);
  pio_manifest *kept[50];
  for (size_t i = 0; i < 50; i++) {
    pio_error err;
    ck_assert_int_eq(manifest_parse_buffer("m.json", good, strlen(good), arena, &kept[i], &err),
                     PIO_OK);
  }
  for (size_t i = 0; i < 50; i++) assert_good_fields(kept[i]);
  arena_free(arena);
}
END_TEST

START_TEST(test_minimal_manifest_keeps_its_absences_when_copied) {
  pio_manifest *parsed;
  pio_error err;
  ck_assert_int_eq(parse_text(minimal, &parsed, &err), PIO_OK);
  pio_manifest *m = manifest_pack(parsed, NULL);
  manifest_free(parsed);
  ck_assert_ptr_nonnull(m);
  ck_assert_str_eq(m->name, "tiny");
  ck_assert_str_eq(m->entry_function, "tiny_entry");
  ck_assert_ptr_null(m->author);
  ck_assert_ptr_null(m->license);
  ck_assert_uint_eq(m->n_dependencies, 0);
  ck_assert_uint_eq(m->compatibility.os.count, 0);
  ck_assert_uint_eq(m->warnings.count, 0);
  manifest_free(m);
}
END_TEST

START_TEST(test_minimal_manifest_takes_defaults) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text(minimal, &m, &err), PIO_OK);
  ck_assert_ptr_null(m->author);
  ck_assert_uint_eq(m->n_dependencies, 0);
  ck_assert_uint_eq(m->compatibility.os.count, 0);
  ck_assert_uint_eq(m->compatibility.abi_max_major, 1);
  ck_assert_uint_eq(m->compatibility.abi_max_minor, PIO_MANIFEST_ABI_ANY_MINOR);
  ck_assert(m->compatibility.cpu_feature_mask == 0);
  manifest_free(m);
}
END_TEST

START_TEST(test_manifest_file_loads_from_disk) {
  char dir[] = "/tmp/pio-test-manifest-XXXXXX", path[128];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/plugin_manifest.json", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(good, f);
  fclose(f);
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(manifest_load(path, NULL, &m, &err), PIO_OK);
  ck_assert_str_eq(m->path, path);
  manifest_free(m);
  unlink(path);
  rmdir(dir);
}
END_TEST

/* ---- required fields and types ---- */

static const char *const required_fields[] = {
    "name", "version", "plugin_type", "model_architecture", "entry_point",
    "entry_point.module", "entry_point.factory_function", "compatibility",
    "compatibility.abi", "compatibility.abi.min",
};

START_TEST(test_each_missing_required_field_is_named) {
  char expected[128];
  snprintf(expected, sizeof expected, "%s: missing required field", required_fields[_i]);
  assert_refused(required_fields[_i], NULL, expected);
}
END_TEST

static const struct {
  const char *path, *value, *expected;
} wrong_types[] = {
    {"name", "42", "name: expected a string, found an integer"},
    {"version", "1.0", "version: expected a string, found a number with a fraction"},
    {"plugin_type", "null", "plugin_type: expected a string, found null"},
    {"model_architecture", "[\"A\"]", "model_architecture: expected a string, found an array"},
    {"entry_point", "\"lib.so\"", "entry_point: expected an object, found a string"},
    {"entry_point.module", "{}", "entry_point.module: expected a string, found an object"},
    {"entry_point.factory_function", "true", "entry_point.factory_function: expected a string, found a boolean"},
    {"compatibility", "[]", "compatibility: expected an object, found an array"},
    {"compatibility.abi", "\"1.0\"", "compatibility.abi: expected an object, found a string"},
    {"compatibility.abi.min", "1", "compatibility.abi.min: expected a string, found an integer"},
    {"compatibility.abi.max", "2", "compatibility.abi.max: expected a string, found an integer"},
    {"compatibility.os", "\"linux\"", "compatibility.os: expected an array, found a string"},
    {"compatibility.arch", "[1]", "compatibility.arch[0]: expected a string, found an integer"},
    {"compatibility.cpu_features", "{}", "compatibility.cpu_features: expected an array, found an object"},
    {"compatibility.min_memory_gb", "\"8\"", "compatibility.min_memory_gb: expected a number, found a string"},
    {"author", "[]", "author: expected a string, found an array"},
    {"description", "1", "description: expected a string, found an integer"},
    {"license", "{}", "license: expected a string, found an object"},
    {"model_family", "false", "model_family: expected a string, found a boolean"},
    {"model_size", "8", "model_size: expected a string, found an integer"},
    {"required_memory_gb", "\"16\"", "required_memory_gb: expected a number, found a string"},
    {"num_parameters", "8.5", "num_parameters: expected an integer, found a number with a fraction"},
    {"supported_modalities", "\"text\"", "supported_modalities: expected an array, found a string"},
    {"tags", "[\"a\", null]", "tags[1]: expected a string, found null"},
    {"dependencies", "{}", "dependencies: expected an array, found an object"},
    {"dependencies", "[\"json-c\"]", "dependencies[0]: expected an object"},
    {"dependencies", "[{\"name\": 1, \"kind\": \"plugin\"}]", "dependencies[0].name: expected a string, found an integer"},
    {"$schema", "1", "$schema: expected a string, found an integer"},
};

START_TEST(test_each_wrong_type_names_expected_and_found) {
  assert_refused(wrong_types[_i].path, wrong_types[_i].value, wrong_types[_i].expected);
}
END_TEST

/* ---- syntax rules ---- */

START_TEST(test_name_syntax_is_enforced) {
  const char *bad[] = {"\"Llama\"", "\"1llama\"", "\"a b\"", "\"\"", "\"_x\"", "\"a.b\"",
                       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_refused("name", bad[i], "name: expected");
  assert_refused("name", "\"Llama\"", "found \"Llama\"");
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("name", "\"a-b_9\"", &m, &err), PIO_OK);
  manifest_free(m);
}
END_TEST

START_TEST(test_version_must_be_semver) {
  const char *bad[] = {"\"1.0\"", "\"01.0.0\"", "\"v1.0.0\"", "\"1.0.0-\"", "\"1.0.0+\"",
                       "\"1.0.0-01\"", "\"1.0.0.0\"", "\"\""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_refused("version", bad[i], "version: expected a semantic version");
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("version", "\"1.0.0-rc.1+build.5\"", &m, &err), PIO_OK);
  manifest_free(m);
}
END_TEST

START_TEST(test_module_path_with_dotdot_is_refused) {
  assert_refused("entry_point.module", "\"../x\"",
                 "entry_point.module: expected a plain file name in the plugin folder, without '/'");
  assert_refused("entry_point.module", "\"..\"",
                 "entry_point.module: expected a plain file name in the plugin folder, without '..'");
}
END_TEST

START_TEST(test_module_path_with_slash_is_refused) {
  assert_refused("entry_point.module", "\"a/b\"", "without '/'");
  assert_refused("entry_point.module", "\"a\\\\b\"", "without '/'");
}
END_TEST

START_TEST(test_absolute_module_path_is_refused) {
  assert_refused("entry_point.module", "\"/usr/lib/libevil.so\"", "without '/'");
}
END_TEST

START_TEST(test_module_hidden_or_odd_names_are_refused) {
  assert_refused("entry_point.module", "\".hidden\"", "that does not start with '.'");
  assert_refused("entry_point.module", "\"-rf\"", "entry_point.module: expected a plain file name");
  assert_refused("entry_point.module", "\"a b\"", "found \"a b\"");
  assert_refused("entry_point.module", "\"\"", "entry_point.module: expected a plain file name");
  assert_refused("entry_point.module", "\"lib\\nx\"", "found \"lib\\nx\"");
}
END_TEST

START_TEST(test_factory_function_must_be_c_identifier) {
  const char *bad[] = {"\"1abc\"", "\"a-b\"", "\"a b\"", "\"\"", "\"f()\""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_refused("entry_point.factory_function", bad[i],
                   "entry_point.factory_function: expected a C identifier");
}
END_TEST

START_TEST(test_model_architecture_syntax_is_enforced) {
  assert_refused("model_architecture", "\"Llama For\"", "model_architecture: expected a Hugging Face");
}
END_TEST

START_TEST(test_plugin_type_must_be_model) {
  assert_refused("plugin_type", "\"tokenizer\"", "plugin_type: expected \"model\", found \"tokenizer\"");
}
END_TEST

START_TEST(test_unknown_cpu_feature_is_refused) {
  assert_refused("compatibility.cpu_features", "[\"avx2\", \"avx9000\"]",
                 "compatibility.cpu_features[1]: expected a known CPU feature (sse4_2, avx,");
  assert_refused("compatibility.cpu_features", "[\"avx9000\"]", "found \"avx9000\"");
}
END_TEST

START_TEST(test_amx_feature_is_stored_as_amx_tile) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("compatibility.cpu_features", "[\"amx\", \"avx512_bf16\"]", &m,
                                &err), PIO_OK);
  ck_assert_str_eq(m->compatibility.cpu_features.items[0], "amx_tile");
  ck_assert(m->compatibility.cpu_feature_mask ==
            ((1ull << PIO_CPU_AMX_TILE) | (1ull << PIO_CPU_AVX512_BF16)));
  manifest_free(m);
}
END_TEST

START_TEST(test_repeated_list_entry_is_refused) {
  assert_refused("tags", "[\"a\", \"a\"]", "tags[1]: expected each entry once");
  assert_refused("compatibility.cpu_features", "[\"avx2\", \"avx2\"]",
                 "compatibility.cpu_features[1]: expected each entry once");
}
END_TEST

START_TEST(test_additional_architectures_are_kept_in_order) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("additional_architectures",
                                "[\"Qwen2ForCausalLM\", \"Qwen3MoeForCausalLM\"]", &m, &err),
                   PIO_OK);
  ck_assert_uint_eq(m->additional_architectures.count, 2);
  ck_assert_str_eq(m->additional_architectures.items[0], "Qwen2ForCausalLM");
  ck_assert_str_eq(m->additional_architectures.items[1], "Qwen3MoeForCausalLM");
  ck_assert_ptr_null(m->additional_architectures.items[2]);
  ck_assert_ptr_null(m->warnings.items); /* a known field, not an unknown one */
  manifest_free(m);
}
END_TEST

START_TEST(test_bad_additional_architectures_are_refused) {
  assert_refused("additional_architectures", "\"Qwen2ForCausalLM\"",
                 "additional_architectures: expected an array");
  assert_refused("additional_architectures", "[\"Qwen2 ForCausalLM\"]",
                 "additional_architectures[0]: expected a Hugging Face architecture name");
  assert_refused("additional_architectures", "[\"AForCausalLM\", \"AForCausalLM\"]",
                 "additional_architectures[1]: expected each entry once");
  assert_refused("additional_architectures", "[\"AForCausalLM\", \"LlamaForCausalLM\"]",
                 "additional_architectures: expected architectures other than "
                 "model_architecture, found it again at entry 1");
}
END_TEST

START_TEST(test_unknown_os_and_arch_are_refused) {
  assert_refused("compatibility.os", "[\"linux\", \"plan9\"]",
                 "compatibility.os[1]: expected one of linux, freebsd");
  assert_refused("compatibility.arch", "[\"amd64\"]",
                 "compatibility.arch[0]: expected one of x86_64, aarch64");
}
END_TEST

START_TEST(test_abi_versions_are_checked) {
  assert_refused("compatibility.abi.min", "\"1\"", "compatibility.abi.min: expected an ABI version MAJOR.MINOR");
  assert_refused("compatibility.abi.min", "\"1.0.0\"", "compatibility.abi.min: expected an ABI version");
  assert_refused("compatibility.abi.min", "\"a.b\"", "compatibility.abi.min: expected an ABI version");
  assert_refused("compatibility.abi.min", "\"1.99999\"", "compatibility.abi.min: expected an ABI version");
  assert_refused("compatibility.abi.max", "\"1.x\"", "compatibility.abi.max: expected an ABI version");
  assert_refused("compatibility.abi", "{\"min\": \"2.0\", \"max\": \"1.9\"}",
                 "compatibility.abi.max: expected a version not below min \"2.0\", found \"1.9\"");
}
END_TEST

START_TEST(test_abi_max_with_minor_is_kept) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("compatibility.abi", "{\"min\": \"1.0\", \"max\": \"1.3\"}", &m,
                                &err), PIO_OK);
  ck_assert_uint_eq(m->compatibility.abi_max_minor, 3);
  manifest_free(m);
}
END_TEST

START_TEST(test_numbers_out_of_range_are_refused) {
  assert_refused("required_memory_gb", "-1", "required_memory_gb: expected a number from 0 to");
  assert_refused("compatibility.min_memory_gb", "1e12", "compatibility.min_memory_gb: expected a number from 0 to");
  assert_refused("num_parameters", "-5", "num_parameters: expected an integer from 0 to 18446744073709551615, found -5");
}
END_TEST

START_TEST(test_dependencies_are_checked) {
  assert_refused("dependencies", "[{\"name\": \"x\", \"kind\": \"python\"}]",
                 "dependencies[0].kind: expected \"plugin\" or \"library\", found \"python\"");
  assert_refused("dependencies", "[{\"name\": \"X Y\", \"kind\": \"plugin\"}]",
                 "dependencies[0].name: expected a name of");
  assert_refused("dependencies", "[{\"name\": \"a b\", \"kind\": \"library\"}]",
                 "dependencies[0].name: expected 1 to 64 letters");
  assert_refused("dependencies", "[{\"name\": \"x\", \"kind\": \"plugin\", \"version\": \"1.0\"}]",
                 "dependencies[0].version: expected a version requirement");
  assert_refused("dependencies", "[{\"kind\": \"plugin\"}]",
                 "dependencies[0].name: missing required field");
  assert_refused("dependencies", "[{\"name\": \"x\"}]", "dependencies[0].kind: missing required field");
  assert_refused("dependencies", "[{\"name\": \"x\", \"kind\": \"plugin\"}, {\"name\": \"x\", \"kind\": \"plugin\"}]",
                 "dependencies[1]: expected each dependency once");
}
END_TEST

START_TEST(test_text_over_its_limit_is_refused) {
  size_t n = 4097;
  char *value = malloc(n + 3);
  value[0] = '"';
  memset(value + 1, 'x', n);
  strcpy(value + 1 + n, "\"");
  assert_refused("description", value, "description: expected at most 4096 bytes of text, found 4097");
  free(value);
}
END_TEST

START_TEST(test_nul_character_in_text_is_refused) {
  assert_refused("name", "\"ab\\u0000c\"", "name: expected text without NUL characters");
  assert_refused("description", "\"ab\\u0000c\"", "description: expected text without NUL");
}
END_TEST

START_TEST(test_control_characters_are_kept_in_free_text) {
  /* Free text is kept as written; whoever prints it escapes it. */
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_edited("description", "\"line\\nnext \\u001b[31m\"", &m, &err), PIO_OK);
  ck_assert_str_eq(m->description, "line\nnext \x1b[31m");
  manifest_free(m);
}
END_TEST

START_TEST(test_control_characters_are_refused_in_names) {
  assert_refused("version", "\"1.0.0\\u001b\"", "version: expected a semantic version");
  assert_refused("entry_point.factory_function", "\"f\\n\"", "expected a C identifier of at most 128 characters, found \"f\\n\"");
}
END_TEST

START_TEST(test_unknown_fields_are_warned_not_fatal) {
  pio_manifest *m;
  pio_error err;
  const char *text =
      "{\"name\": \"tiny\", \"version\": \"0.1.0\", \"plugin_type\": \"model\",\n"
      " \"model_architecture\": \"TinyForCausalLM\", \"colour\": \"red\",\n"
      " \"entry_point\": {\"module\": \"tiny\", \"factory_function\": \"e\", \"extra\": 1},\n"
      " \"compatibility\": {\"abi\": {\"min\": \"1.0\", \"note\": \"x\"}}}";
  ck_assert_int_eq(parse_text(text, &m, &err), PIO_OK);
  ck_assert_uint_eq(m->warnings.count, 3);
  const char *all[3] = {m->warnings.items[0], m->warnings.items[1], m->warnings.items[2]};
  int seen = 0;
  for (int i = 0; i < 3; i++) {
    if (strcmp(all[i], "m.json:2:53: unknown field \"colour\" ignored") == 0) seen |= 1;
    if (strcmp(all[i], "m.json:3:70: unknown field \"entry_point.extra\" ignored") == 0) seen |= 2;
    if (strcmp(all[i], "m.json:4:50: unknown field \"compatibility.abi.note\" ignored") == 0) seen |= 4;
  }
  ck_assert_msg(seen == 7, "warnings: %s | %s | %s", all[0], all[1], all[2]);
  manifest_free(m);
}
END_TEST

/* ---- JSON-level problems ---- */

START_TEST(test_bad_json_reports_line_and_column) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("{\n  \"name\": \"x\"\n  \"version\": \"1.0.0\"\n}", &m, &err),
                   PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "m.json:3:3: invalid JSON:");
}
END_TEST

START_TEST(test_error_position_points_at_the_value) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("{\"name\": \"tiny\",\n \"version\":   \"1.0\"}", &m, &err),
                   PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "m.json:2:15: version: expected a semantic version MAJOR.MINOR.PATCH "
                                "such as \"1.2.0\" (semver.org), found \"1.0\"");
}
END_TEST

START_TEST(test_missing_field_position_is_the_enclosing_object) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("{\"name\": \"tiny\", \"version\": \"1.0.0\", \"plugin_type\": \"model\",\n"
                              " \"model_architecture\": \"A\",\n \"entry_point\":  {\"module\": \"m\"}}",
                              &m, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "m.json:3:18: entry_point.factory_function: missing required field");
}
END_TEST

START_TEST(test_empty_manifest_is_refused) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("", &m, &err), PIO_ERR_PARSE);
  ck_assert_str_eq(err.message, "m.json:1:1: invalid JSON: the document is empty");
}
END_TEST

START_TEST(test_manifest_not_an_object_is_refused) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("[1, 2]", &m, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "m.json:1:1: manifest: expected a JSON object at the top level, found an array");
  ck_assert_int_eq(parse_text("  \"x\"", &m, &err), PIO_ERR_INVALID);
  ck_assert_str_eq(err.message, "m.json:1:3: manifest: expected a JSON object at the top level, found a string");
}
END_TEST

START_TEST(test_duplicate_keys_are_refused) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("{\"name\": \"a\",\n \"name\": \"b\"}", &m, &err), PIO_ERR_PARSE);
  ck_assert_str_eq(err.message, "m.json:2:2: invalid JSON: duplicate key \"name\" "
                                "(its first value is at line 1, column 10)");
}
END_TEST

START_TEST(test_nul_byte_is_refused) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(manifest_parse_buffer("m.json", "{\"name\": \"a\0\"}", 14, NULL, &m, &err),
                   PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "m.json:1:12: invalid JSON: NUL byte");
}
END_TEST

START_TEST(test_non_utf8_string_is_refused) {
  pio_manifest *m;
  pio_error err;
  ck_assert_int_eq(parse_text("{\"name\": \"caf\xe9\"}", &m, &err), PIO_ERR_PARSE);
  ASSERT_HAS(err.message, "not valid UTF-8");
}
END_TEST

static void write_file(const char *path, const char *head, char fill, size_t n) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(head, f);
  for (size_t i = 0; i < n; i++) fputc(fill, f);
  fclose(f);
}

START_TEST(test_overdeep_manifest_is_refused) {
  char dir[] = "/tmp/pio-test-manifest-XXXXXX", path[128];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/plugin_manifest.json", dir);
  write_file(path, "", '[', 200000);
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(manifest_load(path, NULL, &m, &err), PIO_ERR_LIMIT);
  ASSERT_HAS(err.message, "nested deeper than the limit of 32 levels");
  ck_assert_ptr_null(m);
  unlink(path);
  rmdir(dir);
}
END_TEST

START_TEST(test_oversize_manifest_is_refused) {
  char dir[] = "/tmp/pio-test-manifest-XXXXXX", path[128];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/plugin_manifest.json", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "{\"name\": \"", 10), 10);
  ck_assert_int_eq(ftruncate(fd, 64 << 20), 0); /* 64 MiB, sparse */
  close(fd);
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(manifest_load(path, NULL, &m, &err), PIO_ERR_LIMIT);
  ASSERT_HAS(err.message, "file is 67108864 bytes, over the limit of 1048576 bytes");
  /* Just over the manifest limit is refused the same way. */
  write_file(path, "{\"description\": \"", 'x', MANIFEST_MAX_BYTES);
  ck_assert_int_eq(manifest_load(path, NULL, &m, &err), PIO_ERR_LIMIT);
  unlink(path);
  rmdir(dir);
}
END_TEST

START_TEST(test_missing_manifest_file_is_not_found) {
  pio_manifest *m = NULL;
  pio_error err;
  ck_assert_int_eq(manifest_load("/nonexistent/plugin_manifest.json", NULL, &m, &err),
                   PIO_ERR_NOT_FOUND);
  ASSERT_HAS(err.message, "/nonexistent/plugin_manifest.json: cannot open");
}
END_TEST

START_TEST(test_free_accepts_null) { manifest_free(NULL); }
END_TEST

/* ---- the shared corpus (tests/data/manifests), also judged by the schema
 * in test_manifest_schema.py: parser and schema must agree on each ---- */

#ifndef PIO_TEST_MANIFEST_DIR
#error "PIO_TEST_MANIFEST_DIR must name tests/data/manifests"
#endif

/* Loads every .json under dir; returns how many were read, and asserts
 * each loads (want_ok) or is refused with a positioned message. */
static int load_corpus(const char *dir, int want_ok) {
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open %s", dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    pio_manifest *m = NULL;
    pio_error err;
    pio_error_clear(&err);
    pio_status s = manifest_load(path, NULL, &m, &err);
    if (want_ok) {
      ck_assert_msg(s == PIO_OK, "%s refused: %s", path, err.message);
    } else {
      ck_assert_msg(s != PIO_OK, "%s accepted", path);
      char prefix[600];
      snprintf(prefix, sizeof prefix, "%s:", path);
      ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "%s", err.message);
    }
    manifest_free(m);
    n++;
  }
  closedir(d);
  return n;
}

START_TEST(test_corpus_valid_manifests_load) {
  ck_assert_int_ge(load_corpus(PIO_TEST_MANIFEST_DIR "/valid", 1), 5);
}
END_TEST

START_TEST(test_corpus_invalid_manifests_are_refused) {
  ck_assert_int_ge(load_corpus(PIO_TEST_MANIFEST_DIR "/invalid", 0), 20);
}
END_TEST

/* ---- semantic versions ---- */

START_TEST(test_semver_precedence_follows_the_spec) {
  /* semver.org §11 example order. */
  const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1",
                         "1.1.0", "2.0.0", "10.0.0"};
  size_t n = sizeof order / sizeof order[0];
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      semver a, b;
      ck_assert_int_eq(semver_parse(order[i], &a), 0);
      ck_assert_int_eq(semver_parse(order[j], &b), 0);
      int c = semver_compare(&a, &b);
      int want = i < j ? -1 : i > j;
      ck_assert_msg((c > 0) - (c < 0) == want, "%s vs %s gave %d", order[i], order[j], c);
    }
  }
}
END_TEST

START_TEST(test_semver_build_metadata_is_ignored) {
  semver a, b;
  ck_assert_int_eq(semver_parse("1.0.0+abc", &a), 0);
  ck_assert_int_eq(semver_parse("1.0.0+xyz.1", &b), 0);
  ck_assert_int_eq(semver_compare(&a, &b), 0);
}
END_TEST

START_TEST(test_requirements_match_versions) {
  ck_assert_int_eq(semver_satisfies("1.4.0", ">=1.2.0, <2.0.0"), 1);
  ck_assert_int_eq(semver_satisfies("2.0.0", ">=1.2.0, <2.0.0"), 0);
  ck_assert_int_eq(semver_satisfies("1.2.0", "1.2.0"), 1);
  ck_assert_int_eq(semver_satisfies("1.2.1", "=1.2.0"), 0);
  ck_assert_int_eq(semver_satisfies("1.9.9", "^1.2.0"), 1);
  ck_assert_int_eq(semver_satisfies("2.0.0-rc.1", "^1.2.0"), 0);
  ck_assert_int_eq(semver_satisfies("0.3.5", "^0.3.1"), 1);
  ck_assert_int_eq(semver_satisfies("0.4.0", "^0.3.1"), 0);
  ck_assert_int_eq(semver_satisfies("1.2.9", "~1.2.3"), 1);
  ck_assert_int_eq(semver_satisfies("1.3.0", "~1.2.3"), 0);
  ck_assert_int_eq(semver_satisfies("7.0.0", "*"), 1);
  ck_assert_int_eq(semver_satisfies("1.0.0", ">1.0.0 <=2.0.0"), 0);
}
END_TEST

START_TEST(test_prerelease_satisfies_only_named_prereleases) {
  ck_assert_int_eq(semver_satisfies("1.5.0-rc.1", ">=1.0.0"), 0);
  ck_assert_int_eq(semver_satisfies("1.5.0-rc.2", ">=1.5.0-rc.1"), 1);
}
END_TEST

START_TEST(test_malformed_requirements_are_refused) {
  char why[128];
  ck_assert_int_eq(semver_requirement_check("", why, sizeof why), -1);
  ck_assert_str_eq(why, "empty requirement (write \"*\" for any version)");
  ck_assert_int_eq(semver_requirement_check(">=1.0", why, sizeof why), -1);
  ASSERT_HAS(why, "full version");
  ck_assert_int_eq(semver_requirement_check("* 1.0.0", why, sizeof why), -1);
  ck_assert_int_eq(semver_requirement_check("=>1.0.0", why, sizeof why), -1);
  ck_assert_int_eq(semver_satisfies("1.0", ">=1.0.0"), -1);
  ck_assert_int_eq(semver_satisfies("1.0.0", "bogus"), -1);
}
END_TEST

int main(void) {
  Suite *s = suite_create("manifest");
  TCase *t = tcase_create("fields");
  tcase_add_test(t, test_good_manifest_fills_every_field);
  tcase_add_test(t, test_minimal_manifest_takes_defaults);
  tcase_add_test(t, test_manifest_file_loads_from_disk);
  tcase_add_loop_test(t, test_each_missing_required_field_is_named, 0,
                      sizeof required_fields / sizeof required_fields[0]);
  tcase_add_loop_test(t, test_each_wrong_type_names_expected_and_found, 0,
                      sizeof wrong_types / sizeof wrong_types[0]);
  tcase_add_test(t, test_name_syntax_is_enforced);
  tcase_add_test(t, test_version_must_be_semver);
  tcase_add_test(t, test_module_path_with_dotdot_is_refused);
  tcase_add_test(t, test_module_path_with_slash_is_refused);
  tcase_add_test(t, test_absolute_module_path_is_refused);
  tcase_add_test(t, test_module_hidden_or_odd_names_are_refused);
  tcase_add_test(t, test_factory_function_must_be_c_identifier);
  tcase_add_test(t, test_model_architecture_syntax_is_enforced);
  tcase_add_test(t, test_plugin_type_must_be_model);
  tcase_add_test(t, test_unknown_cpu_feature_is_refused);
  tcase_add_test(t, test_amx_feature_is_stored_as_amx_tile);
  tcase_add_test(t, test_repeated_list_entry_is_refused);
  tcase_add_test(t, test_additional_architectures_are_kept_in_order);
  tcase_add_test(t, test_bad_additional_architectures_are_refused);
  tcase_add_test(t, test_unknown_os_and_arch_are_refused);
  tcase_add_test(t, test_abi_versions_are_checked);
  tcase_add_test(t, test_abi_max_with_minor_is_kept);
  tcase_add_test(t, test_numbers_out_of_range_are_refused);
  tcase_add_test(t, test_dependencies_are_checked);
  tcase_add_test(t, test_text_over_its_limit_is_refused);
  tcase_add_test(t, test_nul_character_in_text_is_refused);
  tcase_add_test(t, test_control_characters_are_kept_in_free_text);
  tcase_add_test(t, test_control_characters_are_refused_in_names);
  tcase_add_test(t, test_unknown_fields_are_warned_not_fatal);
  suite_add_tcase(s, t);
  TCase *j = tcase_create("json");
  tcase_add_test(j, test_bad_json_reports_line_and_column);
  tcase_add_test(j, test_error_position_points_at_the_value);
  tcase_add_test(j, test_missing_field_position_is_the_enclosing_object);
  tcase_add_test(j, test_empty_manifest_is_refused);
  tcase_add_test(j, test_manifest_not_an_object_is_refused);
  tcase_add_test(j, test_duplicate_keys_are_refused);
  tcase_add_test(j, test_nul_byte_is_refused);
  tcase_add_test(j, test_non_utf8_string_is_refused);
  tcase_add_test(j, test_overdeep_manifest_is_refused);
  tcase_add_test(j, test_oversize_manifest_is_refused);
  tcase_add_test(j, test_missing_manifest_file_is_not_found);
  tcase_add_test(j, test_free_accepts_null);
  suite_add_tcase(s, j);
  TCase *c = tcase_create("corpus");
  tcase_add_test(c, test_corpus_valid_manifests_load);
  tcase_add_test(c, test_manifest_is_one_block_with_every_field);
  tcase_add_test(c, test_minimal_manifest_keeps_its_absences_when_copied);
  tcase_add_test(c, test_manifests_read_into_an_arena_live_with_it);
  tcase_add_test(c, test_corpus_invalid_manifests_are_refused);
  suite_add_tcase(s, c);
  TCase *v = tcase_create("semver");
  tcase_add_test(v, test_semver_precedence_follows_the_spec);
  tcase_add_test(v, test_semver_build_metadata_is_ignored);
  tcase_add_test(v, test_requirements_match_versions);
  tcase_add_test(v, test_prerelease_satisfies_only_named_prereleases);
  tcase_add_test(v, test_malformed_requirements_are_refused);
  suite_add_tcase(s, v);
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
