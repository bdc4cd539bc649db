/* host/registry/cache/cache_format.c — encoding and decoding one registry cache
 * entry.  The decoder treats its bytes as hostile: every length is checked
 * against what is left before anything is allocated or copied, and a
 * malformed entry is refused as a whole (the caller then re-reads the
 * plugin folder).  An entry's manifest is decoded apart, when the registry
 * first needs it, with the same checks. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry/cache/cache_format.h"

#include "manifest/packer.h"
#include "registry/arena.h"

/* Tripwire: a field appended to pio_manifest must join MANIFEST_FIELDS
 * (host/manifest/manifest.h), which encodes and decodes it below, and
 * REGCACHE_FORMAT_VERSION bumped, or cached manifests would silently lose
 * it.  Update the size here once that is done. */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct pio_manifest) == 280,
               "pio_manifest changed: encode the new field and bump REGCACHE_FORMAT_VERSION");
#endif

#define NULL_STRING UINT32_MAX

/* ------------------------------------------------------------------ */
/* Hash.                                                               */

static uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/* Eight bytes a step: fast enough that checking a megabyte of cache costs
 * a fraction of a millisecond. */
uint64_t regcache_hash(const void *data, size_t len, uint64_t seed) {
  const unsigned char *p = data;
  uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ mix(w)) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (len > i) memcpy(&tail, p + i, len - i);
  h ^= mix(tail ^ (uint64_t)(len - i));
  return mix(h);
}

/* The checksum of a whole file: four independent lanes of eight bytes,
 * so that the multiplies of one lane overlap those of the others (about
 * four times the speed of regcache_hash, whose steps depend on each
 * other); the tail and the lanes then go through regcache_hash. */
static uint64_t hash_lanes(const unsigned char *p, size_t len, uint64_t seed) {
  uint64_t lane[4] = {seed, seed ^ 0x9e3779b97f4a7c15ULL, seed ^ 0xc2b2ae3d27d4eb4fULL,
                      seed ^ 0x165667b19e3779f9ULL};
  size_t i = 0;
  for (; i + 32 <= len; i += 32)
    for (int k = 0; k < 4; k++) {
      uint64_t w;
      memcpy(&w, p + i + 8 * (size_t)k, 8);
      lane[k] = (lane[k] ^ w) * 0xff51afd7ed558ccdULL;
      lane[k] ^= lane[k] >> 31;
    }
  uint64_t h = regcache_hash(lane, sizeof lane, len);
  return regcache_hash(p + i, len - i, h);
}

uint64_t regcache_checksum(const unsigned char *bytes, size_t len) {
  size_t field = offsetof(regcache_header, checksum);
  uint64_t h = hash_lanes(bytes, field, 0x70696f);
  return hash_lanes(bytes + field + 8, len - field - 8, h);
}

/* ------------------------------------------------------------------ */
/* File keys.                                                          */

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec; }

void regcache_key_take_at(int dirfd, const char *path, regcache_key *key) {
  memset(key, 0, sizeof *key);
  struct stat st;
  if (path == NULL || fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  key->present = 1;
  key->dev = (uint64_t)st.st_dev;
  key->ino = (uint64_t)st.st_ino;
  key->size = (uint64_t)st.st_size;
  key->mode = (uint64_t)st.st_mode;
  key->uid = (uint64_t)st.st_uid;
  key->mtime_ns = ns_of(st.st_mtim);
  key->ctime_ns = ns_of(st.st_ctim);
  /* A link's target can change while the link stays: key the target too. */
  if (S_ISLNK(st.st_mode) && fstatat(dirfd, path, &st, 0) == 0) {
    key->target_dev = (uint64_t)st.st_dev;
    key->target_ino = (uint64_t)st.st_ino;
    key->target_size = (uint64_t)st.st_size;
    key->target_mtime_ns = ns_of(st.st_mtim);
    key->target_ctime_ns = ns_of(st.st_ctim);
  }
}

void regcache_key_take(const char *path, regcache_key *key) {
  regcache_key_take_at(AT_FDCWD, path, key);
}

int regcache_key_equal(const regcache_key *a, const regcache_key *b) {
  return a->present == b->present && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mode == b->mode && a->uid == b->uid && a->mtime_ns == b->mtime_ns &&
         a->ctime_ns == b->ctime_ns && a->target_dev == b->target_dev &&
         a->target_ino == b->target_ino && a->target_size == b->target_size &&
         a->target_mtime_ns == b->target_mtime_ns && a->target_ctime_ns == b->target_ctime_ns;
}

/* ------------------------------------------------------------------ */
/* Encoding.                                                           */

void regcache_buffer_append(regcache_buffer *buf, const void *bytes, size_t len) {
  if (buf->failed || len == 0) return;
  if (buf->cap - buf->len < len) {
    size_t cap = buf->cap ? buf->cap : 4096;
    while (cap - buf->len < len) {
      if (cap > SIZE_MAX / 2) {
        buf->failed = 1;
        return;
      }
      cap *= 2;
    }
    unsigned char *grown = realloc(buf->bytes, cap);
    if (grown == NULL) {
      buf->failed = 1;
      return;
    }
    buf->bytes = grown;
    buf->cap = cap;
  }
  memcpy(buf->bytes + buf->len, bytes, len);
  buf->len += len;
}

void regcache_buffer_free(regcache_buffer *buf) {
  free(buf->bytes);
  memset(buf, 0, sizeof *buf);
}

static void put_u32(regcache_buffer *buf, uint32_t v) { regcache_buffer_append(buf, &v, 4); }
static void put_u64(regcache_buffer *buf, uint64_t v) { regcache_buffer_append(buf, &v, 8); }
static void put_f64(regcache_buffer *buf, double v) { regcache_buffer_append(buf, &v, 8); }

static void put_str(regcache_buffer *buf, const char *s) {
  if (s == NULL) {
    put_u32(buf, NULL_STRING);
    return;
  }
  size_t len = strlen(s);
  if (len >= NULL_STRING) {
    buf->failed = 1;
    return;
  }
  put_u32(buf, (uint32_t)len);
  regcache_buffer_append(buf, s, len + 1); /* with its NUL: decoded entries point at it */
}

static void put_key(regcache_buffer *buf, const regcache_key *k) {
  regcache_buffer_append(buf, k, sizeof *k);
}

static void put_list(regcache_buffer *buf, char *const *items, size_t count) {
  put_u32(buf, (uint32_t)count);
  for (size_t i = 0; i < count; i++) put_str(buf, items[i]);
}

static void put_abi(regcache_buffer *buf, uint16_t major, uint16_t minor) {
  put_u32(buf, (uint32_t)major << 16 | minor);
}

static void put_dependencies(regcache_buffer *buf, const pio_manifest_dependency *deps, size_t n) {
  put_u32(buf, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
#define PUT_DEP_TEXT(field, required) put_str(buf, deps[i].field);
    MANIFEST_DEPENDENCY_FIELDS(PUT_DEP_TEXT)
#undef PUT_DEP_TEXT
  }
}

static void put_variants(regcache_buffer *buf, const pio_manifest_variant *v, size_t n) {
  put_u32(buf, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
#define PUT_VARIANT_TEXT(field, required) put_str(buf, v[i].field);
#define PUT_VARIANT_F64(field) put_f64(buf, v[i].field);
#define PUT_VARIANT_U64(field) put_u64(buf, (uint64_t)v[i].field);
#define PUT_VARIANT_LIST(field) put_list(buf, v[i].field.items, v[i].field.count);
    MANIFEST_VARIANT_FIELDS(PUT_VARIANT_TEXT, PUT_VARIANT_F64, PUT_VARIANT_U64, PUT_VARIANT_LIST)
#undef PUT_VARIANT_TEXT
#undef PUT_VARIANT_F64
#undef PUT_VARIANT_U64
#undef PUT_VARIANT_LIST
  }
}

/* Not its path: that is the entry's manifest path. */
static void put_manifest(regcache_buffer *buf, const pio_manifest *m) {
#define PUT_TEXT(field, required) put_str(buf, m->field);
#define PUT_F64(field) put_f64(buf, m->field);
#define PUT_U64(field) put_u64(buf, (uint64_t)m->field);
#define PUT_LIST(field) put_list(buf, m->field.items, m->field.count);
#define PUT_DEPS(field, count) put_dependencies(buf, m->field, m->count);
#define PUT_ABI(major, minor) put_abi(buf, m->major, m->minor);
#define PUT_VARIANTS(field, count) put_variants(buf, m->field, m->count);
  MANIFEST_FIELDS(PUT_TEXT, PUT_F64, PUT_U64, PUT_LIST, PUT_DEPS, PUT_ABI, PUT_VARIANTS)
#undef PUT_TEXT
#undef PUT_F64
#undef PUT_U64
#undef PUT_LIST
#undef PUT_DEPS
#undef PUT_ABI
#undef PUT_VARIANTS
}

void regcache_encode_entry(regcache_buffer *buf, const char *manifest_path, const char *dir,
                           const regcache_entry_keys *keys, const pio_plugin_record *record,
                           const char *module_archive, const pio_manifest *manifest) {
  put_str(buf, manifest_path); /* first: regcache_peek_path reads it alone */
  put_str(buf, dir);
  put_key(buf, &keys->dir);
  put_key(buf, &keys->manifest);
  put_key(buf, &keys->module);
  put_str(buf, record->module_path);
  put_str(buf, module_archive);
  put_key(buf, &keys->archive);
  put_str(buf, record->name);
  put_str(buf, record->version);
  put_str(buf, record->model_architecture);
  put_u32(buf, (uint32_t)record->state);
  put_str(buf, record->reason);
  size_t n = 0;
  while (record->warnings != NULL && record->warnings[n] != NULL) n++;
  put_list(buf, (char *const *)record->warnings, n);
  put_u32(buf, manifest != NULL);
  if (manifest == NULL) return;
  put_u32(buf, (uint32_t)manifest->n_dependencies); /* the registry's checks need only these */
  put_u32(buf, (uint32_t)manifest->n_variants);
  put_manifest(buf, manifest); /* the rest of the entry: decoded when first needed */
}

/* ------------------------------------------------------------------ */
/* Decoding.                                                           */

typedef struct reader {
  const unsigned char *p;
  size_t len, pos;
  int bad;
  packer *pack; /* decoding a manifest: its pieces go into this block */
} reader;

static int take(reader *r, void *out, size_t n) {
  if (r->bad || r->len - r->pos < n) {
    r->bad = 1;
    memset(out, 0, n);
    return -1;
  }
  memcpy(out, r->p + r->pos, n);
  r->pos += n;
  return 0;
}

static uint32_t get_u32(reader *r) {
  uint32_t v;
  take(r, &v, 4);
  return v;
}

static uint64_t get_u64(reader *r) {
  uint64_t v;
  take(r, &v, 8);
  return v;
}

static double get_f64(reader *r) {
  double v;
  take(r, &v, 8);
  return v;
}

/* A string where it lies in the bytes, with its length checked against
 * what is left and its NUL after it; an absent string that is required
 * makes the entry malformed.  (A NUL inside, which no writer produces,
 * would only make the text shorter, for every reader alike.) */
static const char *get_text(reader *r, int required) {
  uint32_t len = get_u32(r);
  if (r->bad) return NULL;
  if (len == NULL_STRING) {
    if (required) r->bad = 1;
    return NULL;
  }
  const char *text = (const char *)r->p + r->pos;
  if (r->len - r->pos <= len || text[len] != '\0') {
    r->bad = 1;
    return NULL;
  }
  r->pos += (size_t)len + 1;
  return text;
}

static const char *get_str(reader *r) { return get_text(r, 0); }
static const char *get_str_required(reader *r) { return get_text(r, 1); }

/* ---- The entry: texts borrowed from the bytes. ---- */

static void get_key(reader *r, regcache_key *key) { take(r, key, sizeof *key); }

static const char *const no_warnings[] = {NULL};

/* The warnings, NULL-terminated: an array from arena, or malloc'd (then
 * also in *owned); the shared empty list when there are none.  Each costs
 * at least its 4-byte length and NUL, so a count larger than the bytes
 * left is refused before anything is allocated. */
static const char *const *get_warnings(reader *r, struct arena *arena, size_t *count,
                                       void **owned) {
  uint32_t n = get_u32(r);
  *count = 0;
  if (r->bad || n > (r->len - r->pos) / 5) {
    r->bad = 1;
    return NULL;
  }
  if (n == 0) return no_warnings;
  size_t size = ((size_t)n + 1) * sizeof(const char *);
  const char **items = arena != NULL ? arena_alloc(arena, size) : (*owned = malloc(size));
  if (items == NULL) {
    r->bad = 1;
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) items[i] = get_str_required(r);
  items[n] = NULL;
  *count = n;
  return items;
}

void regcache_entry_clear(regcache_entry *e) {
  free(e->owned);
  memset(e, 0, sizeof *e);
}

int regcache_peek_path(const unsigned char *bytes, size_t len, const char **path,
                       size_t *path_len) {
  uint32_t n;
  if (len < 4) return -1;
  memcpy(&n, bytes, 4);
  if (n == NULL_STRING || n >= len - 4) return -1;
  *path = (const char *)bytes + 4;
  *path_len = n;
  return 0;
}

int regcache_decode_entry(const unsigned char *bytes, size_t len, struct arena *arena,
                          regcache_entry *out) {
  reader r = {bytes, len, 0, 0, NULL};
  memset(out, 0, sizeof *out);
  out->manifest_path = get_str_required(&r);
  out->dir = get_str_required(&r);
  get_key(&r, &out->dir_key);
  get_key(&r, &out->manifest_key);
  get_key(&r, &out->module_key);
  out->module_path = get_str(&r);
  out->module_archive = get_str(&r);
  get_key(&r, &out->archive_key);
  out->name = get_str_required(&r);
  out->version = get_str_required(&r);
  out->model_architecture = get_str_required(&r);
  uint32_t state = get_u32(&r);
  if (state > PIO_PLUGIN_SHADOWED) r.bad = 1;
  out->state = (pio_plugin_state)state;
  out->reason = get_str_required(&r);
  out->warnings = get_warnings(&r, arena, &out->n_warnings, &out->owned);
  uint32_t has_manifest = get_u32(&r);
  if (has_manifest > 1) r.bad = 1;
  if (has_manifest) {
    out->n_dependencies = get_u32(&r);
    out->n_variants = get_u32(&r);
    out->manifest = r.bad ? NULL : bytes + r.pos;
    out->manifest_len = len - r.pos;
    r.pos = len;
  }
  if (r.bad || r.pos != len) {
    regcache_entry_clear(out);
    return -1;
  }
  return 0;
}

/* ---- The manifest: copied into one block. ---- */

/* Packing, the sizing pass hands out NULL for every piece. */
static int sizing(const reader *r) { return r->pack->base == NULL; }

/* The text copied into the block. */
static char *pack_text(reader *r, int required) {
  const char *text = get_text(r, required);
  if (text == NULL) return NULL;
  char *copy = packer_text(r->pack, text, strlen(text));
  if (copy == NULL && !sizing(r)) r->bad = 1;
  return copy;
}

/* n zeroed items of size bytes (NULL while sizing). */
static void *pack_array(reader *r, size_t n, size_t size) {
  void *items = packer_take(r->pack, n * size);
  if (items != NULL)
    memset(items, 0, n * size);
  else if (!sizing(r))
    r->bad = 1;
  return items;
}

/* A list of required strings, NULL-terminated.  Each string costs at least
 * its 4-byte length and NUL, so a count larger than the bytes left is
 * refused before the array is sized. */
static void get_string_list(reader *r, pio_string_list *list) {
  uint32_t n = get_u32(r);
  list->count = 0;
  if (r->bad || n > (r->len - r->pos) / 5) {
    r->bad = 1;
    return;
  }
  list->items = pack_array(r, (size_t)n + 1, sizeof *list->items);
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    char *item = pack_text(r, 1);
    if (list->items != NULL) list->items[i] = item;
  }
  list->count = n;
}

static void get_dependencies(reader *r, pio_manifest_dependency **deps, size_t *count) {
  uint32_t n_deps = get_u32(r);
  /* Each dependency costs at least three 4-byte lengths and two NULs. */
  if (r->bad || n_deps > (r->len - r->pos) / 14) {
    r->bad = 1;
    return;
  }
  *deps = pack_array(r, (size_t)n_deps + 1, sizeof **deps);
  for (uint32_t i = 0; i < n_deps && !r->bad; i++) {
    pio_manifest_dependency d;
#define GET_DEP_TEXT(field, required) d.field = pack_text(r, required);
    MANIFEST_DEPENDENCY_FIELDS(GET_DEP_TEXT)
#undef GET_DEP_TEXT
    if (*deps != NULL) (*deps)[i] = d;
  }
  *count = n_deps;
}

/* Variants: at most MANIFEST_MAX_VARIANTS, each at least three texts (a
 * 4-byte length and a NUL), a list count and five 8-byte numbers. */
static void get_variants(reader *r, pio_manifest_variant **variants, size_t *count) {
  uint32_t n = get_u32(r);
  if (r->bad || n > 16 || n > (r->len - r->pos) / 59) {
    r->bad = 1;
    return;
  }
  *variants = n > 0 ? pack_array(r, n, sizeof **variants) : NULL;
  for (uint32_t i = 0; i < n && !r->bad; i++) {
    pio_manifest_variant v;
    memset(&v, 0, sizeof v);
#define GET_VARIANT_TEXT(field, required) v.field = pack_text(r, required);
#define GET_VARIANT_F64(field) v.field = get_f64(r);
#define GET_VARIANT_U64(field) v.field = get_u64(r);
#define GET_VARIANT_LIST(field) get_string_list(r, &v.field);
    MANIFEST_VARIANT_FIELDS(GET_VARIANT_TEXT, GET_VARIANT_F64, GET_VARIANT_U64, GET_VARIANT_LIST)
#undef GET_VARIANT_TEXT
#undef GET_VARIANT_F64
#undef GET_VARIANT_U64
#undef GET_VARIANT_LIST
    if (*variants != NULL) (*variants)[i] = v;
  }
  *count = n;
}

static void get_abi(reader *r, uint16_t *major, uint16_t *minor) {
  uint32_t v = get_u32(r);
  *major = (uint16_t)(v >> 16);
  *minor = (uint16_t)v;
}

/* The manifest's fields, in the order put_manifest wrote them.  The
 * fields every later step relies on are required. */
static void get_manifest_fields(reader *r, pio_manifest *m) {
#define GET_TEXT(field, required) m->field = pack_text(r, required);
#define GET_F64(field) m->field = get_f64(r);
#define GET_U64(field) m->field = get_u64(r);
#define GET_LIST(field) get_string_list(r, &m->field);
#define GET_DEPS(field, count) get_dependencies(r, &m->field, &m->count);
#define GET_ABI(major, minor) get_abi(r, &m->major, &m->minor);
#define GET_VARIANTS(field, count) get_variants(r, &m->field, &m->count);
  MANIFEST_FIELDS(GET_TEXT, GET_F64, GET_U64, GET_LIST, GET_DEPS, GET_ABI, GET_VARIANTS)
#undef GET_TEXT
#undef GET_F64
#undef GET_U64
#undef GET_LIST
#undef GET_DEPS
#undef GET_ABI
#undef GET_VARIANTS
}

/* One pass over the bytes into m and block (NULL base: only sizing it);
 * the path first, as the registry reads it with the manifest. */
static void pack_manifest(reader *r, pio_manifest *m, const char *path) {
  r->pos = 0;
  m->path = packer_text(r->pack, path, strlen(path));
  if (m->path == NULL && !sizing(r)) r->bad = 1;
  get_manifest_fields(r, m);
  if (r->pos != r->len || r->pack->overflow) r->bad = 1;
}

pio_manifest *regcache_decode_manifest(const unsigned char *bytes, size_t len, const char *path) {
  pio_manifest scratch;
  memset(&scratch, 0, sizeof scratch);
  packer size = {NULL, 0, 0, 0};
  packer_take(&size, sizeof scratch);
  reader r = {bytes, len, 0, 0, &size};
  pack_manifest(&r, &scratch, path);
  if (r.bad) return NULL;
  packer block = {malloc(size.used), size.used, 0, 0};
  if (block.base == NULL) return NULL;
  pio_manifest *m = packer_take(&block, sizeof *m);
  memset(m, 0, sizeof *m);
  r.pack = &block;
  pack_manifest(&r, m, path);
  if (!r.bad) return m;
  free(block.base);
  return NULL;
}
