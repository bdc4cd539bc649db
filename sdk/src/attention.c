/* sdk/src/attention.c — the tiled causal attention: how a call is cut into
 * work items (a tile of query rows of one KV head, and for decode a range
 * of positions), the masks, soft-cap and sinks, the merge of split
 * results, and the threads.  The inner kernels are the path's
 * (attention_internal.h). */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "attention_internal.h"
#include "block_paths.h"
#include "pio/attention.h"

/* A call splits positions (flash-decoding) only when its rows, n_tokens x
 * n_heads, are this few: then each row's partial results of every split
 * fit the scratch, and there are too few row tiles to keep threads busy. */
#define SPLIT_ROWS_MAX 128u
#define MAX_SPLITS 16u
/* A split covers at least this many positions, so its fixed costs (the
 * query copy, the partial write and merge) stay small beside its keys. */
#define MIN_SPLIT_KEYS 256u
/* Work items a split call aims for: enough for many threads, fixed so the
 * result does not depend on how many there are. */
#define TARGET_ITEMS 64u

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* Where each buffer lies in the scratch, in floats from its start. */
typedef struct scratch_layout {
  size_t kpad, vpad;            /* query and output rows, padded to 16 floats */
  size_t q, packed, s, o, m, l, alpha; /* per-thread buffers, from the thread's base */
  size_t per_thread;
  size_t partial_row;           /* floats of one split result: o[vpad], m, l, padding */
  size_t partials;              /* [MAX_SPLITS][SPLIT_ROWS_MAX][partial_row], after threads */
  size_t total;
} scratch_layout;

static scratch_layout layout_of(const pio_attention_shape *shape, uint32_t n_threads) {
  const size_t rows = PIO_ATTN_TILE_ROWS;
  scratch_layout L;
  L.kpad = round_up(shape->k_dim, 16);
  L.vpad = round_up(shape->v_dim, 16);
  L.q = 0;
  L.packed = L.q + rows * L.kpad;
  L.s = L.packed + rows * L.kpad;
  L.o = L.s + rows * PIO_ATTN_BLOCK_KEYS;
  L.m = L.o + rows * L.vpad;
  L.l = L.m + rows;
  L.alpha = L.l + rows;
  L.per_thread = round_up(L.alpha + rows, 16);
  L.partial_row = L.vpad + 16;
  L.partials = L.per_thread * (n_threads ? n_threads : 1);
  L.total = L.partials + (size_t)MAX_SPLITS * SPLIT_ROWS_MAX * L.partial_row;
  return L;
}

size_t pio_attention_scratch_size(const pio_attention_shape *shape, uint32_t n_threads) {
  return layout_of(shape, n_threads).total * sizeof(float);
}

/* One call, as the threads share it. */
typedef struct attn_call {
  const pio_attention_args *a;
  const pio_attn_ops *ops;
  scratch_layout L;
  float *scratch;
  uint32_t group;       /* query heads per KV head */
  uint32_t tile_rows;   /* rows of one KV head: n_tokens x group */
  uint32_t n_tiles;
  uint32_t n_splits;    /* 1: no split, rows finished in place */
  uint32_t split_len;
  uint32_t vis_lo;      /* positions some new token sees: [vis_lo, vis_hi) */
  uint32_t vis_hi;
  float q_scale;        /* scale, divided by softcap when there is one */
  uint32_t n_items;
  atomic_uint next_item;
} attn_call;

/* Positions [*lo, *hi) that the new token t sees. */
static void visible(const pio_attention_args *a, uint32_t t, uint32_t *lo, uint32_t *hi) {
  *hi = a->start + t + 1;
  *lo = a->window != 0 && *hi > a->window ? *hi - a->window : 0;
  const uint32_t chunk_lo = a->chunk != 0 ? (*hi - 1) / a->chunk * a->chunk : 0;
  if (chunk_lo > *lo) *lo = chunk_lo;
}

static uint32_t split_count(const pio_attention_args *a, uint32_t n_tiles, uint32_t span) {
  if ((uint64_t)a->n_tokens * a->shape.n_heads > SPLIT_ROWS_MAX) return 1;
  uint32_t n = (TARGET_ITEMS + a->shape.n_kv_heads * n_tiles - 1) / (a->shape.n_kv_heads * n_tiles);
  const uint32_t by_keys = span / MIN_SPLIT_KEYS;
  if (n > by_keys) n = by_keys;
  if (n > MAX_SPLITS) n = MAX_SPLITS;
  return n ? n : 1;
}

static void plan(attn_call *c, const pio_attention_args *a, const pio_attn_ops *ops,
                 uint32_t n_threads) {
  c->a = a;
  c->ops = ops;
  c->L = layout_of(&a->shape, n_threads);
  c->scratch = a->scratch;
  c->group = a->shape.n_heads / a->shape.n_kv_heads;
  c->tile_rows = a->n_tokens * c->group;
  c->n_tiles = (c->tile_rows + PIO_ATTN_TILE_ROWS - 1) / PIO_ATTN_TILE_ROWS;
  uint32_t unused;
  visible(a, 0, &c->vis_lo, &unused);
  c->vis_hi = a->start + a->n_tokens;
  const uint32_t span = c->vis_hi - c->vis_lo;
  c->n_splits = split_count(a, c->n_tiles, span);
  /* Whole blocks per split, and no empty split. */
  c->split_len = (uint32_t)round_up((span + c->n_splits - 1) / c->n_splits, PIO_ATTN_BLOCK_KEYS);
  c->n_splits = (span + c->split_len - 1) / c->split_len;
  c->q_scale = a->softcap > 0 ? a->scale / a->softcap : a->scale;
  c->n_items = a->shape.n_kv_heads * c->n_tiles * c->n_splits;
  atomic_init(&c->next_item, 0);
}

/* A work item's place: tile, KV head, split.  Later tiles see more keys,
 * so they are handed out first and the last items taken are short. */
typedef struct item {
  uint32_t tile, kv_head, split;
} item;

static item item_at(const attn_call *c, uint32_t i) {
  const uint32_t per_tile = c->a->shape.n_kv_heads * c->n_splits;
  item it = {.tile = c->n_tiles - 1 - i / per_tile, .kv_head = (i % per_tile) / c->n_splits,
             .split = i % c->n_splits};
  return it;
}

/* Row r of a tile: its token and query head. */
static void row_of(const attn_call *c, const item *it, uint32_t r, uint32_t *t, uint32_t *h) {
  const uint32_t row = it->tile * PIO_ATTN_TILE_ROWS + r;
  *t = row / c->group;
  *h = it->kv_head * c->group + row % c->group;
}

/* The tile's query rows, scaled, zero-padded to kpad and to a multiple of
 * 16 rows; returns the number of real rows. */
static uint32_t load_queries(const attn_call *c, const item *it, float *q) {
  const pio_attention_args *a = c->a;
  const uint32_t first = it->tile * PIO_ATTN_TILE_ROWS;
  const uint32_t rows = c->tile_rows - first < PIO_ATTN_TILE_ROWS ? c->tile_rows - first
                                                                  : PIO_ATTN_TILE_ROWS;
  for (uint32_t r = 0; r < (uint32_t)round_up(rows, 16); r++) {
    float *dst = q + r * c->L.kpad;
    uint32_t i = 0;
    if (r < rows) {
      uint32_t t, h;
      row_of(c, it, r, &t, &h);
      const float *src = a->q + t * a->q_token_stride + h * a->q_head_stride;
      for (; i < a->shape.k_dim; i++) dst[i] = src[i] * c->q_scale;
    }
    for (; i < c->L.kpad; i++) dst[i] = 0.0f;
  }
  return rows;
}

/* Floats between two keys' logits: the rows rounded up to 4, 8 or a
 * multiple of 16, so that a vector holds whole rows of keys (decode's few
 * rows: several keys a vector). */
static size_t score_stride(uint32_t rows) {
  return rows <= 4 ? 4 : rows <= 8 ? 8 : round_up(rows, 16);
}

/* -inf where row r (token t) must not see position kb + j; soft-cap first,
 * so that a masked logit stays -inf.  s is key-major, s[j][r]. */
static void cap_and_mask(const attn_call *c, const item *it, uint32_t rows, uint32_t kb,
                         uint32_t nk, float *s) {
  const pio_attention_args *a = c->a;
  const size_t stride = score_stride(rows);
  if (a->softcap > 0)
    for (uint32_t j = 0; j < nk; j++)
      for (uint32_t r = 0; r < rows; r++)
        s[j * stride + r] = a->softcap * tanhf(s[j * stride + r]);
  for (uint32_t r = 0; r < rows; r++) {
    uint32_t t, h, lo, hi;
    row_of(c, it, r, &t, &h);
    visible(a, t, &lo, &hi);
    for (uint32_t j = 0; j < nk && kb + j < lo; j++) s[j * stride + r] = -INFINITY;
    for (uint32_t j = hi > kb ? hi - kb : 0; j < nk; j++) s[j * stride + r] = -INFINITY;
  }
}

/* out = o / l for a finished row, with head h's sink in the sum. */
static void finish_row(const pio_attention_args *a, uint32_t h, float m, float l,
                       const float *o, float *out) {
  float w = 1.0f;
  if (a->sinks != NULL) {
    const float top = m > a->sinks[h] ? m : a->sinks[h];
    w = expf(m - top);
    l = l * w + expf(a->sinks[h] - top);
  }
  const float inv = w / l;
  for (uint32_t i = 0; i < a->shape.v_dim; i++) out[i] = o[i] * inv;
}

static void run_item(attn_call *c, const item *it, float *mine) {
  const pio_attention_args *a = c->a;
  const scratch_layout *L = &c->L;
  float *q = mine + L->q, *packed = mine + L->packed, *s = mine + L->s, *o = mine + L->o;
  float *m = mine + L->m, *l = mine + L->l, *alpha = mine + L->alpha;
  const uint32_t rows = load_queries(c, it, q);
  if (c->ops->pack_queries != NULL) c->ops->pack_queries(q, L->kpad, rows, a->shape.k_dim, packed);
  const uint32_t padded = (uint32_t)round_up(rows, 4);
  const size_t s_stride = score_stride(rows);
  for (uint32_t r = 0; r < padded; r++) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
    alpha[r] = 1.0f; /* stays 1 on padding rows, which the softmax skips */
    memset(o + r * L->vpad, 0, L->vpad * sizeof *o);
  }
  /* Keys the tile's rows see, within this item's split. */
  uint32_t t_first, t_last, h, lo, hi, unused;
  row_of(c, it, 0, &t_first, &h);
  row_of(c, it, rows - 1, &t_last, &h);
  visible(a, t_first, &lo, &unused);
  visible(a, t_last, &unused, &hi);
  const uint32_t split_lo = c->vis_lo + it->split * c->split_len;
  const uint32_t split_hi = split_lo + c->split_len < c->vis_hi ? split_lo + c->split_len
                                                               : c->vis_hi;
  if (lo < split_lo) lo = split_lo;
  if (hi > split_hi) hi = split_hi;
  const float *k = a->k + it->kv_head * a->k_head_stride;
  const float *v = a->v + it->kv_head * a->v_head_stride;
  for (uint32_t kb = lo; kb < hi; kb += PIO_ATTN_BLOCK_KEYS) {
    const uint32_t nk = hi - kb < PIO_ATTN_BLOCK_KEYS ? hi - kb : PIO_ATTN_BLOCK_KEYS;
    c->ops->scores(q, L->kpad, packed, rows, k + kb * a->k_pos_stride, a->k_pos_stride, nk,
                   a->shape.k_dim, s, s_stride);
    cap_and_mask(c, it, rows, kb, nk, s);
    c->ops->softmax(s, s_stride, rows, nk, m, l, alpha);
    c->ops->accumulate(s, s_stride, rows, v + kb * a->v_pos_stride, a->v_pos_stride, nk,
                       a->shape.v_dim, alpha, o, L->vpad);
  }
  for (uint32_t r = 0; r < rows; r++) {
    uint32_t t;
    row_of(c, it, r, &t, &h);
    if (c->n_splits == 1) {
      finish_row(a, h, m[r], l[r], o + r * L->vpad,
                 a->out + t * a->out_token_stride + h * a->out_head_stride);
    } else {
      float *part = c->scratch + L->partials +
                    ((size_t)it->split * SPLIT_ROWS_MAX + (size_t)t * a->shape.n_heads + h) *
                        L->partial_row;
      memcpy(part, o + r * L->vpad, a->shape.v_dim * sizeof *part);
      part[L->vpad] = m[r];
      part[L->vpad + 1] = l[r];
    }
  }
}

static void items_task(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  (void)n_threads;
  attn_call *c = ctx;
  float *mine = c->scratch + (size_t)thread_index * c->L.per_thread;
  for (;;) {
    const uint32_t i = atomic_fetch_add_explicit(&c->next_item, 1, memory_order_relaxed);
    if (i >= c->n_items) return;
    const item it = item_at(c, i);
    run_item(c, &it, mine);
  }
}

/* Row (t, h) from its splits, in split order: the largest max first, then
 * every split's sum and output rescaled to it. */
static void merge_row(const attn_call *c, uint32_t row) {
  const pio_attention_args *a = c->a;
  const scratch_layout *L = &c->L;
  const float *parts = c->scratch + L->partials + (size_t)row * L->partial_row;
  const size_t split_step = (size_t)SPLIT_ROWS_MAX * L->partial_row;
  float top = -INFINITY;
  for (uint32_t s = 0; s < c->n_splits; s++) {
    const float *p = parts + s * split_step;
    if (p[L->vpad + 1] > 0 && p[L->vpad] > top) top = p[L->vpad];
  }
  const uint32_t t = row / a->shape.n_heads, h = row % a->shape.n_heads;
  float *out = a->out + t * a->out_token_stride + h * a->out_head_stride;
  float sum = 0.0f;
  for (uint32_t i = 0; i < a->shape.v_dim; i++) out[i] = 0.0f;
  for (uint32_t s = 0; s < c->n_splits; s++) {
    const float *p = parts + s * split_step;
    if (!(p[L->vpad + 1] > 0)) continue; /* a split this token sees nothing of */
    const float w = expf(p[L->vpad] - top);
    sum += p[L->vpad + 1] * w;
    for (uint32_t i = 0; i < a->shape.v_dim; i++) out[i] += p[i] * w;
  }
  /* out holds o at max top; finish_row divides it by the sum (and sink). */
  finish_row(a, h, top, sum, out, out);
}

static void merge_task(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  attn_call *c = ctx;
  size_t begin, end;
  pio_split_range((size_t)c->a->n_tokens * c->a->shape.n_heads, 1, thread_index, n_threads,
                  &begin, &end);
  for (size_t row = begin; row < end; row++) merge_row(c, (uint32_t)row);
}

static const pio_attn_ops *ops_for(pio_kernel_path path) {
#if defined(PIO_HAVE_AVX512)
  if (pio_block_uses_avx512(path)) return &pio_attn_avx512_ops;
#endif
#if defined(PIO_HAVE_AVX2)
  if (pio_block_uses_avx2(path)) return &pio_attn_avx2_ops;
#endif
  (void)path;
  return &pio_attn_scalar_ops;
}

void pio_attention_on(pio_kernel_path path, pio_threadpool *pool, const pio_attention_args *a) {
  attn_call c;
  plan(&c, a, ops_for(path), pio_threadpool_size(pool));
  pio_threadpool_run(pool, items_task, &c);
  if (c.n_splits > 1) pio_threadpool_run(pool, merge_task, &c);
}

void pio_attention(pio_threadpool *pool, const pio_attention_args *a) {
  pio_attention_on(pio_block_best_path(), pool, a);
}
