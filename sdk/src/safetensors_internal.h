/* sdk/src/safetensors_internal.h — what the single-file reader
 * (safetensors.c) and the model-folder / sharded-index reader
 * (safetensors_index.c) share: the set object and how files join it. */
#ifndef PIO_SDK_SAFETENSORS_INTERNAL_H
#define PIO_SDK_SAFETENSORS_INTERNAL_H

#include <stddef.h>

#include "pio/safetensors.h"

/* Largest JSON header accepted (the format's own reader uses the same). */
#define PIO_ST_MAX_HEADER_BYTES (100u << 20)

typedef struct pio_st_file {
  char *path;           /* owned */
  unsigned char *map;   /* the whole file: mapped read-only, or read into pages */
  size_t size;
  int read;             /* map holds pio_pages_alloc memory (PIO_SAFETENSORS_READ) */
} pio_st_file;

struct pio_safetensors {
  char *where;              /* the folder or file opened, for messages; owned */
  pio_safetensors_load load; /* how files join the set */
  pio_st_file *files;
  size_t n_files, cap_files;
  pio_tensor_info *tensors; /* sorted by name once complete; names owned */
  size_t n_tensors, cap_tensors;
  unsigned char *used;      /* [n_tensors], set by pio_safetensors_expect */
};

/* An empty set whose files are held as load says; where is copied. */
pio_status pio_st_create(const char *where, pio_safetensors_load load, pio_safetensors **out,
                         pio_error *err);
/* Maps or reads path, validates its header and adds its tensors to set. */
pio_status pio_st_add_file(pio_safetensors *set, const char *path, pio_error *err);
/* Sorts the tensors by name and refuses a name held twice (two shards). */
pio_status pio_st_complete(pio_safetensors *set, pio_error *err);

#endif
