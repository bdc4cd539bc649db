/* pio/generation_config.h — what a Hugging Face model folder says about
 * generating: the end-of-sequence ids (generation_config.json, else
 * config.json) and the default sampling (generation_config.json's
 * do_sample, temperature, top_k, top_p, min_p, repetition_penalty, read
 * with Transformers' defaults: greedy unless do_sample). */
#ifndef PIO_GENERATION_CONFIG_H
#define PIO_GENERATION_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pio/sampling.h"
#include "pio/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PIO_GENERATION_MAX_EOS 16

typedef struct pio_generation_config {
  int32_t eos[PIO_GENERATION_MAX_EOS]; /* the ids that end a sequence */
  size_t n_eos;
  int32_t bos;               /* bos_token_id, or -1 */
  pio_sampling sampling;     /* the folder's defaults (seed 0) */
  int has_generation_config; /* generation_config.json was there */
} pio_generation_config;

/*
 * Reads dir/generation_config.json (optional) and dir/config.json
 * (optional): a file that is there but wrong is an error naming it and the
 * field (PIO_ERR_PARSE, PIO_ERR_INVALID); absent files leave the defaults
 * (no EOS ids, greedy).
 */
pio_status pio_generation_config_read(const char *dir, pio_generation_config *out, pio_error *err);

#ifdef __cplusplus
}
#endif
#endif
