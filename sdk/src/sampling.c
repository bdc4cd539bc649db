/* sdk/src/sampling.c — next-token sampling in Transformers' order
 * (RepetitionPenalty, Temperature, TopK, TopP, MinP logits processors,
 * then softmax and a multinomial draw), on a xoshiro256** generator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pio/sampling.h"

struct pio_sampler {
  pio_sampling s;
  uint32_t n;
  uint64_t state[4];
  double *scores;  /* [n] working logits, -inf for removed tokens */
  uint32_t *order; /* [n] the candidates still in */
  double *heap;    /* [n] top-k selection */
  float *probs;    /* [n] */
};

void pio_sampling_defaults(pio_sampling *s) {
  s->temperature = 0;
  s->top_k = 0;
  s->top_p = 1;
  s->min_p = 0;
  s->repeat_penalty = 1;
  s->seed = 0;
}

pio_status pio_sampling_check(const pio_sampling *s, pio_error *err) {
  if (!(s->temperature >= 0) || !isfinite(s->temperature))
    return pio_error_set(err, PIO_ERR_INVALID, "temperature: expected 0 (greedy) or more, found %g",
                         s->temperature);
  if (!(s->top_p > 0 && s->top_p <= 1))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "top_p: expected more than 0 and at most 1, found %g", s->top_p);
  if (!(s->min_p >= 0 && s->min_p <= 1))
    return pio_error_set(err, PIO_ERR_INVALID, "min_p: expected 0 to 1, found %g", s->min_p);
  if (!(s->repeat_penalty > 0) || !isfinite(s->repeat_penalty))
    return pio_error_set(err, PIO_ERR_INVALID, "repeat_penalty: expected more than 0, found %g",
                         s->repeat_penalty);
  return PIO_OK;
}

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(uint64_t *s) {
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

pio_status pio_sampler_new(const pio_sampling *s, uint32_t n_vocab, pio_sampler **out,
                           pio_error *err) {
  *out = NULL;
  pio_status st = pio_sampling_check(s, err);
  if (st != PIO_OK) return st;
  if (n_vocab == 0)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "sampler: empty vocabulary");
  pio_sampler *p = calloc(1, sizeof *p);
  if (p == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  p->s = *s;
  p->n = n_vocab;
  p->scores = malloc(n_vocab * sizeof *p->scores);
  p->order = malloc(n_vocab * sizeof *p->order);
  p->probs = malloc(n_vocab * sizeof *p->probs);
  p->heap = malloc(n_vocab * sizeof *p->heap);
  if (!p->scores || !p->order || !p->probs || !p->heap) {
    pio_sampler_free(p);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "sampler of %u tokens: out of memory", n_vocab);
  }
  uint64_t x = s->seed;
  for (int i = 0; i < 4; i++) p->state[i] = splitmix(&x);
  *out = p;
  return PIO_OK;
}

void pio_sampler_free(pio_sampler *p) {
  if (p == NULL) return;
  free(p->scores);
  free(p->order);
  free(p->probs);
  free(p->heap);
  free(p);
}

static int by_score_desc(const void *a, const void *b, void *ctx) {
  const double *scores = ctx;
  uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
  if (scores[i] != scores[j]) return scores[i] > scores[j] ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* The k-th largest of scores[n] (k <= n): a min-heap of the k largest. */
static double kth_largest(const double *scores, uint32_t n, uint32_t k, double *heap) {
  uint32_t size = 0;
  for (uint32_t i = 0; i < n; i++) {
    double v = scores[i];
    if (size < k) {
      uint32_t c = size++;
      while (c > 0 && heap[(c - 1) / 2] > v) heap[c] = heap[(c - 1) / 2], c = (c - 1) / 2;
      heap[c] = v;
    } else if (v > heap[0]) {
      uint32_t c = 0;
      for (;;) {
        uint32_t l = 2 * c + 1, m = c;
        double least = v;
        if (l < k && heap[l] < least) m = l, least = heap[l];
        if (l + 1 < k && heap[l + 1] < least) m = l + 1;
        if (m == c) break;
        heap[c] = heap[m];
        c = m;
      }
      heap[c] = v;
    }
  }
  return heap[0];
}

/* RepetitionPenaltyLogitsProcessor: each token of the history once. */
static void penalize(pio_sampler *p, const int32_t *history, size_t n_history) {
  if (p->s.repeat_penalty == 1) return;
  for (size_t i = 0; i < n_history; i++) {
    int32_t t = history[i];
    if (t < 0 || (uint32_t)t >= p->n) continue;
    size_t k = 0;
    while (k < i && history[k] != t) k++;
    if (k < i) continue; /* already penalized */
    double v = p->scores[t];
    p->scores[t] = v < 0 ? v * p->s.repeat_penalty : v / p->s.repeat_penalty;
  }
}

/* softmax over the tokens still in (scores > -inf), into probs. */
static void softmax(pio_sampler *p, float *probs) {
  double max = -INFINITY, sum = 0;
  for (uint32_t i = 0; i < p->n; i++)
    if (p->scores[i] > max) max = p->scores[i];
  for (uint32_t i = 0; i < p->n; i++) {
    double e = p->scores[i] == -INFINITY ? 0 : exp(p->scores[i] - max);
    probs[i] = (float)e;
    sum += e;
  }
  for (uint32_t i = 0; i < p->n; i++) probs[i] = (float)(probs[i] / sum);
}

void pio_sampler_probs(pio_sampler *p, const float *logits, const int32_t *history,
                       size_t n_history, float *probs) {
  for (uint32_t i = 0; i < p->n; i++) p->scores[i] = isnan(logits[i]) ? -INFINITY : logits[i];
  penalize(p, history, n_history);
  if (p->s.temperature == 0) {
    uint32_t best = 0;
    for (uint32_t i = 1; i < p->n; i++)
      if (p->scores[i] > p->scores[best]) best = i;
    memset(probs, 0, p->n * sizeof *probs);
    probs[best] = 1;
    return;
  }
  for (uint32_t i = 0; i < p->n; i++) p->scores[i] /= p->s.temperature;
  /* top-k: keep what is at least the k-th largest (ties kept, as torch.topk's threshold) */
  if (p->s.top_k > 0 && p->s.top_k < p->n) {
    double kth = kth_largest(p->scores, p->n, p->s.top_k, p->heap);
    for (uint32_t i = 0; i < p->n; i++)
      if (p->scores[i] < kth) p->scores[i] = -INFINITY;
  }
  /* top-p: drop the least likely while their cumulative share is at most 1 - top_p */
  if (p->s.top_p < 1) {
    uint32_t m = 0;
    for (uint32_t i = 0; i < p->n; i++)
      if (p->scores[i] > -INFINITY) p->order[m++] = i;
    qsort_r(p->order, m, sizeof *p->order, by_score_desc, p->scores);
    softmax(p, p->probs);
    double cum = 0;
    for (uint32_t k = m; k-- > 1;) { /* ascending; the most likely always stays */
      uint32_t i = p->order[k];
      cum += p->probs[i];
      if (cum <= 1 - p->s.top_p)
        p->scores[i] = -INFINITY;
      else
        break;
    }
  }
  /* min-p: drop tokens less likely than min_p times the most likely */
  if (p->s.min_p > 0) {
    softmax(p, p->probs);
    float top = 0;
    for (uint32_t i = 0; i < p->n; i++)
      if (p->probs[i] > top) top = p->probs[i];
    for (uint32_t i = 0; i < p->n; i++)
      if (p->probs[i] < p->s.min_p * top) p->scores[i] = -INFINITY;
  }
  softmax(p, probs);
}

int32_t pio_sampler_sample(pio_sampler *p, const float *logits, const int32_t *history,
                           size_t n_history) {
  pio_sampler_probs(p, logits, history, n_history, p->probs);
  if (p->s.temperature == 0) {
    for (uint32_t i = 0; i < p->n; i++)
      if (p->probs[i] == 1) return (int32_t)i;
  }
  double u = (double)(next_u64(p->state) >> 11) * (1.0 / 9007199254740992.0), cum = 0;
  uint32_t last = 0;
  for (uint32_t i = 0; i < p->n; i++) {
    if (p->probs[i] == 0) continue;
    cum += p->probs[i];
    last = i;
    if (u < cum) return (int32_t)i;
  }
  return (int32_t)last; /* rounding left u past the sum */
}
