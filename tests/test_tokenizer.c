/* tests/test_tokenizer.c — the SDK's tokenizer.json tokenizer
 * (pio/tokenizer.h): ids and decoded texts of the small tokenizers of
 * tests/data/tokenizers against Hugging Face's (expected.jsonl, written by
 * tests/tools/hf_expected.js), a few derived by hand, streaming decode, and
 * every bad file and bad input refused with a message naming the place. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "pio/tokenizer.h"

#ifndef PIO_TEST_TOKENIZER_DIR
#error "PIO_TEST_TOKENIZER_DIR names tests/data/tokenizers"
#endif

/* ---- helpers ---- */

static pio_tokenizer *load_file(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", PIO_TEST_TOKENIZER_DIR, name);
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  pio_status st = pio_tokenizer_load(path, &tok, &err);
  ck_assert_msg(st == PIO_OK, "%s: %s", name, err.message);
  return tok;
}

static pio_tokenizer *load_text(const char *json) {
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  pio_status st = pio_tokenizer_load_buffer("inline.json", json, strlen(json), &tok, &err);
  ck_assert_msg(st == PIO_OK, "%s", err.message);
  return tok;
}

/* Expects loading json to fail with status and a message holding each
 * fragment. */
static void expect_load_error(const char *json, pio_status status, const char *f1, const char *f2) {
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  pio_status st = pio_tokenizer_load_buffer("bad.json", json, strlen(json), &tok, &err);
  ck_assert_msg(st == status, "status %d, expected %d: %s", (int)st, (int)status, err.message);
  ck_assert_ptr_null(tok);
  ck_assert_msg(strstr(err.message, "bad.json") != NULL, "no file name in: %s", err.message);
  ck_assert_msg(f1 == NULL || strstr(err.message, f1) != NULL, "'%s' not in: %s", f1, err.message);
  ck_assert_msg(f2 == NULL || strstr(err.message, f2) != NULL, "'%s' not in: %s", f2, err.message);
}

static void encode(const pio_tokenizer *tok, const char *text, unsigned flags, pio_token_ids *out) {
  pio_error err = {0};
  pio_status st = pio_tokenizer_encode(tok, text, strlen(text), flags, out, &err);
  ck_assert_msg(st == PIO_OK, "%s", err.message);
}

static void assert_ids(const pio_token_ids *got, const int32_t *want, size_t n, const char *what) {
  int same = got->count == n;
  for (size_t i = 0; same && i < n; i++) same = got->ids[i] == want[i];
  if (same) return;
  char text[1024] = "";
  for (size_t i = 0; i < got->count && strlen(text) < 900; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", i ? "," : "", got->ids[i]);
  ck_abort_msg("%s: got [%s] (%zu ids, %zu expected)", what, text, got->count, n);
}

/* A minimal BPE document around a vocabulary and merges. */
#define SIMPLE_MODEL(vocab, merges)                                                       \
  "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":null,"  \
  "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"BPE\",\"vocab\":" vocab \
  ",\"merges\":" merges "}}"

/* ---- against Hugging Face ---- */

typedef struct loaded {
  char name[128];
  pio_tokenizer *tok;
} loaded;

static pio_tokenizer *cached(loaded *cache, size_t *n, const char *name) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp(cache[i].name, name) == 0) return cache[i].tok;
  ck_assert_uint_lt(*n, 64);
  snprintf(cache[*n].name, sizeof cache[*n].name, "%s", name);
  cache[*n].tok = load_file(name);
  return cache[(*n)++].tok;
}

static void check_decode(const pio_tokenizer *tok, const pio_token_ids *ids, unsigned flags,
                         json_object *want, const char *where) {
  char *text = NULL;
  size_t len = 0;
  pio_error err = {0};
  ck_assert_msg(pio_tokenizer_decode(tok, ids->ids, ids->count, flags, &text, &len, &err) == PIO_OK,
                "%s: %s", where, err.message);
  ck_assert_msg(len == (size_t)json_object_get_string_len(want) &&
                    memcmp(text, json_object_get_string(want), len) == 0,
                "%s: decoded \"%s\", expected \"%s\"", where, text, json_object_get_string(want));
  free(text);
}

/* The streamed pieces add up to the whole decode. */
static void check_stream(const pio_tokenizer *tok, const pio_token_ids *ids, json_object *want,
                         const char *where) {
  pio_decode_stream *stream = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_decode_stream_new(tok, 0, &stream, &err), PIO_OK);
  char joined[4096] = "";
  size_t used = 0;
  for (size_t i = 0; i < ids->count; i++) {
    const char *piece;
    size_t len;
    ck_assert_msg(pio_decode_stream_push(stream, ids->ids[i], &piece, &len, &err) == PIO_OK,
                  "%s: %s", where, err.message);
    ck_assert_uint_lt(used + len, sizeof joined);
    memcpy(joined + used, piece, len);
    used += len;
  }
  joined[used] = '\0';
  pio_decode_stream_free(stream);
  /* A text that ends in U+FFFD is still waiting for its character. */
  const char *w = json_object_get_string(want);
  size_t wl = (size_t)json_object_get_string_len(want);
  if (wl >= 3 && memcmp(w + wl - 3, "\xEF\xBF\xBD", 3) == 0) return;
  ck_assert_msg(used == wl && memcmp(joined, w, wl) == 0, "%s: streamed \"%s\", decoded \"%s\"",
                where, joined, w);
}

START_TEST(test_small_tokenizers_match_hugging_face) {
  char path[512];
  snprintf(path, sizeof path, "%s/expected.jsonl", PIO_TEST_TOKENIZER_DIR);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  loaded cache[64];
  size_t n_cache = 0, n_cases = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    json_object *c = json_tokener_parse(line), *v;
    ck_assert_ptr_nonnull(c);
    json_object_object_get_ex(c, "tokenizer", &v);
    pio_tokenizer *tok = cached(cache, &n_cache, json_object_get_string(v));
    json_object *text, *add, *ids, *decoded, *skip = NULL;
    json_object_object_get_ex(c, "text", &text);
    json_object_object_get_ex(c, "add_special", &add);
    json_object_object_get_ex(c, "ids", &ids);
    json_object_object_get_ex(c, "decoded", &decoded);
    if (!json_object_object_get_ex(c, "decoded_skip", &skip)) skip = decoded;
    char where[600];
    snprintf(where, sizeof where, "%s %s%s", json_object_get_string(v),
             json_object_to_json_string(text), json_object_get_boolean(add) ? " +special" : "");
    int32_t want[512];
    size_t n = json_object_array_length(ids);
    ck_assert_uint_lt(n, 512);
    for (size_t i = 0; i < n; i++) want[i] = json_object_get_int(json_object_array_get_idx(ids, i));
    pio_token_ids got = {0};
    pio_error err = {0};
    ck_assert_msg(pio_tokenizer_encode(tok, json_object_get_string(text),
                                       (size_t)json_object_get_string_len(text),
                                       json_object_get_boolean(add) ? PIO_ENCODE_ADD_SPECIAL : 0,
                                       &got, &err) == PIO_OK,
                  "%s: %s", where, err.message);
    assert_ids(&got, want, n, where);
    check_decode(tok, &got, 0, decoded, where);
    check_decode(tok, &got, PIO_DECODE_SKIP_SPECIAL, skip, where);
    check_stream(tok, &got, decoded, where);
    pio_token_ids_free(&got);
    json_object_put(c);
    n_cases++;
  }
  free(line);
  fclose(f);
  for (size_t i = 0; i < n_cache; i++) pio_tokenizer_free(cache[i].tok);
  ck_assert_uint_gt(n_cases, 500);
}
END_TEST

/* ---- by hand ---- */

START_TEST(test_merges_apply_lowest_rank_first) {
  /* ranks: (b c) 0, (a b) 1, (a bc) 2: "abc" merges b+c first, then a+bc */
  pio_tokenizer *tok = load_text(SIMPLE_MODEL(
      "{\"a\":0,\"b\":1,\"c\":2,\"ab\":3,\"bc\":4,\"abc\":5}", "[\"b c\",\"a b\",\"a bc\"]"));
  pio_token_ids ids = {0};
  encode(tok, "abc", 0, &ids);
  assert_ids(&ids, (int32_t[]){5}, 1, "abc");
  ids.count = 0;
  encode(tok, "abab", 0, &ids); /* (a b) twice, (ab ab) unknown */
  assert_ids(&ids, (int32_t[]){3, 3}, 2, "abab");
  ids.count = 0;
  encode(tok, "cba", 0, &ids); /* no pair merges */
  assert_ids(&ids, (int32_t[]){2, 1, 0}, 3, "cba");
  pio_token_ids_free(&ids);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_unknown_characters_are_dropped_without_unk) {
  pio_tokenizer *tok = load_text(SIMPLE_MODEL("{\"a\":0}", "[]"));
  pio_token_ids ids = {0};
  encode(tok, "axa", 0, &ids);
  assert_ids(&ids, (int32_t[]){0, 0}, 2, "axa");
  pio_token_ids_free(&ids);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_encode_appends_to_the_list) {
  pio_tokenizer *tok = load_file("gpt2_like.json");
  pio_token_ids ids = {0}, once = {0};
  encode(tok, "The fox", 0, &once);
  encode(tok, "The fox", 0, &ids);
  encode(tok, "The fox", 0, &ids);
  ck_assert_uint_eq(ids.count, 2 * once.count);
  ck_assert_int_eq(memcmp(ids.ids + once.count, once.ids, once.count * sizeof *ids.ids), 0);
  pio_token_ids_free(&ids);
  pio_token_ids_free(&once);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_session_gives_the_ids_of_one_call) {
  pio_tokenizer *tok = load_file("llama3_like.json");
  pio_tokenizer_session *s = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_tokenizer_session_new(tok, &s, &err), PIO_OK);
  const char *texts[] = {"The quick brown fox", "the fox, the fox", "The quick brown fox"};
  for (int i = 0; i < 3; i++) {
    pio_token_ids a = {0}, b = {0};
    encode(tok, texts[i], 0, &a);
    ck_assert_int_eq(pio_tokenizer_session_encode(s, texts[i], strlen(texts[i]), 0, &b, &err),
                     PIO_OK);
    assert_ids(&b, a.ids, a.count, texts[i]);
    pio_token_ids_free(&a);
    pio_token_ids_free(&b);
  }
  pio_tokenizer_session_free(s);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_token_lookups) {
  pio_tokenizer *tok = load_file("llama3_like.json");
  int32_t bos = pio_tokenizer_token_id(tok, "<|begin_of_text|>");
  ck_assert_int_ge(bos, 256);
  ck_assert(pio_tokenizer_is_special(tok, bos));
  ck_assert_str_eq(pio_tokenizer_token_text(tok, bos), "<|begin_of_text|>");
  ck_assert_int_eq(pio_tokenizer_token_id(tok, "\xC4\xA0"), 32); /* "Ġ", the space byte */
  ck_assert(!pio_tokenizer_is_special(tok, 32));
  ck_assert_int_eq(pio_tokenizer_token_id(tok, "no such token"), -1);
  ck_assert_ptr_null(pio_tokenizer_token_text(tok, -1));
  ck_assert_ptr_null(pio_tokenizer_token_text(tok, (int32_t)pio_tokenizer_vocab_size(tok)));
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_stream_waits_for_a_complete_character) {
  /* spm_like falls back to bytes: an emoji is four byte tokens */
  pio_tokenizer *tok = load_file("spm_like.json");
  pio_token_ids ids = {0};
  encode(tok, "\xF0\x9F\x98\x80", 0, &ids);
  ck_assert_uint_eq(ids.count, 5); /* "▁" and four bytes */
  pio_decode_stream *s = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_decode_stream_new(tok, 0, &s, &err), PIO_OK);
  const char *piece;
  size_t len;
  for (size_t i = 0; i + 1 < ids.count; i++) {
    ck_assert_int_eq(pio_decode_stream_push(s, ids.ids[i], &piece, &len, &err), PIO_OK);
    ck_assert_msg(len == 0, "token %zu gave %zu bytes before the character was complete", i, len);
  }
  ck_assert_int_eq(pio_decode_stream_push(s, ids.ids[ids.count - 1], &piece, &len, &err), PIO_OK);
  ck_assert_uint_eq(len, 4);
  ck_assert_int_eq(memcmp(piece, "\xF0\x9F\x98\x80", 4), 0);
  /* a character cut short is held back, and given out at the end as
   * ByteFallback decodes it: one U+FFFD a byte */
  pio_decode_stream_reset(s);
  ids.count = 0;
  encode(tok, "x\xF0\x9F\x98\x80", 0, &ids);
  char seen[64] = "";
  for (size_t i = 0; i + 1 < ids.count; i++) {
    ck_assert_int_eq(pio_decode_stream_push(s, ids.ids[i], &piece, &len, &err), PIO_OK);
    strncat(seen, piece, len);
  }
  ck_assert_str_eq(seen, "x");
  ck_assert_int_eq(pio_decode_stream_flush(s, &piece, &len, &err), PIO_OK);
  ck_assert_uint_eq(len, 9);
  ck_assert_int_eq(memcmp(piece, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 9), 0);
  ck_assert_int_eq(pio_decode_stream_flush(s, &piece, &len, &err), PIO_OK);
  ck_assert_uint_eq(len, 0);
  pio_decode_stream_free(s);
  pio_token_ids_free(&ids);
  pio_tokenizer_free(tok);
}
END_TEST

/* ---- bad input ---- */

START_TEST(test_invalid_utf8_text_is_refused_and_leaves_the_list) {
  pio_tokenizer *tok = load_file("gpt2_like.json");
  pio_token_ids ids = {0};
  encode(tok, "ok", 0, &ids);
  size_t before = ids.count;
  pio_error err = {0};
  const char bad[] = "abc\xC3(def";
  ck_assert_int_eq(pio_tokenizer_encode(tok, bad, sizeof bad - 1, 0, &ids, &err), PIO_ERR_INVALID);
  ck_assert_msg(strstr(err.message, "byte 3") != NULL, "%s", err.message);
  ck_assert_uint_eq(ids.count, before);
  const char surrogate[] = "\xED\xA0\x80";
  ck_assert_int_eq(pio_tokenizer_encode(tok, surrogate, 3, 0, &ids, &err), PIO_ERR_INVALID);
  const char overlong[] = "\xC0\xAF";
  ck_assert_int_eq(pio_tokenizer_encode(tok, overlong, 2, 0, &ids, &err), PIO_ERR_INVALID);
  pio_token_ids_free(&ids);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_decode_of_unknown_id_is_refused) {
  pio_tokenizer *tok = load_file("gpt2_like.json");
  int32_t ids[] = {40, (int32_t)pio_tokenizer_vocab_size(tok)};
  char *text = NULL;
  size_t len = 0;
  pio_error err = {0};
  ck_assert_int_eq(pio_tokenizer_decode(tok, ids, 2, 0, &text, &len, &err), PIO_ERR_INVALID);
  ck_assert_msg(strstr(err.message, "token 1") != NULL, "%s", err.message);
  ck_assert_ptr_null(text);
  ids[1] = -5;
  ck_assert_int_eq(pio_tokenizer_decode(tok, ids, 2, 0, &text, &len, &err), PIO_ERR_INVALID);
  pio_tokenizer_free(tok);
}
END_TEST

START_TEST(test_truncated_json_names_line_and_column) {
  expect_load_error("{\"version\":\"1.0\",\n\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":",
                    PIO_ERR_PARSE, "bad.json:2:", NULL);
}
END_TEST

START_TEST(test_unknown_model_type_is_named) {
  expect_load_error("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", PIO_ERR_UNSUPPORTED,
                    "model.type", "\"Unigram\"");
}
END_TEST

START_TEST(test_unknown_normalizer_is_named_with_its_path) {
  expect_load_error(
      "{\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFC\"},"
      "{\"type\":\"Precompiled\"}]},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},"
      "\"merges\":[]}}",
      PIO_ERR_UNSUPPORTED, "normalizer.normalizers[1].type", "\"Precompiled\"");
}
END_TEST

START_TEST(test_unknown_pre_tokenizer_and_decoder_are_named) {
  expect_load_error(
      "{\"pre_tokenizer\":{\"type\":\"UnicodeScripts\"},\"model\":{\"type\":\"BPE\","
      "\"vocab\":{\"a\":0},\"merges\":[]}}",
      PIO_ERR_UNSUPPORTED, "pre_tokenizer.type", "UnicodeScripts");
  expect_load_error(
      "{\"decoder\":{\"type\":\"WordPiece\"},\"model\":{\"type\":\"BPE\","
      "\"vocab\":{\"a\":0},\"merges\":[]}}",
      PIO_ERR_UNSUPPORTED, "decoder.type", "WordPiece");
  expect_load_error(
      "{\"post_processor\":{\"type\":\"Unknown\"},\"model\":{\"type\":\"BPE\","
      "\"vocab\":{\"a\":0},\"merges\":[]}}",
      PIO_ERR_UNSUPPORTED, "post_processor.type", NULL);
}
END_TEST

START_TEST(test_merge_naming_unknown_token_is_refused) {
  expect_load_error(SIMPLE_MODEL("{\"a\":0,\"b\":1,\"ab\":2}", "[\"a b\",\"a q\"]"),
                    PIO_ERR_INVALID, "model.merges[1]", "\"q\"");
  expect_load_error(SIMPLE_MODEL("{\"a\":0,\"b\":1}", "[\"a b\"]"), PIO_ERR_INVALID,
                    "model.merges[0]", "merged token \"ab\"");
  expect_load_error(SIMPLE_MODEL("{\"a\":0,\"b\":1,\"ab\":2}", "[\"a b c\"]"), PIO_ERR_INVALID,
                    "model.merges[0]", "two tokens");
}
END_TEST

START_TEST(test_invalid_regex_is_refused) {
  expect_load_error(
      "{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(\\\\p{L\"},"
      "\"behavior\":\"Isolated\",\"invert\":false},\"model\":{\"type\":\"BPE\","
      "\"vocab\":{\"a\":0},\"merges\":[]}}",
      PIO_ERR_INVALID, "pre_tokenizer.pattern", "invalid regex");
}
END_TEST

START_TEST(test_bad_fields_are_named) {
  expect_load_error(SIMPLE_MODEL("{\"a\":\"zero\"}", "[]"), PIO_ERR_INVALID, "model.vocab",
                    "integer id");
  expect_load_error(SIMPLE_MODEL("{\"a\":-1}", "[]"), PIO_ERR_INVALID, "model.vocab", "outside");
  expect_load_error(SIMPLE_MODEL("{\"a\":0,\"b\":9000000}", "[]"), PIO_ERR_INVALID, "model.vocab",
                    "sparse");
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", PIO_ERR_INVALID,
                    "'merges'", NULL);
  expect_load_error("{\"model\":{\"type\":\"BPE\",\"dropout\":0.1,\"vocab\":{},\"merges\":[]}}",
                    PIO_ERR_UNSUPPORTED, "model.dropout", NULL);
  expect_load_error(
      "{\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"vocab\":{\"a\":0},"
      "\"merges\":[]}}",
      PIO_ERR_INVALID, "model.unk_token", NULL);
  expect_load_error(
      "{\"added_tokens\":[{\"id\":1}],\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},"
      "\"merges\":[]}}",
      PIO_ERR_INVALID, "added_tokens[0]", "'content'");
  /* a Sequence child that fails half-read is freed (found by fuzz_tokenizer) */
  expect_load_error("{\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Replace\","
                    "\"pattern\":{\"Regex\":\"(\"},\"content\":\"x\"}]},\"model\":{\"type\":\"BPE\","
                    "\"vocab\":{\"a\":0},\"merges\":[]}}",
                    PIO_ERR_INVALID, "normalizer.normalizers[0].pattern", "invalid regex");
  expect_load_error("{\"version\":\"2.0\",\"model\":{}}", PIO_ERR_UNSUPPORTED, "version", NULL);
  expect_load_error("[1,2]", PIO_ERR_INVALID, "object", NULL);
  expect_load_error("{}", PIO_ERR_INVALID, "'model'", NULL);
  expect_load_error(
      "{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"a\"},"
      "\"behavior\":\"Sideways\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},"
      "\"merges\":[]}}",
      PIO_ERR_INVALID, "pre_tokenizer.behavior", "Sideways");
  expect_load_error(
      "{\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
      "{\"id\":\"<s>\"}}],\"special_tokens\":{}},\"model\":{\"type\":\"BPE\","
      "\"vocab\":{\"a\":0},\"merges\":[]}}",
      PIO_ERR_INVALID, "post_processor.single[0]", "<s>");
}
END_TEST

START_TEST(test_huge_file_is_refused_before_reading) {
  char path[] = "/tmp/pio-test-tokenizer-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, 100 << 20), 0); /* 100 MB, sparse */
  close(fd);
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  pio_status st = pio_tokenizer_load(path, &tok, &err);
  unlink(path);
  ck_assert_int_eq(st, PIO_ERR_LIMIT);
  ck_assert_msg(strstr(err.message, path) != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_missing_file_is_named) {
  pio_tokenizer *tok = NULL;
  pio_error err = {0};
  ck_assert_int_eq(pio_tokenizer_load("/nonexistent/tokenizer.json", &tok, &err),
                   PIO_ERR_NOT_FOUND);
  ck_assert_msg(strstr(err.message, "/nonexistent/tokenizer.json") != NULL, "%s", err.message);
}
END_TEST

static Suite *tokenizer_suite(void) {
  Suite *s = suite_create("tokenizer");
  TCase *t = tcase_create("tokenizer");
  tcase_set_timeout(t, 60);
  tcase_add_test(t, test_small_tokenizers_match_hugging_face);
  tcase_add_test(t, test_merges_apply_lowest_rank_first);
  tcase_add_test(t, test_unknown_characters_are_dropped_without_unk);
  tcase_add_test(t, test_encode_appends_to_the_list);
  tcase_add_test(t, test_session_gives_the_ids_of_one_call);
  tcase_add_test(t, test_token_lookups);
  tcase_add_test(t, test_stream_waits_for_a_complete_character);
  tcase_add_test(t, test_invalid_utf8_text_is_refused_and_leaves_the_list);
  tcase_add_test(t, test_decode_of_unknown_id_is_refused);
  tcase_add_test(t, test_truncated_json_names_line_and_column);
  tcase_add_test(t, test_unknown_model_type_is_named);
  tcase_add_test(t, test_unknown_normalizer_is_named_with_its_path);
  tcase_add_test(t, test_unknown_pre_tokenizer_and_decoder_are_named);
  tcase_add_test(t, test_merge_naming_unknown_token_is_refused);
  tcase_add_test(t, test_invalid_regex_is_refused);
  tcase_add_test(t, test_bad_fields_are_named);
  tcase_add_test(t, test_huge_file_is_refused_before_reading);
  tcase_add_test(t, test_missing_file_is_named);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(tokenizer_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
