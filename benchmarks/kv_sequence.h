/* benchmarks/kv_sequence.h — the cache one sequence holds, from a plugin's
 * KV figures and their layer classes (pio_kv_figures, ABI 1.2).  A layer
 * that keeps every token holds ISL + OSL of them; a sliding or chunked
 * layer of window W never more than W - 1 plus the tokens in flight (a
 * prefill step's chunk, or one token while decoding); a state layer its
 * fixed state whatever the length.  docs/benchmarks.md has the formulas. */
#ifndef PIO_BENCH_KV_SEQUENCE_H
#define PIO_BENCH_KV_SEQUENCE_H

#include <stdint.h>

#include "pio/plugin.h"

typedef struct pio_bench_kv_sequence {
  uint64_t isl, osl;      /* prompt and generated tokens */
  uint64_t prefill_chunk; /* tokens one prefill step computes; 0: the whole prompt */
  uint32_t page_size;     /* tokens per page, >= 1 */
} pio_bench_kv_sequence;

/* Tokens a layer of class c holds at the peak of the sequence (0 for a
 * state layer), and the pages it takes. */
uint64_t pio_bench_kv_class_tokens(const pio_kv_class *c, const pio_bench_kv_sequence *q);
uint64_t pio_bench_kv_class_pages(const pio_kv_class *c, const pio_bench_kv_sequence *q);

/*
 * Bytes of the sequence on every layer of f (f->n_layers of them, split
 * into pp stages as pio_kv_stage_layers does): *whole for the model, every
 * distinct byte once; *largest_rank for one rank of the stage that holds
 * the most.  paged: whole pages of q->page_size tokens instead of exact
 * tokens.  Figures of a plugin older than ABI 1.2 (no classes) count every
 * layer full.  Returns -1 when a count exceeds 64 bits, else 0.
 */
int pio_bench_kv_sequence_bytes(const pio_kv_figures *f, uint32_t pp,
                                const pio_bench_kv_sequence *q, int paged, uint64_t *whole,
                                uint64_t *largest_rank);

#endif
