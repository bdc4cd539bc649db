/* host/registry_cache_internal.h — the registry cache object, shared by its
 * reading half (registry_cache.c) and its writing half
 * (registry_cache_write.c).  Internal to libpio-host. */
#ifndef PIO_HOST_REGISTRY_CACHE_INTERNAL_H
#define PIO_HOST_REGISTRY_CACHE_INTERNAL_H

#include "registry_cache.h"

/* One entry of the file being written: a slice of either the old file or
 * the buffer of entries stored in this run. */
typedef struct pio_cache_pending {
  uint64_t hash;
  const unsigned char *bytes; /* resolved just before writing */
  size_t offset, len;         /* offset into fresh (fresh entries) */
  size_t order;               /* later wins among equal paths */
} pio_cache_pending;

/* A folder looked up in this run: the keys taken before it was read. */
typedef struct pio_cache_visit {
  char *path; /* the manifest path; NULL: empty slot */
  uint64_t hash;
  pio_cache_keys keys;
  int hit, hit_trial_done;
} pio_cache_visit;

#define VISIT_NONE UINT32_MAX

/* What happened to each entry of the old file during this run. */
enum { PIO_CACHE_OLD_UNSEEN = 0, PIO_CACHE_OLD_HIT = 1, PIO_CACHE_OLD_STALE = 2 };

struct pio_registry_cache {
  char *file;
  unsigned char *old;       /* the whole old file, checked; NULL when none */
  size_t old_len;
  uint32_t n_old;
  unsigned char *old_state; /* PIO_CACHE_OLD_* per old entry */
  pio_cache_buffer fresh;   /* entries stored in this run, back to back */
  pio_cache_pending *fresh_items;
  size_t n_fresh, cap_fresh;
  pio_cache_visit *visits;  /* back to back, in the order of lookup */
  size_t n_visits, cap_visits;
  uint32_t *visit_slots;    /* indexes into visits: open addressing, power-of-two */
  size_t cap_slots;         /* capacity; VISIT_NONE marks an empty slot */
  char *parent;             /* the folder open as parent_fd, or NULL */
  int parent_fd;            /* keys are taken relative to it: see registry_cache.c */
  int trial_stores_follow;  /* keep hits' visits too: trial verdicts may be stored */
  uint64_t fingerprint;
  int64_t scan_start_ns, racy_margin_ns;
  pio_registry_cache_stats stats;
};

/* Hash of a manifest path, as the index sorts by it. */
uint64_t pio_cache_path_hash(const char *path, size_t len);

/* Old entry i: its index hash and its bytes inside the old file. */
void pio_cache_old_item(const pio_registry_cache *cache, uint32_t i, uint64_t *hash,
                        const unsigned char **bytes, size_t *len);

#endif
