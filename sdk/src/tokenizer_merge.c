/* sdk/src/tokenizer_merge.c — one word through the BPE model: its symbols
 * (characters, or bytes in raw mode, with unknown ones as byte-fallback or
 * unk tokens) and their merging, as Hugging Face's BPE::merge_word and
 * Word::merge_all do it. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

typedef struct heap_entry {
  uint32_t rank;
  uint32_t pos;
  int32_t merged;
  int32_t left, right; /* the pair it was pushed for */
} heap_entry;

static int before(const heap_entry *a, const heap_entry *b) {
  return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

typedef struct heap {
  heap_entry *items;
  size_t count, capacity;
} heap;

static int heap_push(heap *h, heap_entry e) {
  if (h->count == h->capacity) {
    size_t cap = h->capacity ? h->capacity * 2 : 64;
    heap_entry *grown = realloc(h->items, cap * sizeof *grown);
    if (grown == NULL) return -1;
    h->items = grown;
    h->capacity = cap;
  }
  size_t i = h->count++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&e, &h->items[parent])) break;
    h->items[i] = h->items[parent];
    i = parent;
  }
  h->items[i] = e;
  return 0;
}

static heap_entry heap_pop(heap *h) {
  heap_entry top = h->items[0], last = h->items[--h->count];
  size_t i = 0, n = h->count;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(&h->items[c + 1], &h->items[c])) c++;
    if (!before(&h->items[c], &last)) break;
    h->items[i] = h->items[c];
    i = c;
  }
  if (n > 0) h->items[i] = last;
  return top;
}

static int ensure(tok_bpe_scratch *s, size_t n) {
  if (n <= s->capacity) return 0;
  size_t cap = s->capacity ? s->capacity : 64;
  while (cap < n) cap *= 2;
  int32_t *ids = realloc(s->ids, cap * sizeof *ids);
  if (ids) s->ids = ids;
  int32_t *prev = realloc(s->prev, cap * sizeof *prev);
  if (prev) s->prev = prev;
  int32_t *next = realloc(s->next, cap * sizeof *next);
  if (next) s->next = next;
  if (!ids || !prev || !next) return -1;
  s->capacity = cap;
  return 0;
}

void tok_bpe_scratch_free(tok_bpe_scratch *s) {
  free(s->ids);
  free(s->prev);
  free(s->next);
  heap *h = s->heap;
  if (h) free(h->items);
  free(h);
  tok_buf_free(&s->word);
  memset(s, 0, sizeof *s);
}

/* The symbols' building: pending unk as in merge_word. */
typedef struct symbols {
  tok_bpe_scratch *s;
  size_t n;
  int32_t unk; /* pending unk id, -1 none */
} symbols;

static int add(symbols *w, int32_t id) {
  if (ensure(w->s, w->n + 1) != 0) return -1;
  w->s->ids[w->n++] = id;
  return 0;
}

/* One character (or byte) whose text with affixes is sym[len]; id its
 * vocabulary id or -1. */
static int add_symbol(const tok_bpe *bpe, symbols *w, int32_t id, const char *sym, size_t len) {
  if (id >= 0) {
    if (w->unk >= 0) {
      if (add(w, w->unk) != 0) return -1;
      w->unk = -1;
    }
    return add(w, id);
  }
  if (bpe->byte_fallback) {
    size_t k = 0;
    while (k < len && bpe->byte_fallback_id[(unsigned char)sym[k]] >= 0) k++;
    if (k == len) {
      for (k = 0; k < len; k++)
        if (add(w, bpe->byte_fallback_id[(unsigned char)sym[k]]) != 0) return -1;
      return 0;
    }
  }
  if (bpe->unk_id >= 0) {
    if (w->unk >= 0 && !bpe->fuse_unk && add(w, w->unk) != 0) return -1;
    w->unk = bpe->unk_id;
  }
  return 0;
}

static int symbols_raw(const tok_bpe *bpe, const char *text, size_t len, symbols *w) {
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)text[i];
    int32_t id = bpe->byte_id[b];
    if (id >= 0) {
      if (w->unk < 0) {
        if (ensure(w->s, w->n + 1) != 0) return -1;
        w->s->ids[w->n++] = id;
        continue;
      }
      if (add_symbol(bpe, w, id, NULL, 0) != 0) return -1;
      continue;
    }
    /* the vocabulary's text for this byte is its character's UTF-8 */
    char u[4];
    size_t n = tok_utf8_encode(tok_byte_chars[b], u);
    if (add_symbol(bpe, w, -1, u, n) != 0) return -1;
  }
  return 0;
}

static int symbols_text(const tok_bpe *bpe, const char *text, size_t len, symbols *w) {
  tok_buf *word = &w->s->word;
  for (size_t i = 0; i < len;) {
    size_t n = tok_utf8_len((unsigned char)text[i]);
    if (n > len - i) n = len - i;
    if (n == 1 && (unsigned char)text[i] < 128 && bpe->ascii_id[(unsigned char)text[i]] >= 0 &&
        w->unk < 0) {
      if (add(w, bpe->ascii_id[(unsigned char)text[i]]) != 0) return -1;
      i++;
      continue;
    }
    const char *sym = text + i;
    size_t sym_len = n;
    int affixed = (i > 0 && bpe->prefix_len) || (i + n == len && bpe->suffix_len);
    if (affixed) {
      tok_buf_clear(word);
      if ((i > 0 && tok_buf_append(word, bpe->prefix, bpe->prefix_len) != 0) ||
          tok_buf_append(word, sym, n) != 0 ||
          (i + n == len && tok_buf_append(word, bpe->suffix, bpe->suffix_len) != 0))
        return -1;
      sym = word->data;
      sym_len = word->len;
    }
    if (add_symbol(bpe, w, tok_map_get(&bpe->vocab, sym, sym_len), sym, sym_len) != 0) return -1;
    i += n;
  }
  return 0;
}

static int push_pair(const tok_bpe *bpe, heap *h, const int32_t *ids, size_t pos, size_t next) {
  const tok_merge_slot *m = tok_bpe_merge(bpe, ids[pos], ids[next]);
  if (m == NULL) return 0;
  return heap_push(h, (heap_entry){m->rank, (uint32_t)pos, m->merged, ids[pos], ids[next]});
}

/* Word::merge_all; removed symbols get id -1. */
static int merge_all(const tok_bpe *bpe, tok_bpe_scratch *s, size_t n) {
  if (s->heap == NULL && (s->heap = calloc(1, sizeof(heap))) == NULL) return -1;
  heap *h = s->heap;
  h->count = 0;
  int32_t *ids = s->ids, *prev = s->prev, *next = s->next;
  for (size_t i = 0; i < n; i++) {
    prev[i] = (int32_t)i - 1;
    next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
  }
  for (size_t i = 0; i + 1 < n; i++)
    if (push_pair(bpe, h, ids, i, i + 1) != 0) return -1;
  while (h->count > 0) {
    heap_entry top = heap_pop(h);
    size_t pos = top.pos;
    if (ids[pos] < 0 || next[pos] < 0) continue;
    size_t right = (size_t)next[pos];
    /* An entry whose pair changed is stale unless the new pair merges into
     * the same token (Hugging Face checks only that). */
    if (ids[pos] != top.left || ids[right] != top.right) {
      const tok_merge_slot *m = tok_bpe_merge(bpe, ids[pos], ids[right]);
      if (m == NULL || m->merged != top.merged) continue;
    }
    ids[pos] = top.merged;
    ids[right] = -1;
    next[pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = (int32_t)pos;
    if (prev[pos] >= 0 && push_pair(bpe, h, ids, (size_t)prev[pos], pos) != 0) return -1;
    if (next[pos] >= 0 && push_pair(bpe, h, ids, pos, (size_t)next[pos]) != 0) return -1;
  }
  return 0;
}

pio_status tok_bpe_tokenize(const tok_bpe *bpe, const char *text, size_t len, tok_bpe_scratch *s,
                            pio_token_ids *out, pio_error *err) {
  if (len == 0) return PIO_OK;
  if (bpe->ignore_merges) {
    int32_t id = tok_map_get(bpe->raw_bytes ? &bpe->vocab_bytes : &bpe->vocab, text, len);
    if (id >= 0) return pio_token_ids_push(out, id, err);
  }
  symbols w = {s, 0, -1};
  int rc = bpe->raw_bytes ? symbols_raw(bpe, text, len, &w) : symbols_text(bpe, text, len, &w);
  if (rc == 0 && w.unk >= 0) rc = add(&w, w.unk);
  if (rc == 0 && w.n > 1) rc = merge_all(bpe, s, w.n);
  if (rc != 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < w.n; i++)
    if (s->ids[i] >= 0) {
      pio_status st = pio_token_ids_push(out, s->ids[i], err);
      if (st != PIO_OK) return st;
    }
  return PIO_OK;
}
