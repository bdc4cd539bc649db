/* benchmarks/kv_sequence.c — what one sequence of ISL + OSL tokens holds in
 * a model's cache, layer class by layer class (kv_sequence.h): a full
 * layer every token, a sliding or chunked layer no more than its window
 * plus the tokens in flight, a state layer its fixed state; whole model,
 * and on the largest pipeline stage, exactly or in whole pages. */
#include "kv_sequence.h"

#include "pio/kv.h"

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static uint64_t ceil_div(uint64_t a, uint64_t b) { return b ? a / b + (a % b != 0) : 0; }

uint64_t pio_bench_kv_class_tokens(const pio_kv_class *c, const pio_bench_kv_sequence *q) {
  const uint64_t total = q->isl + q->osl;
  switch (c->kind) {
    case PIO_KV_LAYER_STATE:
      return 0;
    case PIO_KV_LAYER_SLIDING:
    case PIO_KV_LAYER_CHUNKED: {
      /* The window's last window - 1 tokens stay while a step computes the
       * next ones: the prompt's chunks during prefill, one token a step
       * while decoding.  The peak of the two is what the layer needs. */
      const uint64_t keep = c->window > 0 ? c->window - 1 : 0;
      const uint64_t step = q->prefill_chunk ? min_u64(q->prefill_chunk, q->isl) : q->isl;
      const uint64_t prefill = min_u64(q->isl, keep + step);
      const uint64_t decode = q->osl ? min_u64(total, keep + 1) : 0;
      return max_u64(prefill, decode);
    }
    default:
      return total;
  }
}

uint64_t pio_bench_kv_class_pages(const pio_kv_class *c, const pio_bench_kv_sequence *q) {
  if (c->kind == PIO_KV_LAYER_STATE) return 0;
  const uint64_t all = ceil_div(q->isl + q->osl, q->page_size);
  if (c->kind == PIO_KV_LAYER_FULL) return all;
  /* A window rarely starts on a page boundary: one page more, as vLLM
   * allocates, but never more than the whole sequence takes. */
  return min_u64(all, ceil_div(pio_bench_kv_class_tokens(c, q), q->page_size) + 1);
}

/* Bytes one layer of class c holds: tokens (or whole pages) x bytes per
 * token, plus its state; per rank or whole. */
static uint64_t layer_bytes(const pio_kv_class *c, const pio_bench_kv_sequence *q, int rank,
                            int paged, int *bad) {
  const uint64_t per_token =
      rank ? c->bytes_per_token_per_layer_per_rank : c->bytes_per_token_per_layer;
  const uint64_t state = rank ? c->state_bytes_per_layer_per_rank : c->state_bytes_per_layer;
  uint64_t tokens = paged ? 0 : pio_bench_kv_class_tokens(c, q), bytes = 0;
  if (paged && pio_kv_mul_u64(pio_bench_kv_class_pages(c, q), q->page_size, &tokens) != 0) *bad = 1;
  if (pio_kv_mul_u64(tokens, per_token, &bytes) != 0 || bytes > UINT64_MAX - state) *bad = 1;
  return bytes + state;
}

/* a + b, remembering an overflow. */
static uint64_t add(uint64_t a, uint64_t b, int *bad) {
  if (a > UINT64_MAX - b) *bad = 1;
  return a + b;
}

/* A plugin older than ABI 1.2 describes no classes: every layer keeps
 * every token, at the figures' bytes per token. */
static int legacy_bytes(const pio_kv_figures *f, const pio_bench_kv_sequence *q, int paged,
                        uint64_t *whole, uint64_t *largest_rank) {
  uint64_t tokens = q->isl + q->osl;
  if (paged && pio_kv_mul_u64(ceil_div(tokens, q->page_size), q->page_size, &tokens) != 0)
    return -1;
  return pio_kv_mul_u64(f->bytes_per_token, tokens, whole) != 0 ||
                 pio_kv_mul_u64(f->bytes_per_token_per_rank, tokens, largest_rank) != 0
             ? -1
             : 0;
}

int pio_bench_kv_sequence_bytes(const pio_kv_figures *f, uint32_t pp,
                                const pio_bench_kv_sequence *q, int paged, uint64_t *whole,
                                uint64_t *largest_rank) {
  if (f->n_classes == 0) return legacy_bytes(f, q, paged, whole, largest_rank);
  int bad = 0;
  uint64_t all = 0, largest = 0;
  for (uint32_t stage = 0; stage < pp; stage++) {
    uint32_t first = 0, count = 0;
    pio_kv_stage_layers(f->n_layers, pp, stage, &first, &count);
    uint64_t bytes = 0;
    for (uint32_t i = first; i < first + count; i++) {
      const pio_kv_class *c = &f->classes[f->layer_class != NULL ? f->layer_class[i] : 0];
      bytes = add(bytes, layer_bytes(c, q, 1, paged, &bad), &bad);
      all = add(all, layer_bytes(c, q, 0, paged, &bad), &bad);
    }
    largest = max_u64(largest, bytes);
  }
  *whole = all;
  *largest_rank = largest;
  return bad ? -1 : 0;
}
