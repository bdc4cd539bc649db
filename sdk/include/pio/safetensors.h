/* pio/safetensors.h — Hugging Face safetensors weights, single file or
 * sharded (model.safetensors.index.json), memory-mapped and checked. */
#ifndef PIO_SAFETENSORS_H
#define PIO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PIO_TENSOR_MAX_DIMS 8

/* One tensor of an opened set.  Owned by the set; valid until it closes. */
typedef struct pio_tensor_info {
  const char *name;
  const char *file;        /* path of the file holding it */
  pio_dtype dtype;         /* F32, BF16 or F16 */
  uint32_t n_dims;
  uint64_t shape[PIO_TENSOR_MAX_DIMS];
  const void *data;        /* inside the read-only mapping */
  uint64_t n_bytes;        /* = product(shape) * dtype size, checked */
} pio_tensor_info;

typedef struct pio_safetensors pio_safetensors;

/*
 * Opens the weights of a model folder: model.safetensors.index.json when
 * present (every shard it names), else model.safetensors, else the single
 * *.safetensors file there.  Every header is validated against its file
 * (header size, JSON, dtypes, shapes, offsets inside the data area, in
 * order, not overlapping, sizes = shape x dtype).  Errors name the file and
 * the tensor.  *out owned by the caller (pio_safetensors_close).
 */
pio_status pio_safetensors_open_dir(const char *dir, pio_safetensors **out, pio_error *err);

/* How a set holds its files' bytes. */
typedef enum pio_safetensors_load {
  /* Mapped read-only: opens at once and shares the page cache, in 4 KiB
   * pages.  A file truncated while it is mapped ends the process with
   * SIGBUS, as for any program that maps files. */
  PIO_SAFETENSORS_MAP = 0,
  /* Read into private memory with huge pages advised (pio/memory.h): opening
   * costs a copy of every file, and the memory is the process's own, but the
   * weights stream faster (fewer TLB misses) and nothing done to the files
   * afterwards can reach them.  A file that shrinks while it is read is an
   * error naming it. */
  PIO_SAFETENSORS_READ = 1
} pio_safetensors_load;

/* pio_safetensors_open_dir holding the bytes as load says. */
pio_status pio_safetensors_open_dir_with(const char *dir, pio_safetensors_load load,
                                         pio_safetensors **out, pio_error *err);
/* Opens one .safetensors file. */
pio_status pio_safetensors_open_file(const char *path, pio_safetensors **out, pio_error *err);
void pio_safetensors_close(pio_safetensors *set);

size_t pio_safetensors_count(const pio_safetensors *set);
const pio_tensor_info *pio_safetensors_at(const pio_safetensors *set, size_t index);
/* NULL when absent. */
const pio_tensor_info *pio_safetensors_find(const pio_safetensors *set, const char *name);

/* Looks up a tensor the model needs: present, with exactly this shape.
 * Marks it used.  Errors: PIO_ERR_NOT_FOUND / PIO_ERR_INVALID naming the
 * tensor, the file, the expected and the found shape. */
pio_status pio_safetensors_expect(pio_safetensors *set, const char *name, uint32_t n_dims,
                                  const uint64_t *shape, const pio_tensor_info **out,
                                  pio_error *err);

/* Tensors never passed to pio_safetensors_expect: fills names[0..max) and
 * returns how many there are in total. */
size_t pio_safetensors_unused(const pio_safetensors *set, const char **names, size_t max);

#ifdef __cplusplus
}
#endif
#endif
