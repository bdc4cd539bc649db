/* sdk/src/tokenizer_post.c — tokenizer.json's post_processor, read into the
 * one template a single sequence gets: TemplateProcessing, RobertaProcessing
 * and BertProcessing add their special tokens around $A, ByteLevel adds
 * nothing (it only moves offsets), Sequence composes them in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/json.h"
#include "tokenizer_internal.h"

#define POST_KNOWN "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence"

static pio_status no_memory(const char *name, pio_error *err) {
  return pio_error_set(err, PIO_ERR_NO_MEMORY, "%s: out of memory", name);
}

static void pieces_free(tok_post_piece *p, size_t n) {
  for (size_t i = 0; i < n; i++) free(p[i].ids);
  free(p);
}

/* Substitutes `inner` for every $A of `outer`; the result replaces post. */
static pio_status compose(const char *name, tok_post *post, const tok_post_piece *outer,
                          size_t n_outer, pio_error *err) {
  tok_post_piece current_a = {1, NULL, 0};
  const tok_post_piece *inner = post->single ? post->single : &current_a;
  size_t n_inner = post->single ? post->n_single : 1;
  size_t total = 0;
  for (size_t i = 0; i < n_outer; i++) total += outer[i].is_sequence ? n_inner : 1;
  tok_post_piece *out = calloc(total ? total : 1, sizeof *out);
  if (out == NULL) return no_memory(name, err);
  size_t w = 0;
  for (size_t i = 0; i < n_outer; i++) {
    const tok_post_piece *src = outer[i].is_sequence ? inner : &outer[i];
    size_t n = outer[i].is_sequence ? n_inner : 1;
    for (size_t k = 0; k < n; k++, w++) {
      out[w].is_sequence = src[k].is_sequence;
      out[w].n_ids = src[k].n_ids;
      if (src[k].n_ids) {
        out[w].ids = malloc(src[k].n_ids * sizeof *out[w].ids);
        if (out[w].ids == NULL) {
          pieces_free(out, w + 1);
          return no_memory(name, err);
        }
        memcpy(out[w].ids, src[k].ids, src[k].n_ids * sizeof *out[w].ids);
      }
    }
  }
  pieces_free(post->single, post->n_single);
  post->single = out;
  post->n_single = total;
  return PIO_OK;
}

/* The ids of a TemplateProcessing special token, from special_tokens. */
static pio_status special_ids(const pio_tokenizer *tok, const char *path, json_object *specials,
                              const char *id, tok_post_piece *piece, pio_error *err) {
  char q[96];
  json_object *entry = NULL, *ids = NULL;
  if (specials == NULL || !json_object_object_get_ex(specials, id, &entry) ||
      !json_object_object_get_ex(entry, "ids", &ids) || !json_object_is_type(ids, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "%s: %s: special token %s has no ids in special_tokens", tok->name, path,
                         pio_json_quote(id, q, sizeof q));
  size_t n = json_object_array_length(ids);
  piece->ids = calloc(n ? n : 1, sizeof *piece->ids);
  if (piece->ids == NULL) return no_memory(tok->name, err);
  for (size_t i = 0; i < n; i++) {
    json_object *v = json_object_array_get_idx(ids, i);
    int64_t x = json_object_get_int64(v);
    if (!json_object_is_type(v, json_type_int) || x < 0 || x >= (int64_t)tok->n_ids)
      return pio_error_set(err, PIO_ERR_INVALID,
                           "%s: %s: special token %s: ids[%zu] is not an id of the vocabulary "
                           "(0..%u)",
                           tok->name, path, pio_json_quote(id, q, sizeof q), i, tok->n_ids - 1);
    piece->ids[i] = (int32_t)x;
  }
  piece->n_ids = n;
  return PIO_OK;
}

static pio_status read_template(const pio_tokenizer *tok, const char *path, json_object *json,
                                tok_post *post, pio_error *err) {
  json_object *single = NULL, *specials = NULL;
  if (!json_object_object_get_ex(json, "single", &single) ||
      !json_object_is_type(single, json_type_array))
    return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.single: expected an array", tok->name, path);
  json_object_object_get_ex(json, "special_tokens", &specials);
  size_t n = json_object_array_length(single);
  tok_post_piece *pieces = calloc(n ? n : 1, sizeof *pieces);
  if (pieces == NULL) return no_memory(tok->name, err);
  pio_status st = PIO_OK;
  for (size_t i = 0; i < n && st == PIO_OK; i++) {
    char sub[160];
    snprintf(sub, sizeof sub, "%s.single[%zu]", path, i);
    json_object *item = json_object_array_get_idx(single, i), *inner = NULL, *id = NULL;
    if (json_object_object_get_ex(item, "SpecialToken", &inner) &&
        json_object_object_get_ex(inner, "id", &id) && json_object_is_type(id, json_type_string)) {
      st = special_ids(tok, sub, specials, json_object_get_string(id), &pieces[i], err);
    } else if (json_object_object_get_ex(item, "Sequence", &inner) &&
               json_object_object_get_ex(inner, "id", &id) &&
               json_object_is_type(id, json_type_string) &&
               strcmp(json_object_get_string(id), "A") == 0) {
      pieces[i].is_sequence = 1;
    } else {
      st = pio_error_set(err, PIO_ERR_INVALID,
                         "%s: %s: expected {\"SpecialToken\": {\"id\": ...}} or "
                         "{\"Sequence\": {\"id\": \"A\"}}",
                         tok->name, sub);
    }
  }
  if (st == PIO_OK) st = compose(tok->name, post, pieces, n, err);
  pieces_free(pieces, n);
  return st;
}

/* RobertaProcessing / BertProcessing: cls $A sep, each ["text", id]. */
static pio_status read_cls_sep(const pio_tokenizer *tok, const char *path, json_object *json,
                               tok_post *post, pio_error *err) {
  tok_post_piece pieces[3] = {{0, NULL, 1}, {1, NULL, 0}, {0, NULL, 1}};
  int32_t ids[2];
  const char *keys[2] = {"cls", "sep"};
  for (int k = 0; k < 2; k++) {
    json_object *pair = NULL;
    if (!json_object_object_get_ex(json, keys[k], &pair) ||
        !json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2 ||
        !json_object_is_type(json_object_array_get_idx(pair, 1), json_type_int))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: expected [\"token\", id]", tok->name,
                           path, keys[k]);
    int64_t id = json_object_get_int64(json_object_array_get_idx(pair, 1));
    if (id < 0 || id >= (int64_t)tok->n_ids)
      return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.%s: id %lld is not in the vocabulary",
                           tok->name, path, keys[k], (long long)id);
    ids[k] = (int32_t)id;
  }
  pieces[0].ids = &ids[0];
  pieces[2].ids = &ids[1];
  return compose(tok->name, post, pieces, 3, err);
}

static pio_status read_processor(const pio_tokenizer *tok, const char *path, json_object *json,
                                 tok_post *post, pio_error *err) {
  const char *type = NULL;
  pio_status st = tok_json_type(tok->name, path, json, &type, err);
  if (st != PIO_OK) return st;
  if (strcmp(type, "ByteLevel") == 0) return PIO_OK;
  if (strcmp(type, "TemplateProcessing") == 0) return read_template(tok, path, json, post, err);
  if (strcmp(type, "RobertaProcessing") == 0 || strcmp(type, "BertProcessing") == 0)
    return read_cls_sep(tok, path, json, post, err);
  if (strcmp(type, "Sequence") == 0) {
    json_object *list = NULL;
    if (!json_object_object_get_ex(json, "processors", &list) ||
        !json_object_is_type(list, json_type_array))
      return pio_error_set(err, PIO_ERR_INVALID, "%s: %s.processors: expected an array", tok->name,
                           path);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
      char sub[160];
      snprintf(sub, sizeof sub, "%s.processors[%zu]", path, i);
      if ((st = read_processor(tok, sub, json_object_array_get_idx(list, i), post, err)) != PIO_OK)
        return st;
    }
    return PIO_OK;
  }
  return tok_unsupported(tok->name, path, "post-processor", type, POST_KNOWN, err);
}

pio_status tok_post_load(const pio_tokenizer *tok, json_object *json, tok_post *post,
                         pio_error *err) {
  memset(post, 0, sizeof *post);
  if (json == NULL) return PIO_OK;
  pio_status st = read_processor(tok, "post_processor", json, post, err);
  if (st != PIO_OK) tok_post_free(post);
  return st;
}

void tok_post_free(tok_post *post) {
  pieces_free(post->single, post->n_single);
  memset(post, 0, sizeof *post);
}
