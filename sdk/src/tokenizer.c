/* sdk/src/tokenizer.c — tokenizer.json read into a pio_tokenizer: the model,
 * the components around it, the added tokens, and the id → text table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

/* Ids may leave holes, but not many: the id table is sized by the largest. */
#define ID_SLACK 1024u

static json_object *member(json_object *root, const char *key) {
  json_object *v = NULL;
  return json_object_object_get_ex(root, key, &v) ? v : NULL;
}

/* Raw mode when the last pre-tokeniser step is the only ByteLevel one and
 * the model adds nothing to the symbols. */
static int wants_raw_bytes(const pio_tokenizer *tok) {
  if (tok->n_pretok == 0 || tok->pretok[tok->n_pretok - 1].kind != TOK_PRE_BYTE_LEVEL) return 0;
  for (size_t i = 0; i + 1 < tok->n_pretok; i++)
    if (tok->pretok[i].kind == TOK_PRE_BYTE_LEVEL) return 0;
  return tok->bpe.prefix_len == 0 && tok->bpe.suffix_len == 0;
}

static pio_status build_id_table(pio_tokenizer *tok, pio_error *err) {
  const tok_map *v = &tok->bpe.vocab;
  uint64_t max_id = 0, pool = 0;
  for (size_t i = 0; i < v->capacity; i++)
    if (v->slots[i].hash) {
      if ((uint64_t)v->slots[i].value > max_id) max_id = (uint64_t)v->slots[i].value;
      pool += v->slots[i].key_len + 1;
    }
  for (size_t i = 0; i < tok->n_added; i++) {
    if ((uint64_t)tok->added[i].id > max_id) max_id = (uint64_t)tok->added[i].id;
    pool += tok->added[i].len + 1;
  }
  uint64_t entries = v->count + tok->n_added;
  if (entries == 0)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: model.vocab: the vocabulary is empty",
                         tok->name);
  if (max_id >= 2 * entries + ID_SLACK)
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: model.vocab: ids too sparse: the largest is %llu for %llu tokens",
                         tok->name, (unsigned long long)max_id, (unsigned long long)entries);
  tok->n_ids = (uint32_t)max_id + 1;
  tok->id_text = calloc(tok->n_ids, sizeof *tok->id_text);
  tok->id_len = calloc(tok->n_ids, sizeof *tok->id_len);
  tok->id_flags = calloc(tok->n_ids, sizeof *tok->id_flags);
  tok->id_added = malloc(tok->n_ids * sizeof *tok->id_added);
  tok->text_pool = malloc(pool ? pool : 1);
  if (!tok->id_text || !tok->id_len || !tok->id_flags || !tok->id_added || !tok->text_pool)
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", tok->name);
  memset(tok->id_added, 0xFF, tok->n_ids * sizeof *tok->id_added);
  char *w = tok->text_pool;
  for (size_t i = 0; i < v->capacity; i++) {
    const tok_map_slot *s = &v->slots[i];
    if (!s->hash || tok->id_text[s->value] != NULL) continue;
    memcpy(w, v->pool + s->key_off, s->key_len);
    w[s->key_len] = '\0';
    tok->id_text[s->value] = w;
    tok->id_len[s->value] = s->key_len;
    w += s->key_len + 1;
  }
  for (size_t i = 0; i < tok->n_added; i++) {
    const tok_added *a = &tok->added[i];
    memcpy(w, a->content, a->len + 1);
    tok->id_text[a->id] = w;
    tok->id_len[a->id] = (uint32_t)a->len;
    w += a->len + 1;
    tok->id_added[a->id] = (int32_t)i;
    tok->id_flags[a->id] = TOK_ID_ADDED | (a->special ? TOK_ID_SPECIAL : 0);
  }
  return PIO_OK;
}

static pio_status load_root(pio_tokenizer *tok, json_object *root, pio_error *err) {
  if (!json_object_is_type(root, json_type_object))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: expected a JSON object at the top", tok->name);
  const char *version = NULL;
  pio_status st = tok_json_string(tok->name, "(top)", root, "version", 0, &version, NULL, err);
  if (st != PIO_OK) return st;
  char q[64];
  if (version != NULL && strcmp(version, "1.0") != 0)
    return pio_error_set(err, PIO_ERR_UNSUPPORTED,
                         "%s: version: %s is not the format pio reads (\"1.0\")", tok->name,
                         pio_json_quote(version, q, sizeof q));
  json_object *model = member(root, "model");
  if (model == NULL)
    return pio_error_set(err, PIO_ERR_INVALID, "%s: missing required field 'model'", tok->name);
  if ((st = tok_bpe_load(tok->name, model, &tok->bpe, err)) != PIO_OK) return st;
  if ((st = tok_normalizer_load(tok->name, "normalizer", member(root, "normalizer"),
                                &tok->normalizer, err)) != PIO_OK ||
      (st = tok_pretok_load(tok->name, "pre_tokenizer", member(root, "pre_tokenizer"), &tok->pretok,
                            &tok->n_pretok, err)) != PIO_OK ||
      (st = tok_decoder_load(tok->name, member(root, "decoder"), &tok->decoder, &tok->n_decoder,
                             err)) != PIO_OK ||
      (st = tok_added_load(tok, member(root, "added_tokens"), err)) != PIO_OK ||
      (st = build_id_table(tok, err)) != PIO_OK ||
      (st = tok_post_load(tok, member(root, "post_processor"), &tok->post, err)) != PIO_OK)
    return st;
  tok->has_decoder = member(root, "decoder") != NULL;
  if (wants_raw_bytes(tok)) {
    if (tok_bpe_enable_raw_bytes(&tok->bpe) != 0)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", tok->name);
    tok->pretok[tok->n_pretok - 1].raw_bytes = 1;
  } else {
    tok_bpe_prepare_text_mode(&tok->bpe);
  }
  return PIO_OK;
}

static pio_status finish(const char *name, json_object *root, pio_tokenizer **out, pio_error *err) {
  pio_tokenizer *tok = calloc(1, sizeof *tok);
  if (tok == NULL || (tok->name = strdup(name)) == NULL) {
    free(tok);
    json_object_put(root);
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
  }
  memset(tok->trie_raw.root_child, 0xFF, sizeof tok->trie_raw.root_child);
  memset(tok->trie_normalized.root_child, 0xFF, sizeof tok->trie_normalized.root_child);
  pio_status st = load_root(tok, root, err);
  json_object_put(root);
  if (st != PIO_OK) {
    pio_tokenizer_free(tok);
    return st;
  }
  *out = tok;
  return PIO_OK;
}

pio_status pio_tokenizer_load(const char *path, pio_tokenizer **out, pio_error *err) {
  *out = NULL;
  json_object *root = NULL;
  pio_status st = pio_json_parse_file(path, PIO_TOKENIZER_MAX_FILE_BYTES,
                                      PIO_JSON_DEFAULT_MAX_DEPTH, &root, NULL, err);
  if (st != PIO_OK) return st;
  return finish(path, root, out, err);
}

pio_status pio_tokenizer_load_buffer(const char *name, const char *text, size_t len,
                                     pio_tokenizer **out, pio_error *err) {
  *out = NULL;
  if (len > PIO_TOKENIZER_MAX_FILE_BYTES)
    return pio_error_set(err, PIO_ERR_LIMIT, "%s: %zu bytes, over the limit of %u", name, len,
                         PIO_TOKENIZER_MAX_FILE_BYTES);
  json_object *root = NULL;
  pio_status st =
      pio_json_parse_buffer(name, text, len, PIO_JSON_DEFAULT_MAX_DEPTH, &root, NULL, err);
  if (st != PIO_OK) return st;
  return finish(name, root, out, err);
}

void pio_tokenizer_free(pio_tokenizer *tok) {
  if (tok == NULL) return;
  tok_bpe_free(&tok->bpe);
  tok_normalizer_free(tok->normalizer);
  tok_pretok_free(tok->pretok, tok->n_pretok);
  tok_post_free(&tok->post);
  tok_decoder_free(tok->decoder, tok->n_decoder);
  tok_added_free(tok);
  free(tok->id_text);
  free(tok->id_len);
  free(tok->id_flags);
  free(tok->id_added);
  free(tok->text_pool);
  free(tok->name);
  free(tok);
}

uint32_t pio_tokenizer_vocab_size(const pio_tokenizer *tok) { return tok->n_ids; }

int32_t pio_tokenizer_token_id(const pio_tokenizer *tok, const char *text) {
  size_t len = strlen(text);
  for (size_t i = 0; i < tok->n_added; i++)
    if (tok->added[i].len == len && memcmp(tok->added[i].content, text, len) == 0)
      return tok->added[i].id;
  return tok_map_get(&tok->bpe.vocab, text, len);
}

const char *pio_tokenizer_token_text(const pio_tokenizer *tok, int32_t id) {
  if (id < 0 || (uint32_t)id >= tok->n_ids) return NULL;
  return tok->id_text[id];
}

int pio_tokenizer_is_special(const pio_tokenizer *tok, int32_t id) {
  if (id < 0 || (uint32_t)id >= tok->n_ids) return 0;
  return (tok->id_flags[id] & TOK_ID_SPECIAL) != 0;
}
