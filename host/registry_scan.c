/* host/registry_scan.c — one folder of the plugin path read into records.
 *
 * Three steps.  The folder's entries are listed and sorted by name, on one
 * thread.  Each is then stat'ed for a manifest, looked up in the registry
 * cache and, on a miss, examined.  Examining means parsing a manifest,
 * work that runs as well on any core, so when most folders will be
 * examined (no cache, or one that knows fewer folders than there are) and
 * there are enough of them to pay for starting threads, this step runs on
 * every core (up to PIO_REGISTRY_MAX_THREADS).  A warm listing stays on
 * one thread: it is stat() calls on one folder, which measured no faster
 * on two cores than on one (docs/host-scale.md).  Last, on one thread and
 * in name order, each lookup is noted in the cache, each miss stored for
 * next time and each record appended. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pio/threadpool.h"
#include "registry_parts.h"

/* Below this many folders one thread is faster than starting others. */
#define SCAN_PARALLEL_FROM 128

typedef struct scan_item {
  char *name;           /* the folder's name */
  registry_record *rec; /* NULL: no manifest there (or failed) */
  pio_cache_keys *keys; /* taken by its lookup, for its note; NULL: not kept */
  int hit, hit_trial_done;
  int failed;           /* out of memory */
} scan_item;

typedef struct scan_job {
  pio_registry *registry;
  const char *dir;
  int dir_fd;
  scan_item *items;
  size_t n;
} scan_job;

static int compare_item_names(const void *a, const void *b) {
  return strcmp(((const scan_item *)a)->name, ((const scan_item *)b)->name);
}

static void items_free(scan_item *items, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(items[i].name);
    if (items[i].rec != NULL) pio_record_release(items[i].rec); /* not appended */
  }
  free(items);
}

/* d's entries but the hidden ones, sorted by name.  The count, or -1 when
 * out of memory. */
static long list_entries(DIR *d, scan_item **out) {
  scan_item *items = NULL;
  size_t n = 0, cap = 0;
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (ent->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      scan_item *grown = realloc(items, cap * sizeof *items);
      if (grown == NULL) break;
      items = grown;
    }
    memset(&items[n], 0, sizeof items[n]);
    if ((items[n].name = strdup(ent->d_name)) == NULL) break;
    n++;
  }
  if (ent != NULL) {
    items_free(items, n);
    return -1;
  }
  if (n > 1) qsort(items, n, sizeof *items, compare_item_names);
  *out = items;
  return (long)n;
}

/* The manifest key of folder name inside the folder open as dir_fd;
 * present = 0 when it has no manifest.  Relative to dir_fd, the kernel
 * walks two path components instead of the whole absolute path.  Taken
 * before anything in the folder is read, it also serves the cache lookup:
 * one stat a plugin fewer. */
static void take_manifest_key(int dir_fd, const char *name, pio_cache_file_key *key) {
  char rel[sizeof ((struct dirent *)0)->d_name + 32];
  size_t len = strlen(name); /* below NAME_MAX: a d_name */
  memcpy(rel, name, len);
  rel[len] = '/';
  strcpy(rel + len + 1, pio_manifest_file_name);
  pio_cache_file_key_take_at(dir_fd, rel, key);
}

/* dir/name and dir/name/plugin_manifest.json, both in buf (2 * PATH_MAX
 * bytes); -1 when they do not fit. */
static int folder_paths(const char *dir, const char *name, char *buf, const char **folder,
                        const char **manifest) {
  size_t dlen = strlen(dir), nlen = strlen(name), flen = dlen + 1 + nlen;
  size_t mlen = strlen(pio_manifest_file_name);
  if (flen + 1 + mlen + 1 > PATH_MAX) return -1;
  char *f = buf, *m = buf + PATH_MAX;
  memcpy(f, dir, dlen);
  f[dlen] = '/';
  memcpy(f + dlen + 1, name, nlen + 1);
  memcpy(m, f, flen);
  m[flen] = '/';
  memcpy(m + flen + 1, pio_manifest_file_name, mlen + 1);
  *folder = f;
  *manifest = m;
  return 0;
}

/* The cache lookup for one folder: 1 on a hit, -1 when out of memory.
 * Its keys are kept (in arena) only when the cache's note will keep them
 * (pio_registry_cache_keeps_keys): none without a cache. */
static int look_up(const scan_job *job, scan_item *item, const pio_cache_file_key *manifest_key,
                   pio_arena *arena, pio_cache_entry *entry) {
  char buf[2 * PATH_MAX];
  const char *folder, *manifest;
  pio_cache_keys keys;
  int hit = 0;
  memset(&keys, 0, sizeof keys);
  if (folder_paths(job->dir, item->name, buf, &folder, &manifest) == 0)
    hit = pio_registry_cache_lookup_shared(job->registry->cache, folder, manifest, manifest_key,
                                           arena, &keys, entry);
  if (pio_registry_cache_keeps_keys(job->registry->cache, hit)) {
    if ((item->keys = pio_arena_alloc(arena, sizeof keys)) == NULL) return -1;
    *item->keys = keys;
  }
  return hit;
}

/* One folder, on any thread: the record from the cache, or examined. */
static void scan_one(const scan_job *job, size_t i, pio_arena *arena) {
  scan_item *item = &job->items[i];
  pio_cache_file_key key;
  take_manifest_key(job->dir_fd, item->name, &key);
  if (!key.present) return;
  pio_cache_entry entry;
  int hit = look_up(job, item, &key, arena, &entry);
  registry_record *rec = NULL;
  if (hit > 0) {
    rec = pio_record_from_cache(arena, &entry);
  } else if (hit == 0 && (rec = pio_record_new(arena, job->dir, item->name)) != NULL &&
             pio_record_examine(rec, &job->registry->machine, arena) != 0) {
    pio_record_release(rec);
    rec = NULL;
  }
  item->failed = rec == NULL;
  item->hit = hit > 0;
  item->hit_trial_done = hit > 0 && entry.trial_done;
  item->rec = rec;
}

static void scan_share(void *ctx, uint32_t share, uint32_t n_shares) {
  const scan_job *job = ctx;
  size_t begin, end;
  pio_split_range(job->n, 1, share, n_shares, &begin, &end);
  for (size_t i = begin; i < end; i++)
    scan_one(job, i, job->registry->arenas[share]);
}

/* Each share of the work uses its own arena (shares may run at once). */
static int make_arenas(pio_registry *registry, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (registry->arenas[i] == NULL && (registry->arenas[i] = pio_arena_new()) == NULL) return -1;
  return 0;
}

/* A pool for reading n folders, or NULL: one thread (a warm cache, too
 * few folders, one core, or threads could not start; the caller's thread
 * then does it all). */
static pio_threadpool *pool_for(const pio_registry *registry, size_t n) {
  uint32_t threads = pio_online_cores();
  if (threads > PIO_REGISTRY_MAX_THREADS) threads = PIO_REGISTRY_MAX_THREADS;
  pio_registry_cache_stats cache;
  pio_registry_cache_get_stats(registry->cache, &cache);
  if (n < SCAN_PARALLEL_FROM || threads < 2 || cache.loaded >= n) return NULL;
  pio_threadpool *pool = NULL;
  pio_error ignored;
  if (pio_threadpool_create(threads, &pool, &ignored) != PIO_OK) return NULL;
  return pool;
}

/* In name order: noted in the cache, stored when examined, appended. */
static pio_status collect(const scan_job *job, pio_error *err) {
  pio_registry *registry = job->registry;
  pio_status st = PIO_OK;
  for (size_t i = 0; i < job->n; i++) {
    scan_item *item = &job->items[i];
    if (item->failed && st == PIO_OK)
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    registry_record *rec = item->rec;
    if (rec == NULL || st != PIO_OK) continue; /* items_free releases its manifest */
    pio_registry_cache_note(registry->cache, rec->pub.manifest_path, item->keys, item->hit,
                            item->hit_trial_done);
    if (!item->hit) pio_registry_cache_store(registry->cache, &rec->pub, rec->manifest, 0);
    if (pio_registry_append(registry, rec) != 0)
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    else item->rec = NULL;
  }
  return st;
}

pio_status pio_registry_scan_folder(pio_registry *registry, const char *dir, pio_error *err) {
  DIR *d = opendir(dir);
  if (d == NULL) return PIO_OK; /* a folder that cannot be read holds no plugins */
  scan_item *items = NULL;
  long n = list_entries(d, &items);
  pio_threadpool *pool = n > 0 ? pool_for(registry, (size_t)n) : NULL;
  pio_status st = PIO_OK;
  if (n < 0 || make_arenas(registry, pool != NULL ? pio_threadpool_size(pool) : 1) != 0) {
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  } else if (n > 0) {
    pio_registry_cache_enter_folder(registry->cache, dir);
    scan_job job = {registry, dir, dirfd(d), items, (size_t)n};
    pio_threadpool_run(pool, scan_share, &job);
    st = collect(&job, err);
  }
  pio_threadpool_destroy(pool);
  closedir(d);
  if (n > 0) items_free(items, (size_t)n);
  return st;
}
