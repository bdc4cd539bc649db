/* host/registry_cache_format.c — encoding and decoding one registry cache
 * entry.  The decoder treats its bytes as hostile: every length is checked
 * against what is left before anything is allocated or copied, and a
 * malformed entry is refused as a whole (the caller then re-reads the
 * plugin folder).  An entry's manifest is decoded apart, when the registry
 * first needs it, with the same checks. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry_cache_format.h"

#include "arena.h"
#include "packer.h"

/* Tripwire: a field appended to pio_manifest must be encoded below, and
 * PIO_CACHE_FORMAT_VERSION bumped, or cached manifests would silently lose
 * it.  Update the size here once that is done.  (packed is how the manifest
 * is held in memory, not content: it is not encoded.) */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct pio_manifest) == 256,
               "pio_manifest changed: encode the new field and bump PIO_CACHE_FORMAT_VERSION");
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
uint64_t pio_cache_hash(const void *data, size_t len, uint64_t seed) {
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
 * four times the speed of pio_cache_hash, whose steps depend on each
 * other); the tail and the lanes then go through pio_cache_hash. */
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
  uint64_t h = pio_cache_hash(lane, sizeof lane, len);
  return pio_cache_hash(p + i, len - i, h);
}

uint64_t pio_cache_checksum(const unsigned char *bytes, size_t len) {
  size_t field = offsetof(pio_cache_header, checksum);
  uint64_t h = hash_lanes(bytes, field, 0x70696f);
  return hash_lanes(bytes + field + 8, len - field - 8, h);
}

/* ------------------------------------------------------------------ */
/* File keys.                                                          */

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec; }

void pio_cache_file_key_take_at(int dirfd, const char *path, pio_cache_file_key *key) {
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

void pio_cache_file_key_take(const char *path, pio_cache_file_key *key) {
  pio_cache_file_key_take_at(AT_FDCWD, path, key);
}

int pio_cache_file_key_equal(const pio_cache_file_key *a, const pio_cache_file_key *b) {
  return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
         a->size == b->size && a->mode == b->mode && a->uid == b->uid &&
         a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
         a->target_dev == b->target_dev && a->target_ino == b->target_ino &&
         a->target_size == b->target_size && a->target_mtime_ns == b->target_mtime_ns &&
         a->target_ctime_ns == b->target_ctime_ns;
}

/* ------------------------------------------------------------------ */
/* Encoding.                                                           */

void pio_cache_buffer_append(pio_cache_buffer *buf, const void *bytes, size_t len) {
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

void pio_cache_buffer_free(pio_cache_buffer *buf) {
  free(buf->bytes);
  memset(buf, 0, sizeof *buf);
}

static void put_u32(pio_cache_buffer *buf, uint32_t v) { pio_cache_buffer_append(buf, &v, 4); }
static void put_u64(pio_cache_buffer *buf, uint64_t v) { pio_cache_buffer_append(buf, &v, 8); }
static void put_f64(pio_cache_buffer *buf, double v) { pio_cache_buffer_append(buf, &v, 8); }

static void put_str(pio_cache_buffer *buf, const char *s) {
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
  pio_cache_buffer_append(buf, s, len + 1); /* with its NUL: decoded entries point at it */
}

static void put_key(pio_cache_buffer *buf, const pio_cache_file_key *k) {
  pio_cache_buffer_append(buf, k, sizeof *k);
}

static void put_list(pio_cache_buffer *buf, char *const *items, size_t count) {
  put_u32(buf, (uint32_t)count);
  for (size_t i = 0; i < count; i++) put_str(buf, items[i]);
}

static void put_manifest(pio_cache_buffer *buf, const pio_manifest *m) {
  /* Not its path: that is the entry's manifest path. */
  const char *strings[] = {m->name,         m->version,      m->author,
                           m->description,  m->plugin_type,  m->model_architecture,
                           m->model_family, m->model_size,   m->license,
                           m->entry_module, m->entry_function};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) put_str(buf, strings[i]);
  put_f64(buf, m->required_memory_gb);
  put_u64(buf, m->num_parameters);
  put_list(buf, m->supported_modalities.items, m->supported_modalities.count);
  put_list(buf, m->tags.items, m->tags.count);
  put_u32(buf, (uint32_t)m->n_dependencies);
  for (size_t i = 0; i < m->n_dependencies; i++) {
    put_str(buf, m->dependencies[i].name);
    put_str(buf, m->dependencies[i].kind);
    put_str(buf, m->dependencies[i].version);
  }
  const pio_manifest_compatibility *c = &m->compatibility;
  put_u32(buf, (uint32_t)c->abi_min_major << 16 | c->abi_min_minor);
  put_u32(buf, (uint32_t)c->abi_max_major << 16 | c->abi_max_minor);
  put_list(buf, c->os.items, c->os.count);
  put_list(buf, c->arch.items, c->arch.count);
  put_list(buf, c->cpu_features.items, c->cpu_features.count);
  put_f64(buf, c->min_memory_gb);
  put_u64(buf, (uint64_t)c->cpu_feature_mask);
  put_list(buf, m->warnings.items, m->warnings.count);
}

void pio_cache_encode_entry(pio_cache_buffer *buf, const char *manifest_path, const char *dir,
                            const pio_cache_file_key *dir_key,
                            const pio_cache_file_key *manifest_key,
                            const pio_cache_file_key *module_key,
                            const pio_plugin_record *record, const pio_manifest *manifest,
                            int trial_done) {
  put_str(buf, manifest_path); /* first: pio_cache_peek_path reads it alone */
  put_str(buf, dir);
  put_key(buf, dir_key);
  put_key(buf, manifest_key);
  put_key(buf, module_key);
  put_str(buf, record->module_path);
  put_str(buf, record->name);
  put_str(buf, record->version);
  put_str(buf, record->model_architecture);
  put_u32(buf, (uint32_t)record->state);
  put_str(buf, record->reason);
  size_t n = 0;
  while (record->warnings != NULL && record->warnings[n] != NULL) n++;
  put_list(buf, (char *const *)record->warnings, n);
  put_u32(buf, trial_done ? 1u : 0u);
  put_u32(buf, manifest != NULL);
  if (manifest == NULL) return;
  put_u32(buf, (uint32_t)manifest->n_dependencies); /* the registry's checks need only this */
  put_manifest(buf, manifest); /* the rest of the entry: decoded when first needed */
}

/* ------------------------------------------------------------------ */
/* Decoding.                                                           */

typedef struct reader {
  const unsigned char *p;
  size_t len, pos;
  int bad;
  pio_packer *pack; /* decoding a manifest: its pieces go into this block */
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

static void get_key(reader *r, pio_cache_file_key *key) { take(r, key, sizeof *key); }

static const char *const no_warnings[] = {NULL};

/* The warnings, NULL-terminated: an array from arena, or malloc'd (then
 * also in *owned); the shared empty list when there are none.  Each costs
 * at least its 4-byte length and NUL, so a count larger than the bytes
 * left is refused before anything is allocated. */
static const char *const *get_warnings(reader *r, pio_arena *arena, size_t *count, void **owned) {
  uint32_t n = get_u32(r);
  *count = 0;
  if (r->bad || n > (r->len - r->pos) / 5) {
    r->bad = 1;
    return NULL;
  }
  if (n == 0) return no_warnings;
  size_t size = ((size_t)n + 1) * sizeof(const char *);
  const char **items = arena != NULL ? pio_arena_alloc(arena, size) : (*owned = malloc(size));
  if (items == NULL) {
    r->bad = 1;
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) items[i] = get_str_required(r);
  items[n] = NULL;
  *count = n;
  return items;
}

void pio_cache_entry_clear(pio_cache_entry *e) {
  free(e->owned);
  memset(e, 0, sizeof *e);
}

int pio_cache_peek_path(const unsigned char *bytes, size_t len, const char **path,
                        size_t *path_len) {
  uint32_t n;
  if (len < 4) return -1;
  memcpy(&n, bytes, 4);
  if (n == NULL_STRING || n >= len - 4) return -1;
  *path = (const char *)bytes + 4;
  *path_len = n;
  return 0;
}

int pio_cache_decode_entry(const unsigned char *bytes, size_t len, pio_arena *arena,
                           pio_cache_entry *out) {
  reader r = {bytes, len, 0, 0, NULL};
  memset(out, 0, sizeof *out);
  out->manifest_path = get_str_required(&r);
  out->dir = get_str_required(&r);
  get_key(&r, &out->dir_key);
  get_key(&r, &out->manifest_key);
  get_key(&r, &out->module_key);
  out->module_path = get_str(&r);
  out->name = get_str_required(&r);
  out->version = get_str_required(&r);
  out->model_architecture = get_str_required(&r);
  uint32_t state = get_u32(&r);
  if (state > PIO_PLUGIN_SHADOWED) r.bad = 1;
  out->state = (pio_plugin_state)state;
  out->reason = get_str_required(&r);
  out->warnings = get_warnings(&r, arena, &out->n_warnings, &out->owned);
  uint32_t trial = get_u32(&r), has_manifest = get_u32(&r);
  if (trial > 1 || has_manifest > 1) r.bad = 1;
  out->trial_done = (int)trial;
  if (has_manifest) {
    out->n_dependencies = get_u32(&r);
    out->manifest = r.bad ? NULL : bytes + r.pos;
    out->manifest_len = len - r.pos;
    r.pos = len;
  }
  if (r.bad || r.pos != len) {
    pio_cache_entry_clear(out);
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
  char *copy = pio_packer_text(r->pack, text, strlen(text));
  if (copy == NULL && !sizing(r)) r->bad = 1;
  return copy;
}

/* n zeroed items of size bytes (NULL while sizing). */
static void *pack_array(reader *r, size_t n, size_t size) {
  void *items = pio_packer_take(r->pack, n * size);
  if (items != NULL) memset(items, 0, n * size);
  else if (!sizing(r)) r->bad = 1;
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

static void get_dependencies(reader *r, pio_manifest *m) {
  uint32_t n_deps = get_u32(r);
  /* Each dependency costs at least three 4-byte lengths and two NULs. */
  if (r->bad || n_deps > (r->len - r->pos) / 14) {
    r->bad = 1;
    return;
  }
  m->dependencies = pack_array(r, (size_t)n_deps + 1, sizeof *m->dependencies);
  for (uint32_t i = 0; i < n_deps && !r->bad; i++) {
    pio_manifest_dependency d;
    d.name = pack_text(r, 1);
    d.kind = pack_text(r, 1);
    d.version = pack_text(r, 0);
    if (m->dependencies != NULL) m->dependencies[i] = d;
  }
  m->n_dependencies = n_deps;
}

/* The manifest's fields, in the order put_manifest wrote them.  The
 * fields every later step relies on are required. */
static void get_manifest_fields(reader *r, pio_manifest *m) {
  struct {
    char **field;
    int required;
  } texts[] = {{&m->name, 1},         {&m->version, 1},      {&m->author, 0},
               {&m->description, 0},  {&m->plugin_type, 0},  {&m->model_architecture, 0},
               {&m->model_family, 0}, {&m->model_size, 0},   {&m->license, 0},
               {&m->entry_module, 1}, {&m->entry_function, 1}};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    *texts[i].field = pack_text(r, texts[i].required);
  m->required_memory_gb = get_f64(r);
  m->num_parameters = get_u64(r);
  get_string_list(r, &m->supported_modalities);
  get_string_list(r, &m->tags);
  get_dependencies(r, m);
  pio_manifest_compatibility *c = &m->compatibility;
  uint32_t lo = get_u32(r), hi = get_u32(r);
  c->abi_min_major = (uint16_t)(lo >> 16);
  c->abi_min_minor = (uint16_t)lo;
  c->abi_max_major = (uint16_t)(hi >> 16);
  c->abi_max_minor = (uint16_t)hi;
  get_string_list(r, &c->os);
  get_string_list(r, &c->arch);
  get_string_list(r, &c->cpu_features);
  c->min_memory_gb = get_f64(r);
  c->cpu_feature_mask = (pio_cpu_features)get_u64(r);
  get_string_list(r, &m->warnings);
}

/* One pass over the bytes into m and block (NULL base: only sizing it);
 * the path first, as the registry reads it with the manifest. */
static void pack_manifest(reader *r, pio_manifest *m, const char *path) {
  r->pos = 0;
  m->path = pio_packer_text(r->pack, path, strlen(path));
  if (m->path == NULL && !sizing(r)) r->bad = 1;
  get_manifest_fields(r, m);
  if (r->pos != r->len || r->pack->overflow) r->bad = 1;
}

pio_manifest *pio_cache_decode_manifest(const unsigned char *bytes, size_t len,
                                        const char *path) {
  pio_manifest scratch;
  memset(&scratch, 0, sizeof scratch);
  pio_packer size = {NULL, 0, 0, 0};
  pio_packer_take(&size, sizeof scratch);
  reader r = {bytes, len, 0, 0, &size};
  pack_manifest(&r, &scratch, path);
  if (r.bad) return NULL;
  pio_packer block = {malloc(size.used), size.used, 0, 0};
  if (block.base == NULL) return NULL;
  pio_manifest *m = pio_packer_take(&block, sizeof *m);
  memset(m, 0, sizeof *m);
  m->packed = PIO_MANIFEST_PACKED;
  r.pack = &block;
  pack_manifest(&r, m, path);
  if (!r.bad) return m;
  free(block.base);
  return NULL;
}
