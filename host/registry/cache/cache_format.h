/* host/registry/cache/cache_format.h — the bytes of the registry cache file:
 * header layout, the checksum, and encoding/decoding of one entry (file
 * keys, the record, the whole manifest).  Every read is bounds-checked: the
 * file is input like any other (docs/security.md).  Internal to libpio-host. */
#ifndef PIO_HOST_REGISTRY_CACHE_FORMAT_H
#define PIO_HOST_REGISTRY_CACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "manifest/manifest.h"
#include "pio/host.h"

/*
 * File layout (integers little-endian as this host writes them; the byte
 * order mark makes a file from another byte order a foreign file):
 *   header   64 bytes, see below
 *   index    n_entries x {u64 path_hash, u32 offset, u32 length}, sorted by
 *            path_hash; offset/length locate the entry in the file
 *   entries  encoded entries, back to back: u32 and u64 fields, texts as
 *            u32 length + bytes + NUL (UINT32_MAX: absent), the record of
 *            the checks that read files (manifest, module, machine: never a
 *            trial load's verdict, which depends on more than the files),
 *            then the manifest's dependency and variant counts and the
 *            manifest last
 * The checksum covers the whole file but its own field.
 */
#define REGCACHE_MAGIC "PIOREG\r\n" /* \r\n: a text-mode copy is caught */
#define REGCACHE_FORMAT_VERSION 6u
#define REGCACHE_BYTE_ORDER 0x01020304u
#define REGCACHE_HEADER_SIZE 64u
#define REGCACHE_INDEX_ITEM_SIZE 16u
#define REGCACHE_MAX_ENTRIES (1u << 20)
#define REGCACHE_MAX_FILE_BYTES (1u << 30)

typedef struct regcache_header {
  char magic[8];
  uint32_t format_version;
  uint32_t byte_order;
  uint64_t file_size;
  uint64_t fingerprint; /* pio version, ABI, and this machine: see cache.c */
  uint32_t n_entries;
  uint32_t index_offset;
  uint64_t checksum;
  uint8_t reserved[16];
} regcache_header;

/* What a file looked like when it was read: lstat of the name, and stat of
 * the target when the name is a symbolic link.  present = 0: it was absent. */
typedef struct regcache_key {
  uint64_t present;
  uint64_t dev, ino, size, mode, uid;
  int64_t mtime_ns, ctime_ns;
  uint64_t target_dev, target_ino, target_size;
  int64_t target_mtime_ns, target_ctime_ns;
} regcache_key;

/* Takes the key of path now.  Never fails: an absent file has present = 0. */
void regcache_key_take(const char *path, regcache_key *key);
/* Same with path relative to the folder open as dirfd (or AT_FDCWD). */
void regcache_key_take_at(int dirfd, const char *path, regcache_key *key);
int regcache_key_equal(const regcache_key *a, const regcache_key *b);

/* A plugin folder's and its manifest's keys, taken before it is read. */
typedef struct regcache_keys {
  regcache_key dir, manifest;
} regcache_keys;

/* 64-bit hash of bytes (not cryptographic: it catches damage, not attacks;
 * the file's ownership and mode keep attackers out). */
uint64_t regcache_hash(const void *data, size_t len, uint64_t seed);
/* The file's checksum, with the header's checksum field counted as zero.
 * bytes holds at least REGCACHE_HEADER_SIZE. */
uint64_t regcache_checksum(const unsigned char *bytes, size_t len);

/* One entry: where the folder's facts came from and what they were.  Its
 * texts point into the bytes it was decoded from (each is stored with its
 * NUL), so it lives as long as they do; the manifest is left encoded, to
 * be decoded when someone needs it (regcache_decode_manifest). */
typedef struct regcache_entry {
  const char *manifest_path;
  const char *dir;
  regcache_key dir_key, manifest_key, module_key;
  const char *module_path; /* NULL when none was resolved */
  /* The libtool archive (.la) that named the module, and its key: editing
   * it in place changes the module without touching the folder.  NULL
   * (and an absent key) when the module was found as <module>.so. */
  const char *module_archive;
  regcache_key archive_key;
  const char *name, *version, *model_architecture;
  pio_plugin_state state;
  const char *reason;
  const char *const *warnings; /* NULL-terminated */
  size_t n_warnings;
  const unsigned char *manifest; /* its encoding; NULL when unreadable */
  size_t manifest_len;
  size_t n_dependencies; /* the manifest's, known without decoding it */
  size_t n_variants;     /* the same */
  void *owned;           /* the warnings' array when malloc'd */
} regcache_entry;

/* Frees what entry allocated and zeroes it. */
void regcache_entry_clear(regcache_entry *entry);

/* A growable byte buffer the encoder writes to. */
typedef struct regcache_buffer {
  unsigned char *bytes;
  size_t len, cap;
  int failed; /* an allocation failed: the buffer is unusable */
} regcache_buffer;

void regcache_buffer_append(regcache_buffer *buf, const void *bytes, size_t len);
void regcache_buffer_free(regcache_buffer *buf);

/* The keys of an entry's files. */
typedef struct regcache_entry_keys {
  regcache_key dir, manifest, module, archive;
} regcache_entry_keys;

/* Appends the encoding of entry's fields (the const view the registry has:
 * a record, its module's libtool archive (NULL: none), its manifest when
 * readable, its keys). */
void regcache_encode_entry(regcache_buffer *buf, const char *manifest_path, const char *dir,
                           const regcache_entry_keys *keys, const pio_plugin_record *record,
                           const char *module_archive, const pio_manifest *manifest);

/* Decodes bytes[0..len) into *out, which then points into bytes; the
 * warnings' array comes from arena (host/registry/arena.h) when not NULL, else
 * from malloc (regcache_entry_clear frees it).  Returns 0, or -1 when the
 * bytes are not a well-formed entry (out is then cleared). */
struct arena;
int regcache_decode_entry(const unsigned char *bytes, size_t len, struct arena *arena,
                          regcache_entry *out);

/* An entry's manifest (entry.manifest, entry.manifest_len) decoded into one
 * malloc'd block (manifest_free), its path set to
 * path.  NULL when the bytes are malformed or memory ran out. */
pio_manifest *regcache_decode_manifest(const unsigned char *bytes, size_t len, const char *path);

/* Reads only the manifest path of an encoded entry, pointing into bytes:
 * lookups compare it before decoding anything else.  -1 when malformed. */
int regcache_peek_path(const unsigned char *bytes, size_t len, const char **path, size_t *path_len);

#endif
