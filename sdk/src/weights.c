/* sdk/src/weights.c — a model's weight set (pio/weights.h): tensors from
 * safetensors or synthetic by the same calls, the buffers the set owns, the
 * byte count, and the check that the files hold nothing unused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/memory.h"
#include "pio/plugin.h"
#include "pio/synthetic.h"
#include "pio/weights.h"

uint64_t pio_matrix_bytes(const pio_matrix *m) {
  return (uint64_t)m->rows * m->cols * pio_dtype_size(m->dtype);
}

/* Whether [p, p + bytes) lies inside a buffer w owns. */
static int owns(const pio_weights *w, const void *p, size_t bytes) {
  const unsigned char *at = p;
  for (size_t i = 0; i < w->n_owned; i++) {
    const unsigned char *b = w->owned[i].data;
    if (at >= b && at + bytes <= b + w->owned[i].bytes) return 1;
  }
  return 0;
}

pio_status pio_weights_set_layout(pio_weights *w, pio_threadpool *pool, pio_matrix *m,
                                  pio_matrix_layout layout, pio_error *err) {
  if (!pio_matrix_layout_fits(m, layout)) /* says why */
    return pio_matrix_set_layout(pool, m, layout, NULL, err);
  const size_t bytes = (size_t)pio_matrix_bytes(m);
  const void *src = m->data;
  const int in_place = owns(w, src, bytes);
  void *dst = in_place ? (void *)src : pio_weights_alloc(w, bytes, err);
  if (dst == NULL) return PIO_ERR_NO_MEMORY;
  pio_status s = pio_matrix_set_layout(pool, m, layout, dst, err);
  if (s == PIO_OK && !in_place && w->mapped) pio_pages_discard_mapped(src, bytes);
  return s;
}

pio_status pio_weights_set_layouts(pio_weights *w, pio_threadpool *pool, pio_matrix *const *mats,
                                   size_t n, pio_matrix_layout layout, uint64_t *bytes,
                                   pio_error *err) {
  for (size_t i = 0; layout != PIO_LAYOUT_ROWS && i < n; i++) {
    if (!pio_matrix_layout_fits(mats[i], layout)) continue;
    pio_status s = pio_weights_set_layout(w, pool, mats[i], layout, err);
    if (s != PIO_OK) return s;
    *bytes += pio_matrix_bytes(mats[i]);
  }
  return PIO_OK;
}

pio_status pio_weights_open(pio_weights *w, const char *dir, uint32_t load, pio_error *err) {
  memset(w, 0, sizeof *w);
  if (dir == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "weights: no folder given");
  if (load != PIO_WEIGHTS_MAP && load != PIO_WEIGHTS_READ)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "weights: unknown weights_load %u (0 maps, 1 reads)", (unsigned)load);
  w->mapped = load == PIO_WEIGHTS_MAP;
  w->dir = strdup(dir);
  if (w->dir == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory");
  pio_status s = pio_safetensors_open_dir_with(
      dir, load == PIO_WEIGHTS_READ ? PIO_SAFETENSORS_READ : PIO_SAFETENSORS_MAP, &w->files, err);
  if (s != PIO_OK) pio_weights_free(w);
  return s;
}

pio_status pio_weights_synthetic(pio_weights *w, pio_dtype dtype, uint64_t seed,
                                 pio_threadpool *pool, pio_error *err) {
  memset(w, 0, sizeof *w);
  if (dtype != PIO_DTYPE_F32 && dtype != PIO_DTYPE_BF16 && dtype != PIO_DTYPE_F16)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "synthetic weights: dtype %s is not "
                         "f32, bf16 or f16", pio_dtype_name(dtype));
  w->dtype = dtype;
  w->seed = seed;
  w->pool = pool;
  return PIO_OK;
}

/* From this size up a buffer gets pages of its own, huge pages advised. */
#define PAGES_FROM ((size_t)2 << 20)

void *pio_weights_alloc(pio_weights *w, size_t bytes, pio_error *err) {
  if (w->n_owned == w->cap_owned) {
    size_t cap = w->cap_owned ? 2 * w->cap_owned : 64;
    pio_weight_buffer *grown = realloc(w->owned, cap * sizeof *grown);
    if (grown == NULL) {
      pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory");
      return NULL;
    }
    w->owned = grown;
    w->cap_owned = cap;
  }
  pio_weight_buffer b = {NULL, bytes ? bytes : 1, bytes >= PAGES_FROM};
  if (b.pages) {
    /* A large buffer is filled at once (a synthetic tensor, a copy out of
     * the mapping, a stack): what the model's footprint check could not
     * count for mapped weights is checked here, before it is touched. */
    char what[96];
    snprintf(what, sizeof what, "weights: a buffer of %zu bytes", bytes);
    if (pio_memory_check(bytes, what, err) != PIO_OK) return NULL;
    if (pio_pages_alloc(b.bytes, &b.data, err) != PIO_OK) return NULL;
  } else {
    /* 64-byte alignment: the kernels' vector loads never split a line. */
    b.data = aligned_alloc(64, (b.bytes + 63) / 64 * 64);
    if (b.data == NULL) {
      pio_error_set(err, PIO_ERR_NO_MEMORY, "weights: out of memory allocating %zu bytes", bytes);
      return NULL;
    }
  }
  w->owned[w->n_owned++] = b;
  return b.data;
}

/* name[rows][cols] (cols 0: a vector [rows]) from the files, counted. */
static pio_status expect(pio_weights *w, const char *name, uint64_t rows, uint64_t cols,
                         const pio_tensor_info **out, pio_error *err) {
  const uint64_t shape[2] = {rows, cols};
  pio_status s = pio_safetensors_expect(w->files, name, cols ? 2 : 1, shape, out, err);
  if (s == PIO_OK) w->bytes += (*out)->n_bytes;
  return s;
}

static pio_matrix as_matrix(const pio_tensor_info *t) {
  pio_matrix m = {.data = t->data, .dtype = t->dtype, .rows = (uint32_t)t->shape[0],
                  .cols = (uint32_t)t->shape[1]};
  return m;
}

/* A random rows x cols matrix in w->dtype, its stream named by name. */
static pio_status random_matrix(pio_weights *w, const char *name, uint32_t rows, uint32_t cols,
                                pio_matrix *out, pio_error *err) {
  const size_t n = (size_t)rows * cols;
  void *data = pio_weights_alloc(w, n * pio_dtype_size(w->dtype), err);
  if (data == NULL) return PIO_ERR_NO_MEMORY;
  pio_status s = pio_synthetic_fill(w->pool, w->seed, pio_synthetic_stream(name),
                                    PIO_SYNTHETIC_UNIFORM, 0.0f, 1.0f / sqrtf((float)cols),
                                    w->dtype, data, n, err);
  if (s != PIO_OK) return s;
  *out = (pio_matrix){.data = data, .dtype = w->dtype, .rows = rows, .cols = cols};
  w->bytes += pio_matrix_bytes(out);
  return PIO_OK;
}

pio_status pio_weights_matrix(pio_weights *w, const char *name, uint32_t rows, uint32_t cols,
                              pio_matrix *out, pio_error *err) {
  if (w->files == NULL) return random_matrix(w, name, rows, cols, out, err);
  const pio_tensor_info *t = NULL;
  pio_status s = expect(w, name, rows, cols, &t, err);
  if (s == PIO_OK) *out = as_matrix(t);
  return s;
}

pio_status pio_weights_vector(pio_weights *w, const char *name, uint32_t n, float fill,
                              float fill_std, const float **out, pio_error *err) {
  const pio_tensor_info *t = NULL;
  pio_status s = PIO_OK;
  if (w->files != NULL && (s = expect(w, name, n, 0, &t, err)) != PIO_OK) return s;
  float *f = pio_weights_alloc(w, (size_t)n * sizeof *f, err);
  if (f == NULL) return PIO_ERR_NO_MEMORY;
  if (t != NULL) {
    pio_to_f32(t->data, t->dtype, n, f);
  } else if (fill_std > 0.0f) {
    s = pio_synthetic_fill(w->pool, w->seed, pio_synthetic_stream(name), PIO_SYNTHETIC_UNIFORM,
                           fill, fill_std, PIO_DTYPE_F32, f, n, err);
    w->bytes += (uint64_t)n * sizeof *f;
  } else {
    for (uint32_t i = 0; i < n; i++) f[i] = fill;
    w->bytes += (uint64_t)n * sizeof *f;
  }
  *out = f;
  return s;
}

/* Copies parts[n] (same cols) into one matrix, in their common dtype, or
 * in f32 when their dtypes differ. */
static pio_status copy_stacked(pio_weights *w, const pio_tensor_info *const *parts, size_t n,
                               pio_matrix *out, pio_error *err) {
  pio_dtype dtype = parts[0]->dtype;
  uint64_t rows = 0;
  for (size_t i = 0; i < n; i++) {
    if (parts[i]->dtype != dtype) dtype = PIO_DTYPE_F32;
    rows += parts[i]->shape[0];
  }
  const uint64_t cols = parts[0]->shape[1];
  unsigned char *dst = pio_weights_alloc(w, (size_t)(rows * cols * pio_dtype_size(dtype)), err);
  if (dst == NULL) return PIO_ERR_NO_MEMORY;
  *out = (pio_matrix){.data = dst, .dtype = dtype, .rows = (uint32_t)rows, .cols = (uint32_t)cols};
  for (size_t i = 0; i < n; i++) {
    const size_t count = (size_t)(parts[i]->shape[0] * cols);
    if (parts[i]->dtype == dtype)
      memcpy(dst, parts[i]->data, parts[i]->n_bytes);
    else
      pio_to_f32(parts[i]->data, parts[i]->dtype, count, (float *)(void *)dst);
    dst += count * pio_dtype_size(dtype);
  }
  return PIO_OK;
}

/* The parts lie one after another in one file, in one dtype. */
static int adjacent(const pio_tensor_info *const *parts, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (parts[i]->dtype != parts[0]->dtype || strcmp(parts[i]->file, parts[0]->file) != 0 ||
        (const unsigned char *)parts[i - 1]->data + parts[i - 1]->n_bytes !=
            (const unsigned char *)parts[i]->data)
      return 0;
  return 1;
}

#define STACK_MAX_PARTS 8

pio_status pio_weights_stacked(pio_weights *w, const char *const *names, const uint32_t *rows,
                               size_t n_parts, uint32_t cols, pio_matrix *out, pio_error *err) {
  if (n_parts == 0 || n_parts > STACK_MAX_PARTS)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "weights: %zu parts to stack (1 to %d)",
                         n_parts, STACK_MAX_PARTS);
  uint64_t total = 0;
  for (size_t i = 0; i < n_parts; i++) total += rows[i];
  if (total > UINT32_MAX)
    return pio_error_set(err, PIO_ERR_LIMIT, "weights: %s and the rest stack to %llu rows",
                         names[0], (unsigned long long)total);
  if (w->files == NULL) return random_matrix(w, names[0], (uint32_t)total, cols, out, err);
  const pio_tensor_info *parts[STACK_MAX_PARTS];
  uint64_t counted = 0;
  for (size_t i = 0; i < n_parts; i++) {
    pio_status s = expect(w, names[i], rows[i], cols, &parts[i], err);
    if (s != PIO_OK) return s;
    counted += parts[i]->n_bytes;
  }
  if (adjacent(parts, n_parts)) {
    *out = as_matrix(parts[0]);
    out->rows = (uint32_t)total;
    return PIO_OK;
  }
  pio_status s = copy_stacked(w, parts, n_parts, out, err);
  /* What is held is the copy, in its dtype, not the parts. */
  if (s == PIO_OK) w->bytes = w->bytes - counted + pio_matrix_bytes(out);
  return s;
}

pio_status pio_weights_output_head(pio_weights *w, int tied, const pio_matrix *embed,
                                   pio_matrix *lm_head, const float **final_norm,
                                   pio_error *err) {
  pio_status s = pio_weights_vector(w, "model.norm.weight", embed->cols, 1.0f, 0.0f, final_norm,
                                    err);
  if (s != PIO_OK) return s;
  if (!tied) return pio_weights_matrix(w, "lm_head.weight", embed->rows, embed->cols, lm_head, err);
  *lm_head = *embed;
  if (pio_weights_find(w, "lm_head.weight") == NULL) return PIO_OK;
  const uint64_t shape[2] = {embed->rows, embed->cols};
  const pio_tensor_info *unused = NULL;
  return pio_safetensors_expect(w->files, "lm_head.weight", 2, shape, &unused, err);
}

const pio_tensor_info *pio_weights_find(const pio_weights *w, const char *name) {
  return w->files ? pio_safetensors_find(w->files, name) : NULL;
}

#define UNUSED_LOOKED_AT 64
#define UNUSED_NAMED 4

pio_status pio_weights_check_unused(const pio_weights *w, const char *architecture,
                                    int (*ignorable)(const char *name, const void *ctx),
                                    const void *ctx, pio_error *err) {
  if (w->files == NULL) return PIO_OK;
  const char *names[UNUSED_LOOKED_AT];
  const size_t total = pio_safetensors_unused(w->files, names, UNUSED_LOOKED_AT);
  const size_t shown = total < UNUSED_LOOKED_AT ? total : UNUSED_LOOKED_AT;
  size_t extra = 0;
  char list[512] = "";
  for (size_t i = 0; i < shown; i++) {
    if (ignorable != NULL && ignorable(names[i], ctx)) continue;
    if (extra < UNUSED_NAMED) {
      size_t used = strlen(list);
      snprintf(list + used, sizeof list - used, "%s'%s'", extra ? ", " : "", names[i]);
    }
    extra++;
  }
  extra += total - shown; /* beyond those looked at: counted as extra */
  if (extra == 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INVALID, "%s: %zu tensor%s that %s with this config.json "
                       "does not use: %s%s (does config.json describe these weights?)", w->dir,
                       extra, extra == 1 ? "" : "s", architecture, list,
                       extra > UNUSED_NAMED ? ", ..." : "");
}

void pio_weights_free(pio_weights *w) {
  if (w == NULL) return;
  for (size_t i = 0; i < w->n_owned; i++) {
    if (w->owned[i].pages)
      pio_pages_free(w->owned[i].data, w->owned[i].bytes);
    else
      free(w->owned[i].data);
  }
  free(w->owned);
  free(w->dir);
  pio_safetensors_close(w->files);
  memset(w, 0, sizeof *w);
}
