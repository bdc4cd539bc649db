/* pio/forward.h — what every decoder-only forward pass does the same way,
 * whatever its layers: checking a call's tokens against the vocabulary and
 * the cache, widening embedding rows, and running a long prompt in chunks
 * of at most the scratch's size. */
#ifndef PIO_FORWARD_H
#define PIO_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "pio/kernels.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pio_model_api.forward's argument checks: tokens and logits not NULL,
 * n >= 1, every id in [0, vocab), and n more tokens fitting the cache of
 * max_context after position.  The errors name the token and the limit. */
pio_status pio_forward_check(const int32_t *tokens, uint32_t n, const float *logits,
                             uint32_t vocab, uint32_t position, uint32_t max_context,
                             pio_error *err);

/* x[n][embed->cols] = rows tokens[n] of embed (any dtype), widened to f32.
 * The ids must be checked already. */
void pio_embed_rows(const pio_matrix *embed, const int32_t *tokens, uint32_t n, float *x);

/* Runs one chunk of n tokens: writes logits[n][vocab] when all_logits,
 * else, when last_chunk, logits[vocab] of its last token. */
typedef void (*pio_forward_chunk_fn)(void *model, const int32_t *tokens, uint32_t n,
                                     float *logits, int all_logits, int last_chunk);

/* Calls run on tokens[n_tokens] in chunks of at most chunk (>= 1) tokens,
 * in order, with each chunk's share of logits. */
void pio_forward_chunks(void *model, pio_forward_chunk_fn run, const int32_t *tokens,
                        uint32_t n_tokens, uint32_t chunk, size_t vocab, float *logits,
                        int all_logits);

#ifdef __cplusplus
}
#endif
#endif
