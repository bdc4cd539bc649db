/* sdk/src/safetensors.c — one .safetensors file: mapped read-only, its
 * header checked against the file before any tensor is handed out, so a
 * truncated or hostile file is an error naming the file and the tensor,
 * never an out-of-bounds read.  Also the set's lookups. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pio/json.h"
#include "pio/memory.h"
#include "safetensors_internal.h"

/* A tensor as the header describes it, before it joins the set. */
typedef struct st_entry {
  const char *name; /* points into the parsed JSON */
  pio_dtype dtype;
  uint32_t n_dims;
  uint64_t shape[PIO_TENSOR_MAX_DIMS];
  uint64_t begin, end; /* data_offsets, relative to the data area */
} st_entry;

#define QUOTE_MAX 160
#define Q(buf, text) pio_json_quote((text), (buf), sizeof (buf))

static pio_status parse_dtype(const char *path, const char *name, json_object *value,
                              pio_dtype *out, pio_error *err) {
  char qn[QUOTE_MAX], qd[QUOTE_MAX];
  json_object *dtype = NULL;
  if (!json_object_object_get_ex(value, "dtype", &dtype) ||
      !json_object_is_type(dtype, json_type_string))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: tensor %s: 'dtype' must be a string",
                         path, Q(qn, name));
  const char *text = json_object_get_string(dtype);
  if (strcmp(text, "F32") == 0) *out = PIO_DTYPE_F32;
  else if (strcmp(text, "BF16") == 0) *out = PIO_DTYPE_BF16;
  else if (strcmp(text, "F16") == 0) *out = PIO_DTYPE_F16;
  else
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: tensor %s: dtype %s is not supported (expected F32, BF16 or F16)",
                         path, Q(qn, name), Q(qd, text));
  return PIO_OK;
}

/* A JSON integer in [0, 2^53]: what a double-based writer can express. */
static int get_count(json_object *v, uint64_t *out) {
  if (!json_object_is_type(v, json_type_int)) return -1;
  int64_t i = json_object_get_int64(v);
  if (i < 0 || (uint64_t)i > (1ull << 53)) return -1;
  *out = (uint64_t)i;
  return 0;
}

static pio_status parse_shape(const char *path, const char *name, json_object *value,
                              st_entry *e, pio_error *err) {
  char qn[QUOTE_MAX];
  json_object *shape = NULL;
  if (!json_object_object_get_ex(value, "shape", &shape) ||
      !json_object_is_type(shape, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: tensor %s: 'shape' must be an array",
                         path, Q(qn, name));
  size_t n = json_object_array_length(shape);
  if (n > PIO_TENSOR_MAX_DIMS)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: tensor %s: %zu dimensions, at most %d",
                         path, Q(qn, name), n, PIO_TENSOR_MAX_DIMS);
  e->n_dims = (uint32_t)n;
  for (size_t i = 0; i < n; i++) {
    if (get_count(json_object_array_get_idx(shape, i), &e->shape[i]) != 0)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: tensor %s: shape[%zu] must be an integer in [0, 2^53]", path,
                           Q(qn, name), i);
  }
  return PIO_OK;
}

static pio_status parse_offsets(const char *path, const char *name, json_object *value,
                                st_entry *e, pio_error *err) {
  char qn[QUOTE_MAX];
  json_object *offsets = NULL;
  if (!json_object_object_get_ex(value, "data_offsets", &offsets) ||
      !json_object_is_type(offsets, json_type_array) || json_object_array_length(offsets) != 2 ||
      get_count(json_object_array_get_idx(offsets, 0), &e->begin) != 0 ||
      get_count(json_object_array_get_idx(offsets, 1), &e->end) != 0)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: tensor %s: 'data_offsets' must be two integers [begin, end]", path,
                         Q(qn, name));
  if (e->begin > e->end)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: tensor %s: data_offsets [%llu, %llu] are out of order (begin > end)",
                         path, Q(qn, name), (unsigned long long)e->begin,
                         (unsigned long long)e->end);
  return PIO_OK;
}

/* product(shape) * dtype size, refusing overflow. */
static pio_status entry_bytes(const char *path, const st_entry *e, uint64_t *out,
                              pio_error *err) {
  char qn[QUOTE_MAX];
  uint64_t bytes = pio_dtype_size(e->dtype);
  for (uint32_t i = 0; i < e->n_dims; i++) {
    if (e->shape[i] != 0 && bytes > UINT64_MAX / e->shape[i])
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: tensor %s: shape x dtype size overflows 64 bits", path,
                           Q(qn, e->name));
    bytes *= e->shape[i];
  }
  *out = bytes;
  return PIO_OK;
}

static pio_status parse_entry(const char *path, const char *name, json_object *value,
                              uint64_t data_size, st_entry *e, pio_error *err) {
  char qn[QUOTE_MAX];
  if (!json_object_is_type(value, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: tensor %s: expected an object, found %s",
                         path, Q(qn, name), pio_json_type_phrase(json_object_get_type(value)));
  e->name = name;
  pio_status status = parse_dtype(path, name, value, &e->dtype, err);
  if (status == PIO_OK) status = parse_shape(path, name, value, e, err);
  if (status == PIO_OK) status = parse_offsets(path, name, value, e, err);
  uint64_t bytes = 0;
  if (status == PIO_OK) status = entry_bytes(path, e, &bytes, err);
  if (status != PIO_OK) return status;
  if (e->end > data_size)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: tensor %s: data_offsets end %llu is past the data area of %llu bytes",
                         path, Q(qn, name), (unsigned long long)e->end,
                         (unsigned long long)data_size);
  if (e->end - e->begin != bytes)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: tensor %s: data_offsets span %llu bytes, but shape x %s is %llu bytes",
                         path, Q(qn, name), (unsigned long long)(e->end - e->begin),
                         pio_dtype_name(e->dtype), (unsigned long long)bytes);
  return PIO_OK;
}

static int by_offset(const void *a, const void *b) {
  const st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* As the format's reference reader: sorted by offset, the tensors tile the
 * data area exactly — no overlap, no hole, nothing after the last. */
static pio_status check_tiling(const char *path, st_entry *entries, size_t n, uint64_t data_size,
                               pio_error *err) {
  char qa[QUOTE_MAX], qb[QUOTE_MAX];
  qsort(entries, n, sizeof *entries, by_offset);
  uint64_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (entries[i].begin < at)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: tensor %s at [%llu, %llu) overlaps tensor %s at [%llu, %llu)",
                           path, Q(qa, entries[i].name), (unsigned long long)entries[i].begin,
                           (unsigned long long)entries[i].end, Q(qb, entries[i - 1].name),
                           (unsigned long long)entries[i - 1].begin, (unsigned long long)at);
    if (entries[i].begin > at)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: tensor %s starts at %llu, leaving a hole of %llu bytes before it",
                           path, Q(qa, entries[i].name), (unsigned long long)entries[i].begin,
                           (unsigned long long)(entries[i].begin - at));
    at = entries[i].end;
  }
  if (at != data_size)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: %llu bytes after the last tensor are not described by the header",
                         path, (unsigned long long)(data_size - at));
  return PIO_OK;
}

static pio_status append_tensor(pio_safetensors *set, const pio_st_file *file,
                                const unsigned char *data, const st_entry *e, pio_error *err) {
  if (set->n_tensors == set->cap_tensors) {
    size_t cap = set->cap_tensors ? set->cap_tensors * 2 : 64;
    pio_tensor_info *grown = realloc(set->tensors, cap * sizeof *grown);
    if (grown == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", file->path);
    set->tensors = grown;
    set->cap_tensors = cap;
  }
  char *name = strdup(e->name);
  if (name == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", file->path);
  pio_tensor_info *t = &set->tensors[set->n_tensors++];
  memset(t, 0, sizeof *t);
  t->name = name;
  t->file = file->path;
  t->dtype = e->dtype;
  t->n_dims = e->n_dims;
  memcpy(t->shape, e->shape, sizeof t->shape);
  t->data = data + e->begin;
  t->n_bytes = e->end - e->begin;
  return PIO_OK;
}

/* Validates the JSON header of file and appends its tensors to set. */
static pio_status add_header(pio_safetensors *set, const pio_st_file *file, json_object *root,
                             uint64_t header_len, pio_error *err) {
  if (!json_object_is_type(root, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: header: expected a JSON object, found %s",
                         file->path, pio_json_type_phrase(json_object_get_type(root)));
  uint64_t data_size = file->size - 8 - header_len;
  size_t n = 0;
  st_entry *entries = calloc((size_t)json_object_object_length(root) + 1, sizeof *entries);
  if (entries == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", file->path);
  pio_status status = PIO_OK;
  json_object_object_foreach(root, key, value) {
    if (strcmp(key, "__metadata__") == 0) {
      if (!json_object_is_type(value, json_type_object)) {
        status = pio_error_set(err, PIO_ERR_INVALID, "%s: '__metadata__' must be an object",
                               file->path);
        break;
      }
      continue;
    }
    status = parse_entry(file->path, key, value, data_size, &entries[n], err);
    if (status != PIO_OK) break;
    n++;
  }
  if (status == PIO_OK) status = check_tiling(file->path, entries, n, data_size, err);
  const unsigned char *data = file->map + 8 + header_len;
  for (size_t i = 0; status == PIO_OK && i < n; i++)
    status = append_tensor(set, file, data, &entries[i], err);
  free(entries);
  return status;
}

/* Reads the size bytes of fd into pages from pio_pages_alloc. */
static pio_status read_pages(int fd, const char *path, size_t size, unsigned char **out,
                             pio_error *err) {
  void *pages = NULL;
  pio_status status = pio_pages_alloc(size, &pages, err);
  if (status != PIO_OK) return status;
  size_t done = 0;
  while (done < size) {
    size_t want = size - done < ((size_t)1 << 30) ? size - done : (size_t)1 << 30;
    ssize_t got = pread(fd, (unsigned char *)pages + done, want, (off_t)done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      int saved = errno;
      pio_pages_free(pages, size);
      if (got == 0)
        return pio_error_set(err, PIO_ERR_IO, "%s: the file shrank while being read "
                             "(%zu of %zu bytes)", path, done, size);
      return pio_error_set(err, PIO_ERR_IO, "%s: cannot read: %s", path, strerror(saved));
    }
    done += (size_t)got;
  }
  *out = pages;
  return PIO_OK;
}

/* Opens path and maps or reads it into *file (zeroed on failure). */
static pio_status load_file(const char *path, pio_safetensors_load load, pio_st_file *file,
                            pio_error *err) {
  memset(file, 0, sizeof *file);
  /* O_NONBLOCK: a FIFO planted in place of the weights must not hang open(). */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return pio_error_set(err, errno == ENOENT ? PIO_ERR_NOT_FOUND : PIO_ERR_IO,
                                   "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return pio_error_set(err, PIO_ERR_IO, "%s: not a regular file", path);
  }
  size_t size = (size_t)st.st_size;
  if (size < 8) {
    close(fd);
    return pio_error_set(err, PIO_ERR_PARSE,
                         "%s: %zu bytes is too short for the 8-byte header length", path, size);
  }
  unsigned char *bytes = NULL;
  pio_status status = PIO_OK;
  if (load == PIO_SAFETENSORS_READ) {
    /* A huge (or sparse) file is refused before its pages are taken. */
    char what[PIO_ERROR_MESSAGE_MAX / 2];
    snprintf(what, sizeof what, "%s: reading it into memory (--weights read; --weights map "
             "keeps it in the file)", path);
    status = pio_memory_check(size, what, err);
    if (status == PIO_OK) status = read_pages(fd, path, size, &bytes, err);
  } else {
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
      status = pio_error_set(err, PIO_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    else bytes = map;
  }
  close(fd);
  if (status != PIO_OK) return status;
  file->path = strdup(path);
  file->map = bytes;
  file->size = size;
  file->read = load == PIO_SAFETENSORS_READ;
  if (file->path == NULL) {
    if (file->read) pio_pages_free(bytes, size);
    else munmap(bytes, size);
    memset(file, 0, sizeof *file);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
  }
  return PIO_OK;
}

static uint64_t read_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static pio_status parse_file(pio_safetensors *set, const pio_st_file *file, pio_error *err) {
  uint64_t header_len = read_le64(file->map);
  if (header_len > PIO_ST_MAX_HEADER_BYTES)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: header length %llu is over the limit of %u bytes",
                         file->path, (unsigned long long)header_len, PIO_ST_MAX_HEADER_BYTES);
  if (header_len > file->size - 8)
    return pio_error_set(err, PIO_ERR_PARSE,
                         "%s: header length %llu is past the end of the %zu-byte file", file->path,
                         (unsigned long long)header_len, file->size);
  json_object *root = NULL;
  pio_status status = pio_json_parse_buffer(file->path, (const char *)file->map + 8,
                                            (size_t)header_len, 8, &root, NULL, err);
  if (status != PIO_OK) return status;
  status = add_header(set, file, root, header_len, err);
  json_object_put(root);
  return status;
}

pio_status pio_st_add_file(pio_safetensors *set, const char *path, pio_error *err) {
  if (set->n_files == set->cap_files) {
    size_t cap = set->cap_files ? set->cap_files * 2 : 4;
    pio_st_file *grown = realloc(set->files, cap * sizeof *grown);
    if (grown == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", path);
    set->files = grown;
    set->cap_files = cap;
  }
  pio_st_file *file = &set->files[set->n_files];
  pio_status status = load_file(path, set->load, file, err);
  if (status != PIO_OK) return status;
  set->n_files++;
  return parse_file(set, file, err);
}

pio_status pio_st_create(const char *where, pio_safetensors_load load, pio_safetensors **out,
                         pio_error *err) {
  *out = NULL;
  pio_safetensors *set = calloc(1, sizeof *set);
  if (set == NULL || (set->where = strdup(where)) == NULL) {
    free(set);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", where);
  }
  set->load = load;
  *out = set;
  return PIO_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const pio_tensor_info *)a)->name, ((const pio_tensor_info *)b)->name);
}

pio_status pio_st_complete(pio_safetensors *set, pio_error *err) {
  char qn[QUOTE_MAX];
  if (set->n_tensors > 1) /* none: tensors may be NULL, which qsort may not be given */
    qsort(set->tensors, set->n_tensors, sizeof *set->tensors, by_name);
  for (size_t i = 1; i < set->n_tensors; i++) {
    if (strcmp(set->tensors[i].name, set->tensors[i - 1].name) == 0)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: tensor %s is in both %s and %s", set->where,
                           Q(qn, set->tensors[i].name), set->tensors[i - 1].file,
                           set->tensors[i].file);
  }
  set->used = calloc(set->n_tensors + 1, 1);
  if (set->used == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", set->where);
  return PIO_OK;
}

pio_status pio_safetensors_open_file(const char *path, pio_safetensors **out, pio_error *err) {
  if (path == NULL || out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "safetensors: path or out is NULL");
  *out = NULL;
  pio_safetensors *set = NULL;
  pio_status status = pio_st_create(path, PIO_SAFETENSORS_MAP, &set, err);
  if (status == PIO_OK) status = pio_st_add_file(set, path, err);
  if (status == PIO_OK) status = pio_st_complete(set, err);
  if (status != PIO_OK) {
    pio_safetensors_close(set);
    return status;
  }
  *out = set;
  return PIO_OK;
}

void pio_safetensors_close(pio_safetensors *set) {
  if (set == NULL) return;
  for (size_t i = 0; i < set->n_tensors; i++) free((char *)set->tensors[i].name);
  for (size_t i = 0; i < set->n_files; i++) {
    if (set->files[i].read) pio_pages_free(set->files[i].map, set->files[i].size);
    else munmap(set->files[i].map, set->files[i].size);
    free(set->files[i].path);
  }
  free(set->tensors);
  free(set->files);
  free(set->used);
  free(set->where);
  free(set);
}
