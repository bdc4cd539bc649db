/* host/registry/scan.c — one folder of the plugin path read into records.
 *
 * Three steps.  The folder's entries are listed and sorted by name, on one
 * thread.  Each is then stat'ed for a manifest, looked up in the registry
 * cache and, on a miss, examined.  Examining means parsing a manifest,
 * work that runs as well on any core, so when most folders will be
 * examined (no cache, or one that knows fewer folders than there are) and
 * there are enough of them to pay for starting threads, this step runs on
 * every core (up to REGISTRY_MAX_THREADS).  A warm listing stays on
 * one thread: it is stat() calls on one folder, which measured no faster
 * on two cores than on one (docs/host-scale.md).  Last, on one thread and
 * in name order, each miss is stored in the cache for next time and each
 * record appended. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pio/threadpool.h"
#include "registry/registry.h"

/* Below this many folders one thread is faster than starting others. */
#define SCAN_PARALLEL_FROM 128

typedef struct scan_item {
  char *name;           /* the folder's name */
  registry_record *rec; /* NULL: no manifest there (or failed) */
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
    if (items[i].rec != NULL) record_release(items[i].rec); /* not appended */
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
static void take_manifest_key(int dir_fd, const char *name, regcache_key *key) {
  char rel[sizeof((struct dirent *)0)->d_name + 32];
  size_t len = strlen(name); /* below NAME_MAX: a d_name */
  memcpy(rel, name, len);
  rel[len] = '/';
  strcpy(rel + len + 1, registry_manifest_file_name);
  regcache_key_take_at(dir_fd, rel, key);
}

/* dir/name and dir/name/plugin_manifest.json, both in buf (2 * PATH_MAX
 * bytes); -1 when they do not fit. */
static int folder_paths(const char *dir, const char *name, char *buf, const char **folder,
                        const char **manifest) {
  size_t dlen = strlen(dir), nlen = strlen(name), flen = dlen + 1 + nlen;
  size_t mlen = strlen(registry_manifest_file_name);
  if (flen + 1 + mlen + 1 > PATH_MAX) return -1;
  char *f = buf, *m = buf + PATH_MAX;
  memcpy(f, dir, dlen);
  f[dlen] = '/';
  memcpy(f + dlen + 1, name, nlen + 1);
  memcpy(m, f, flen);
  m[flen] = '/';
  memcpy(m + flen + 1, registry_manifest_file_name, mlen + 1);
  *folder = f;
  *manifest = m;
  return 0;
}

/* The cache lookup for one folder: 1 on a hit, -1 when out of memory.
 * A miss's ticket is kept (in arena, for the record), to store the record
 * once examined; a warm listing keeps none. */
static int look_up(const scan_job *job, const scan_item *item, const regcache_key *manifest_key,
                   struct arena *arena, const regcache_ticket **kept, regcache_entry *entry) {
  char buf[2 * PATH_MAX];
  regcache_folder folder = {job->dir_fd, NULL, NULL, manifest_key};
  regcache_ticket ticket;
  int hit = 0;
  *kept = NULL;
  memset(entry, 0, sizeof *entry);
  if (job->registry->cache == NULL) return 0;
  if (folder_paths(job->dir, item->name, buf, &folder.dir, &folder.manifest_path) != 0) return 0;
  hit = regcache_lookup(job->registry->cache, &folder, arena, &ticket, entry);
  if (!hit) {
    regcache_ticket *copy = arena_alloc(arena, sizeof *copy);
    if (copy == NULL) return -1;
    *copy = ticket;
    *kept = copy;
  }
  return hit;
}

/* One folder, on any thread: the record from the cache, or examined. */
static void scan_one(const scan_job *job, size_t i, struct arena *arena) {
  scan_item *item = &job->items[i];
  regcache_key key;
  take_manifest_key(job->dir_fd, item->name, &key);
  if (!key.present) return;
  regcache_entry entry;
  const regcache_ticket *ticket;
  int hit = look_up(job, item, &key, arena, &ticket, &entry);
  registry_record *rec = NULL;
  if (hit > 0) {
    rec = record_from_cache(arena, &entry);
  } else if (hit == 0 && (rec = record_new(arena, job->dir, item->name)) != NULL &&
             record_examine(rec, &job->registry->machine, arena) != 0) {
    record_release(rec);
    rec = NULL;
  }
  if (rec != NULL) rec->ticket = ticket;
  item->failed = rec == NULL;
  item->rec = rec;
}

static void scan_share(void *ctx, uint32_t share, uint32_t n_shares) {
  const scan_job *job = ctx;
  size_t begin, end;
  pio_split_range(job->n, 1, share, n_shares, &begin, &end);
  for (size_t i = begin; i < end; i++) scan_one(job, i, job->registry->arenas[share]);
}

/* Each share of the work uses its own arena (shares may run at once). */
static int make_arenas(pio_registry *registry, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (registry->arenas[i] == NULL && (registry->arenas[i] = arena_new()) == NULL) return -1;
  return 0;
}

/* A pool for reading n folders, or NULL: one thread (a warm cache, too
 * few folders, one core, or threads could not start; the caller's thread
 * then does it all). */
static pio_threadpool *pool_for(const pio_registry *registry, size_t n) {
  uint32_t threads = pio_online_cores();
  if (threads > REGISTRY_MAX_THREADS) threads = REGISTRY_MAX_THREADS;
  regcache_stats cache;
  regcache_get_stats(registry->cache, &cache);
  if (n < SCAN_PARALLEL_FROM || threads < 2 || cache.loaded >= n) return NULL;
  pio_threadpool *pool = NULL;
  pio_error ignored;
  if (pio_threadpool_create(threads, &pool, &ignored) != PIO_OK) return NULL;
  return pool;
}

/* In name order: stored in the cache when examined, appended. */
static pio_status collect(const scan_job *job, pio_error *err) {
  pio_registry *registry = job->registry;
  pio_status st = PIO_OK;
  for (size_t i = 0; i < job->n; i++) {
    scan_item *item = &job->items[i];
    if (item->failed && st == PIO_OK)
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    registry_record *rec = item->rec;
    if (rec == NULL || st != PIO_OK) continue; /* items_free releases its manifest */
    if (rec->ticket != NULL && !rec->transient)
      regcache_store(registry->cache, rec->ticket, &rec->pub, rec->module_archive, rec->manifest);
    if (registry_append(registry, rec) != 0)
      st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
    else
      item->rec = NULL;
  }
  return st;
}

pio_status registry_scan_folder(pio_registry *registry, const char *dir, pio_error *err) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    /* Missing, not a folder, not ours to read: it holds no plugins.  A
     * failure of the system is said: skipping the folder would list
     * fewer plugins with exit 0. */
    int e = errno;
    if (e == ENOMEM || e == EMFILE || e == ENFILE || e == EIO)
      return pio_error_set(err, e == ENOMEM ? PIO_ERR_NO_MEMORY : PIO_ERR_IO,
                           "%s: cannot read the folder: %s", dir, strerror(e));
    return PIO_OK;
  }
  scan_item *items = NULL;
  long n = list_entries(d, &items);
  pio_threadpool *pool = n > 0 ? pool_for(registry, (size_t)n) : NULL;
  pio_status st = PIO_OK;
  if (n < 0 || make_arenas(registry, pool != NULL ? pio_threadpool_size(pool) : 1) != 0) {
    st = pio_error_set(err, PIO_ERR_NO_MEMORY, "registry: out of memory");
  } else if (n > 0) {
    scan_job job = {registry, dir, dirfd(d), items, (size_t)n};
    pio_threadpool_run(pool, scan_share, &job);
    st = collect(&job, err);
  }
  pio_threadpool_destroy(pool);
  closedir(d);
  if (n > 0) items_free(items, (size_t)n);
  return st;
}
