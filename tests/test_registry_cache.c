/* tests/test_registry_cache.c — the registry cache on its own: a stored
 * record comes back while its files are unchanged, any change to the
 * folder, manifest or module makes it a miss, a corrupt, truncated, foreign
 * or unsafe cache file is ignored and rebuilt, entries that point outside
 * their folder are refused, and two processes writing at once leave a
 * valid file. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "pio/host.h"
#include "registry/cache/cache.h"
#include "registry/registry.h"

static char tmpdir[64];
static char cache_file[128];

static const char manifest_text[] =
    "{\n"
    "  \"name\": \"%s\",\n"
    "  \"version\": \"%s\",\n"
    "  \"author\": \"pio tests\",\n"
    "  \"description\": \"cache fixture\",\n"
    "  \"plugin_type\": \"model\",\n"
    "  \"model_architecture\": \"LlamaForCausalLM\",\n"
    "  \"model_family\": \"llama\",\n"
    "  \"model_size\": \"1B\",\n"
    "  \"license\": \"MIT\",\n"
    "  \"required_memory_gb\": 0.5,\n"
    "  \"num_parameters\": 1234,\n"
    "  \"supported_modalities\": [\"text\"],\n"
    "  \"tags\": [\"a\", \"b\"],\n"
    "  \"dependencies\": [],\n"
    "  \"entry_point\": {\"module\": \"mod\", \"factory_function\": \"entry\"},\n"
    "  \"compatibility\": {\"abi\": {\"min\": \"1.0\", \"max\": \"1.0\"}, \"os\": [\"linux\"],\n"
    "                    \"arch\": [], \"cpu_features\": [\"sse4_2\"], \"min_memory_gb\": 0.25},\n"
    "  \"variants\": [{\"name\": \"gpu\", \"module\": \"mod_gpu\", \"factory_function\": \"gpu_entry\",\n"
    "                \"needs\": {\"cpu_features\": [\"avx2\"], \"cuda\": {\"compute_capability\": \"9.0\",\n"
    "                          \"driver\": \"12.4\", \"memory_gb\": 2.5}}},\n"
    "               {\"name\": \"cpu\", \"module\": \"mod\", \"factory_function\": \"entry\"}],\n"
    "  \"surprise\": 1\n"
    "}\n";

static void sh(const char *fmt, const char *arg) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, fmt, arg);
  ck_assert_int_eq(system(cmd), 0);
}

static void setup(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/pio-test-cache-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  snprintf(cache_file, sizeof cache_file, "%s/cache/registry.bin", tmpdir);
}

static void teardown(void) { sh("rm -rf '%s'", tmpdir); }

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* A plugin folder tmpdir/NAME with a manifest and a module file. */
typedef struct fixture {
  char dir[160], manifest_path[200], module_path[200];
  pio_manifest *manifest;
  const char *warnings[2];
  pio_plugin_record record;
  regcache_ticket ticket; /* from its last lookup */
} fixture;

static void write_manifest(fixture *fx, const char *name, const char *version) {
  char text[2048];
  snprintf(text, sizeof text, manifest_text, name, version);
  write_file(fx->manifest_path, text);
}

static void fixture_make(fixture *fx, const char *name) {
  memset(fx, 0, sizeof *fx);
  snprintf(fx->dir, sizeof fx->dir, "%s/%s", tmpdir, name);
  snprintf(fx->manifest_path, sizeof fx->manifest_path, "%s/plugin_manifest.json", fx->dir);
  snprintf(fx->module_path, sizeof fx->module_path, "%s/mod.so", fx->dir);
  ck_assert_int_eq(mkdir(fx->dir, 0755), 0);
  write_manifest(fx, name, "1.2.3");
  write_file(fx->module_path, "not really a shared object");
}

/* The record the registry would build from the folder as it is now. */
static const pio_plugin_record *fixture_record(fixture *fx) {
  pio_error err;
  manifest_free(fx->manifest);
  fx->manifest = NULL;
  ck_assert_int_eq(manifest_load(fx->manifest_path, NULL, &fx->manifest, &err), PIO_OK);
  fx->warnings[0] = fx->manifest->warnings.count ? fx->manifest->warnings.items[0] : NULL;
  fx->record = (pio_plugin_record){
      .name = fx->manifest->name,
      .version = fx->manifest->version,
      .model_architecture = fx->manifest->model_architecture,
      .manifest_path = fx->manifest_path,
      .dir = fx->dir,
      .module_path = fx->module_path,
      .state = PIO_PLUGIN_OK,
      .reason = "",
      .warnings = fx->warnings,
  };
  return &fx->record;
}

static void fixture_free(fixture *fx) { manifest_free(fx->manifest); }

/* Looks fx up as a registry would, keeping the ticket for a store. */
static int look_up(regcache *cache, fixture *fx, regcache_entry *entry) {
  regcache_folder folder = {AT_FDCWD, fx->dir, fx->manifest_path, NULL};
  return regcache_lookup(cache, &folder, NULL, &fx->ticket, entry);
}

/* Stores the record the registry would build from fx now. */
static void store_fixture(regcache *cache, fixture *fx) {
  const pio_plugin_record *rec = fixture_record(fx);
  regcache_store(cache, &fx->ticket, rec, NULL, fx->manifest);
}

static regcache *open_cache(void) {
  regcache *cache = regcache_open(cache_file, 0); /* files made by the test count at once */
  ck_assert_ptr_nonnull(cache);
  return cache;
}

/* One run of the registry over fx: lookup, and on a miss store.  Returns
 * whether it was a hit. */
static int scan(fixture *fx) {
  regcache *cache = open_cache();
  regcache_entry entry;
  int hit = look_up(cache, fx, &entry);
  regcache_entry_clear(&entry);
  if (!hit) store_fixture(cache, fx);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_close(cache);
  return hit;
}

static regcache_stats stats_of_fresh_open(void) {
  regcache *cache = open_cache();
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  regcache_close(cache);
  return stats;
}

START_TEST(test_stored_record_comes_back_whole) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 1);
  ck_assert_str_eq(e.name, "alpha");
  ck_assert_str_eq(e.version, "1.2.3");
  ck_assert_str_eq(e.model_architecture, "LlamaForCausalLM");
  ck_assert_str_eq(e.module_path, fx.module_path);
  ck_assert_int_eq(e.state, PIO_PLUGIN_OK);
  ck_assert_str_eq(e.reason, "");
  ck_assert_uint_eq(e.n_warnings, 1);
  ck_assert_ptr_nonnull(strstr(e.warnings[0], "surprise"));
  ck_assert_ptr_null(e.warnings[1]);
  ck_assert_uint_eq(e.n_dependencies, 0);
  pio_manifest *m = regcache_decode_manifest(e.manifest, e.manifest_len, fx.manifest_path);
  ck_assert_ptr_nonnull(m);
  ck_assert_str_eq(m->path, fx.manifest_path);
  ck_assert_str_eq(m->entry_module, "mod");
  ck_assert_str_eq(m->entry_function, "entry");
  ck_assert_str_eq(m->license, "MIT");
  ck_assert_uint_eq(m->num_parameters, 1234);
  ck_assert_double_eq(m->required_memory_gb, 0.5);
  ck_assert_uint_eq(m->tags.count, 2);
  ck_assert_str_eq(m->tags.items[1], "b");
  ck_assert_uint_eq(m->compatibility.cpu_features.count, 1);
  ck_assert_uint_eq(m->compatibility.cpu_feature_mask, fx.manifest->compatibility.cpu_feature_mask);
  ck_assert_double_eq(m->compatibility.min_memory_gb, 0.25);
  ck_assert_uint_eq(m->compatibility.abi_max_major, 1);
  ck_assert_uint_eq(m->n_variants, 2);
  const pio_manifest_variant *gpu = &m->variants[0];
  ck_assert_str_eq(gpu->name, "gpu");
  ck_assert_str_eq(gpu->module, "mod_gpu");
  ck_assert_str_eq(gpu->function, "gpu_entry");
  ck_assert_uint_eq(gpu->cpu_features.count, 1);
  ck_assert_str_eq(gpu->cpu_features.items[0], "avx2");
  ck_assert_uint_eq(gpu->cpu_feature_mask, 1ull << PIO_CPU_AVX2);
  ck_assert_uint_eq(gpu->needs_cuda, 1);
  ck_assert_uint_eq(gpu->cuda_min_capability, 90);
  ck_assert_uint_eq(gpu->cuda_min_driver, 12040);
  ck_assert_double_eq(gpu->cuda_min_memory_gb, 2.5);
  ck_assert_str_eq(m->variants[1].name, "cpu");
  ck_assert_uint_eq(m->variants[1].needs_cuda, 0);
  ck_assert_uint_eq(m->variants[1].cpu_features.count, 0);
  manifest_free(m);
  regcache_entry_clear(&e);
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_unchanged_folder_is_a_hit_and_writes_nothing) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  struct stat before, after;
  ck_assert_int_eq(stat(cache_file, &before), 0);
  ck_assert_int_eq(scan(&fx), 1);
  ck_assert_int_eq(stat(cache_file, &after), 0);
  ck_assert_uint_eq(before.st_ino, after.st_ino); /* not rewritten */
  fixture_free(&fx);
}
END_TEST

START_TEST(test_changed_manifest_is_read_again) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  write_manifest(&fx, "alpha", "1.2.40");
  ck_assert_int_eq(scan(&fx), 0);
  ck_assert_int_eq(scan(&fx), 1);
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 1);
  ck_assert_str_eq(e.version, "1.2.40");
  regcache_entry_clear(&e);
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

/* Same size, same inode: only the modification time tells. */
START_TEST(test_manifest_with_new_mtime_only_is_read_again) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 5}, {.tv_sec = 1000000000, .tv_nsec = 5}};
  ck_assert_int_eq(utimensat(AT_FDCWD, fx.manifest_path, times, 0), 0);
  ck_assert_int_eq(scan(&fx), 0);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_changed_module_is_read_again) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  write_file(fx.module_path, "a longer, different, rebuilt module");
  ck_assert_int_eq(scan(&fx), 0);
  ck_assert_int_eq(scan(&fx), 1);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_module_replaced_through_a_symlink_is_read_again) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char real_a[220], real_b[220];
  snprintf(real_a, sizeof real_a, "%s/a.so", fx.dir);
  snprintf(real_b, sizeof real_b, "%s/b.so", fx.dir);
  write_file(real_a, "module a");
  write_file(real_b, "module b, another size");
  ck_assert_int_eq(unlink(fx.module_path), 0);
  ck_assert_int_eq(symlink("a.so", fx.module_path), 0);
  ck_assert_int_eq(scan(&fx), 0);
  ck_assert_int_eq(scan(&fx), 1);
  /* Same link, other target content: the link's own lstat does not change. */
  write_file(real_a, "module a, rebuilt larger");
  ck_assert_int_eq(scan(&fx), 0);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_module_appearing_in_the_folder_is_seen) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(unlink(fx.module_path), 0);
  /* An old folder time, so that the module's arrival surely changes it
   * even inside one timestamp tick. */
  struct timespec old[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 1000000000, .tv_nsec = 0}};
  ck_assert_int_eq(utimensat(AT_FDCWD, fx.dir, old, 0), 0);
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 0);
  pio_plugin_record rec = *fixture_record(&fx);
  rec.module_path = NULL;
  rec.state = PIO_PLUGIN_INVALID;
  rec.reason = "entry_point.module: mod.so not found";
  regcache_store(cache, &fx.ticket, &rec, NULL, fx.manifest);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_close(cache);
  write_file(fx.module_path, "now built");
  ck_assert_int_eq(scan(&fx), 0);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_folder_made_writable_by_others_is_read_again) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  ck_assert_int_eq(chmod(fx.dir, 0777), 0);
  ck_assert_int_eq(scan(&fx), 0);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_a_hit_is_not_stored_again_whatever_its_state_became) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  /* A later run trial-loads the hit and finds it crashes: a verdict that
   * depends on more than the folder's files, never kept. */
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 1);
  regcache_entry_clear(&e);
  pio_plugin_record rec = *fixture_record(&fx);
  rec.state = PIO_PLUGIN_CRASHED;
  rec.reason = "SIGSEGV (Segmentation fault) in the entry point";
  regcache_store(cache, &fx.ticket, &rec, NULL, fx.manifest);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  ck_assert_uint_eq(stats.stored, 0);
  regcache_close(cache);
  cache = open_cache();
  ck_assert_int_eq(look_up(cache, &fx, &e), 1);
  ck_assert_int_eq(e.state, PIO_PLUGIN_OK);
  ck_assert_str_eq(e.reason, "");
  regcache_entry_clear(&e);
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_shadowed_record_is_not_stored) {
  fixture fx;
  fixture_make(&fx, "alpha");
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 0);
  pio_plugin_record rec = *fixture_record(&fx);
  rec.state = PIO_PLUGIN_SHADOWED;
  regcache_store(cache, &fx.ticket, &rec, NULL, fx.manifest);
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  ck_assert_uint_eq(stats.stored, 0);
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_files_changed_during_the_scan_are_not_stored) {
  fixture fx;
  fixture_make(&fx, "alpha");
  regcache *cache = regcache_open(cache_file, REGCACHE_RACY_MARGIN_NS);
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 0);
  store_fixture(cache, &fx);
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  ck_assert_uint_eq(stats.stored, 0);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_close(cache);
  ck_assert_int_ne(access(cache_file, F_OK), 0);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_record_never_looked_up_is_not_stored) {
  fixture fx;
  fixture_make(&fx, "alpha");
  regcache *cache = open_cache();
  regcache_store(cache, NULL, fixture_record(&fx), NULL, fx.manifest); /* no ticket */
  store_fixture(cache, &fx);                                     /* a ticket no lookup filled */
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  ck_assert_uint_eq(stats.stored, 0);
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

/* The module check records the module's real path: a folder reached
 * through a symbolic link is still cached. */
START_TEST(test_folder_reached_through_a_symlink_is_cached) {
  fixture fx;
  fixture_make(&fx, "real_alpha");
  char link_dir[160];
  snprintf(link_dir, sizeof link_dir, "%s/alpha", tmpdir);
  ck_assert_int_eq(symlink(fx.dir, link_dir), 0);
  fixture seen = fx; /* the registry's view: the link's path, the real module */
  snprintf(seen.dir, sizeof seen.dir, "%s", link_dir);
  snprintf(seen.manifest_path, sizeof seen.manifest_path, "%s/plugin_manifest.json", link_dir);
  seen.manifest = NULL;
  ck_assert_int_eq(scan(&seen), 0);
  ck_assert_int_eq(scan(&seen), 1);
  fixture_free(&seen);
  fixture_free(&fx);
}
END_TEST

/* A damaged file or a planted one must not steer the loader elsewhere. */
START_TEST(test_entry_with_module_outside_its_folder_is_refused) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char outside[220];
  snprintf(outside, sizeof outside, "%s/evil.so", tmpdir);
  write_file(outside, "evil");
  regcache *cache = open_cache();
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 0);
  pio_plugin_record rec = *fixture_record(&fx);
  rec.module_path = outside;
  regcache_store(cache, &fx.ticket, &rec, NULL, fx.manifest);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_close(cache);
  ck_assert_int_eq(scan(&fx), 0);
  fixture_free(&fx);
}
END_TEST

/* Writes a good cache of one entry and returns its bytes (caller frees). */
static unsigned char *good_cache_bytes(fixture *fx, size_t *len) {
  fixture_make(fx, "alpha");
  ck_assert_int_eq(scan(fx), 0);
  FILE *f = fopen(cache_file, "rb");
  ck_assert_ptr_nonnull(f);
  unsigned char *bytes = malloc(1 << 20);
  *len = fread(bytes, 1, 1 << 20, f);
  fclose(f);
  ck_assert_uint_gt(*len, REGCACHE_HEADER_SIZE);
  return bytes;
}

static void put_cache_bytes(const unsigned char *bytes, size_t len) {
  FILE *f = fopen(cache_file, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

/* The damaged file is ignored, the folder read again, and the cache
 * rebuilt so that the next run hits. */
static void assert_ignored_then_rebuilt(fixture *fx) {
  regcache_stats stats = stats_of_fresh_open();
  ck_assert_int_eq(stats.file_ignored, 1);
  ck_assert_uint_eq(stats.loaded, 0);
  ck_assert_int_eq(scan(fx), 0);
  stats = stats_of_fresh_open();
  ck_assert_int_eq(stats.file_ignored, 0);
  ck_assert_uint_eq(stats.loaded, 1);
  ck_assert_int_eq(scan(fx), 1);
}

START_TEST(test_cache_with_a_flipped_byte_is_ignored_and_rebuilt) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  bytes[len - 3] ^= 0x40;
  put_cache_bytes(bytes, len);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_truncated_cache_is_ignored_and_rebuilt) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  put_cache_bytes(bytes, len / 2);
  assert_ignored_then_rebuilt(&fx);
  put_cache_bytes(bytes, 10);
  assert_ignored_then_rebuilt(&fx);
  put_cache_bytes(bytes, 0);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

/* A file at the cache's place that is not a cache (PIO_REGISTRY naming
 * the wrong file, a link the user made) is ignored and never replaced:
 * the commit says why, the file stays as it was. */
static void assert_ignored_and_kept(fixture *fx, const char *why) {
  struct stat before, after;
  ck_assert_int_eq(lstat(cache_file, &before), 0);
  regcache *cache = open_cache();
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  ck_assert_int_eq(stats.file_ignored, 1);
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, fx, &e), 0);
  store_fixture(cache, fx);
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_ERR_INVALID);
  ck_assert_msg(strstr(err.message, why) != NULL, "%s", err.message);
  regcache_close(cache);
  ck_assert_int_eq(lstat(cache_file, &after), 0);
  ck_assert_uint_eq(after.st_ino, before.st_ino);
  ck_assert_uint_eq(after.st_size, before.st_size);
}

START_TEST(test_foreign_file_is_ignored_and_never_replaced) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  static const char text[] = "this is some other program's file, not a pio registry at all, "
                             "long enough to hold a header and then some more bytes";
  write_file(cache_file, text);
  assert_ignored_and_kept(&fx, "is not a pio registry cache");
  FILE *f = fopen(cache_file, "rb");
  char back[sizeof text] = {0};
  ck_assert_uint_eq(fread(back, 1, sizeof back, f), sizeof text - 1);
  fclose(f);
  ck_assert_str_eq(back, text);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

/* A header field changed and the checksum made to match again: the field
 * itself must be checked, not only the checksum. */
static void patch_and_reseal(unsigned char *bytes, size_t len, size_t offset, uint32_t value) {
  memcpy(bytes + offset, &value, 4);
  uint64_t sum = regcache_checksum(bytes, len);
  memcpy(bytes + offsetof(regcache_header, checksum), &sum, 8);
}

START_TEST(test_cache_of_another_format_version_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  patch_and_reseal(bytes, len, offsetof(regcache_header, format_version),
                   REGCACHE_FORMAT_VERSION + 1);
  put_cache_bytes(bytes, len);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_cache_of_another_byte_order_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  patch_and_reseal(bytes, len, offsetof(regcache_header, byte_order), 0x04030201u);
  put_cache_bytes(bytes, len);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_cache_from_another_machine_or_build_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  patch_and_reseal(bytes, len, offsetof(regcache_header, fingerprint), 0x12345678u);
  put_cache_bytes(bytes, len);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_index_pointing_past_the_end_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  patch_and_reseal(bytes, len, REGCACHE_HEADER_SIZE + 12, (uint32_t)len);
  put_cache_bytes(bytes, len);
  assert_ignored_then_rebuilt(&fx);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_malformed_entry_with_good_checksum_is_a_miss) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  /* The entry's first string claims to be longer than the entry. */
  uint32_t entry_offset;
  memcpy(&entry_offset, bytes + REGCACHE_HEADER_SIZE + 8, 4);
  patch_and_reseal(bytes, len, entry_offset, 0x7fffffffu);
  put_cache_bytes(bytes, len);
  regcache_stats stats = stats_of_fresh_open();
  ck_assert_uint_eq(stats.loaded, 1); /* the file is sound, the entry is not */
  ck_assert_int_eq(scan(&fx), 0);
  ck_assert_int_eq(scan(&fx), 1);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_cache_writable_by_others_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  ck_assert_int_eq(chmod(cache_file, 0666), 0);
  assert_ignored_then_rebuilt(&fx);
  struct stat st;
  ck_assert_int_eq(stat(cache_file, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0600);
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_cache_that_is_a_symlink_is_ignored) {
  fixture fx;
  size_t len;
  unsigned char *bytes = good_cache_bytes(&fx, &len);
  char elsewhere[200];
  snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere.bin", tmpdir);
  ck_assert_int_eq(rename(cache_file, elsewhere), 0);
  ck_assert_int_eq(symlink(elsewhere, cache_file), 0);
  assert_ignored_and_kept(&fx, "is not a regular file");
  free(bytes);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_folders_not_visited_stay_while_their_manifest_exists) {
  fixture a, b;
  fixture_make(&a, "alpha");
  fixture_make(&b, "beta");
  ck_assert_int_eq(scan(&a), 0);
  ck_assert_int_eq(scan(&b), 0); /* writes alpha (kept) and beta */
  ck_assert_uint_eq(stats_of_fresh_open().loaded, 2);
  ck_assert_int_eq(scan(&a), 1);
  sh("rm -rf '%s'", a.dir);
  write_file(b.module_path, "beta rebuilt, so that something is written");
  ck_assert_int_eq(scan(&b), 0);
  ck_assert_uint_eq(stats_of_fresh_open().loaded, 1);
  fixture_free(&a);
  fixture_free(&b);
}
END_TEST

START_TEST(test_unwritable_cache_folder_is_an_error_not_a_crash) {
  fixture fx;
  fixture_make(&fx, "alpha");
  regcache *cache = regcache_open("/proc/no-such-place/pio/registry.bin", 0);
  ck_assert_ptr_nonnull(cache);
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, &fx, &e), 0);
  store_fixture(cache, &fx);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err.message, "/proc/no-such-place/pio/registry.bin"));
  regcache_close(cache);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_null_cache_does_nothing) {
  regcache_entry e;
  regcache_folder folder = {AT_FDCWD, "/x", "/x/plugin_manifest.json", NULL};
  regcache_ticket ticket;
  ck_assert_int_eq(regcache_lookup(NULL, &folder, NULL, &ticket, &e), 0);
  regcache_store(NULL, &ticket, NULL, NULL, NULL);
  pio_error err;
  ck_assert_int_eq(regcache_commit(NULL, &err), PIO_OK);
  regcache_close(NULL);
}
END_TEST

START_TEST(test_cache_file_location_follows_options_then_environment) {
  char *f = regcache_default_file("/opt/c");
  ck_assert_ptr_nonnull(strstr(f, "/opt/c/registry-"));
  free(f);
  setenv("PIO_REGISTRY", "/tmp/explicit.bin", 1);
  f = regcache_default_file(NULL);
  ck_assert_str_eq(f, "/tmp/explicit.bin");
  free(f);
  setenv("PIO_REGISTRY", "relative/ignored.bin", 1);
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  f = regcache_default_file(NULL);
  ck_assert_ptr_nonnull(strstr(f, "/xdg/pio/registry-"));
  free(f);
  unsetenv("PIO_REGISTRY");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  f = regcache_default_file(NULL);
  ck_assert_ptr_nonnull(strstr(f, "/xdg/pio/registry-"));
  free(f);
  setenv("XDG_CACHE_HOME", "relative/ignored", 1);
  setenv("HOME", "/home/someone", 1);
  f = regcache_default_file(NULL);
  ck_assert_ptr_nonnull(strstr(f, "/home/someone/.cache/pio/registry-"));
  free(f);
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  ck_assert_ptr_null(regcache_default_file(NULL));
}
END_TEST

/* Several processes each scanning their own folders and committing over
 * and over into one cache file: every commit renames a whole file, so the
 * file is always valid, and no temporary file is left behind. */
START_TEST(test_processes_writing_at_once_leave_a_valid_file) {
  enum { N_PROC = 4, N_ROUNDS = 40 };
  fixture fx[N_PROC];
  for (int p = 0; p < N_PROC; p++) {
    char name[16];
    snprintf(name, sizeof name, "plugin%d", p);
    fixture_make(&fx[p], name);
  }
  pid_t pids[N_PROC];
  for (int p = 0; p < N_PROC; p++) {
    pids[p] = fork();
    ck_assert_int_ge(pids[p], 0);
    if (pids[p] != 0) continue;
    for (int round = 0; round < N_ROUNDS; round++) {
      regcache *cache = open_cache();
      regcache_stats stats;
      regcache_get_stats(cache, &stats);
      if (stats.file_ignored) _exit(3); /* saw a half-written file */
      regcache_entry e;
      look_up(cache, &fx[p], &e);
      regcache_entry_clear(&e);
      pio_plugin_record rec = *fixture_record(&fx[p]);
      char version[16];
      snprintf(version, sizeof version, "1.0.%d", round); /* news every round */
      rec.version = version;
      regcache_store(cache, &fx[p].ticket, &rec, NULL, fx[p].manifest);
      pio_error err;
      if (regcache_commit(cache, &err) != PIO_OK) _exit(4);
      regcache_close(cache);
    }
    _exit(0);
  }
  for (int p = 0; p < N_PROC; p++) {
    int status;
    ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d", p,
                  status);
  }
  regcache_stats stats = stats_of_fresh_open();
  ck_assert_int_eq(stats.file_ignored, 0);
  ck_assert_uint_ge(stats.loaded, 1);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "ls '%s/cache' | grep -q tmp", tmpdir);
  ck_assert_int_ne(system(cmd), 0);
  for (int p = 0; p < N_PROC; p++) fixture_free(&fx[p]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Through pio_registry_open and pio-host: a forged entry (a manifest
 * whose version says 9.9.9, keyed to the unchanged files) shows that the
 * cache is read; --no-cache and a changed file show that it is bypassed. */

/* A change the forged entry carries. */
typedef void (*forgery)(pio_plugin_record *rec, pio_manifest *m);

/* A manifest is one block (host/manifest/manifest_pack.c): forged fields
 * point to static texts, never freed. */
static char forged_version[] = "9.9.9";

static void forge_version(pio_plugin_record *rec, pio_manifest *m) {
  m->version = forged_version;
  rec->version = m->version;
}

/* A manifest no decoder accepts (a required text absent), in an entry
 * whose checksum is right: what only a forger, or a bug, could write.  The
 * fixture's variants are kept: the registry judges them at every open, so
 * it asks for the manifest. */
static void forge_undecodable_manifest_with_variants(pio_plugin_record *rec, pio_manifest *m) {
  (void)rec;
  m->entry_module = NULL;
}

/* The same without variants: no check at open needs the manifest. */
static void forge_undecodable_manifest(pio_plugin_record *rec, pio_manifest *m) {
  forge_undecodable_manifest_with_variants(rec, m);
  m->n_variants = 0;
}

/* The same, in a manifest that also needs another plugin: the registry's
 * dependency check then asks for it. */
static void forge_undecodable_manifest_with_a_dependency(pio_plugin_record *rec, pio_manifest *m) {
  static char beta[] = "beta", plugin[] = "plugin";
  static pio_manifest_dependency needs_beta[] = {{beta, plugin, NULL}, {NULL, NULL, NULL}};
  forge_undecodable_manifest(rec, m);
  m->dependencies = needs_beta;
  m->n_dependencies = 1;
}

static void forge_entry_with(fixture *fx, const char *cache_dir, forgery change) {
  char *file = regcache_default_file(cache_dir);
  regcache *cache = regcache_open(file, 0);
  free(file);
  regcache_entry e;
  ck_assert_int_eq(look_up(cache, fx, &e), 0);
  pio_plugin_record rec = *fixture_record(fx);
  change(&rec, fx->manifest);
  regcache_store(cache, &fx->ticket, &rec, NULL, fx->manifest);
  pio_error err;
  ck_assert_int_eq(regcache_commit(cache, &err), PIO_OK);
  regcache_close(cache);
}

static void forge_entry(fixture *fx, const char *cache_dir) {
  forge_entry_with(fx, cache_dir, forge_version);
}

/* A registry over tmpdir, with or without the cache in cache_dir, with or
 * without trial loads. */
static pio_registry *open_registry(const char *cache_dir, int no_cache, int check_load) {
  pio_registry_options opts;
  pio_registry_options_init(&opts);
  const char *paths[] = {tmpdir};
  opts.plugin_paths = paths;
  opts.n_plugin_paths = 1;
  opts.skip_environment = 1;
  opts.skip_default_paths = 1;
  opts.cache_dir = cache_dir;
  opts.no_cache = no_cache;
  opts.check_load = check_load;
  pio_registry *registry = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_msg(pio_registry_open(&opts, &registry, &err) == PIO_OK, "%s", err.message);
  return registry;
}

/* The version the registry reports for alpha, read with or without cache. */
static char *registry_version(const char *cache_dir, int no_cache) {
  pio_registry *registry = open_registry(cache_dir, no_cache, 0);
  const pio_plugin_record *rec = pio_registry_find(registry, "alpha");
  ck_assert_ptr_nonnull(rec);
  char *version = strdup(rec->version);
  pio_registry_close(registry);
  return version;
}

START_TEST(test_registry_reads_the_cache_and_no_cache_bypasses_it) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry(&fx, cache_dir);
  char *cached = registry_version(cache_dir, 0), *fresh = registry_version(cache_dir, 1);
  ck_assert_str_eq(cached, "9.9.9");
  ck_assert_str_eq(fresh, "1.2.3");
  free(cached);
  free(fresh);
  fixture_free(&fx);
}
END_TEST

/* An embedding program keeps a registry open while another process
 * truncates or rewrites the cache file (pio-host rebuilding it, the user):
 * what the records hold was read into memory, so every text and the
 * manifest decoded later are still there, and nothing raises SIGBUS. */
START_TEST(test_cache_file_truncated_under_an_open_registry_changes_nothing) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry(&fx, cache_dir);
  pio_registry *registry = open_registry(cache_dir, 0, 0);
  char *file = regcache_default_file(cache_dir);
  ck_assert_int_eq(truncate(file, 0), 0);
  free(file);
  const pio_plugin_record *rec = pio_registry_find(registry, "alpha");
  ck_assert_ptr_nonnull(rec);
  ck_assert_str_eq(rec->version, "9.9.9"); /* from the cache: it was read */
  ck_assert_str_eq(rec->dir, fx.dir);
  ck_assert_ptr_nonnull(strstr(rec->warnings[0], "surprise"));
  const pio_manifest *m = pio_plugin_record_manifest(rec);
  ck_assert_ptr_nonnull(m);
  ck_assert_str_eq(m->entry_module, "mod");
  pio_registry_close(registry);
  fixture_free(&fx);
}
END_TEST

/* The registry decodes a cached manifest only when it is asked for; one
 * that does not decode then makes loading fail with a message, and
 * nothing else. */
START_TEST(test_cached_manifest_that_does_not_decode_fails_the_load_cleanly) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry_with(&fx, cache_dir, forge_undecodable_manifest);
  pio_registry *registry = open_registry(cache_dir, 0, 0);
  const pio_plugin_record *rec = pio_registry_find(registry, "alpha");
  ck_assert_ptr_nonnull(rec);
  ck_assert_int_eq(rec->state, PIO_PLUGIN_OK); /* the cached verdict */
  ck_assert_ptr_null(pio_plugin_record_manifest(rec));
  pio_loaded_plugin *plugin = NULL;
  pio_error err;
  pio_error_clear(&err);
  ck_assert_int_eq(pio_plugin_load(rec, &plugin, &err), PIO_ERR_NO_MEMORY);
  ck_assert_ptr_null(plugin);
  ck_assert_ptr_nonnull(strstr(err.message, "could not be decoded from the registry cache"));
  pio_registry_close(registry);
  fixture_free(&fx);
}
END_TEST

/* The checks after the scan that need the manifest (dependencies, trial
 * loads) find it undecodable: the record is invalid and says why; the
 * registry still opens. */
static void check_undecodable_manifest_makes_record_invalid(forgery change, int check_load) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry_with(&fx, cache_dir, change);
  pio_registry *registry = open_registry(cache_dir, 0, check_load);
  const pio_plugin_record *rec = pio_registry_find(registry, "alpha");
  ck_assert_ptr_nonnull(rec);
  ck_assert_int_eq(rec->state, PIO_PLUGIN_INVALID);
  ck_assert_str_eq(rec->reason, REGISTRY_UNDECODABLE_MANIFEST);
  pio_registry_close(registry);
  fixture_free(&fx);
}

START_TEST(test_undecodable_cached_manifest_fails_the_dependency_check_cleanly) {
  check_undecodable_manifest_makes_record_invalid(forge_undecodable_manifest_with_a_dependency, 0);
}
END_TEST

START_TEST(test_undecodable_cached_manifest_fails_the_variant_check_cleanly) {
  check_undecodable_manifest_makes_record_invalid(forge_undecodable_manifest_with_variants, 0);
}
END_TEST

START_TEST(test_undecodable_cached_manifest_fails_the_trial_load_cleanly) {
  check_undecodable_manifest_makes_record_invalid(forge_undecodable_manifest, 1);
}
END_TEST

START_TEST(test_registry_sees_a_changed_manifest_despite_the_cache) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry(&fx, cache_dir);
  write_manifest(&fx, "alpha", "2.0.0-rc.1");
  char *version = registry_version(cache_dir, 0);
  ck_assert_str_eq(version, "2.0.0-rc.1");
  free(version);
  fixture_free(&fx);
}
END_TEST

START_TEST(test_cache_folder_and_file_are_private) {
  fixture fx;
  fixture_make(&fx, "alpha");
  ck_assert_int_eq(scan(&fx), 0);
  struct stat st;
  char folder[128];
  snprintf(folder, sizeof folder, "%s/cache", tmpdir);
  ck_assert_int_eq(stat(folder, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0700);
  ck_assert_int_eq(stat(cache_file, &st), 0);
  ck_assert_uint_eq(st.st_mode & 0777, 0600);
  fixture_free(&fx);
}
END_TEST

/* pio-host list's line for alpha (NAME VERSION ...), from the table. */
static void pio_host_line(const char *extra, char *line, size_t size) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' list --plugin-path '%s' --cache '%s/cache' %s", PIO_TEST_PIO_HOST,
           tmpdir, tmpdir, extra);
  FILE *p = popen(cmd, "r");
  ck_assert_ptr_nonnull(p);
  line[0] = '\0';
  char buf[1024];
  while (fgets(buf, sizeof buf, p) != NULL)
    if (strncmp(buf, "alpha ", 6) == 0) snprintf(line, size, "%s", buf);
  pclose(p);
  ck_assert_msg(line[0] != '\0', "pio-host list %s did not list alpha", extra);
}

START_TEST(test_pio_host_list_reads_the_cache_and_no_cache_bypasses_it) {
  fixture fx;
  fixture_make(&fx, "alpha");
  char cache_dir[128], line[1024];
  snprintf(cache_dir, sizeof cache_dir, "%s/cache", tmpdir);
  forge_entry(&fx, cache_dir);
  pio_host_line("", line, sizeof line);
  ck_assert_msg(strstr(line, "9.9.9") != NULL, "cache not read: %s", line);
  pio_host_line("--no-cache", line, sizeof line);
  ck_assert_msg(strstr(line, "1.2.3") != NULL, "--no-cache read the cache: %s", line);
  fixture_free(&fx);
}
END_TEST

static Suite *registry_cache_suite(void) {
  Suite *s = suite_create("registry_cache");
  TCase *tc = tcase_create("registry_cache");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_stored_record_comes_back_whole);
  tcase_add_test(tc, test_unchanged_folder_is_a_hit_and_writes_nothing);
  tcase_add_test(tc, test_changed_manifest_is_read_again);
  tcase_add_test(tc, test_manifest_with_new_mtime_only_is_read_again);
  tcase_add_test(tc, test_changed_module_is_read_again);
  tcase_add_test(tc, test_module_replaced_through_a_symlink_is_read_again);
  tcase_add_test(tc, test_module_appearing_in_the_folder_is_seen);
  tcase_add_test(tc, test_folder_made_writable_by_others_is_read_again);
  tcase_add_test(tc, test_a_hit_is_not_stored_again_whatever_its_state_became);
  tcase_add_test(tc, test_shadowed_record_is_not_stored);
  tcase_add_test(tc, test_files_changed_during_the_scan_are_not_stored);
  tcase_add_test(tc, test_record_never_looked_up_is_not_stored);
  tcase_add_test(tc, test_entry_with_module_outside_its_folder_is_refused);
  tcase_add_test(tc, test_folder_reached_through_a_symlink_is_cached);
  tcase_add_test(tc, test_cache_with_a_flipped_byte_is_ignored_and_rebuilt);
  tcase_add_test(tc, test_truncated_cache_is_ignored_and_rebuilt);
  tcase_add_test(tc, test_foreign_file_is_ignored_and_never_replaced);
  tcase_add_test(tc, test_cache_of_another_format_version_is_ignored);
  tcase_add_test(tc, test_cache_of_another_byte_order_is_ignored);
  tcase_add_test(tc, test_cache_from_another_machine_or_build_is_ignored);
  tcase_add_test(tc, test_index_pointing_past_the_end_is_ignored);
  tcase_add_test(tc, test_malformed_entry_with_good_checksum_is_a_miss);
  tcase_add_test(tc, test_cache_writable_by_others_is_ignored);
  tcase_add_test(tc, test_cache_that_is_a_symlink_is_ignored);
  tcase_add_test(tc, test_folders_not_visited_stay_while_their_manifest_exists);
  tcase_add_test(tc, test_unwritable_cache_folder_is_an_error_not_a_crash);
  tcase_add_test(tc, test_null_cache_does_nothing);
  tcase_add_test(tc, test_cache_file_location_follows_options_then_environment);
  tcase_add_test(tc, test_processes_writing_at_once_leave_a_valid_file);
  tcase_add_test(tc, test_registry_reads_the_cache_and_no_cache_bypasses_it);
  tcase_add_test(tc, test_cache_file_truncated_under_an_open_registry_changes_nothing);
  tcase_add_test(tc, test_registry_sees_a_changed_manifest_despite_the_cache);
  tcase_add_test(tc, test_cached_manifest_that_does_not_decode_fails_the_load_cleanly);
  tcase_add_test(tc, test_undecodable_cached_manifest_fails_the_dependency_check_cleanly);
  tcase_add_test(tc, test_undecodable_cached_manifest_fails_the_variant_check_cleanly);
  tcase_add_test(tc, test_undecodable_cached_manifest_fails_the_trial_load_cleanly);
  tcase_add_test(tc, test_cache_folder_and_file_are_private);
  tcase_add_test(tc, test_pio_host_list_reads_the_cache_and_no_cache_bypasses_it);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(registry_cache_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
