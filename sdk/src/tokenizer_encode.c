/* sdk/src/tokenizer_encode.c — text to ids, Hugging Face's pipeline: added
 * tokens that are matched raw split off first; each remaining part is
 * normalised and loses its normalised added tokens; then the pre-tokeniser's
 * steps split it into words, the BPE model turns each word into ids (words
 * seen before come from the session's cache), and the post-processor adds
 * the special tokens. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* Words longer than this are not cached; the cache is emptied when full. */
#define CACHE_MAX_WORD 128
#define CACHE_MAX_ENTRIES (1u << 16)
/* Deepest Sequence of pre-tokenisers. */
#define MAX_STEPS 16

typedef struct cache_entry {
  uint32_t off, count;
} cache_entry;

struct pio_tokenizer_session {
  const pio_tokenizer *tok;
  tok_matcher matcher;
  tok_buf normalized;
  tok_buf scratch[MAX_STEPS][2];
  tok_range_list ranges[MAX_STEPS];
  tok_bpe_scratch bpe;
  pio_token_ids body; /* the sequence before post-processing */
  tok_map cache;      /* word → index into entries */
  cache_entry *entries;
  size_t n_entries;
  pio_token_ids cache_ids;
};

void pio_token_ids_free(pio_token_ids *list) {
  free(list->ids);
  memset(list, 0, sizeof *list);
}

pio_status pio_token_ids_push(pio_token_ids *list, int32_t id, pio_error *err) {
  if (list->count == list->capacity) {
    size_t cap = list->capacity ? list->capacity * 2 : 64;
    int32_t *grown = realloc(list->ids, cap * sizeof *grown);
    if (grown == NULL) return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
    list->ids = grown;
    list->capacity = cap;
  }
  list->ids[list->count++] = id;
  return PIO_OK;
}

pio_status pio_tokenizer_session_new(const pio_tokenizer *tok, pio_tokenizer_session **out,
                                     pio_error *err) {
  *out = NULL;
  if (tok->n_pretok > MAX_STEPS)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: more than %d pre-tokenizer steps", tok->name,
                         MAX_STEPS);
  pio_tokenizer_session *s = calloc(1, sizeof *s);
  if (s == NULL || tok_matcher_init(&s->matcher) != 0) {
    free(s);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  s->tok = tok;
  *out = s;
  return PIO_OK;
}

static void cache_clear(pio_tokenizer_session *s) {
  tok_map_free(&s->cache);
  s->n_entries = 0;
  s->cache_ids.count = 0;
}

void pio_tokenizer_session_free(pio_tokenizer_session *s) {
  if (s == NULL) return;
  tok_matcher_free(&s->matcher);
  tok_buf_free(&s->normalized);
  for (int i = 0; i < MAX_STEPS; i++) {
    tok_buf_free(&s->scratch[i][0]);
    tok_buf_free(&s->scratch[i][1]);
    tok_range_list_free(&s->ranges[i]);
  }
  tok_bpe_scratch_free(&s->bpe);
  pio_token_ids_free(&s->body);
  cache_clear(s);
  free(s->entries);
  pio_token_ids_free(&s->cache_ids);
  free(s);
}

/* ids[from, from + n) onto out; ids may be NULL when n is 0 (a list that
 * holds nothing yet), so no pointer arithmetic on it before the loop. */
static pio_status append_ids(pio_token_ids *out, const int32_t *ids, size_t from, size_t n,
                             pio_error *err) {
  for (size_t i = from; i < from + n; i++) {
    pio_status st = pio_token_ids_push(out, ids[i], err);
    if (st != PIO_OK) return st;
  }
  return PIO_OK;
}

/* One word through the model, by way of the cache. */
static pio_status model_word(pio_tokenizer_session *s, const char *word, size_t len,
                             pio_error *err) {
  const tok_bpe *bpe = &s->tok->bpe;
  if (len == 1 && bpe->raw_bytes && bpe->byte_id[(unsigned char)word[0]] >= 0)
    return pio_token_ids_push(&s->body, bpe->byte_id[(unsigned char)word[0]], err);
  int cacheable = len <= CACHE_MAX_WORD;
  if (cacheable) {
    int32_t k = tok_map_get(&s->cache, word, len);
    if (k >= 0)
      return append_ids(&s->body, s->cache_ids.ids, s->entries[k].off, s->entries[k].count, err);
  }
  size_t before = s->body.count;
  pio_status st = tok_bpe_tokenize(bpe, word, len, &s->bpe, &s->body, err);
  if (st != PIO_OK || !cacheable) return st;
  if (s->n_entries == CACHE_MAX_ENTRIES) cache_clear(s);
  if (s->n_entries % 1024 == 0) {
    cache_entry *grown = realloc(s->entries, (s->n_entries + 1024) * sizeof *grown);
    if (grown == NULL) return PIO_OK; /* the cache is an optimisation */
    s->entries = grown;
  }
  size_t count = s->body.count - before;
  cache_entry e = {(uint32_t)s->cache_ids.count, (uint32_t)count};
  pio_error ignored;
  if (append_ids(&s->cache_ids, s->body.ids, before, count, &ignored) != PIO_OK ||
      tok_map_put(&s->cache, word, len, (int32_t)s->n_entries) != 0) {
    cache_clear(s);
    return PIO_OK;
  }
  s->entries[s->n_entries++] = e;
  return PIO_OK;
}

/* A word cut before each run of U+2581 when the vocabulary allows it
 * (tok_bpe.cut_before_space), else whole. */
static pio_status model(pio_tokenizer_session *s, const char *word, size_t len, pio_error *err) {
  if (!s->tok->bpe.cut_before_space || len <= 3) return model_word(s, word, len, err);
  size_t start = 0;
  for (size_t i = 3; i + 3 <= len; i++) {
    if (memcmp(word + i, "\xE2\x96\x81", 3) != 0 || memcmp(word + i - 3, "\xE2\x96\x81", 3) == 0)
      continue;
    pio_status st = model_word(s, word + start, i - start, err);
    if (st != PIO_OK) return st;
    start = i;
  }
  return model_word(s, word + start, len - start, err);
}

static pio_status pretokenize(pio_tokenizer_session *s, size_t step, const char *text, size_t len,
                              int at_start, pio_error *err) {
  const pio_tokenizer *tok = s->tok;
  if (step == tok->n_pretok) return model(s, text, len, err);
  const char *base = NULL;
  pio_status st = tok_pretok_apply(&tok->pretok[step], text, len, at_start, &s->matcher,
                                   s->scratch[step], &base, &s->ranges[step], err);
  if (st != PIO_OK) return st;
  const tok_range_list *r = &s->ranges[step];
  for (size_t i = 0; i < r->count; i++) {
    st = pretokenize(s, step + 1, base + r->items[i].off, r->items[i].len,
                     at_start && r->items[i].off == 0, err);
    if (st != PIO_OK) return st;
  }
  return PIO_OK;
}

/* AddedVocabulary::find_matches over text: the added tokens' ids pushed,
 * the parts between them handed to `part`. */
typedef pio_status (*part_fn)(pio_tokenizer_session *s, const char *text, size_t len, int at_start,
                              pio_error *err);

static size_t space_run_before(const char *text, size_t end) {
  size_t b = end;
  while (b > 0) {
    size_t p = b - 1;
    while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
    size_t n;
    if (!tok_cp_is_whitespace(tok_utf8_decode(text, p, &n))) break;
    b = p;
  }
  return b;
}

static size_t space_run_after(const char *text, size_t len, size_t from) {
  size_t e = from;
  while (e < len) {
    size_t n;
    if (!tok_cp_is_whitespace(tok_utf8_decode(text, e, &n))) break;
    e += n;
  }
  return e;
}

static int word_before(const char *text, size_t at) {
  if (at == 0) return 0;
  size_t p = at - 1, n;
  while (p > 0 && ((unsigned char)text[p] & 0xC0) == 0x80) p--;
  return tok_cp_is_word(tok_utf8_decode(text, p, &n));
}

static int word_after(const char *text, size_t len, size_t at) {
  size_t n;
  return at < len && tok_cp_is_word(tok_utf8_decode(text, at, &n));
}

static pio_status split_added(pio_tokenizer_session *s, const tok_trie *trie, const char *text,
                              size_t len, int at_start, part_fn part, pio_error *err) {
  const pio_tokenizer *tok = s->tok;
  size_t done = 0, from = 0, start, end;
  int32_t k;
  while (tok_trie_find(trie, text, len, from, &start, &end, &k)) {
    const tok_added *a = &tok->added[k];
    from = end;
    if (a->single_word && (word_before(text, start) || word_after(text, len, end))) continue;
    if (a->lstrip) {
      size_t b = space_run_before(text, start);
      start = b > done ? b : done;
    }
    if (a->rstrip) end = space_run_after(text, len, end);
    pio_status st = PIO_OK;
    if (done < start) st = part(s, text + done, start - done, at_start && done == 0, err);
    if (st == PIO_OK) st = pio_token_ids_push(&s->body, a->id, err);
    if (st != PIO_OK) return st;
    done = from = end;
  }
  return done < len ? part(s, text + done, len - done, at_start && done == 0, err) : PIO_OK;
}

static pio_status pretokenize_part(pio_tokenizer_session *s, const char *text, size_t len,
                                   int at_start, pio_error *err) {
  return pretokenize(s, 0, text, len, at_start, err);
}

static pio_status normalize_part(pio_tokenizer_session *s, const char *text, size_t len,
                                 int at_start, pio_error *err) {
  const pio_tokenizer *tok = s->tok;
  if (tok->normalizer != NULL) {
    pio_status st = tok_normalize(tok->normalizer, text, len, &s->normalized, err);
    if (st != PIO_OK) return st;
    text = s->normalized.data;
    len = s->normalized.len;
  }
  return split_added(s, &tok->trie_normalized, text, len, at_start, pretokenize_part, err);
}

static pio_status post_process(pio_tokenizer_session *s, unsigned flags, pio_token_ids *out,
                               pio_error *err) {
  const tok_post *post = &s->tok->post;
  if (!(flags & PIO_ENCODE_ADD_SPECIAL) || post->single == NULL)
    return append_ids(out, s->body.ids, 0, s->body.count, err);
  for (size_t i = 0; i < post->n_single; i++) {
    const tok_post_piece *p = &post->single[i];
    pio_status st = p->is_sequence ? append_ids(out, s->body.ids, 0, s->body.count, err)
                                   : append_ids(out, p->ids, 0, p->n_ids, err);
    if (st != PIO_OK) return st;
  }
  return PIO_OK;
}

pio_status pio_tokenizer_session_encode(pio_tokenizer_session *s, const char *text, size_t len,
                                        unsigned flags, pio_token_ids *out, pio_error *err) {
  size_t bad = tok_utf8_check(text, len);
  if (bad != len)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "the text is not UTF-8: byte %zu (0x%02X) starts no valid character", bad,
                         (unsigned)(unsigned char)text[bad]);
  s->body.count = 0;
  size_t before = out->count;
  pio_status st = split_added(s, &s->tok->trie_raw, text, len, 1, normalize_part, err);
  if (st == PIO_OK) st = post_process(s, flags, out, err);
  if (st != PIO_OK) out->count = before;
  return st;
}

pio_status pio_tokenizer_encode(const pio_tokenizer *tok, const char *text, size_t len,
                                unsigned flags, pio_token_ids *out, pio_error *err) {
  pio_tokenizer_session *s = NULL;
  pio_status st = pio_tokenizer_session_new(tok, &s, err);
  if (st != PIO_OK) return st;
  st = pio_tokenizer_session_encode(s, text, len, flags, out, err);
  pio_tokenizer_session_free(s);
  return st;
}
