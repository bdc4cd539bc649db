/* host/registry/cache/cache_internal.h — the registry cache object,
 * shared by its reading half (cache.c) and its writing half
 * (cache_write.c).  Internal to libpio-host. */
#ifndef PIO_HOST_REGISTRY_CACHE_CACHE_INTERNAL_H
#define PIO_HOST_REGISTRY_CACHE_CACHE_INTERNAL_H

#include <stdatomic.h>

#include "registry/cache/cache.h"

/* One entry of the file being written: a slice of either the old file or
 * the buffer of entries stored in this run. */
typedef struct regcache_pending {
  uint64_t hash;
  const unsigned char *bytes; /* resolved just before writing */
  size_t offset, len;         /* offset into fresh (fresh entries) */
  size_t order;               /* later wins among equal paths */
} regcache_pending;

/* What happened to each entry of the old file during this run. */
enum { REGCACHE_OLD_UNSEEN = 0, REGCACHE_OLD_HIT = 1, REGCACHE_OLD_STALE = 2 };

struct regcache {
  char *file;
  unsigned char *old; /* the whole old file, read and checked (malloc); NULL when none */
  size_t old_len;
  uint32_t n_old;
  /* REGCACHE_OLD_* per old entry; entry i's byte is written only by the
   * lookup of its manifest path, so lookups on several threads do not
   * race. */
  unsigned char *old_state;
  regcache_buffer fresh; /* entries stored in this run, back to back */
  regcache_pending *fresh_items;
  size_t n_fresh, cap_fresh;
  uint64_t fingerprint;
  int64_t scan_start_ns, racy_margin_ns;
  _Atomic size_t hits, misses; /* counted by lookups, on any thread */
  regcache_stats stats;        /* the rest of the counters */
};

/* Hash of a manifest path, as the index sorts by it. */
uint64_t regcache_path_hash(const char *path, size_t len);

/* Old entry i: its index hash and its bytes inside the old file. */
void regcache_old_item(const regcache *cache, uint32_t i, uint64_t *hash,
                       const unsigned char **bytes, size_t *len);

#endif
