/* host/registry_cache_format.h — the bytes of the registry cache file:
 * header layout, the checksum, and encoding/decoding of one entry (file
 * keys, the record, the whole manifest).  Every read is bounds-checked: the
 * file is input like any other (docs/security.md).  Internal to libpio-host. */
#ifndef PIO_HOST_REGISTRY_CACHE_FORMAT_H
#define PIO_HOST_REGISTRY_CACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "pio/host.h"

/*
 * File layout (integers little-endian as this host writes them; the byte
 * order mark makes a file from another byte order a foreign file):
 *   header   64 bytes, see below
 *   index    n_entries x {u64 path_hash, u32 offset, u32 length}, sorted by
 *            path_hash; offset/length locate the entry in the file
 *   entries  encoded entries, back to back
 * The checksum covers the whole file but its own field.
 */
#define PIO_CACHE_MAGIC "PIOREG\r\n" /* \r\n: a text-mode copy is caught */
#define PIO_CACHE_FORMAT_VERSION 2u
#define PIO_CACHE_BYTE_ORDER 0x01020304u
#define PIO_CACHE_HEADER_SIZE 64u
#define PIO_CACHE_INDEX_ITEM_SIZE 16u
#define PIO_CACHE_MAX_ENTRIES (1u << 20)
#define PIO_CACHE_MAX_FILE_BYTES (1u << 30)

typedef struct pio_cache_header {
  char magic[8];
  uint32_t format_version;
  uint32_t byte_order;
  uint64_t file_size;
  uint64_t fingerprint; /* pio version, ABI, and this machine: see registry_cache.c */
  uint32_t n_entries;
  uint32_t index_offset;
  uint64_t checksum;
  uint8_t reserved[16];
} pio_cache_header;

/* What a file looked like when it was read: lstat of the name, and stat of
 * the target when the name is a symbolic link.  present = 0: it was absent. */
typedef struct pio_cache_file_key {
  uint64_t present;
  uint64_t dev, ino, size, mode, uid;
  int64_t mtime_ns, ctime_ns;
  uint64_t target_dev, target_ino, target_size;
  int64_t target_mtime_ns, target_ctime_ns;
} pio_cache_file_key;

/* Takes the key of path now.  Never fails: an absent file has present = 0. */
void pio_cache_file_key_take(const char *path, pio_cache_file_key *key);
/* Same with path relative to the folder open as dirfd (or AT_FDCWD). */
void pio_cache_file_key_take_at(int dirfd, const char *path, pio_cache_file_key *key);
int pio_cache_file_key_equal(const pio_cache_file_key *a, const pio_cache_file_key *b);

/* 64-bit hash of bytes (not cryptographic: it catches damage, not attacks;
 * the file's ownership and mode keep attackers out). */
uint64_t pio_cache_hash(const void *data, size_t len, uint64_t seed);
/* The file's checksum, with the header's checksum field counted as zero.
 * bytes holds at least PIO_CACHE_HEADER_SIZE. */
uint64_t pio_cache_checksum(const unsigned char *bytes, size_t len);

/* One entry: where the folder's facts came from and what they were. */
typedef struct pio_cache_entry {
  char *manifest_path;
  char *dir;
  pio_cache_file_key dir_key, manifest_key, module_key;
  char *module_path;         /* NULL when none was resolved */
  char *name, *version, *model_architecture;
  pio_plugin_state state;
  char *reason;
  char **warnings;           /* NULL-terminated */
  size_t n_warnings;
  int trial_done;            /* the state includes a trial load's verdict */
  pio_manifest *manifest;    /* NULL when unreadable */
} pio_cache_entry;

/* Frees what entry owns and zeroes it.  A caller that keeps a pointer sets
 * the field to NULL first. */
void pio_cache_entry_clear(pio_cache_entry *entry);

/* A growable byte buffer the encoder writes to. */
typedef struct pio_cache_buffer {
  unsigned char *bytes;
  size_t len, cap;
  int failed; /* an allocation failed: the buffer is unusable */
} pio_cache_buffer;

void pio_cache_buffer_append(pio_cache_buffer *buf, const void *bytes, size_t len);
void pio_cache_buffer_free(pio_cache_buffer *buf);

/* Appends the encoding of entry's fields (the const view the registry has:
 * a record, its keys, its trial flag). */
void pio_cache_encode_entry(pio_cache_buffer *buf, const char *manifest_path, const char *dir,
                            const pio_cache_file_key *dir_key,
                            const pio_cache_file_key *manifest_key,
                            const pio_cache_file_key *module_key,
                            const pio_plugin_record *record, int trial_done);

/* Decodes bytes[0..len) into *out (caller clears it).  Returns 0, or -1 when
 * the bytes are not a well-formed entry (out is then cleared). */
int pio_cache_decode_entry(const unsigned char *bytes, size_t len, pio_cache_entry *out);
/* The same with the manifest placed in arena (host/arena.h) when not NULL:
 * it then lives as long as the arena. */
struct pio_arena;
int pio_cache_decode_entry_in(const unsigned char *bytes, size_t len, struct pio_arena *arena,
                              pio_cache_entry *out);

/* Reads only the manifest path of an encoded entry, pointing into bytes:
 * lookups compare it before decoding anything else.  -1 when malformed. */
int pio_cache_peek_path(const unsigned char *bytes, size_t len, const char **path,
                        size_t *path_len);

#endif
