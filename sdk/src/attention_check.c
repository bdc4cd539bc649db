/* sdk/src/attention_check.c — pio_attention_check: every field of an
 * attention call against its shape, so a plugin's mistake is a message at
 * set-up rather than a wrong read at run time. */
#include <math.h>
#include <stdint.h>

#include "pio/attention.h"

/* Largest head size accepted: past every published model, and keeps the
 * scratch and every index product far inside size_t. */
#define MAX_HEAD_DIM 65536u

static pio_status check_shape(const pio_attention_shape *s, pio_error *err) {
  if (s->n_heads == 0 || s->n_kv_heads == 0 || s->n_heads % s->n_kv_heads != 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: n_kv_heads (%u) must be "
                         ">= 1 and divide n_heads (%u)", s->n_kv_heads, s->n_heads);
  if (s->k_dim == 0 || s->k_dim > MAX_HEAD_DIM || s->v_dim == 0 || s->v_dim > MAX_HEAD_DIM)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: k_dim (%u) and v_dim (%u) "
                         "must be 1 to %u", s->k_dim, s->v_dim, MAX_HEAD_DIM);
  return PIO_OK;
}

/* A [count][dim] set of heads with the given stride fits inside the
 * stride of the next level (token or position): heads do not overlap. */
static pio_status check_heads(const char *what, uint32_t count, size_t head_stride, uint32_t dim,
                              size_t outer_stride, int need_outer, pio_error *err) {
  if (count > 1 && head_stride < dim)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: %s head stride %zu is "
                         "below its head size %u", what, head_stride, dim);
  const size_t span = (size_t)(count - 1) * head_stride + dim;
  if (need_outer && outer_stride < span)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: %s row stride %zu is "
                         "below the %zu floats its heads span", what, outer_stride, span);
  return PIO_OK;
}

pio_status pio_attention_check(const pio_attention_args *a, uint32_t n_threads,
                               pio_error *err) {
  if (a == NULL) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: args NULL");
  const pio_attention_shape *s = &a->shape;
  pio_status st = check_shape(s, err);
  if (st != PIO_OK) return st;
  if (a->n_tokens == 0 || a->start > UINT32_MAX - a->n_tokens)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: %u tokens at position %u",
                         a->n_tokens, a->start);
  if (a->q == NULL || a->k == NULL || a->v == NULL || a->out == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: q, k, v or out is NULL");
  const int many_tokens = a->n_tokens > 1, many_positions = a->start + a->n_tokens > 1;
  if ((st = check_heads("query", s->n_heads, a->q_head_stride, s->k_dim, a->q_token_stride,
                        many_tokens, err)) ||
      (st = check_heads("key", s->n_kv_heads, a->k_head_stride, s->k_dim, a->k_pos_stride,
                        many_positions, err)) ||
      (st = check_heads("value", s->n_kv_heads, a->v_head_stride, s->v_dim, a->v_pos_stride,
                        many_positions, err)) ||
      (st = check_heads("output", s->n_heads, a->out_head_stride, s->v_dim,
                        a->out_token_stride, many_tokens, err)))
    return st;
  if (!isfinite(a->scale) || !(a->softcap >= 0) || !isfinite(a->softcap))
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: scale (%g) must be finite "
                         "and softcap (%g) finite and >= 0", a->scale, a->softcap);
  const size_t need = pio_attention_scratch_size(s, n_threads);
  if (a->scratch == NULL || (uintptr_t)a->scratch % 64 != 0 || a->scratch_size < need)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "attention: scratch of %zu bytes at %p;"
                         " needs %zu, 64-byte aligned, for %u threads", a->scratch_size,
                         a->scratch, need, n_threads);
  return PIO_OK;
}
