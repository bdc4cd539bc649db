/* fuzz/fuzz_manifest.c — libFuzzer target for the manifest parser and
 * validator (manifest_parse_buffer), followed by what the registry does
 * with an accepted manifest: the compatibility check against a machine,
 * the plugin dependency check, and a round trip through the registry
 * cache's entry encoding, which must give back the same manifest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/compat.h"
#include "manifest/manifest.h"
#include "registry/cache/cache_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_manifest: broken promise: %s\n", what);
    abort();
  }
}

static void check_error(pio_status status, const pio_error *err) {
  require(err->code == status, "error code equals the returned status");
  require(memchr(err->message, '\0', sizeof err->message) != NULL, "message is terminated");
  require(err->message[0] != '\0', "message is not empty");
}

/* Every dependency is present at version 1.2.3. */
static const char *lookup_any(void *context, const char *name) {
  (void)context;
  (void)name;
  return "1.2.3";
}

static const char *lookup_none(void *context, const char *name) {
  (void)context;
  (void)name;
  return NULL;
}

static int same_text(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int same_list(const pio_string_list *a, const pio_string_list *b) {
  if (a->count != b->count) return 0;
  for (size_t i = 0; i < a->count; i++)
    if (!same_text(a->items[i], b->items[i])) return 0;
  return 1;
}

static void check_same_manifest(const pio_manifest *a, const pio_manifest *b) {
  require(same_text(a->path, b->path) && same_text(a->name, b->name) &&
              same_text(a->version, b->version) && same_text(a->author, b->author) &&
              same_text(a->description, b->description) &&
              same_text(a->plugin_type, b->plugin_type) &&
              same_text(a->model_architecture, b->model_architecture) &&
              same_text(a->model_family, b->model_family) &&
              same_text(a->model_size, b->model_size) && same_text(a->license, b->license) &&
              same_text(a->entry_module, b->entry_module) &&
              same_text(a->entry_function, b->entry_function),
          "cached strings equal the parsed ones");
  require(memcmp(&a->required_memory_gb, &b->required_memory_gb, sizeof(double)) == 0 &&
              a->num_parameters == b->num_parameters,
          "cached numbers equal the parsed ones");
  require(same_list(&a->supported_modalities, &b->supported_modalities) &&
              same_list(&a->tags, &b->tags) && same_list(&a->warnings, &b->warnings),
          "cached lists equal the parsed ones");
  require(a->n_dependencies == b->n_dependencies, "cached dependency count");
  for (size_t i = 0; i < a->n_dependencies; i++)
    require(same_text(a->dependencies[i].name, b->dependencies[i].name) &&
                same_text(a->dependencies[i].kind, b->dependencies[i].kind) &&
                same_text(a->dependencies[i].version, b->dependencies[i].version),
            "cached dependencies equal the parsed ones");
  const pio_manifest_compatibility *x = &a->compatibility, *y = &b->compatibility;
  require(x->abi_min_major == y->abi_min_major && x->abi_min_minor == y->abi_min_minor &&
              x->abi_max_major == y->abi_max_major && x->abi_max_minor == y->abi_max_minor &&
              same_list(&x->os, &y->os) && same_list(&x->arch, &y->arch) &&
              same_list(&x->cpu_features, &y->cpu_features) &&
              memcmp(&x->min_memory_gb, &y->min_memory_gb, sizeof(double)) == 0 &&
              x->cpu_feature_mask == y->cpu_feature_mask,
          "cached compatibility equals the parsed one");
}

static void check_cache_round_trip(const pio_manifest *m) {
  const char *warnings[] = {"w", NULL};
  pio_plugin_record rec = {
      .name = m->name, .version = m->version, .model_architecture = m->model_architecture,
      .manifest_path = m->path, .dir = "/plugins/x", .module_path = "/plugins/x/m.so",
      .state = PIO_PLUGIN_INCOMPATIBLE, .reason = "why", .warnings = warnings};
  regcache_key key = {.present = 1, .ino = 7, .size = 9};
  const regcache_entry_keys keys = {key, key, key, key};
  regcache_buffer buf = {0};
  regcache_encode_entry(&buf, m->path, "/plugins/x", &keys, &rec, "/plugins/x/m.la", m);
  require(!buf.failed, "encoding succeeds");
  regcache_entry e;
  require(regcache_decode_entry(buf.bytes, buf.len, NULL, &e) == 0, "an encoded entry decodes");
  require(e.manifest != NULL && e.state == PIO_PLUGIN_INCOMPATIBLE &&
              e.module_archive != NULL && strcmp(e.module_archive, "/plugins/x/m.la") == 0 &&
              e.n_warnings == 1 && e.n_dependencies == m->n_dependencies,
          "decoded record fields");
  pio_manifest *decoded = regcache_decode_manifest(e.manifest, e.manifest_len, m->path);
  require(decoded != NULL, "an encoded manifest decodes");
  check_same_manifest(m, decoded);
  /* Every proper prefix of an entry is malformed, never a crash: the
   * entry is refused, or the manifest it leaves is (decoded only later). */
  for (size_t cut = 0; cut < buf.len; cut += 1 + buf.len / 16) {
    regcache_entry partial;
    if (regcache_decode_entry(buf.bytes, cut, NULL, &partial) != 0) continue;
    require(partial.manifest != NULL &&
                regcache_decode_manifest(partial.manifest, partial.manifest_len, m->path) == NULL,
            "a cut entry is refused");
    regcache_entry_clear(&partial);
  }
  manifest_free(decoded);
  regcache_entry_clear(&e);
  regcache_buffer_free(&buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pio_manifest *m = NULL;
  pio_error err;
  pio_status st = manifest_parse_buffer("/plugins/x/plugin_manifest.json", (const char *)data, size,
                                        NULL, &m, &err);
  if (st != PIO_OK) {
    check_error(st, &err);
    require(m == NULL, "nothing is returned on error");
    return 0;
  }
  require(m != NULL && m->name != NULL && m->version != NULL && m->entry_module != NULL &&
              m->entry_function != NULL,
          "an accepted manifest has its required fields");
  require(strchr(m->entry_module, '/') == NULL && strcmp(m->entry_module, "..") != 0,
          "an accepted module name stays inside its folder");
  compat_machine machine = {.abi_major = 1,
                            .abi_minor = 0,
                            .os = "linux",
                            .arch = "x86_64",
                            .cpu_features = 0x5,
                            .memory_gib = 16.0};
  st = compat_check(m, &machine, &err);
  if (st != PIO_OK) check_error(st, &err);
  machine.memory_gib = -1;
  st = compat_check(m, &machine, &err);
  if (st != PIO_OK) check_error(st, &err);
  st = manifest_check_plugin_dependencies(m, lookup_any, NULL, &err);
  if (st != PIO_OK) check_error(st, &err);
  st = manifest_check_plugin_dependencies(m, lookup_none, NULL, &err);
  if (st != PIO_OK) check_error(st, &err);
  check_cache_round_trip(m);
  manifest_free(m);
  return 0;
}
