/* host/registry/cache/cache.c — the registry cache's reading half: where
 * the file is, reading and checking it (magic, version, byte order, size,
 * checksum, fingerprint, ownership), looking folders up by path, and
 * keeping what is stored for the writing half (cache_write.c).  The byte
 * layout lives in cache_format.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "manifest/compat.h"
#include "pio/version.h"
#include "pio_build_id.h"
#include "registry/cache/cache_internal.h"
#include "registry/text_join.h"

/* ------------------------------------------------------------------ */
/* Where the file is.                                                  */

/* Relative values are ignored, as the XDG base directory spec asks: a
 * cache file that moves with the working folder would be a surprise. */
static const char *absolute_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] == '/' ? v : NULL;
}

char *regcache_default_file(const char *cache_dir) {
  struct utsname u;
  char leaf[96];
  snprintf(leaf, sizeof leaf, "/registry-%s.bin", uname(&u) == 0 ? u.machine : "unknown");
  if (cache_dir != NULL && cache_dir[0] != '\0') return text_join3(cache_dir, leaf, "");
  const char *file = absolute_env("PIO_REGISTRY");
  if (file != NULL) return strdup(file);
  const char *xdg = absolute_env("XDG_CACHE_HOME");
  if (xdg != NULL) return text_join3(xdg, "/pio", leaf);
  const char *home = absolute_env("HOME");
  if (home != NULL) return text_join3(home, "/.cache/pio", leaf);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Fingerprint: what else the cached verdicts depend on.  A file written
 * by another pio build, for another ABI, on a machine with other CPU
 * features or memory, or by the same user in another effective group
 * (the module checks trust the effective group: a module writable by the
 * group one run trusted must not pass as checked in a run under another
 * group) is foreign and ignored. */

static void add_text(uint64_t *h, const char *text) {
  *h = regcache_hash(text, strlen(text) + 1, *h);
}

static void add_u64(uint64_t *h, uint64_t v) { *h = regcache_hash(&v, sizeof v, *h); }

static uint64_t compute_fingerprint(void) {
  uint64_t h = 0x70696f2d6361636bULL;
  add_text(&h, PIO_VERSION_STRING);
  add_u64(&h, PIO_ABI_PACK(PIO_ABI_MAJOR, PIO_ABI_MINOR));
  add_u64(&h, REGCACHE_FORMAT_VERSION);
  compat_machine machine; /* what the compatibility checks compare with */
  compat_machine_probe(&machine);
  add_text(&h, machine.os);
  add_text(&h, machine.arch);
  add_u64(&h, (uint64_t)machine.cpu_features);
  add_u64(&h, (uint64_t)(machine.memory_gib * 1048576.0)); /* KiB, as MemTotal says */
  add_text(&h, PIO_BUILD_ID); /* a changed check must not trust what its predecessor cached */
  add_u64(&h, (uint64_t)geteuid());
  add_u64(&h, (uint64_t)getegid());
  return h;
}

/* ------------------------------------------------------------------ */
/* Reading the old file.                                               */

/* The index (n items read from a file of len bytes) and every entry
 * slice lie inside the file, in order. */
static int index_is_sane(const unsigned char *index, size_t len, uint32_t n) {
  size_t entries_start = REGCACHE_HEADER_SIZE + (size_t)n * REGCACHE_INDEX_ITEM_SIZE;
  if (entries_start > len) return 0;
  uint64_t prev_hash = 0;
  for (uint32_t i = 0; i < n; i++) {
    const unsigned char *item = index + (size_t)i * REGCACHE_INDEX_ITEM_SIZE;
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

/* The header alone, before anything else is read: a file that is not a
 * cache of this format and size (a sparse gigabyte of zeros, say) is
 * refused for the price of 64 bytes.  0 when it may be read on. */
static int check_header(const unsigned char *bytes, size_t len, regcache_header *h) {
  memcpy(h, bytes, sizeof *h);
  if (memcmp(h->magic, REGCACHE_MAGIC, 8) != 0 || h->format_version != REGCACHE_FORMAT_VERSION ||
      h->byte_order != REGCACHE_BYTE_ORDER || h->file_size != len ||
      h->index_offset != REGCACHE_HEADER_SIZE || h->n_entries > REGCACHE_MAX_ENTRIES ||
      REGCACHE_HEADER_SIZE + (size_t)h->n_entries * REGCACHE_INDEX_ITEM_SIZE > len)
    return -1;
  return 0;
}

/* The whole file, once read: checksum and fingerprint (the index was
 * checked as soon as it was read). */
static int check_file(const unsigned char *bytes, size_t len, const regcache_header *h,
                      uint64_t fingerprint) {
#ifndef PIO_FUZZING_BUILD /* fuzzers reach the structure checks */
  if (h->checksum != regcache_checksum(bytes, len) || h->fingerprint != fingerprint) return -1;
#else
  (void)bytes, (void)len, (void)h, (void)fingerprint;
#endif
  return 0;
}

/* A cache file someone else could have written is not trusted: it must be
 * a regular file of ours that only we can write (as ssh treats its keys). */
static int file_is_ours(const struct stat *st) {
  return S_ISREG(st->st_mode) && st->st_uid == geteuid() && (st->st_mode & 022) == 0;
}

/* Exactly len bytes at offset; -1 when the file ends first (it shrank
 * since fstat) or cannot be read. */
static int read_at(int fd, unsigned char *buf, size_t len, off_t offset) {
  while (len > 0) {
    ssize_t n = pread(fd, buf, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
    offset += n;
  }
  return 0;
}

/* The file's bytes, read in three steps (header, index, entries), each
 * checked before the next is read or memory for it is taken, so that a
 * file that is not a cache costs what its first part costs; NULL when it
 * is refused.  Read, not mapped: records point into these bytes for the
 * registry's life, and a mapping would turn a truncation of the file by
 * another process (a pio-host rebuilding it, the user) into SIGBUS. */
static unsigned char *read_file(int fd, size_t len, uint64_t fingerprint, uint32_t *n_entries) {
  unsigned char head[REGCACHE_HEADER_SIZE];
  regcache_header h;
  if (read_at(fd, head, sizeof head, 0) != 0 || check_header(head, len, &h) != 0) return NULL;
  size_t index_len = (size_t)h.n_entries * REGCACHE_INDEX_ITEM_SIZE;
  unsigned char *index = malloc(index_len ? index_len : 1);
  int ok = index != NULL && read_at(fd, index, index_len, REGCACHE_HEADER_SIZE) == 0 &&
           index_is_sane(index, len, h.n_entries);
  unsigned char *bytes = ok ? malloc(len) : NULL;
  if (bytes != NULL) {
    size_t index_end = REGCACHE_HEADER_SIZE + index_len;
    memcpy(bytes, head, sizeof head);
    memcpy(bytes + sizeof head, index, index_len);
    ok = read_at(fd, bytes + index_end, len - index_end, (off_t)index_end) == 0 &&
         check_file(bytes, len, &h, fingerprint) == 0;
  }
  free(index);
  if (bytes == NULL || !ok) {
    free(bytes);
    return NULL;
  }
  *n_entries = h.n_entries;
  return bytes;
}

static void load_old(regcache *cache) {
  int fd = open(cache->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno != ENOENT) cache->stats.file_ignored = 1;
    return;
  }
  struct stat st;
  unsigned char *bytes = NULL;
  size_t len = 0;
  uint32_t n = 0;
  if (fstat(fd, &st) == 0 && file_is_ours(&st) && st.st_size >= (off_t)REGCACHE_HEADER_SIZE &&
      st.st_size <= (off_t)REGCACHE_MAX_FILE_BYTES) {
    len = (size_t)st.st_size;
    bytes = read_file(fd, len, cache->fingerprint, &n);
  }
  close(fd);
  if (bytes == NULL || (cache->old_state = calloc((size_t)n + 1, 1)) == NULL) {
    free(bytes);
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

regcache *regcache_open(const char *file, int64_t racy_margin_ns) {
  regcache *cache = calloc(1, sizeof *cache);
  if (cache == NULL) return NULL;
  cache->file = file != NULL ? strdup(file) : regcache_default_file(NULL);
  if (cache->file == NULL) {
    free(cache);
    return NULL;
  }
  cache->scan_start_ns = now_ns();
  cache->racy_margin_ns = racy_margin_ns;
  cache->fingerprint = compute_fingerprint();
  load_old(cache);
  return cache;
}

void regcache_close(regcache *cache) {
  if (cache == NULL) return;
  free(cache->file);
  free(cache->old);
  free(cache->old_state);
  regcache_buffer_free(&cache->fresh);
  free(cache->fresh_items);
  free(cache);
}

void regcache_get_stats(const regcache *cache, regcache_stats *out) {
  memset(out, 0, sizeof *out);
  if (cache == NULL) return;
  *out = cache->stats;
  out->hits = atomic_load_explicit(&cache->hits, memory_order_relaxed);
  out->misses = atomic_load_explicit(&cache->misses, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Lookup.                                                             */

uint64_t regcache_path_hash(const char *path, size_t len) { return regcache_hash(path, len, 0); }

void regcache_old_item(const regcache *cache, uint32_t i, uint64_t *hash,
                       const unsigned char **bytes, size_t *len) {
  const unsigned char *item =
      cache->old + REGCACHE_HEADER_SIZE + (size_t)i * REGCACHE_INDEX_ITEM_SIZE;
  uint32_t off, elen;
  memcpy(hash, item, 8);
  memcpy(&off, item + 8, 4);
  memcpy(&elen, item + 12, 4);
  *bytes = cache->old + off;
  *len = elen;
}

/* Index of the old entry for path, or -1: binary search on the hash, then
 * the paths compared. */
static long find_old(const regcache *cache, const char *path, uint64_t want) {
  size_t want_len = strlen(path);
  uint32_t lo = 0, hi = cache->n_old;
  uint64_t h;
  const unsigned char *b;
  size_t l;
  while (lo < hi) { /* first item whose hash >= want */
    uint32_t mid = lo + (hi - lo) / 2;
    regcache_old_item(cache, mid, &h, &b, &l);
    if (h < want)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (uint32_t i = lo; i < cache->n_old; i++) {
    const char *p;
    size_t plen;
    regcache_old_item(cache, i, &h, &b, &l);
    if (h != want) break;
    if (regcache_peek_path(b, l, &p, &plen) == 0 && plen == want_len && memcmp(p, path, plen) == 0)
      return (long)i;
  }
  return -1;
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
static int entry_is_confined(const regcache_entry *e, const char *dir, const char *manifest_path) {
  if (strcmp(e->dir, dir) != 0 || strcmp(e->manifest_path, manifest_path) != 0) return 0;
  if (e->module_path == NULL) return !e->module_key.present && e->module_archive == NULL;
  if (e->module_archive == NULL && e->archive_key.present) return 0;
  if (is_child_of(e->module_path, dir) &&
      (e->module_archive == NULL || is_child_of(e->module_archive, dir)))
    return 1;
  char *real = realpath(dir, NULL);
  int inside = real != NULL && is_child_of(e->module_path, real) &&
               (e->module_archive == NULL || is_child_of(e->module_archive, real));
  free(real);
  return inside;
}

/* path's key, relative to the folder open as parent_fd when path lies
 * inside dir, its child (at_dir is dir's name relative to it): the kernel
 * then walks one or two path components instead of the whole path, which
 * is most of what a warm listing costs. */
static void take_key(const regcache_folder *f, const char *at_dir, const char *path,
                     regcache_key *key) {
  size_t dlen = (size_t)(at_dir - f->dir);
  if (f->parent_fd != AT_FDCWD && strncmp(path, f->dir, dlen) == 0)
    regcache_key_take_at(f->parent_fd, path + dlen, key);
  else
    regcache_key_take(path, key);
}

static int entry_is_fresh(const regcache_folder *f, const char *at_dir, const regcache_entry *e,
                          const regcache_keys *keys) {
  if (!regcache_key_equal(&e->dir_key, &keys->dir) ||
      !regcache_key_equal(&e->manifest_key, &keys->manifest))
    return 0;
  if (e->module_path == NULL) return 1;
  regcache_key now;
  take_key(f, at_dir, e->module_path, &now);
  if (!regcache_key_equal(&e->module_key, &now)) return 0;
  if (e->module_archive == NULL) return 1;
  take_key(f, at_dir, e->module_archive, &now);
  return regcache_key_equal(&e->archive_key, &now);
}

/* The old entry for the folder, checked: 1 when it may be used. */
static int look_up_old(regcache *cache, const regcache_folder *f, const char *at_dir,
                       struct arena *arena, const regcache_keys *keys, regcache_entry *entry) {
  uint64_t hash = regcache_path_hash(f->manifest_path, strlen(f->manifest_path));
  long i = cache->old != NULL ? find_old(cache, f->manifest_path, hash) : -1;
  if (i < 0) return 0;
  uint64_t h;
  const unsigned char *b;
  size_t l;
  regcache_old_item(cache, (uint32_t)i, &h, &b, &l);
  if (regcache_decode_entry(b, l, arena, entry) != 0 ||
      !entry_is_confined(entry, f->dir, f->manifest_path) ||
      !entry_is_fresh(f, at_dir, entry, keys)) {
    regcache_entry_clear(entry);
    cache->old_state[i] = REGCACHE_OLD_STALE;
    return 0;
  }
  cache->old_state[i] = REGCACHE_OLD_HIT;
  return 1;
}

int regcache_lookup(regcache *cache, const regcache_folder *folder, struct arena *arena,
                    regcache_ticket *ticket, regcache_entry *entry) {
  memset(entry, 0, sizeof *entry);
  memset(ticket, 0, sizeof *ticket);
  if (cache == NULL || folder == NULL || folder->dir == NULL || folder->manifest_path == NULL)
    return 0;
  const char *slash = strrchr(folder->dir, '/');
  const char *at_dir = folder->parent_fd != AT_FDCWD && slash != NULL ? slash + 1 : folder->dir;
  take_key(folder, at_dir, folder->dir, &ticket->keys.dir);
  if (folder->manifest_key != NULL)
    ticket->keys.manifest = *folder->manifest_key;
  else
    take_key(folder, at_dir, folder->manifest_path, &ticket->keys.manifest);
  int hit = look_up_old(cache, folder, at_dir, arena, &ticket->keys, entry);
  ticket->hit = hit;
  atomic_fetch_add_explicit(hit ? &cache->hits : &cache->misses, 1, memory_order_relaxed);
  return hit;
}

/* ------------------------------------------------------------------ */
/* Store.                                                              */

/* Changed within the margin before the scan began, or after: a second
 * change inside the same timestamp tick would leave the key as it is. */
static int is_racy(const regcache *cache, const regcache_key *k) {
  int64_t limit = cache->scan_start_ns - cache->racy_margin_ns;
  return k->present && (k->mtime_ns >= limit || k->ctime_ns >= limit ||
                        k->target_mtime_ns >= limit || k->target_ctime_ns >= limit);
}

static regcache_pending *new_fresh_item(regcache *cache) {
  if (cache->n_fresh == cache->cap_fresh) {
    size_t cap = cache->cap_fresh ? cache->cap_fresh * 2 : 64;
    regcache_pending *grown = realloc(cache->fresh_items, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    cache->fresh_items = grown;
    cache->cap_fresh = cap;
  }
  return &cache->fresh_items[cache->n_fresh];
}

void regcache_store(regcache *cache, const regcache_ticket *ticket, const pio_plugin_record *record,
                    const char *module_archive, const pio_manifest *manifest) {
  if (cache == NULL || ticket == NULL || record == NULL || record->manifest_path == NULL ||
      record->dir == NULL || record->state == PIO_PLUGIN_SHADOWED)
    return;
  if (!ticket->keys.manifest.present) return; /* no lookup saw a manifest there */
  if (ticket->hit) return;
  regcache_entry_keys keys = {ticket->keys.dir, ticket->keys.manifest, {0}, {0}};
  regcache_key_take(record->module_path, &keys.module);
  regcache_key_take(module_archive, &keys.archive);
  regcache_pending *item = new_fresh_item(cache);
  if (item == NULL || is_racy(cache, &keys.dir) || is_racy(cache, &keys.manifest) ||
      is_racy(cache, &keys.module) || is_racy(cache, &keys.archive))
    return;
  size_t start = cache->fresh.len;
  regcache_encode_entry(&cache->fresh, record->manifest_path, record->dir, &keys, record,
                        module_archive, manifest);
  if (cache->fresh.failed) return;
  if (cache->fresh.len - start > UINT32_MAX) {
    cache->fresh.len = start;
    return;
  }
  size_t plen = strlen(record->manifest_path);
  item->hash = regcache_path_hash(record->manifest_path, plen);
  item->bytes = NULL;
  item->offset = start;
  item->len = cache->fresh.len - start;
  item->order = 0;
  cache->n_fresh++;
  cache->stats.stored++;
}
