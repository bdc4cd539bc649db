/* host/registry/cache/cache_write.c — writing the registry cache: the entries
 * kept from the old file and those stored in this run, sorted by path hash,
 * one per path, laid out with their index and checksum, and put in place
 * atomically (temporary file, fsync, rename) — never over a file that is
 * not a cache, never past the file size limit, never leaving a temporary
 * file behind (and removing those of writers that were killed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry/cache/cache_internal.h"
#include "registry/text_join.h"

static int compare_items(const void *pa, const void *pb) {
  const regcache_pending *a = pa, *b = pb;
  if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
  const char *x = "", *y = "";
  size_t xl = 0, yl = 0;
  regcache_peek_path(a->bytes, a->len, &x, &xl);
  regcache_peek_path(b->bytes, b->len, &y, &yl);
  int c = memcmp(x, y, xl < yl ? xl : yl);
  if (c != 0 || xl != yl) return c != 0 ? c : (xl < yl ? -1 : 1);
  return a->order < b->order ? -1 : a->order > b->order;
}

static int same_path(const regcache_pending *a, const regcache_pending *b) {
  const char *x = "", *y = "";
  size_t xl = 0, yl = 0;
  regcache_peek_path(a->bytes, a->len, &x, &xl);
  regcache_peek_path(b->bytes, b->len, &y, &yl);
  return a->hash == b->hash && xl == yl && memcmp(x, y, xl) == 0;
}

/* An old entry not visited this run (another plugin path, say) is kept
 * while its manifest still exists, so that runs with different paths do
 * not evict each other. */
static int old_entry_worth_keeping(const regcache *cache, uint32_t i, const unsigned char *bytes,
                                   size_t len) {
  if (cache->old_state[i] == REGCACHE_OLD_HIT) return 1;
  if (cache->old_state[i] == REGCACHE_OLD_STALE) return 0;
  const char *p;
  size_t plen;
  if (regcache_peek_path(bytes, len, &p, &plen) != 0 || plen >= 4096) return 0;
  char path[4096];
  memcpy(path, p, plen);
  path[plen] = '\0';
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Every entry the new file will hold, sorted, one per path. */
static regcache_pending *collect_items(regcache *cache, size_t *count) {
  size_t cap = (size_t)cache->n_old + cache->n_fresh, n = 0;
  regcache_pending *items = malloc((cap ? cap : 1) * sizeof *items);
  if (items == NULL) return NULL;
  for (uint32_t i = 0; i < cache->n_old; i++) {
    regcache_pending it = {0};
    regcache_old_item(cache, i, &it.hash, &it.bytes, &it.len);
    if (!old_entry_worth_keeping(cache, i, it.bytes, it.len)) continue;
    it.order = n;
    items[n++] = it;
  }
  for (size_t i = 0; i < cache->n_fresh; i++) {
    regcache_pending it = cache->fresh_items[i];
    it.bytes = cache->fresh.bytes + it.offset;
    it.order = n;
    items[n++] = it;
  }
  qsort(items, n, sizeof *items, compare_items);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (i + 1 < n && same_path(&items[i], &items[i + 1])) continue; /* the later one wins */
    items[kept++] = items[i];
  }
  *count = kept < REGCACHE_MAX_ENTRIES ? kept : REGCACHE_MAX_ENTRIES;
  return items;
}

/* Lays out header, index and entries in one buffer. */
static pio_status build_file(regcache *cache, const regcache_pending *items, size_t n,
                             regcache_buffer *out, pio_error *err) {
  size_t total = REGCACHE_HEADER_SIZE + n * REGCACHE_INDEX_ITEM_SIZE;
  for (size_t i = 0; i < n; i++) total += items[i].len;
  if (total > REGCACHE_MAX_FILE_BYTES)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: registry cache would be %zu bytes, over %u",
                         cache->file, total, REGCACHE_MAX_FILE_BYTES);
  regcache_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, REGCACHE_MAGIC, 8);
  h.format_version = REGCACHE_FORMAT_VERSION;
  h.byte_order = REGCACHE_BYTE_ORDER;
  h.file_size = total;
  h.fingerprint = cache->fingerprint;
  h.n_entries = (uint32_t)n;
  h.index_offset = REGCACHE_HEADER_SIZE;
  regcache_buffer_append(out, &h, sizeof h);
  uint32_t offset = (uint32_t)(REGCACHE_HEADER_SIZE + n * REGCACHE_INDEX_ITEM_SIZE);
  for (size_t i = 0; i < n; i++) {
    uint32_t len = (uint32_t)items[i].len;
    regcache_buffer_append(out, &items[i].hash, 8);
    regcache_buffer_append(out, &offset, 4);
    regcache_buffer_append(out, &len, 4);
    offset += len;
  }
  for (size_t i = 0; i < n; i++) regcache_buffer_append(out, items[i].bytes, items[i].len);
  if (out->failed) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", cache->file);
  uint64_t sum = regcache_checksum(out->bytes, out->len);
  memcpy(out->bytes + offsetof(regcache_header, checksum), &sum, 8);
  return PIO_OK;
}

/* mkdir -p with mode 0700 for the folders we create. */
static int make_parents(const char *file) {
  char *path = strdup(file);
  if (path == NULL) return -1;
  for (char *p = path + 1; *p != '\0'; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
      free(path);
      return -1;
    }
    *p = '/';
  }
  free(path);
  return 0;
}

/* SIGXFSZ held back from this thread while it writes: past the file size
 * limit (ulimit -f) write() then fails with EFBIG instead of the signal
 * killing the process, which is the library's caller's to decide.  A
 * SIGXFSZ the writes raised is taken back before the mask is restored;
 * one that was pending before stays pending. */
typedef struct xfsz_hold {
  sigset_t old_mask;
  int was_pending;
} xfsz_hold;

static void xfsz_hold_begin(xfsz_hold *h) {
  sigset_t xfsz, pending;
  sigemptyset(&xfsz);
  sigaddset(&xfsz, SIGXFSZ);
  pthread_sigmask(SIG_BLOCK, &xfsz, &h->old_mask);
  h->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
}

static void xfsz_hold_end(xfsz_hold *h) {
  sigset_t xfsz, pending;
  sigemptyset(&xfsz);
  sigaddset(&xfsz, SIGXFSZ);
  if (!h->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ)) {
    const struct timespec now = {0, 0};
    sigtimedwait(&xfsz, NULL, &now);
  }
  pthread_sigmask(SIG_SETMASK, &h->old_mask, NULL);
}

static int write_all(int fd, const unsigned char *bytes, size_t len) {
  xfsz_hold hold;
  xfsz_hold_begin(&hold);
  int rc = 0;
  while (len > 0) {
    ssize_t put = write(fd, bytes, len);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      if (put == 0) errno = ENOSPC;
      rc = -1;
      break;
    }
    bytes += put;
    len -= (size_t)put;
  }
  int e = errno;
  xfsz_hold_end(&hold);
  errno = e;
  return rc;
}

/* A file at the cache's place may be replaced only when it is a cache (or
 * empty): PIO_REGISTRY=~/notes.txt must cost the user a slower listing,
 * not their notes.  PIO_OK when absent or replaceable. */
static pio_status check_replaceable(const char *file, pio_error *err) {
  struct stat st;
  if (lstat(file, &st) != 0)
    return errno == ENOENT ? PIO_OK
                           : pio_error_set(err, PIO_ERR_IO, "%s: %s", file, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s is not a regular file: not replaced by a registry cache", file);
  if (st.st_uid != geteuid())
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s belongs to uid %u: not replaced by a registry cache", file,
                         (unsigned)st.st_uid);
  if (st.st_size == 0) return PIO_OK;
  char head[6] = {0};
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  ssize_t got = fd >= 0 ? pread(fd, head, sizeof head, 0) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)sizeof head || memcmp(head, REGCACHE_MAGIC, sizeof head) != 0)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s is not a pio registry cache (it does not begin with \"PIOREG\"): "
                         "not replaced",
                         file);
  return PIO_OK;
}

/* A file of len bytes must fit under the file size limit (ulimit -f):
 * known before anything is written, so no temporary file is started. */
static pio_status check_size_limit(const char *file, size_t len, pio_error *err) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_FSIZE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY ||
      (rlim_t)len <= lim.rlim_cur)
    return PIO_OK;
  return pio_error_set(err, PIO_ERR_LIMIT,
                       "%s: the registry cache is %zu bytes, over the file size limit of %llu "
                       "bytes (ulimit -f): not written",
                       file, len, (unsigned long long)lim.rlim_cur);
}

/* Writers that die between mkstemp and rename (killed, SIGXFSZ in an older
 * pio) leave FILE.tmp-PID-XXXXXX behind.  One is stale when its PID is not
 * running, or when it is an hour old whatever the PID says (a PID of
 * another PID namespace, or the older FILE.tmp-XXXXXX form).  A writer in
 * another PID namespace whose file is removed loses only its rename. */
static int temporary_is_stale(const char *suffix, const struct stat *st, time_t now) {
  char *end = NULL;
  long pid = strtol(suffix, &end, 10);
  if (end != suffix && *end == '-' && pid > 0 && pid != (long)getpid() &&
      kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 1;
  return now - st->st_mtime > 3600;
}

static void remove_stale_temporaries(const char *file) {
  const char *slash = strrchr(file, '/');
  if (slash == NULL) return;
  char *folder = strndup(file, (size_t)(slash - file));
  char *prefix = text_join3(slash + 1, ".tmp-", "");
  DIR *d = folder != NULL && prefix != NULL ? opendir(folder[0] != '\0' ? folder : "/") : NULL;
  size_t plen = prefix != NULL ? strlen(prefix) : 0;
  time_t now = time(NULL);
  struct dirent *ent;
  while (d != NULL && (ent = readdir(d)) != NULL) {
    struct stat st;
    if (strncmp(ent->d_name, prefix, plen) != 0 ||
        fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid())
      continue;
    if (temporary_is_stale(ent->d_name + plen, &st, now)) unlinkat(dirfd(d), ent->d_name, 0);
  }
  if (d != NULL) closedir(d);
  free(folder);
  free(prefix);
}

/* A temporary file beside the target, renamed over it: another pio-host
 * reading at the same time sees the old or the new file, and two writing
 * at the same time each rename a complete file (the last one stays). */
static pio_status write_atomically(const char *file, const regcache_buffer *buf, pio_error *err) {
  if (make_parents(file) != 0)
    return pio_error_set(err, PIO_ERR_IO, "%s: cannot create its folder: %s", file,
                         strerror(errno));
  pio_status s = check_replaceable(file, err);
  if (s == PIO_OK) s = check_size_limit(file, buf->len, err);
  if (s != PIO_OK) return s;
  remove_stale_temporaries(file);
  char pid[32];
  snprintf(pid, sizeof pid, ".tmp-%ld-XXXXXX", (long)getpid());
  char *tmp = text_join3(file, pid, "");
  if (tmp == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", file);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    s = pio_error_set(err, PIO_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    free(tmp);
    return s;
  }
  int failed = write_all(fd, buf->bytes, buf->len) != 0;
#ifndef PIO_FUZZING_BUILD /* durability is not what the fuzzer tests */
  failed = failed || fsync(fd) != 0;
#endif
  int e = errno;
  if (close(fd) != 0 && !failed) {
    failed = 1;
    e = errno;
  }
  if (!failed && rename(tmp, file) != 0) {
    failed = 1;
    e = errno;
  }
  if (failed) {
    unlink(tmp);
    s = pio_error_set(err, PIO_ERR_IO, "%s: cannot write the registry cache: %s", file,
                      strerror(e));
  }
  free(tmp);
  return s;
}

pio_status regcache_commit(regcache *cache, pio_error *err) {
  if (cache == NULL || cache->n_fresh == 0) return PIO_OK;
  size_t n = 0;
  regcache_pending *items = collect_items(cache, &n);
  if (items == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", cache->file);
  regcache_buffer out = {0};
  pio_status s = build_file(cache, items, n, &out, err);
  free(items);
  if (s == PIO_OK) s = write_atomically(cache->file, &out, err);
  regcache_buffer_free(&out);
  if (s != PIO_OK) return s;
  cache->stats.written = n;
  /* Stored entries are on disk now: a second commit writes nothing new,
   * and their memory is not kept for the registry's life. */
  regcache_buffer_free(&cache->fresh);
  free(cache->fresh_items);
  cache->fresh_items = NULL;
  cache->n_fresh = cache->cap_fresh = 0;
  return PIO_OK;
}
