/* pio/sampling.h — choosing the next token from a model's logits as
 * Transformers' generate() does: repetition penalty, then temperature,
 * top-k, top-p and min-p, then a draw from what is left (greedy at
 * temperature 0), with a seeded generator so that the same seed gives the
 * same tokens. */
#ifndef PIO_SAMPLING_H
#define PIO_SAMPLING_H

#include <stddef.h>
#include <stdint.h>

#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pio_sampling {
  double temperature;    /* 0: greedy (argmax); else > 0 */
  uint32_t top_k;        /* 0: off */
  double top_p;          /* (0, 1]; 1: off */
  double min_p;          /* [0, 1]; 0: off */
  double repeat_penalty; /* > 0; 1: off (Transformers' repetition_penalty) */
  uint64_t seed;
} pio_sampling;

/* Greedy: temperature 0, every filter off, seed 0. */
void pio_sampling_defaults(pio_sampling *s);
/* Checks each value's range; PIO_ERR_INVALID naming the field. */
pio_status pio_sampling_check(const pio_sampling *s, pio_error *err);

/* A sampler for a vocabulary of n_vocab: its generator and scratch.
 * Owned by the caller (pio_sampler_free); one thread at a time. */
typedef struct pio_sampler pio_sampler;
pio_status pio_sampler_new(const pio_sampling *s, uint32_t n_vocab, pio_sampler **out,
                           pio_error *err);
void pio_sampler_free(pio_sampler *sampler);

/* The distribution the next token is drawn from: probs[n_vocab], 0 for
 * every token a filter removed (at temperature 0: 1 for the argmax).
 * history (the sequence so far, prompt included) is what the repetition
 * penalty sees; it may be NULL with n_history 0. */
void pio_sampler_probs(pio_sampler *sampler, const float *logits, const int32_t *history,
                       size_t n_history, float *probs);
/* Draws the next token (advances the generator unless greedy). */
int32_t pio_sampler_sample(pio_sampler *sampler, const float *logits, const int32_t *history,
                           size_t n_history);

#ifdef __cplusplus
}
#endif
#endif
