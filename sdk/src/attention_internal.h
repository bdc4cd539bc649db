/* sdk/src/attention_internal.h — the three inner kernels of the tiled
 * attention (attention.c drives them) that each variant provides: scores
 * of a tile of query rows against a block of keys, the online-softmax step
 * on them, and the weighted sum of values.
 *
 * Scores are key-major (s[key][row]): one key's logits for every row of a
 * tile lie together, so the softmax and the widest score kernel run along
 * rows.  Buffers the driver hands over hold PIO_ATTN_TILE_ROWS rows (a
 * multiple of 16), so a kernel may round rows up to a multiple of 4 and
 * compute the extra rows (their q rows are zero; the results are never
 * used).  Query and output rows are padded with zeros to a multiple of 16
 * floats; key and value rows are not padded (they are the caller's
 * cache). */
#ifndef PIO_SDK_ATTENTION_INTERNAL_H
#define PIO_SDK_ATTENTION_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels_internal.h"

/* Query rows of one tile: (token, head) pairs of one KV head. */
#define PIO_ATTN_TILE_ROWS 64u
/* Keys of one block. */
#define PIO_ATTN_BLOCK_KEYS 64u

typedef struct pio_attn_ops {
  /* The tile's query rows q[rows][q_stride] (dim floats, then zeros) put in
   * the layout this path's scores want, into packed (rows x q_stride
   * floats); NULL when the path reads q as it is. */
  void (*pack_queries)(const float *q, size_t q_stride, uint32_t rows, uint32_t dim,
                       float *packed);
  /* s[j][r] = q[r] . key_j, r < rows, j < n_keys: key-major, keys
   * s_stride floats apart (4 for rows <= 4, 8 for rows <= 8, else a
   * multiple of 16 >= rows); q[r] at q + r * q_stride, packed as
   * pack_queries left it; key_j at k + j * k_stride. */
  void (*scores)(const float *q, size_t q_stride, const float *packed, uint32_t rows,
                 const float *k, size_t k_stride, uint32_t n_keys, uint32_t dim, float *s,
                 size_t s_stride);
  /* Per row r < rows, over s[0 .. n_keys)[r] (masked entries -inf):
   * m' = max(m[r], max_j s[j][r]); s[j][r] = exp(s[j][r] - m');
   * alpha[r] = exp(m[r] - m'); l[r] = l[r] * alpha[r] + sum_j s[j][r];
   * m[r] = m'.  A row whose m' is -inf (nothing visible yet) gets zeros
   * and alpha 1. */
  void (*softmax)(float *s, size_t s_stride, uint32_t rows, uint32_t n_keys, float *m, float *l,
                  float *alpha);
  /* o[r][c] = alpha[r] * o[r][c] + sum_j p[j][r] * value_j[c], c < dim;
   * value_j at v + j * v_stride; o rows o_stride apart (a multiple of 16). */
  void (*accumulate)(const float *p, size_t p_stride, uint32_t rows, const float *v,
                     size_t v_stride, uint32_t n_keys, uint32_t dim, const float *alpha,
                     float *o, size_t o_stride);
} pio_attn_ops;

PIO_HIDDEN extern const pio_attn_ops pio_attn_scalar_ops;
#if defined(PIO_HAVE_AVX2)
PIO_HIDDEN extern const pio_attn_ops pio_attn_avx2_ops;
#endif
#if defined(PIO_HAVE_AVX512)
PIO_HIDDEN extern const pio_attn_ops pio_attn_avx512_ops;
#endif

#endif
