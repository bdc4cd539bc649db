/* sdk/src/tokenizer_bpe.c — the BPE model of tokenizer.json: vocabulary and
 * merges read, and a word merged exactly as Hugging Face's Word::merge_all
 * does (a min-heap on (rank, position), entries checked against the merge
 * they were pushed for).  In raw mode (a byte-level tokenizer whose model
 * adds no prefix or suffix) words arrive as the bytes themselves and the
 * vocabulary is looked up by the bytes its tokens stand for, which gives
 * the same ids without mapping every byte to its character and back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

/* The most entries a vocabulary or a merge list may have. */
#define BPE_MAX_ENTRIES (8u << 20)

static pio_status no_memory(const char *name, pio_error *err) {
  return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
}

static uint64_t pair_key(int32_t left, int32_t right) {
  return ((uint64_t)(uint32_t)(left + 1) << 32) | (uint32_t)(right + 1);
}

static size_t pair_slot(uint64_t key, size_t mask) {
  uint64_t h = key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 29) & mask;
}

const tok_merge_slot *tok_bpe_merge(const tok_bpe *bpe, int32_t left, int32_t right) {
  uint64_t key = pair_key(left, right);
  size_t mask = bpe->merges_capacity - 1;
  for (size_t i = pair_slot(key, mask);; i = (i + 1) & mask) {
    const tok_merge_slot *s = &bpe->merges[i];
    if (s->pair == key) return s;
    if (s->pair == 0) return NULL;
  }
}

/* Later duplicates replace earlier ones, as Hugging Face's map collects. */
static void merge_put(tok_bpe *bpe, int32_t left, int32_t right, uint32_t rank, int32_t merged) {
  uint64_t key = pair_key(left, right);
  size_t mask = bpe->merges_capacity - 1;
  size_t i = pair_slot(key, mask);
  while (bpe->merges[i].pair != 0 && bpe->merges[i].pair != key) i = (i + 1) & mask;
  bpe->merges[i] = (tok_merge_slot){key, rank, merged};
}

static pio_status read_vocab(const char *name, json_object *vocab, tok_bpe *bpe, pio_error *err) {
  if (!json_object_is_type(vocab, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: model.vocab: expected an object of token: id",
                         name);
  if ((size_t)json_object_object_length(vocab) > BPE_MAX_ENTRIES)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: model.vocab: %d entries, over pio's limit of %u",
                         name, json_object_object_length(vocab), BPE_MAX_ENTRIES);
  json_object_object_foreach(vocab, key, value) {
    char q[96];
    if (!json_object_is_type(value, json_type_int))
      return pio_error_set(
          err, PIO_ERR_INVALID, "%s: model.vocab[%s]: expected an integer id, found %s", name,
          pio_json_quote(key, q, sizeof q), pio_json_type_phrase(json_object_get_type(value)));
    int64_t id = json_object_get_int64(value);
    if (id < 0 || id >= (int64_t)BPE_MAX_ENTRIES * 2)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: model.vocab[%s]: id %lld is outside [0, %u)",
                           name, pio_json_quote(key, q, sizeof q), (long long)id,
                           BPE_MAX_ENTRIES * 2);
    size_t len = strlen(key);
    if (tok_utf8_check(key, len) != len)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: model.vocab: a token is not UTF-8", name);
    if (tok_map_put(&bpe->vocab, key, len, (int32_t)id) != 0) return no_memory(name, err);
  }
  return PIO_OK;
}

/* One merge, "a b" or ["a", "b"], into its parts. */
static pio_status merge_parts(const char *name, size_t i, json_object *m, const char **a,
                              size_t *a_len, const char **b, size_t *b_len, pio_error *err) {
  if (json_object_is_type(m, json_type_string)) {
    const char *s = json_object_get_string(m);
    size_t len = (size_t)json_object_get_string_len(m);
    const char *space = memchr(s, ' ', len);
    if (space == NULL || memchr(space + 1, ' ', len - (size_t)(space + 1 - s)) != NULL)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: model.merges[%zu]: expected two tokens separated by one space",
                           name, i);
    *a = s;
    *a_len = (size_t)(space - s);
    *b = space + 1;
    *b_len = len - *a_len - 1;
    return PIO_OK;
  }
  if (json_object_is_type(m, json_type_array) && json_object_array_length(m) == 2) {
    json_object *x = json_object_array_get_idx(m, 0), *y = json_object_array_get_idx(m, 1);
    if (json_object_is_type(x, json_type_string) && json_object_is_type(y, json_type_string)) {
      *a = json_object_get_string(x);
      *a_len = (size_t)json_object_get_string_len(x);
      *b = json_object_get_string(y);
      *b_len = (size_t)json_object_get_string_len(y);
      return PIO_OK;
    }
  }
  return pio_error_set(err, PIO_ERR_INVALID,
                       "%s: model.merges[%zu]: expected \"a b\" or [\"a\", \"b\"]", name, i);
}

static pio_status missing_token(const char *name, size_t i, const char *what, const char *s,
                                size_t len, pio_error *err) {
  char q[128], tmp[64];
  size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  return pio_error_set(err, PIO_ERR_INVALID, "%s: model.merges[%zu]: %s %s is not in model.vocab",
                       name, i, what, pio_json_quote(tmp, q, sizeof q));
}

static pio_status read_merges(const char *name, json_object *merges, tok_bpe *bpe, pio_error *err) {
  if (!json_object_is_type(merges, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: model.merges: expected an array", name);
  size_t n = json_object_array_length(merges);
  if (n > BPE_MAX_ENTRIES)
    return pio_error_set(err, PIO_ERR_LIMIT,
                         "%s: model.merges: %zu entries, over pio's limit of %u", name, n,
                         BPE_MAX_ENTRIES);
  size_t cap = 64;
  while (cap < n * 2) cap *= 2;
  bpe->merges = calloc(cap, sizeof *bpe->merges);
  if (bpe->merges == NULL) return no_memory(name, err);
  bpe->merges_capacity = cap;
  tok_buf joined = {0};
  for (size_t i = 0; i < n; i++) {
    const char *a = NULL, *b = NULL;
    size_t a_len = 0, b_len = 0;
    pio_status st =
        merge_parts(name, i, json_object_array_get_idx(merges, i), &a, &a_len, &b, &b_len, err);
    if (st != PIO_OK) goto done;
    int32_t ia = tok_map_get(&bpe->vocab, a, a_len), ib = tok_map_get(&bpe->vocab, b, b_len);
    if (ia < 0 || ib < 0) {
      st = ia < 0 ? missing_token(name, i, "the left token", a, a_len, err)
                  : missing_token(name, i, "the right token", b, b_len, err);
      goto done;
    }
    /* the merged token drops the right part's continuing-subword prefix */
    size_t skip = bpe->prefix_len <= b_len ? bpe->prefix_len : b_len;
    tok_buf_clear(&joined);
    if (tok_buf_append(&joined, a, a_len) != 0 ||
        tok_buf_append(&joined, b + skip, b_len - skip) != 0) {
      st = no_memory(name, err);
      goto done;
    }
    int32_t merged = tok_map_get(&bpe->vocab, joined.data, joined.len);
    if (merged < 0) {
      st = missing_token(name, i, "the merged token", joined.data, joined.len, err);
      goto done;
    }
    merge_put(bpe, ia, ib, (uint32_t)i, merged);
    continue;
  done:
    tok_buf_free(&joined);
    return st;
  }
  tok_buf_free(&joined);
  return PIO_OK;
}

static pio_status read_affix(const char *name, json_object *model, const char *key, char **out,
                             size_t *len, pio_error *err) {
  const char *s = NULL;
  pio_status st = tok_json_string(name, "model", model, key, 0, &s, len, err);
  if (st != PIO_OK || s == NULL || *len == 0) {
    *len = 0;
    return st;
  }
  *out = strdup(s);
  return *out ? PIO_OK : no_memory(name, err);
}

pio_status tok_bpe_load(const char *name, json_object *model, tok_bpe *bpe, pio_error *err) {
  memset(bpe, 0, sizeof *bpe);
  bpe->unk_id = -1;
  for (int b = 0; b < 256; b++) bpe->byte_id[b] = bpe->byte_fallback_id[b] = -1;
  const char *type = NULL;
  pio_status st = tok_json_type(name, "model", model, &type, err);
  if (st != PIO_OK) return st;
  if (strcmp(type, "BPE") != 0) return tok_unsupported(name, "model", "model", type, "BPE", err);
  json_object *dropout = NULL;
  if (json_object_object_get_ex(model, "dropout", &dropout) && dropout != NULL &&
      json_object_get_double(dropout) != 0.0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: model.dropout: BPE dropout (random merges, for training) is not "
                         "supported; set it to null",
                         name);
  if ((st = tok_json_bool(name, "model", model, "fuse_unk", &bpe->fuse_unk, err)) != PIO_OK ||
      (st = tok_json_bool(name, "model", model, "byte_fallback", &bpe->byte_fallback, err)) !=
          PIO_OK ||
      (st = tok_json_bool(name, "model", model, "ignore_merges", &bpe->ignore_merges, err)) !=
          PIO_OK ||
      (st = read_affix(name, model, "continuing_subword_prefix", &bpe->prefix, &bpe->prefix_len,
                       err)) != PIO_OK ||
      (st = read_affix(name, model, "end_of_word_suffix", &bpe->suffix, &bpe->suffix_len, err)) !=
          PIO_OK)
    return st;
  json_object *vocab = NULL, *merges = NULL;
  if (!json_object_object_get_ex(model, "vocab", &vocab))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: model: missing required field 'vocab'", name);
  if ((st = read_vocab(name, vocab, bpe, err)) != PIO_OK) return st;
  if (!json_object_object_get_ex(model, "merges", &merges))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: model: missing required field 'merges'", name);
  if ((st = read_merges(name, merges, bpe, err)) != PIO_OK) return st;
  const char *unk = NULL;
  size_t unk_len = 0;
  if ((st = tok_json_string(name, "model", model, "unk_token", 0, &unk, &unk_len, err)) != PIO_OK)
    return st;
  if (unk != NULL) {
    bpe->unk_id = tok_map_get(&bpe->vocab, unk, unk_len);
    char q[96];
    if (bpe->unk_id < 0)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: model.unk_token: %s is not in model.vocab",
                           name, pio_json_quote(unk, q, sizeof q));
  }
  for (int b = 0; b < 256; b++) {
    char code[8];
    snprintf(code, sizeof code, "<0x%02X>", b);
    bpe->byte_fallback_id[b] = tok_map_get(&bpe->vocab, code, 6);
  }
  return PIO_OK;
}

int tok_bpe_enable_raw_bytes(tok_bpe *bpe) {
  tok_buf bytes = {0};
  for (size_t i = 0; i < bpe->vocab.capacity; i++) {
    const tok_map_slot *s = &bpe->vocab.slots[i];
    if (s->hash == 0) continue;
    const char *key = bpe->vocab.pool + s->key_off;
    tok_buf_clear(&bytes);
    int ok = 1;
    for (size_t k = 0; k < s->key_len && ok;) {
      size_t n;
      int b = tok_byte_of_char(tok_utf8_decode(key, k, &n));
      char c = (char)b;
      if (b < 0)
        ok = 0;
      else if (tok_buf_append(&bytes, &c, 1) != 0) {
        tok_buf_free(&bytes);
        return -1;
      }
      k += n;
    }
    if (ok && tok_map_put(&bpe->vocab_bytes, bytes.data, bytes.len, s->value) != 0) {
      tok_buf_free(&bytes);
      return -1;
    }
  }
  tok_buf_free(&bytes);
  for (int b = 0; b < 256; b++) {
    char c = (char)b;
    bpe->byte_id[b] = tok_map_get(&bpe->vocab_bytes, &c, 1);
  }
  bpe->raw_bytes = 1;
  return 0;
}

/* Whether some token holds U+2581 right after a character that is not. */
static int space_inside_a_token(const tok_bpe *bpe) {
  static const char space[] = "\xE2\x96\x81";
  for (size_t i = 0; i < bpe->vocab.capacity; i++) {
    const tok_map_slot *s = &bpe->vocab.slots[i];
    if (s->hash == 0) continue;
    const char *key = bpe->vocab.pool + s->key_off;
    for (size_t k = 3; k + 3 <= s->key_len; k++)
      if (memcmp(key + k, space, 3) == 0 && memcmp(key + k - 3, space, 3) != 0) return 1;
  }
  return 0;
}

void tok_bpe_prepare_text_mode(tok_bpe *bpe) {
  for (int c = 0; c < 128; c++) {
    char ch = (char)c;
    bpe->ascii_id[c] = bpe->prefix_len || bpe->suffix_len ? -1 : tok_map_get(&bpe->vocab, &ch, 1);
  }
  bpe->cut_before_space = !bpe->prefix_len && !bpe->suffix_len && !space_inside_a_token(bpe);
}

void tok_bpe_free(tok_bpe *bpe) {
  tok_map_free(&bpe->vocab);
  tok_map_free(&bpe->vocab_bytes);
  free(bpe->merges);
  free(bpe->prefix);
  free(bpe->suffix);
  memset(bpe, 0, sizeof *bpe);
}
