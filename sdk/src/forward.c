/* sdk/src/forward.c — the parts of a forward pass no family changes
 * (pio/forward.h). */
#include "pio/forward.h"

pio_status pio_forward_check(const int32_t *tokens, uint32_t n, const float *logits,
                             uint32_t vocab, uint32_t position, uint32_t max_context,
                             pio_error *err) {
  if (tokens == NULL || logits == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: tokens or logits is NULL");
  if (n == 0) return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: no tokens given");
  if (position > max_context || n > max_context - position)
    return pio_error_set(err, PIO_ERR_LIMIT, "forward: %u new tokens after %u do not fit the "
                         "KV cache of %u tokens", n, position, max_context);
  for (uint32_t t = 0; t < n; t++)
    if (tokens[t] < 0 || (uint32_t)tokens[t] >= vocab)
      return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "forward: token %u is %d, outside "
                           "the vocabulary [0, %u)", t, (int)tokens[t], vocab);
  return PIO_OK;
}

void pio_embed_rows(const pio_matrix *e, const int32_t *tokens, uint32_t n, float *x) {
  const size_t row_bytes = (size_t)e->cols * pio_dtype_size(e->dtype);
  for (uint32_t t = 0; t < n; t++)
    pio_to_f32((const unsigned char *)e->data + (size_t)tokens[t] * row_bytes, e->dtype, e->cols,
               x + (size_t)t * e->cols);
}

void pio_forward_chunks(void *model, pio_forward_chunk_fn run, const int32_t *tokens,
                        uint32_t n_tokens, uint32_t chunk, size_t vocab, float *logits,
                        int all_logits) {
  for (uint32_t done = 0; done < n_tokens;) {
    const uint32_t n = n_tokens - done < chunk ? n_tokens - done : chunk;
    run(model, tokens + done, n, all_logits ? logits + (size_t)done * vocab : logits, all_logits,
        done + n == n_tokens);
    done += n;
  }
}
