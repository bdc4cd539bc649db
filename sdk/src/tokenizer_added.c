/* sdk/src/tokenizer_added.c — tokenizer.json's added_tokens: their ids as
 * Hugging Face assigns them (the vocabulary's id when the model has the
 * text, else the next free one past the model's vocabulary), their
 * normalised forms, and the byte tries the encoder finds them with
 * (leftmost-longest, as Hugging Face's Aho-Corasick does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

#define ADDED_MAX (1u << 20)

static int trie_node(tok_trie *t, uint8_t byte) {
  if (t->count == t->capacity) {
    size_t cap = t->capacity ? t->capacity * 2 : 256;
    tok_trie_node *grown = realloc(t->nodes, cap * sizeof *grown);
    if (grown == NULL) return -1;
    t->nodes = grown;
    t->capacity = cap;
  }
  t->nodes[t->count] = (tok_trie_node){-1, -1, -1, byte};
  return (int)t->count++;
}

static int trie_insert(tok_trie *t, const char *s, size_t len, int32_t token) {
  int32_t *link = &t->root_child[(unsigned char)s[0]];
  int node = -1;
  for (size_t i = 0; i < len; i++) {
    uint8_t b = (uint8_t)s[i];
    if (i > 0) {
      link = &t->nodes[node].first_child;
      while (*link >= 0 && t->nodes[*link].byte != b) link = &t->nodes[*link].next_sibling;
    }
    if (*link < 0) {
      int fresh = trie_node(t, b);
      if (fresh < 0) return -1;
      /* the realloc may have moved the nodes: find the link again */
      if (i == 0)
        link = &t->root_child[b];
      else {
        link = &t->nodes[node].first_child;
        while (*link >= 0) link = &t->nodes[*link].next_sibling;
      }
      *link = fresh;
    }
    node = *link;
  }
  t->nodes[node].token = token; /* the later of two equal texts wins */
  return 0;
}

int tok_trie_find(const tok_trie *trie, const char *text, size_t len, size_t from, size_t *start,
                  size_t *end, int32_t *token) {
  if (trie->count == 0) return 0;
  for (size_t i = from; i < len; i++) {
    int32_t node = trie->root_child[(unsigned char)text[i]];
    if (node < 0) continue;
    int32_t best = -1;
    size_t best_end = 0;
    for (size_t k = i;;) {
      const tok_trie_node *nd = &trie->nodes[node];
      if (nd->token >= 0) {
        best = nd->token;
        best_end = k + 1;
      }
      if (++k >= len) break;
      int32_t child = nd->first_child;
      while (child >= 0 && trie->nodes[child].byte != (uint8_t)text[k])
        child = trie->nodes[child].next_sibling;
      if (child < 0) break;
      node = child;
    }
    if (best >= 0) {
      *start = i;
      *end = best_end;
      *token = best;
      return 1;
    }
  }
  return 0;
}

static pio_status read_entry(pio_tokenizer *tok, size_t i, json_object *e, tok_added *a,
                             pio_error *err) {
  char path[64];
  snprintf(path, sizeof path, "added_tokens[%zu]", i);
  pio_status st = tok_json_object(tok->name, path, e, err);
  if (st != PIO_OK) return st;
  const char *content = NULL;
  size_t len = 0;
  if ((st = tok_json_string(tok->name, path, e, "content", 1, &content, &len, err)) != PIO_OK)
    return st;
  if (tok_utf8_check(content, len) != len)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.content: not UTF-8", tok->name, path);
  a->is_normalized = 1;
  if ((st = tok_json_bool(tok->name, path, e, "single_word", &a->single_word, err)) != PIO_OK ||
      (st = tok_json_bool(tok->name, path, e, "lstrip", &a->lstrip, err)) != PIO_OK ||
      (st = tok_json_bool(tok->name, path, e, "rstrip", &a->rstrip, err)) != PIO_OK ||
      (st = tok_json_bool(tok->name, path, e, "normalized", &a->is_normalized, err)) != PIO_OK ||
      (st = tok_json_bool(tok->name, path, e, "special", &a->special, err)) != PIO_OK)
    return st;
  a->content = malloc(len + 1);
  if (a->content == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", tok->name);
  memcpy(a->content, content, len + 1);
  a->len = len;
  return PIO_OK;
}

/* An earlier added token of the same text, or -1. */
static long earlier(const pio_tokenizer *tok, const tok_added *a) {
  for (size_t k = tok->n_added; k-- > 0;)
    if (tok->added[k].len == a->len && memcmp(tok->added[k].content, a->content, a->len) == 0)
      return (long)k;
  return -1;
}

static pio_status normalize_entry(pio_tokenizer *tok, tok_added *a, pio_error *err) {
  if (!a->is_normalized || tok->normalizer == NULL) return PIO_OK;
  tok_buf out = {0};
  pio_status st = tok_normalize(tok->normalizer, a->content, a->len, &out, err);
  if (st != PIO_OK) {
    tok_buf_free(&out);
    return st;
  }
  if (out.len == a->len && memcmp(out.data, a->content, a->len) == 0) {
    tok_buf_free(&out);
    return PIO_OK;
  }
  if (out.len == 0) { /* nothing left to match */
    tok_buf_free(&out);
    a->normalized = calloc(1, 1);
    return a->normalized ? PIO_OK : pio_error_set(err, PIO_ERR_NO_MEMORY, "out of memory");
  }
  a->normalized = out.data;
  a->normalized_len = out.len;
  return PIO_OK;
}

pio_status tok_added_load(pio_tokenizer *tok, json_object *list, pio_error *err) {
  memset(tok->trie_raw.root_child, 0xFF, sizeof tok->trie_raw.root_child);
  memset(tok->trie_normalized.root_child, 0xFF, sizeof tok->trie_normalized.root_child);
  if (list == NULL) return PIO_OK;
  if (!json_object_is_type(list, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: added_tokens: expected an array", tok->name);
  size_t n = json_object_array_length(list);
  if (n > ADDED_MAX)
    return pio_error_set(err, PIO_ERR_LIMIT,
                         "%s: added_tokens: %zu entries, over pio's limit of %u", tok->name, n,
                         ADDED_MAX);
  tok->added = calloc(n ? n : 1, sizeof *tok->added);
  if (tok->added == NULL)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", tok->name);
  int32_t next_id = (int32_t)tok->bpe.vocab.count;
  for (size_t i = 0; i < n; i++) {
    tok_added *a = &tok->added[tok->n_added];
    pio_status st = read_entry(tok, i, json_object_array_get_idx(list, i), a, err);
    if (st != PIO_OK) {
      free(a->content);
      memset(a, 0, sizeof *a);
      return st;
    }
    if (a->len == 0) { /* Hugging Face ignores an empty one */
      free(a->content);
      memset(a, 0, sizeof *a);
      continue;
    }
    /* Hugging Face's ids: a text seen before keeps its id (the later
     * entry's flags win), the model's text its vocabulary id, any other
     * the next one past the vocabulary. */
    long k = earlier(tok, a);
    if (k >= 0) {
      tok_added *old = &tok->added[k];
      a->id = old->id;
      free(old->content);
      free(old->normalized);
      *old = *a;
      memset(a, 0, sizeof *a);
      a = old;
    } else {
      a->id = tok_map_get(&tok->bpe.vocab, a->content, a->len);
      if (a->id < 0) a->id = next_id++;
      tok->n_added++;
    }
    if ((st = normalize_entry(tok, a, err)) != PIO_OK) return st;
  }
  for (size_t i = 0; i < tok->n_added; i++) {
    tok_added *a = &tok->added[i];
    int rc;
    if (!a->is_normalized)
      rc = trie_insert(&tok->trie_raw, a->content, a->len, (int32_t)i);
    else if (a->normalized != NULL && a->normalized_len == 0)
      rc = 0;
    else
      rc = trie_insert(&tok->trie_normalized, a->normalized ? a->normalized : a->content,
                       a->normalized ? a->normalized_len : a->len, (int32_t)i);
    if (rc != 0) return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", tok->name);
  }
  return PIO_OK;
}

void tok_added_free(pio_tokenizer *tok) {
  for (size_t i = 0; i < tok->n_added; i++) {
    free(tok->added[i].content);
    free(tok->added[i].normalized);
  }
  free(tok->added);
  free(tok->trie_raw.nodes);
  free(tok->trie_normalized.nodes);
  tok->added = NULL;
  tok->n_added = 0;
}
