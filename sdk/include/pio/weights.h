/* pio/weights.h — a model's weights as a plugin builds them, from files or
 * synthetic, by the same calls: each tensor asked for by its Hugging Face
 * name and exact shape.  From files, matrices stay in the files' dtype and,
 * where possible, in the mapping itself; norm and bias vectors are widened
 * to f32; what a plugin stacks is copied once.  Synthetic, the same calls
 * draw deterministic random values (each tensor from its own name's stream)
 * scaled so activations keep unit size.  The set owns every buffer it made
 * and counts the bytes of every tensor it holds, once. */
#ifndef PIO_WEIGHTS_H
#define PIO_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/kernels.h"
#include "pio/safetensors.h"
#include "pio/status.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One buffer a set owns (internal to the set). */
typedef struct pio_weight_buffer {
  void *data;
  size_t bytes;
  int pages; /* from pio_pages_alloc (large), else aligned_alloc */
} pio_weight_buffer;

/* A weight set.  Zero it, then pio_weights_open (files) or
 * pio_weights_synthetic (random); free with pio_weights_free. */
typedef struct pio_weights {
  pio_safetensors *files;     /* the opened files; NULL when synthetic */
  char *dir;                  /* the folder, for messages; owned; NULL when synthetic */
  /* Synthetic: the values' dtype, seed, and the pool that fills them. */
  pio_dtype dtype;
  uint64_t seed;
  pio_threadpool *pool;       /* not owned; may be NULL */
  int mapped;                 /* the files are mapped (PIO_WEIGHTS_MAP) */
  pio_weight_buffer *owned;   /* buffers to free */
  size_t n_owned, cap_owned;
  uint64_t bytes;             /* every tensor held, as stored (a copy counts, its source not) */
} pio_weights;

/* Opens the safetensors of dir (pio_safetensors_open_dir_with), mapped
 * (PIO_WEIGHTS_MAP) or read into memory (PIO_WEIGHTS_READ, pio/plugin.h).
 * Errors name the folder or the file. */
pio_status pio_weights_open(pio_weights *w, const char *dir, uint32_t load, pio_error *err);

/* Makes w a synthetic set of dtype (F32, BF16 or F16) seeded with seed,
 * filled with pool (may be NULL; kept, not owned). */
pio_status pio_weights_synthetic(pio_weights *w, pio_dtype dtype, uint64_t seed,
                                 pio_threadpool *pool, pio_error *err);

/* A 64-byte aligned buffer of bytes that w owns (huge pages advised from
 * 2 MiB up).  Not counted in w->bytes; NULL with err filled when out of
 * memory. */
void *pio_weights_alloc(pio_weights *w, size_t bytes, pio_error *err);

/* The matrix name[rows][cols].  From files: the tensor with exactly that
 * shape (missing or misshapen: an error naming the tensor and the file),
 * viewed in place.  Synthetic: uniform values of standard deviation
 * 1/sqrt(cols), in w->dtype. */
pio_status pio_weights_matrix(pio_weights *w, const char *name, uint32_t rows, uint32_t cols,
                              pio_matrix *out, pio_error *err);

/* The vector name[n], widened to f32 in a buffer w owns.  Synthetic: every
 * element is fill (1 for a norm's weight, 0 for a bias), or, when
 * fill_std > 0, random of mean fill and that standard deviation. */
pio_status pio_weights_vector(pio_weights *w, const char *name, uint32_t n, float fill,
                              float fill_std, const float **out, pio_error *err);

/* The matrices names[n_parts] (rows[i] x cols each) as one matrix of their
 * rows in turn, which one matmul reads.  From files: used in place when
 * they lie one after another in one file with one dtype, else copied into
 * one buffer (their common dtype, f32 when they differ).  Synthetic: one
 * random matrix (its stream named by names[0]). */
pio_status pio_weights_stacked(pio_weights *w, const char *const *names, const uint32_t *rows,
                               size_t n_parts, uint32_t cols, pio_matrix *out, pio_error *err);

/* How a fused experts tensor orders an expert's output features. */
typedef enum pio_experts_order {
  PIO_EXPERTS_IN_ORDER = 0,   /* as they come (Llama 4: the gate half, then the up half) */
  PIO_EXPERTS_INTERLEAVED = 1 /* gate 0, up 0, gate 1, up 1, ... (GPT-OSS): even ones
                                 first, then the odd ones, as pio/mlp.h stacks them */
} pio_experts_order;

/* Each expert's matrix of a fused tensor as Transformers holds GPT-OSS's
 * and Llama 4's experts: name[n_experts][cols][rows] (input-major, x . W),
 * into out[n_experts], each [rows][cols] row-major as pio_matmul reads it,
 * its rows in order.  From files: transposed into one buffer w owns, in
 * the tensor's dtype (held: the copy, not the source).  Synthetic: one
 * random matrix an expert.  Errors name the tensor, the file and the
 * shapes. */
pio_status pio_weights_experts(pio_weights *w, const char *name, uint32_t n_experts,
                               uint32_t rows, uint32_t cols, pio_experts_order order,
                               pio_matrix *out, pio_error *err);

/* Their biases: name[n_experts][n] widened to f32 into one buffer w owns,
 * *out[e * n + i], each expert's reordered as pio_weights_experts orders
 * its rows.  Synthetic: random of standard deviation fill_std. */
pio_status pio_weights_expert_biases(pio_weights *w, const char *name, uint32_t n_experts,
                                     uint32_t n, pio_experts_order order, float fill_std,
                                     const float **out, pio_error *err);

/* The output head of a causal LM: lm_head.weight [vocab][d], or, when
 * tied, *embed itself; a tied checkpoint may still carry lm_head.weight,
 * which (as Transformers does) is not used but must have its shape.  Also
 * the final norm model.norm.weight [d] into *final_norm. */
pio_status pio_weights_output_head(pio_weights *w, int tied, const pio_matrix *embed,
                                   pio_matrix *lm_head, const float **final_norm,
                                   pio_error *err);

/* The tensor name if the files hold it (NULL when synthetic or absent),
 * without marking it used. */
const pio_tensor_info *pio_weights_find(const pio_weights *w, const char *name);

/* From files: every tensor must have been asked for.  Tensors for which
 * ignorable(name, ctx) is non-zero (ignorable may be NULL) are let pass, as
 * Transformers lets its ignored keys pass; any other is PIO_ERR_INVALID
 * naming the folder, how many there are and the first few ("... that
 * architecture with this config.json does not use").  Synthetic: PIO_OK. */
pio_status pio_weights_check_unused(const pio_weights *w, const char *architecture,
                                    int (*ignorable)(const char *name, const void *ctx),
                                    const void *ctx, pio_error *err);

/* *m rewritten into layout (pio_matrix_set_layout, pio/kernels.h),
 * threaded over pool (may be NULL): in place when m lies in a buffer w
 * owns (a stack, a synthetic or widened tensor), else into a new buffer w
 * owns (a view into the files, whose mapped pages are then given back:
 * pio_pages_discard_mapped).  PIO_ERR_INVALID when m does not fit the
 * layout. */
pio_status pio_weights_set_layout(pio_weights *w, pio_threadpool *pool, pio_matrix *m,
                                  pio_matrix_layout layout, pio_error *err);
/* Each of mats[n] that fits layout (pio_matrix_layout_fits) rewritten by
 * pio_weights_set_layout, *bytes growing by its bytes; nothing for
 * PIO_LAYOUT_ROWS. */
pio_status pio_weights_set_layouts(pio_weights *w, pio_threadpool *pool, pio_matrix *const *mats,
                                   size_t n, pio_matrix_layout layout, uint64_t *bytes,
                                   pio_error *err);
/* Bytes of a matrix as stored. */
uint64_t pio_matrix_bytes(const pio_matrix *m);

/* Frees every buffer and closes the files; w is zeroed. */
void pio_weights_free(pio_weights *w);

#ifdef __cplusplus
}
#endif
#endif
