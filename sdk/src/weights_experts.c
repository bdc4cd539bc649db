/* sdk/src/weights_experts.c — experts stored fused, as Transformers holds
 * GPT-OSS's and Llama 4's: one tensor [n_experts][in][out] for all of them,
 * each expert's matrix input-major (x . W).  The kernels read a matrix
 * row-major by output feature, so each expert is transposed once at load,
 * its rows reordered when the checkpoint interleaves gate and up. */
#include <stdio.h>
#include <string.h>

#include "pio/weights.h"

/* Where output feature j of 2h lands: in order, or the even ones first. */
static uint32_t row_of(uint32_t j, uint32_t rows, pio_experts_order order) {
  return order == PIO_EXPERTS_INTERLEAVED ? (j % 2) * (rows / 2) + j / 2 : j;
}

static pio_status check_order(const char *name, uint32_t rows, pio_experts_order order,
                              pio_error *err) {
  if (order == PIO_EXPERTS_INTERLEAVED && rows % 2 != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                         "weights: %s: %u interleaved features (gate and up pairs need an even "
                         "count)",
                         name, rows);
  return PIO_OK;
}

/* dst[row_of(j)][i] = src[i][j] for src[cols][rows], elements of size es. */
static void transpose(unsigned char *dst, const unsigned char *src, uint32_t rows, uint32_t cols,
                      size_t es, pio_experts_order order) {
  for (uint32_t i = 0; i < cols; i++) {
    const unsigned char *in = src + (size_t)i * rows * es;
    for (uint32_t j = 0; j < rows; j++)
      memcpy(dst + ((size_t)row_of(j, rows, order) * cols + i) * es, in + (size_t)j * es, es);
  }
}

static pio_status synthetic_experts(pio_weights *w, const char *name, uint32_t n_experts,
                                    uint32_t rows, uint32_t cols, pio_matrix *out,
                                    pio_error *err) {
  pio_status s = PIO_OK;
  for (uint32_t e = 0; e < n_experts && s == PIO_OK; e++) {
    char stream[256];
    snprintf(stream, sizeof stream, "%s[%u]", name, e);
    s = pio_weights_matrix(w, stream, rows, cols, &out[e], err);
  }
  return s;
}

pio_status pio_weights_experts(pio_weights *w, const char *name, uint32_t n_experts,
                               uint32_t rows, uint32_t cols, pio_experts_order order,
                               pio_matrix *out, pio_error *err) {
  pio_status s = check_order(name, rows, order, err);
  if (s != PIO_OK) return s;
  if (w->files == NULL) return synthetic_experts(w, name, n_experts, rows, cols, out, err);
  const uint64_t shape[3] = {n_experts, cols, rows};
  const pio_tensor_info *t = NULL;
  if ((s = pio_safetensors_expect(w->files, name, 3, shape, &t, err)) != PIO_OK) return s;
  const size_t es = pio_dtype_size(t->dtype), each = (size_t)rows * cols * es;
  unsigned char *dst = pio_weights_alloc(w, each * n_experts, err);
  if (dst == NULL) return PIO_ERR_NO_MEMORY;
  for (uint32_t e = 0; e < n_experts; e++) {
    transpose(dst + e * each, (const unsigned char *)t->data + e * each, rows, cols, es, order);
    out[e] = (pio_matrix){.data = dst + e * each, .dtype = t->dtype, .rows = rows, .cols = cols};
  }
  w->bytes += t->n_bytes; /* the copy: as many bytes, in the same dtype */
  return PIO_OK;
}

pio_status pio_weights_expert_biases(pio_weights *w, const char *name, uint32_t n_experts,
                                     uint32_t n, pio_experts_order order, float fill_std,
                                     const float **out, pio_error *err) {
  pio_status s = check_order(name, n, order, err);
  if (s != PIO_OK) return s;
  /* Synthetic draws are independent of their order: one random vector. */
  if (w->files == NULL)
    return pio_weights_vector(w, name, n_experts * n, 0.0f, fill_std, out, err);
  const uint64_t shape[2] = {n_experts, n};
  const pio_tensor_info *t = NULL;
  if ((s = pio_safetensors_expect(w->files, name, 2, shape, &t, err)) != PIO_OK) return s;
  const size_t count = (size_t)n_experts * n;
  float *wide = pio_weights_alloc(w, 2 * count * sizeof *wide, err);
  if (wide == NULL) return PIO_ERR_NO_MEMORY;
  float *f = wide + count;
  pio_to_f32(t->data, t->dtype, count, wide);
  for (size_t e = 0; e < n_experts; e++)
    for (uint32_t j = 0; j < n; j++) f[e * n + row_of(j, n, order)] = wide[e * n + j];
  w->bytes += (uint64_t)count * sizeof *f;
  *out = f;
  return PIO_OK;
}
