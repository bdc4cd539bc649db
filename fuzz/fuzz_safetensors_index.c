/* fuzz/fuzz_safetensors_index.c — libFuzzer target for a sharded model
 * folder: model.safetensors.index.json and the shards it names, opened
 * mapped and read into memory.  The input is the index text, then up to
 * three shard files, each part after a "\0SHARD\0" marker (JSON holds no
 * NUL, so the index always ends at the first marker); an empty index part
 * leaves the folder without an index, its first shard as model.safetensors.
 * An accepted folder must keep its promises: both ways give the same
 * tensors, each found by name, inside its file, of shape x dtype bytes, and
 * every byte of each is read (AddressSanitizer watches). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include "fuzz_file.h"
#include "pio/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char marker[] = "\0SHARD\0";
#define MARKER_LEN (sizeof marker - 1)
#define MAX_SHARDS 3
static const char *const shard_names[MAX_SHARDS] = {"model-00001-of-00003.safetensors",
                                                    "model-00002-of-00003.safetensors",
                                                    "model-00003-of-00003.safetensors"};
static const char index_name[] = "model.safetensors.index.json";
static const char single_name[] = "model.safetensors";

static char dir[96];

static void remove_folder(const char *path) {
  DIR *d = opendir(path);
  struct dirent *ent;
  while (d != NULL && (ent = readdir(d)) != NULL)
    if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
      unlinkat(dirfd(d), ent->d_name, 0);
  if (d != NULL) closedir(d);
  rmdir(path);
}

static void remove_scratch(void) {
  if (dir[0] != '\0') remove_folder(dir);
}

/* One model folder per process, in memory when possible, removed at exit;
 * folders of earlier runs that died before their exit are removed first. */
static void prepare(void) {
  if (dir[0] != '\0') return;
  const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  static const char prefix[] = "pio-fuzz-index-";
  DIR *d = opendir(root);
  struct dirent *ent;
  while (d != NULL && (ent = readdir(d)) != NULL) {
    if (strncmp(ent->d_name, prefix, sizeof prefix - 1) != 0) continue;
    char *end = NULL;
    long pid = strtol(ent->d_name + sizeof prefix - 1, &end, 10);
    if (*end != '-' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    char stale[512];
    snprintf(stale, sizeof stale, "%s/%s", root, ent->d_name);
    remove_folder(stale);
  }
  if (d != NULL) closedir(d);
  snprintf(dir, sizeof dir, "%s/%s%ld-XXXXXX", root, prefix, (long)getpid());
  fuzz_require(mkdtemp(dir) != NULL, "scratch folder");
  atexit(remove_scratch);
}

static void put(const char *name, const uint8_t *bytes, size_t len) {
  char path[160];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  fuzz_require(f != NULL, "a file of the model folder written");
  fuzz_require(len == 0 || fwrite(bytes, 1, len, f) == len, "its bytes written");
  fclose(f);
}

/* The next part of the input, up to the marker or the end. */
static size_t next_part(const uint8_t *data, size_t size, size_t at, size_t *end) {
  for (size_t i = at; i + MARKER_LEN <= size; i++)
    if (memcmp(data + i, marker, MARKER_LEN) == 0) {
      *end = i + MARKER_LEN;
      return i - at;
    }
  *end = size;
  return size - at;
}

/* The folder the input describes, written afresh. */
static void write_folder(const uint8_t *data, size_t size) {
  char path[160];
  for (int i = 0; i < MAX_SHARDS; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, shard_names[i]);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/%s", dir, index_name);
  unlink(path);
  snprintf(path, sizeof path, "%s/%s", dir, single_name);
  unlink(path);
  size_t at = 0, end = 0;
  size_t index_len = next_part(data, size, at, &end);
  if (index_len > 0) put(index_name, data, index_len);
  for (int i = 0; i < MAX_SHARDS && end < size; i++) {
    at = end;
    size_t len = next_part(data, size, at, &end);
    put(index_len > 0 ? shard_names[i] : i == 0 ? single_name : shard_names[i], data + at, len);
  }
}

static uint64_t checksum_bytes(const unsigned char *p, uint64_t n) {
  uint64_t h = 0;
  for (uint64_t i = 0; i < n; i++) h = h * 31 + p[i];
  return h;
}

/* Opens the folder one way; every promise of an accepted set checked.
 * Returns the set (NULL when refused, with a proper error). */
static pio_safetensors *open_checked(pio_safetensors_load load, uint64_t *sum) {
  pio_safetensors *set = NULL;
  pio_error err;
  pio_status st = pio_safetensors_open_dir_with(dir, load, &set, &err);
  if (st != PIO_OK) {
    fuzz_check_error(st, &err);
    fuzz_require(set == NULL, "nothing is returned on error");
    return NULL;
  }
  *sum = 0;
  for (size_t i = 0; i < pio_safetensors_count(set); i++) {
    const pio_tensor_info *t = pio_safetensors_at(set, i);
    fuzz_require(t != NULL && t->name != NULL && t->file != NULL, "every tensor has a name");
    fuzz_require(t->n_dims <= PIO_TENSOR_MAX_DIMS, "dimensions within the limit");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) elements *= t->shape[d];
    fuzz_require(t->n_bytes == elements * pio_dtype_size(t->dtype), "bytes = shape x dtype");
    fuzz_require(pio_safetensors_find(set, t->name) == t, "find returns the tensor");
    *sum = *sum * 1000003 + checksum_bytes(t->data, t->n_bytes);
  }
  return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  prepare();
  write_folder(data, size);
  uint64_t mapped_sum = 0, read_sum = 0;
  pio_safetensors *mapped = open_checked(PIO_SAFETENSORS_MAP, &mapped_sum);
  pio_safetensors *read = open_checked(PIO_SAFETENSORS_READ, &read_sum);
  fuzz_require((mapped == NULL) == (read == NULL), "mapped and read agree on the folder");
  if (mapped != NULL) {
    fuzz_require(pio_safetensors_count(mapped) == pio_safetensors_count(read),
                 "mapped and read hold the same tensors");
    for (size_t i = 0; i < pio_safetensors_count(mapped); i++)
      fuzz_require(strcmp(pio_safetensors_at(mapped, i)->name, pio_safetensors_at(read, i)->name) ==
                       0,
                   "in the same order");
    fuzz_require(mapped_sum == read_sum, "with the same bytes");
  }
  pio_safetensors_close(mapped);
  pio_safetensors_close(read);
  return 0;
}
