/* host/registry_cache.c — the registry cache file: finding it, reading and
 * checking it (magic, version, byte order, size, checksum, fingerprint,
 * ownership), looking folders up by path, and writing a new file atomically
 * when something changed.  The byte layout lives in registry_cache_format.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "pio/version.h"
#include "pio_build_id.h"
#include "registry_cache_internal.h"
#include "text_join.h"

/* ------------------------------------------------------------------ */
/* Where the file is.                                                  */

/* Relative values are ignored, as the XDG base directory spec asks: a
 * cache file that moves with the working folder would be a surprise. */
static const char *absolute_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] == '/' ? v : NULL;
}

char *pio_registry_cache_default_file(const char *cache_dir) {
  struct utsname u;
  char leaf[96];
  snprintf(leaf, sizeof leaf, "/registry-%s.bin", uname(&u) == 0 ? u.machine : "unknown");
  if (cache_dir != NULL && cache_dir[0] != '\0') return pio_text_join3(cache_dir, leaf, "");
  const char *file = absolute_env("PIO_REGISTRY");
  if (file != NULL) return strdup(file);
  const char *xdg = absolute_env("XDG_CACHE_HOME");
  if (xdg != NULL) return pio_text_join3(xdg, "/pio", leaf);
  const char *home = absolute_env("HOME");
  if (home != NULL) return pio_text_join3(home, "/.cache/pio", leaf);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Fingerprint: what else the cached verdicts depend on.  A file written
 * by another pio build, for another ABI, or on a machine with other CPU
 * features or memory is foreign and ignored. */

static void add_text(uint64_t *h, const char *text) {
  *h = pio_cache_hash(text, strlen(text) + 1, *h);
}

static void add_u64(uint64_t *h, uint64_t v) { *h = pio_cache_hash(&v, sizeof v, *h); }

static uint64_t compute_fingerprint(void) {
  uint64_t h = 0x70696f2d6361636bULL;
  add_text(&h, PIO_VERSION_STRING);
  add_u64(&h, PIO_ABI_PACK(PIO_ABI_MAJOR, PIO_ABI_MINOR));
  add_u64(&h, PIO_CACHE_FORMAT_VERSION);
  pio_machine machine; /* what the compatibility checks compare with */
  pio_machine_probe(&machine);
  add_text(&h, machine.os);
  add_text(&h, machine.arch);
  add_u64(&h, (uint64_t)machine.cpu_features);
  add_u64(&h, (uint64_t)(machine.memory_gib * 1048576.0)); /* KiB, as MemTotal says */
  add_text(&h, PIO_BUILD_ID); /* a changed check must not trust what its predecessor cached */
  return h;
}

/* ------------------------------------------------------------------ */
/* Reading the old file.                                               */

/* The index and every entry slice lie inside the file, in order. */
static int index_is_sane(const unsigned char *bytes, size_t len, uint32_t n) {
  size_t entries_start = PIO_CACHE_HEADER_SIZE + (size_t)n * PIO_CACHE_INDEX_ITEM_SIZE;
  if (entries_start > len) return 0;
  uint64_t prev_hash = 0;
  for (uint32_t i = 0; i < n; i++) {
    const unsigned char *item = bytes + PIO_CACHE_HEADER_SIZE + (size_t)i * PIO_CACHE_INDEX_ITEM_SIZE;
    uint64_t hash;
    uint32_t off, elen;
    memcpy(&hash, item, 8);
    memcpy(&off, item + 8, 4);
    memcpy(&elen, item + 12, 4);
    if (i > 0 && hash < prev_hash) return 0;
    if (off < entries_start || off > len || elen > len - off) return 0;
    prev_hash = hash;
  }
  return 1;
}

/* Checks everything that can be checked before use.  Returns 0 when the
 * file may be used. */
static int check_file(const unsigned char *bytes, size_t len, uint64_t fingerprint,
                      uint32_t *n_entries) {
  pio_cache_header h;
  if (len < PIO_CACHE_HEADER_SIZE) return -1;
  memcpy(&h, bytes, sizeof h);
  if (memcmp(h.magic, PIO_CACHE_MAGIC, 8) != 0 || h.format_version != PIO_CACHE_FORMAT_VERSION ||
      h.byte_order != PIO_CACHE_BYTE_ORDER || h.file_size != len ||
      h.index_offset != PIO_CACHE_HEADER_SIZE || h.n_entries > PIO_CACHE_MAX_ENTRIES)
    return -1;
#ifndef PIO_FUZZING_BUILD /* fuzzers reach the structure checks below */
  if (h.checksum != pio_cache_checksum(bytes, len) || h.fingerprint != fingerprint) return -1;
#else
  (void)fingerprint;
#endif
  if (!index_is_sane(bytes, len, h.n_entries)) return -1;
  *n_entries = h.n_entries;
  return 0;
}

/* A cache file someone else could have written is not trusted: it must be
 * a regular file of ours that only we can write (as ssh treats its keys). */
static int file_is_ours(const struct stat *st) {
  return S_ISREG(st->st_mode) && st->st_uid == geteuid() && (st->st_mode & 022) == 0;
}

/* Maps the file whole (MAP_POPULATE: one call instead of a page fault per
 * page).  A mapped file truncated under us would raise SIGBUS; this one is
 * only ever replaced by rename, never truncated in place, and only its
 * owner could truncate it (file_is_ours). */
static void load_old(pio_registry_cache *cache) {
  int fd = open(cache->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno != ENOENT) cache->stats.file_ignored = 1;
    return;
  }
  struct stat st;
  unsigned char *bytes = NULL;
  size_t len = 0;
  if (fstat(fd, &st) == 0 && file_is_ours(&st) && st.st_size >= (off_t)PIO_CACHE_HEADER_SIZE &&
      st.st_size <= (off_t)PIO_CACHE_MAX_FILE_BYTES) {
    len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    bytes = map != MAP_FAILED ? map : NULL;
  }
  close(fd);
  uint32_t n = 0;
  if (bytes == NULL || check_file(bytes, len, cache->fingerprint, &n) != 0 ||
      (cache->old_state = calloc((size_t)n + 1, 1)) == NULL) {
    if (bytes != NULL) munmap(bytes, len);
    cache->stats.file_ignored = 1;
    return;
  }
  cache->old = bytes;
  cache->old_len = len;
  cache->n_old = n;
  cache->stats.loaded = n;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

pio_registry_cache *pio_registry_cache_open(const char *file) {
  pio_registry_cache *cache = calloc(1, sizeof *cache);
  if (cache == NULL) return NULL;
  cache->file = file != NULL ? strdup(file) : pio_registry_cache_default_file(NULL);
  if (cache->file == NULL) {
    free(cache);
    return NULL;
  }
  cache->parent_fd = -1;
  cache->scan_start_ns = now_ns();
  cache->racy_margin_ns = 1000000000LL;
  cache->fingerprint = compute_fingerprint();
  load_old(cache);
  return cache;
}

void pio_registry_cache_set_racy_margin(pio_registry_cache *cache, int64_t margin_ns) {
  if (cache != NULL) cache->racy_margin_ns = margin_ns;
}

const unsigned char *pio_registry_cache_hand_over_file(pio_registry_cache *cache, size_t *len) {
  *len = 0;
  if (cache == NULL || cache->old == NULL) return NULL;
  const unsigned char *bytes = cache->old;
  *len = cache->old_len;
  cache->old = NULL;
  cache->old_len = 0;
  cache->n_old = 0;
  return bytes;
}

void pio_registry_cache_close(pio_registry_cache *cache) {
  if (cache == NULL) return;
  free(cache->file);
  if (cache->parent_fd >= 0) close(cache->parent_fd);
  free(cache->parent);
  if (cache->old != NULL) munmap(cache->old, cache->old_len);
  free(cache->old_state);
  pio_cache_buffer_free(&cache->fresh);
  free(cache->fresh_items);
  for (size_t i = 0; i < cache->n_visits; i++) free(cache->visits[i].path);
  free(cache->visits);
  free(cache->visit_slots);
  free(cache);
}

void pio_registry_cache_get_stats(const pio_registry_cache *cache,
                                  pio_registry_cache_stats *out) {
  memset(out, 0, sizeof *out);
  if (cache != NULL) *out = cache->stats;
}

/* ------------------------------------------------------------------ */
/* Lookup.                                                             */

uint64_t pio_cache_path_hash(const char *path, size_t len) { return pio_cache_hash(path, len, 0); }

void pio_cache_old_item(const pio_registry_cache *cache, uint32_t i, uint64_t *hash,
                        const unsigned char **bytes, size_t *len) {
  const unsigned char *item =
      cache->old + PIO_CACHE_HEADER_SIZE + (size_t)i * PIO_CACHE_INDEX_ITEM_SIZE;
  uint32_t off, elen;
  memcpy(hash, item, 8);
  memcpy(&off, item + 8, 4);
  memcpy(&elen, item + 12, 4);
  *bytes = cache->old + off;
  *len = elen;
}

/* Index of the old entry for path, or -1: binary search on the hash, then
 * the paths compared. */
static long find_old(const pio_registry_cache *cache, const char *path, uint64_t want) {
  size_t want_len = strlen(path);
  uint32_t lo = 0, hi = cache->n_old;
  uint64_t h;
  const unsigned char *b;
  size_t l;
  while (lo < hi) { /* first item whose hash >= want */
    uint32_t mid = lo + (hi - lo) / 2;
    pio_cache_old_item(cache, mid, &h, &b, &l);
    if (h < want) lo = mid + 1;
    else hi = mid;
  }
  for (uint32_t i = lo; i < cache->n_old; i++) {
    const char *p;
    size_t plen;
    pio_cache_old_item(cache, i, &h, &b, &l);
    if (h != want) break;
    if (pio_cache_peek_path(b, l, &p, &plen) == 0 && plen == want_len &&
        memcmp(p, path, plen) == 0)
      return (long)i;
  }
  return -1;
}

/* Rebuilds the slot table at twice the room the visits need. */
static int grow_visit_slots(pio_registry_cache *cache) {
  size_t cap = cache->cap_slots ? cache->cap_slots * 2 : 16;
  /* First sized for as many folders as the old file knew, so that a warm
   * run never rebuilds it. */
  while (cap < 2 * ((size_t)cache->n_old + 1)) cap *= 2;
  uint32_t *slots = malloc(cap * sizeof *slots);
  if (slots == NULL) return -1;
  memset(slots, 0xff, cap * sizeof *slots); /* all empty */
  for (size_t i = 0; i < cache->n_visits; i++) {
    size_t j = (size_t)cache->visits[i].hash & (cap - 1);
    while (slots[j] != VISIT_NONE) j = (j + 1) & (cap - 1);
    slots[j] = (uint32_t)i;
  }
  free(cache->visit_slots);
  cache->visit_slots = slots;
  cache->cap_slots = cap;
  return 0;
}

/* A new visit for path in the dense array, or NULL (out of memory). */
static pio_cache_visit *add_visit(pio_registry_cache *cache, const char *path, uint64_t hash) {
  if (cache->n_visits == cache->cap_visits) {
    size_t cap = cache->cap_visits ? cache->cap_visits * 2 : (size_t)cache->n_old + 16;
    pio_cache_visit *grown = realloc(cache->visits, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    cache->visits = grown;
    cache->cap_visits = cap;
  }
  pio_cache_visit *v = &cache->visits[cache->n_visits];
  memset(v, 0, sizeof *v);
  if ((v->path = strdup(path)) == NULL) return NULL;
  v->hash = hash;
  cache->n_visits++;
  return v;
}

/* The visit for path; with create, a new one when absent.  NULL when
 * absent (or out of memory).  Visits lie back to back in an array; an
 * open-addressing table of their indexes finds them. */
static pio_cache_visit *find_visit(pio_registry_cache *cache, const char *path, uint64_t hash,
                                   int create) {
  if (create && cache->n_visits >= UINT32_MAX - 1) return NULL;
  if (create && (cache->n_visits + 1) * 2 > cache->cap_slots && grow_visit_slots(cache) != 0)
    return NULL;
  if (cache->cap_slots == 0) return NULL;
  size_t mask = cache->cap_slots - 1;
  for (size_t j = (size_t)hash & mask;; j = (j + 1) & mask) {
    if (cache->visit_slots[j] == VISIT_NONE) {
      pio_cache_visit *v = create ? add_visit(cache, path, hash) : NULL;
      if (v != NULL) cache->visit_slots[j] = (uint32_t)(cache->n_visits - 1);
      return v;
    }
    pio_cache_visit *v = &cache->visits[cache->visit_slots[j]];
    if (v->hash == hash && strcmp(v->path, path) == 0) return v;
  }
}

/* path is dir + "/" + a plain name. */
static int is_child_of(const char *path, const char *dir) {
  size_t dlen = strlen(dir);
  if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/') return 0;
  const char *leaf = path + dlen + 1;
  return leaf[0] != '\0' && strchr(leaf, '/') == NULL && strcmp(leaf, ".") != 0 &&
         strcmp(leaf, "..") != 0;
}

/* The entry speaks only of its own folder: a module path outside it (a
 * planted or damaged entry) would make the loader open another file.  The
 * module check stores the module's resolved path, so a folder reached
 * through a symbolic link is compared by its real path. */
static int entry_is_confined(const pio_cache_entry *e, const char *dir, const char *manifest_path) {
  if (strcmp(e->dir, dir) != 0 || strcmp(e->manifest_path, manifest_path) != 0) return 0;
  if (e->module_path == NULL) return !e->module_key.present;
  if (is_child_of(e->module_path, dir)) return 1;
  char *real = realpath(dir, NULL);
  int inside = real != NULL && is_child_of(e->module_path, real);
  free(real);
  return inside;
}

/* Keys are taken relative to the folder holding the plugin folders, kept
 * open from one lookup to the next: the kernel then walks one or two path
 * components a stat instead of the whole absolute path, which is most of
 * what a warm listing costs.  open_parent opens the first plen bytes of
 * parent unless that folder is open already. */
static void open_parent(pio_registry_cache *cache, const char *parent, size_t plen) {
  if (plen == 0) return;
  if (cache->parent != NULL && strlen(cache->parent) == plen &&
      strncmp(cache->parent, parent, plen) == 0)
    return;
  if (cache->parent_fd >= 0) close(cache->parent_fd);
  free(cache->parent);
  cache->parent = strndup(parent, plen);
  cache->parent_fd =
      cache->parent != NULL ? open(cache->parent, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}

void pio_registry_cache_enter_folder(pio_registry_cache *cache, const char *path_dir) {
  if (cache != NULL && path_dir != NULL) open_parent(cache, path_dir, strlen(path_dir));
}

/* The folder to take path's key from, changing nothing (threads may call
 * it at once): the open parent when path lies below it, *rel then path
 * relative to it (in buf); else AT_FDCWD and path itself. */
static int key_base(const pio_registry_cache *cache, const char *path, char *buf, size_t size,
                    const char **rel) {
  *rel = path;
  if (cache->parent == NULL || cache->parent_fd < 0) return AT_FDCWD;
  size_t plen = strlen(cache->parent);
  if (strncmp(path, cache->parent, plen) != 0 || path[plen] != '/' ||
      strlen(path + plen + 1) >= size)
    return AT_FDCWD;
  memcpy(buf, path + plen + 1, strlen(path + plen + 1) + 1);
  *rel = buf;
  return cache->parent_fd;
}

static void take_key(const pio_registry_cache *cache, const char *path,
                     pio_cache_file_key *key) {
  char buf[4096];
  const char *rel;
  int fd = key_base(cache, path, buf, sizeof buf, &rel);
  pio_cache_file_key_take_at(fd, rel, key);
}

static int entry_is_fresh(const pio_registry_cache *cache, const pio_cache_entry *e,
                          const pio_cache_keys *keys) {
  if (!pio_cache_file_key_equal(&e->dir_key, &keys->dir) ||
      !pio_cache_file_key_equal(&e->manifest_key, &keys->manifest))
    return 0;
  if (e->module_path == NULL) return 1;
  pio_cache_file_key now;
  take_key(cache, e->module_path, &now);
  return pio_cache_file_key_equal(&e->module_key, &now);
}

int pio_registry_cache_lookup_shared(pio_registry_cache *cache, const char *dir,
                                     const char *manifest_path,
                                     const pio_cache_file_key *manifest_key,
                                     struct pio_arena *arena, pio_cache_keys *keys,
                                     pio_cache_entry *entry) {
  memset(entry, 0, sizeof *entry);
  memset(keys, 0, sizeof *keys);
  if (cache == NULL || dir == NULL || manifest_path == NULL) return 0;
  take_key(cache, dir, &keys->dir);
  if (manifest_key != NULL) keys->manifest = *manifest_key;
  else take_key(cache, manifest_path, &keys->manifest);
  uint64_t hash = pio_cache_path_hash(manifest_path, strlen(manifest_path));
  long i = cache->old != NULL ? find_old(cache, manifest_path, hash) : -1;
  if (i < 0) return 0;
  uint64_t h;
  const unsigned char *b;
  size_t l;
  pio_cache_old_item(cache, (uint32_t)i, &h, &b, &l);
  /* old_state[i] belongs to this manifest path alone: no other lookup
   * running at the same time writes it. */
  if (pio_cache_decode_entry(b, l, arena, entry) != 0 ||
      !entry_is_confined(entry, dir, manifest_path) || !entry_is_fresh(cache, entry, keys)) {
    pio_cache_entry_clear(entry);
    cache->old_state[i] = PIO_CACHE_OLD_STALE;
    return 0;
  }
  cache->old_state[i] = PIO_CACHE_OLD_HIT;
  return 1;
}

/* Misses are examined and stored next, so their keys are always kept;
 * hits' only when trial verdicts may follow. */
int pio_registry_cache_keeps_keys(const pio_registry_cache *cache, int hit) {
  return cache != NULL && (!hit || cache->trial_stores_follow);
}

void pio_registry_cache_note(pio_registry_cache *cache, const char *manifest_path,
                             const pio_cache_keys *keys, int hit, int hit_trial_done) {
  if (cache == NULL || manifest_path == NULL) return;
  if (hit) cache->stats.hits++;
  else cache->stats.misses++;
  if (!pio_registry_cache_keeps_keys(cache, hit) || keys == NULL) return;
  uint64_t hash = pio_cache_path_hash(manifest_path, strlen(manifest_path));
  pio_cache_visit *v = find_visit(cache, manifest_path, hash, 1);
  if (v == NULL) return; /* out of memory: the folder is just not stored */
  v->keys = *keys;
  v->hit = hit;
  v->hit_trial_done = hit_trial_done;
}

int pio_registry_cache_lookup(pio_registry_cache *cache, const char *dir,
                              const char *manifest_path, pio_cache_entry *entry) {
  const char *slash = dir != NULL ? strrchr(dir, '/') : NULL;
  if (cache != NULL && slash != NULL) open_parent(cache, dir, (size_t)(slash - dir));
  pio_cache_keys keys;
  int hit = pio_registry_cache_lookup_shared(cache, dir, manifest_path, NULL, NULL, &keys, entry);
  pio_registry_cache_note(cache, manifest_path, &keys, hit, hit ? entry->trial_done : 0);
  return hit;
}

void pio_registry_cache_expect_trial_stores(pio_registry_cache *cache) {
  if (cache != NULL) cache->trial_stores_follow = 1;
}

/* ------------------------------------------------------------------ */
/* Store.                                                              */

/* Changed within the margin before the scan began, or after: a second
 * change inside the same timestamp tick would leave the key as it is. */
static int is_racy(const pio_registry_cache *cache, const pio_cache_file_key *k) {
  int64_t limit = cache->scan_start_ns - cache->racy_margin_ns;
  return k->present && (k->mtime_ns >= limit || k->ctime_ns >= limit ||
                        k->target_mtime_ns >= limit || k->target_ctime_ns >= limit);
}

static pio_cache_pending *new_fresh_item(pio_registry_cache *cache) {
  if (cache->n_fresh == cache->cap_fresh) {
    size_t cap = cache->cap_fresh ? cache->cap_fresh * 2 : 64;
    pio_cache_pending *grown = realloc(cache->fresh_items, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    cache->fresh_items = grown;
    cache->cap_fresh = cap;
  }
  return &cache->fresh_items[cache->n_fresh];
}

void pio_registry_cache_store(pio_registry_cache *cache, const pio_plugin_record *record,
                              const pio_manifest *manifest, int trial_done) {
  if (cache == NULL || record == NULL || record->manifest_path == NULL || record->dir == NULL ||
      record->state == PIO_PLUGIN_SHADOWED)
    return;
  size_t plen = strlen(record->manifest_path);
  pio_cache_visit *v =
      find_visit(cache, record->manifest_path, pio_cache_path_hash(record->manifest_path, plen), 0);
  if (v == NULL || (v->hit && (!trial_done || v->hit_trial_done))) return;
  pio_cache_file_key module_key;
  pio_cache_file_key_take(record->module_path, &module_key);
  pio_cache_pending *item = new_fresh_item(cache);
  if (item == NULL || is_racy(cache, &v->keys.dir) || is_racy(cache, &v->keys.manifest) ||
      is_racy(cache, &module_key))
    return;
  size_t start = cache->fresh.len;
  pio_cache_encode_entry(&cache->fresh, record->manifest_path, record->dir, &v->keys.dir,
                         &v->keys.manifest, &module_key, record, manifest, trial_done);
  if (cache->fresh.failed) return;
  if (cache->fresh.len - start > UINT32_MAX) {
    cache->fresh.len = start;
    return;
  }
  item->hash = v->hash;
  item->bytes = NULL;
  item->offset = start;
  item->len = cache->fresh.len - start;
  item->order = 0;
  cache->n_fresh++;
  cache->stats.stored++;
}
