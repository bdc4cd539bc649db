/* fuzz/fuzz_registry_cache.c — libFuzzer target for the registry cache
 * reader and writer.  The input is a cache file: it is opened (built with
 * PIO_FUZZING_BUILD, so the checksum and fingerprint do not stop the
 * fuzzer at the door), every entry the index names is decoded, a folder is
 * looked up, and a record is stored and committed, which copies the old
 * entries into a new file that must then open cleanly. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest/manifest.h"
#include "registry/arena.h"
#include "registry/cache/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "fuzz_registry_cache: broken promise: %s\n", what);
    abort();
  }
}

static char dir[96];
static char cache_file[128];
static char plugin_dir[128];
static char manifest_path[160];

/* rm -r of the scratch folder: two levels deep, as prepare made it. */
static void remove_folder(const char *path) {
  DIR *d = opendir(path);
  struct dirent *ent;
  while (d != NULL && (ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    if (unlinkat(dirfd(d), ent->d_name, 0) != 0 && errno == EISDIR) {
      char sub[512];
      snprintf(sub, sizeof sub, "%s/%s", path, ent->d_name);
      remove_folder(sub);
    }
  }
  if (d != NULL) closedir(d);
  rmdir(path);
}

static void remove_scratch(void) {
  if (dir[0] != '\0') remove_folder(dir);
}

/* Scratch folders of earlier runs that died before their atexit (a crash
 * found, a timeout): pio-fuzz-cache-PID-XXXXXX whose PID is gone, or an
 * hour old (and the older pio-fuzz-cache-XXXXXX, never removed). */
static void remove_stale_scratch(const char *root) {
  DIR *d = opendir(root);
  struct dirent *ent;
  time_t now = time(NULL);
  while (d != NULL && (ent = readdir(d)) != NULL) {
    static const char prefix[] = "pio-fuzz-cache-";
    if (strncmp(ent->d_name, prefix, sizeof prefix - 1) != 0) continue;
    char *end = NULL;
    long pid = strtol(ent->d_name + sizeof prefix - 1, &end, 10);
    int dead = *end == '-' && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    struct stat st;
    int old = fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
              st.st_uid == geteuid() && now - st.st_mtime > 3600;
    if (!dead && !old) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, ent->d_name);
    remove_folder(path);
  }
  if (d != NULL) closedir(d);
}

/* One scratch folder per process, with a plugin folder to look up;
 * removed at exit. */
static void prepare(void) {
  if (dir[0] != '\0') return;
  /* In memory when possible: the fuzzer writes a file per input. */
  const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  remove_stale_scratch(root);
  snprintf(dir, sizeof dir, "%s/pio-fuzz-cache-%ld-XXXXXX", root, (long)getpid());
  require(mkdtemp(dir) != NULL, "scratch folder");
  atexit(remove_scratch);
  snprintf(cache_file, sizeof cache_file, "%s/registry.bin", dir);
  snprintf(plugin_dir, sizeof plugin_dir, "%s/plugin", dir);
  snprintf(manifest_path, sizeof manifest_path, "%s/plugin_manifest.json", plugin_dir);
  mkdir(plugin_dir, 0755);
  FILE *f = fopen(manifest_path, "w");
  require(f != NULL, "manifest written");
  fputs("{}", f);
  fclose(f);
}

static void write_input(const uint8_t *data, size_t size) {
  unlink(cache_file);
  FILE *f = fopen(cache_file, "wb");
  require(f != NULL, "cache file written");
  if (size > 0) fwrite(data, 1, size, f);
  fclose(f);
  chmod(cache_file, 0600);
}

/* Decodes every slice the index names, as lookups would. */
static void decode_all(const uint8_t *data, size_t size) {
  if (size < REGCACHE_HEADER_SIZE) return;
  regcache_header h;
  memcpy(&h, data, sizeof h);
  size_t n = h.n_entries;
  if (n > (size - REGCACHE_HEADER_SIZE) / REGCACHE_INDEX_ITEM_SIZE) return;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *item = data + REGCACHE_HEADER_SIZE + i * REGCACHE_INDEX_ITEM_SIZE;
    uint32_t off, len;
    memcpy(&off, item + 8, 4);
    memcpy(&len, item + 12, 4);
    if (off > size || len > size - off) continue;
    regcache_entry e, in_arena;
    int ok = regcache_decode_entry(data + off, len, NULL, &e) == 0;
    /* The registry's way: the warnings' array in an arena. */
    struct arena *arena = arena_new();
    require(arena != NULL, "an arena");
    int ok_in_arena = regcache_decode_entry(data + off, len, arena, &in_arena) == 0;
    require(ok == ok_in_arena, "an entry decodes alike with and without an arena");
    if (ok) {
      require(e.manifest_path != NULL && e.dir != NULL && e.name != NULL && e.reason != NULL &&
                  e.n_warnings == in_arena.n_warnings &&
                  (e.n_warnings == 0 || strcmp(e.warnings[0], in_arena.warnings[0]) == 0),
              "a decoded entry has its required strings, alike in both ways");
      /* As the registry decodes it on first use. */
      pio_manifest *m = e.manifest != NULL
                            ? regcache_decode_manifest(e.manifest, e.manifest_len, manifest_path)
                            : NULL;
      require(m == NULL || (m->name != NULL && m->entry_module != NULL &&
                            strcmp(m->path, manifest_path) == 0),
              "a decoded manifest has its required strings");
      manifest_free(m);
      regcache_entry_clear(&e);
      regcache_entry_clear(&in_arena);
    }
    arena_free(arena);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prepare();
  decode_all(data, size);
  write_input(data, size);
  const int64_t never_racy = -((int64_t)1 << 62);
  regcache *cache = regcache_open(cache_file, never_racy);
  require(cache != NULL, "a bad file still gives a cache");
  regcache_folder folder = {AT_FDCWD, plugin_dir, manifest_path, NULL};
  regcache_ticket ticket;
  regcache_entry e;
  if (regcache_lookup(cache, &folder, NULL, &ticket, &e)) regcache_entry_clear(&e);
  const char *warnings[] = {NULL};
  pio_plugin_record rec = {.name = "plugin", .version = "", .model_architecture = "",
                           .manifest_path = manifest_path, .dir = plugin_dir,
                           .state = PIO_PLUGIN_INVALID, .reason = "fuzz", .warnings = warnings};
  ticket.hit = 0; /* stored as a miss would be, whatever the lookup said */
  regcache_store(cache, &ticket, &rec, NULL, NULL);
  pio_error err;
  /* A file that is not a cache is never replaced; once it is gone the
   * same commit succeeds. */
  int foreign = size > 0 && (size < 6 || memcmp(data, REGCACHE_MAGIC, 6) != 0);
  pio_status committed = regcache_commit(cache, &err);
  require(committed == (foreign ? PIO_ERR_INVALID : PIO_OK), "commit refuses only a foreign file");
  if (foreign) {
    unlink(cache_file);
    require(regcache_commit(cache, &err) == PIO_OK, "commit succeeds");
  }
  regcache_close(cache);
  /* What was written is a sound file holding at least the stored entry. */
  cache = regcache_open(cache_file, never_racy);
  regcache_stats stats;
  regcache_get_stats(cache, &stats);
  require(!stats.file_ignored && stats.loaded >= 1, "the rewritten file opens");
  require(regcache_lookup(cache, &folder, NULL, &ticket, &e) == 1, "the stored entry is found");
  regcache_entry_clear(&e);
  regcache_close(cache);
  return 0;
}
