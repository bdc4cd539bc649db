/* sdk/src/tokenizer_internal.h — the parts of a loaded tokenizer.json and the
 * helpers the tokenizer's files share.  The pipeline is Hugging Face's:
 * added tokens split off, normaliser, pre-tokeniser, BPE model,
 * post-processor; decoding runs the decoder chain over the tokens' texts. */
#ifndef PIO_TOKENIZER_INTERNAL_H
#define PIO_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "pio/tokenizer.h"
#include "tokenizer_regex.h"
#include "tokenizer_text.h"

/* ---- string → int32 map (open addressing, keys in one pool) ---- */
typedef struct tok_map_slot {
  uint32_t hash; /* 0: free */
  uint32_t key_len;
  uint64_t key_off; /* into pool */
  int32_t value;
} tok_map_slot;

typedef struct tok_map {
  tok_map_slot *slots;
  size_t capacity; /* power of two */
  size_t count;
  char *pool;
  size_t pool_len, pool_cap;
} tok_map;

uint32_t tok_hash(const char *key, size_t len);
/* Inserts or replaces; -1 when out of memory. */
int tok_map_put(tok_map *map, const char *key, size_t len, int32_t value);
/* The value, or -1 when absent. */
int32_t tok_map_get(const tok_map *map, const char *key, size_t len);
void tok_map_free(tok_map *map);

/* ---- normalisers ---- */
typedef enum tok_norm_kind {
  TOK_NORM_SEQUENCE,
  TOK_NORM_NFC,
  TOK_NORM_NFD,
  TOK_NORM_NFKC,
  TOK_NORM_NFKD,
  TOK_NORM_LOWERCASE,
  TOK_NORM_REPLACE,
  TOK_NORM_PREPEND,
  TOK_NORM_STRIP,
  TOK_NORM_STRIP_ACCENTS
} tok_norm_kind;

typedef struct tok_normalizer {
  tok_norm_kind kind;
  struct tok_normalizer **children; /* SEQUENCE */
  size_t n_children;
  tok_pattern pattern; /* REPLACE */
  char *content;       /* REPLACE: replacement; PREPEND: prefix (owned) */
  size_t content_len;
  int strip_left, strip_right; /* STRIP */
} tok_normalizer;

/* Reads a normaliser object; path names it in messages.  NULL json: none. */
pio_status tok_normalizer_load(const char *name, const char *path, json_object *json,
                               tok_normalizer **out, pio_error *err);
void tok_normalizer_free(tok_normalizer *n);
/* Normalises text[len] into *out (replaced). */
pio_status tok_normalize(const tok_normalizer *n, const char *text, size_t len, tok_buf *out,
                         pio_error *err);

/* ---- pre-tokenisers: a flat list of steps, each splitting pieces ---- */
typedef enum tok_behavior {
  TOK_SPLIT_REMOVED,
  TOK_SPLIT_ISOLATED,
  TOK_SPLIT_MERGED_WITH_PREVIOUS,
  TOK_SPLIT_MERGED_WITH_NEXT,
  TOK_SPLIT_CONTIGUOUS
} tok_behavior;

typedef enum tok_pretok_kind {
  TOK_PRE_SPLIT,
  TOK_PRE_BYTE_LEVEL,
  TOK_PRE_METASPACE,
  TOK_PRE_DIGITS,
  TOK_PRE_WHITESPACE,
  TOK_PRE_WHITESPACE_SPLIT,
  TOK_PRE_PUNCTUATION
} tok_pretok_kind;

typedef enum tok_prepend_scheme {
  TOK_PREPEND_ALWAYS,
  TOK_PREPEND_FIRST,
  TOK_PREPEND_NEVER
} tok_prepend_scheme;

typedef struct tok_pretok {
  tok_pretok_kind kind;
  tok_pattern pattern;   /* SPLIT; BYTE_LEVEL with use_regex (GPT-2's); WHITESPACE */
  tok_behavior behavior; /* SPLIT, PUNCTUATION; DIGITS: ISOLATED or CONTIGUOUS */
  int invert;            /* SPLIT */
  int add_prefix_space;  /* BYTE_LEVEL */
  int use_regex;         /* BYTE_LEVEL */
  int raw_bytes;         /* BYTE_LEVEL: leave the bytes unmapped (the model reads bytes) */
  uint32_t replacement;  /* METASPACE: the code point, and its UTF-8 */
  char replacement_utf8[5];
  size_t replacement_len;
  tok_prepend_scheme prepend; /* METASPACE */
  int split;                  /* METASPACE */
} tok_pretok;

pio_status tok_pretok_load(const char *name, const char *path, json_object *json,
                           tok_pretok **steps, size_t *n_steps, pio_error *err);
void tok_pretok_free(tok_pretok *steps, size_t n_steps);

/* A piece of text being split: [off, off+len) of a base text. */
typedef struct tok_range {
  size_t off, len;
  int is_match; /* while splitting: whether the pattern matched it */
} tok_range;

/* One step on one piece: *base is the text the ranges index (the
 * piece itself, or the step's rewrite of it in scratch); ranges (appended to
 * *out, cleared first) are the sub-pieces, empty ones dropped. */
typedef struct tok_range_list {
  tok_range *items;
  size_t count, capacity;
} tok_range_list;
pio_status tok_pretok_apply(const tok_pretok *step, const char *text, size_t len, int at_start,
                            tok_matcher *matcher, tok_buf scratch[2], const char **base,
                            tok_range_list *out, pio_error *err);
void tok_range_list_free(tok_range_list *list);

/* ---- the BPE model ---- */
typedef struct tok_merge_slot {
  uint64_t pair; /* (left << 32) | right, both +1 so that 0 marks free */
  uint32_t rank;
  int32_t merged;
} tok_merge_slot;

typedef struct tok_bpe {
  tok_map vocab;        /* token text → id */
  tok_map vocab_bytes;  /* raw mode: the bytes a byte-level token stands for → id */
  int32_t byte_id[256]; /* raw mode: the id of each single byte, or -1 */
  tok_merge_slot *merges;
  size_t merges_capacity; /* power of two */
  int32_t unk_id;         /* -1: none */
  int fuse_unk, byte_fallback, ignore_merges;
  int32_t byte_fallback_id[256]; /* "<0xNN>" ids, or -1 */
  char *prefix;                  /* continuing_subword_prefix, NULL: none */
  size_t prefix_len;
  char *suffix; /* end_of_word_suffix, NULL: none */
  size_t suffix_len;
  int raw_bytes;         /* pieces arrive as raw bytes, each byte a symbol */
  int32_t ascii_id[128]; /* text mode without affixes: each ASCII character's id, or -1 */
  /* SentencePiece-style words: when no token holds U+2581 after another
   * character, no merge crosses the start of a run of U+2581, and a word
   * may be cut there (and cached) without changing its ids. */
  int cut_before_space;
} tok_bpe;

/* Reads model (type BPE) into bpe.  The vocabulary's size is its largest id
 * + 1 (*n_ids). */
pio_status tok_bpe_load(const char *name, json_object *model, tok_bpe *bpe, pio_error *err);
/* Builds vocab_bytes and byte_id for raw mode; -1 out of memory. */
int tok_bpe_enable_raw_bytes(tok_bpe *bpe);
/* Fills ascii_id and cut_before_space (text mode). */
void tok_bpe_prepare_text_mode(tok_bpe *bpe);
void tok_bpe_free(tok_bpe *bpe);
/* The rank and merged id of (left, right), or 0 when they do not merge. */
const tok_merge_slot *tok_bpe_merge(const tok_bpe *bpe, int32_t left, int32_t right);

/* Scratch the model uses for one word (a session keeps it). */
typedef struct tok_bpe_scratch {
  int32_t *ids;
  int32_t *prev, *next;
  size_t capacity;
  void *heap;
  size_t heap_capacity;
  tok_buf word; /* a symbol with its prefix/suffix */
} tok_bpe_scratch;
void tok_bpe_scratch_free(tok_bpe_scratch *s);
/* Tokenises one piece, appending ids. */
pio_status tok_bpe_tokenize(const tok_bpe *bpe, const char *text, size_t len, tok_bpe_scratch *s,
                            pio_token_ids *out, pio_error *err);

/* ---- added tokens ---- */
typedef struct tok_added {
  char *content; /* owned */
  size_t len;
  char *normalized; /* owned: content through the normaliser when `normalized`; else NULL */
  size_t normalized_len;
  int32_t id;
  int single_word, lstrip, rstrip, is_normalized, special;
} tok_added;

/* A byte trie of the added tokens of one kind (normalized or not). */
typedef struct tok_trie_node {
  int32_t first_child, next_sibling;
  int32_t token; /* index into added[], -1 when no token ends here */
  uint8_t byte;
} tok_trie_node;

typedef struct tok_trie {
  tok_trie_node *nodes;
  size_t count, capacity;
  int32_t root_child[256]; /* node of each first byte, -1 */
} tok_trie;

/* ---- post-processor ---- */
typedef struct tok_post_piece {
  int is_sequence; /* $A */
  int32_t *ids;    /* special token's ids (owned) */
  size_t n_ids;
} tok_post_piece;

typedef struct tok_post {
  tok_post_piece *single; /* NULL: nothing added */
  size_t n_single;
} tok_post;

/* ---- decoders ---- */
typedef enum tok_dec_kind {
  TOK_DEC_BYTE_LEVEL,
  TOK_DEC_BYTE_FALLBACK,
  TOK_DEC_FUSE,
  TOK_DEC_STRIP,
  TOK_DEC_REPLACE,
  TOK_DEC_METASPACE
} tok_dec_kind;

typedef struct tok_decoder {
  tok_dec_kind kind;
  tok_pattern pattern; /* REPLACE */
  char *content;       /* REPLACE: replacement (owned) */
  size_t content_len;
  uint32_t strip_char; /* STRIP: code point */
  size_t strip_start, strip_stop;
  uint32_t replacement; /* METASPACE */
  int prepend_never;    /* METASPACE: prepend_scheme "never" */
} tok_decoder;

pio_status tok_decoder_load(const char *name, json_object *json, tok_decoder **steps,
                            size_t *n_steps, pio_error *err);
void tok_decoder_free(tok_decoder *steps, size_t n_steps);

/* ---- the tokenizer ---- */
struct pio_tokenizer {
  char *name;
  tok_bpe bpe;
  tok_normalizer *normalizer; /* NULL: none */
  tok_pretok *pretok;         /* flat list of steps */
  size_t n_pretok;
  tok_post post;
  tok_decoder *decoder; /* flat list; NULL with n_decoder 0: tokens joined by spaces */
  size_t n_decoder;
  int has_decoder;
  tok_added *added;
  size_t n_added;
  tok_trie trie_raw, trie_normalized;
  uint32_t n_ids; /* vocabulary size: largest id + 1 */
  char **id_text; /* id → text (NULL: no token); strings owned (text_pool) */
  uint32_t *id_len;
  uint8_t *id_flags; /* TOK_ID_* */
  int32_t *id_added; /* index into added[], -1 for a model token */
  char *text_pool;
};

#define TOK_ID_ADDED 1u
#define TOK_ID_SPECIAL 2u

/* Added tokens: read (ids as Hugging Face assigns them), tries built. */
pio_status tok_added_load(pio_tokenizer *tok, json_object *list, pio_error *err);
void tok_added_free(pio_tokenizer *tok);
/* Leftmost-longest match of trie in text[from, len): *start and *end of the
 * match and the added token's index; 0 when none. */
int tok_trie_find(const tok_trie *trie, const char *text, size_t len, size_t from, size_t *start,
                  size_t *end, int32_t *token);

pio_status tok_post_load(const pio_tokenizer *tok, json_object *json, tok_post *post,
                         pio_error *err);
void tok_post_free(tok_post *post);

/* ---- JSON helpers with messages "name: path: what" ---- */
pio_status tok_json_object(const char *name, const char *path, json_object *json, pio_error *err);
/* A member that must be a string; *out points into json. */
pio_status tok_json_string(const char *name, const char *path, json_object *obj, const char *key,
                           int required, const char **out, size_t *len, pio_error *err);
/* A member that must be a boolean (missing or null: *out unchanged). */
pio_status tok_json_bool(const char *name, const char *path, json_object *obj, const char *key,
                         int *out, pio_error *err);
/* "type" of a component object. */
pio_status tok_json_type(const char *name, const char *path, json_object *obj, const char **type,
                         pio_error *err);
/* Reads a {"String": s} or {"Regex": r} pattern into *pattern. */
pio_status tok_json_pattern(const char *name, const char *path, json_object *obj,
                            tok_pattern *pattern, pio_error *err);
/* Refuses a component type pio does not read, naming what it reads. */
pio_status tok_unsupported(const char *name, const char *path, const char *what, const char *type,
                           const char *known, pio_error *err);

#endif
