/* benchmarks/cmd_tokenize.c — `pio-bench tokenize DIR --text FILE`: encodes
 * a text with DIR/tokenizer.json on one thread and prints MB/s and tokens/s
 * beside the rate at which the same thread merely reads the same text (the
 * floor no tokenizer passes), medians of --repeat runs, the reads
 * interleaved with the encodes so both see the same machine.  The text is
 * encoded one paragraph at a time (a paragraph ends after a blank line), or
 * whole with --whole.  --reference-ids FILE compares the ids with another
 * tokenizer's (one line of comma-separated ids per paragraph, as
 * benchmarks/hf/hf_tokenize.js writes them).  --json prints the document
 * "pio-bench tokenize" (docs/json/bench-tokenize.schema.json), errors
 * included. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "about.h"
#include "bench_options.h"
#include "pio/json.h"
#include "pio/tokenizer.h"
#include "scenarios.h"
#include "stats.h"

#define SCENARIO "tokenize"
#define MAX_REPEAT 1000

enum { OPT_TEXT = 0x200, OPT_REPEAT, OPT_WHOLE, OPT_JSON, OPT_REFERENCE };

typedef struct tokenize_options {
  const char *dir, *text_path, *reference;
  uint32_t repeat;
  int whole, json;
} tokenize_options;

static void usage(FILE *f) {
  fputs(
      "usage: pio-bench tokenize DIR --text FILE [--repeat N] [--whole] [--json]\n"
      "                          [--reference-ids FILE]\n"
      "\n"
      "Encode FILE with DIR/tokenizer.json (or the file itself) on one thread;\n"
      "print MB/s and tokens/s beside the rate of merely reading the same text.\n"
      "  --text FILE          the UTF-8 text to encode (required)\n"
      "  --repeat N           timed runs; medians are quoted (default 5)\n"
      "  --whole              encode the text as one document, not paragraph by\n"
      "                       paragraph (a paragraph ends after a blank line)\n"
      "  --reference-ids FILE compare the ids with FILE: one line of\n"
      "                       comma-separated ids per paragraph (or one line with\n"
      "                       --whole)\n"
      "  --json               print JSON instead of the table\n",
      f);
}

static int parse(int argc, char **argv, tokenize_options *o) {
  static const struct option options[] = {{"text", required_argument, NULL, OPT_TEXT},
                                          {"repeat", required_argument, NULL, OPT_REPEAT},
                                          {"whole", no_argument, NULL, OPT_WHOLE},
                                          {"json", no_argument, NULL, OPT_JSON},
                                          {"reference-ids", required_argument, NULL, OPT_REFERENCE},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->repeat = 5;
  optind = 1;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    switch (opt) {
      case OPT_TEXT:
        o->text_path = optarg;
        break;
      case OPT_REPEAT:
        if (pio_bench_parse_u32(SCENARIO, "--repeat", optarg, 1, MAX_REPEAT, &o->repeat) != 0)
          return -1;
        break;
      case OPT_WHOLE:
        o->whole = 1;
        break;
      case OPT_JSON:
        o->json = 1;
        break;
      case OPT_REFERENCE:
        o->reference = optarg;
        break;
      case 'h':
        usage(stdout);
        return 1;
      default:
        pio_bench_option_error(SCENARIO, opt, argv[optind - 1], options);
        return -1;
    }
  }
  if (optind != argc - 1 || o->text_path == NULL) {
    pio_bench_usage_error(SCENARIO, "expected DIR and --text FILE");
    return -1;
  }
  o->dir = argv[optind];
  return 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  size_t cap = 1 << 20, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (n + 1 == cap) {
      char *grown = realloc(buf, cap * 2);
      if (grown == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
  }
  /* a read error (a folder: EISDIR) is no text, not an empty one */
  int why = ferror(f) ? errno : 0;
  fclose(f);
  if (why != 0) {
    free(buf);
    errno = why;
    return NULL;
  }
  if (buf) buf[n] = '\0';
  *len = n;
  return buf;
}

/* Paragraph ends: after each "\n\n" (as JavaScript's split(/(?<=\n\n)/)). */
static size_t *paragraphs(const char *text, size_t len, int whole, size_t *count) {
  size_t n = 1;
  if (!whole)
    for (size_t i = 1; i < len; i++) n += text[i] == '\n' && text[i - 1] == '\n';
  size_t *ends = malloc((n + 1) * sizeof *ends);
  if (ends == NULL) return NULL;
  size_t k = 0;
  if (!whole)
    for (size_t i = 1; i < len; i++)
      if (text[i] == '\n' && text[i - 1] == '\n' && i + 1 < len) ends[k++] = i + 1;
  ends[k++] = len;
  *count = k;
  return ends;
}

/* One thread reading the text, eight bytes at a time: the floor. */
static double read_pass(const char *text, size_t len, uint64_t *sink) {
  double t0 = pio_bench_now();
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, text + i, 8);
    sum += w;
  }
  for (; i < len; i++) sum += (unsigned char)text[i];
  /* the sum must exist before the clock is read again */
  volatile uint64_t done = sum;
  *sink += done;
  return pio_bench_now() - t0;
}

/* Encodes every paragraph once; ids land in all (one list per paragraph
 * when lists is not NULL). */
static int encode_pass(pio_tokenizer_session *s, const char *text, const size_t *ends, size_t n,
                       pio_token_ids *lists, size_t *tokens, double *seconds, pio_error *err) {
  pio_token_ids scratch = {0};
  size_t total = 0, from = 0;
  double t0 = pio_bench_now();
  for (size_t p = 0; p < n; p++) {
    pio_token_ids *out = lists ? &lists[p] : &scratch;
    out->count = 0;
    if (pio_tokenizer_session_encode(s, text + from, ends[p] - from, 0, out, err) != PIO_OK) {
      pio_error_prefix(err, "paragraph %zu: ", p + 1);
      pio_token_ids_free(&scratch);
      return -1;
    }
    total += out->count;
    from = ends[p];
  }
  *seconds = pio_bench_now() - t0;
  *tokens = total;
  pio_token_ids_free(&scratch);
  return 0;
}

/* Compares lists with the reference file: the index of the first paragraph
 * that differs, or -1 when all agree; -2 when the file cannot be read. */
static long compare_reference(const char *path, const pio_token_ids *lists, size_t n) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -2;
  char *line = NULL;
  size_t cap = 0;
  long first = -1;
  for (size_t p = 0; p < n && first < 0; p++) {
    if (getline(&line, &cap, f) < 0) {
      first = ferror(f) ? -2 : (long)p; /* a read error (a folder) is no answer */
      break;
    }
    const char *c = line;
    size_t k = 0;
    while (*c && *c != '\n') {
      char *end;
      long v = strtol(c, &end, 10);
      if (end == c || k >= lists[p].count || lists[p].ids[k] != v) {
        first = (long)p;
        break;
      }
      k++;
      c = *end == ',' ? end + 1 : end;
    }
    if (first < 0 && k != lists[p].count) first = (long)p;
  }
  free(line);
  fclose(f);
  return first;
}

/* 0, or -1 (said on stderr) when out of memory. */
static int report(const tokenize_options *o, size_t bytes, size_t n_par, size_t tokens,
                  double encode_s, double read_s, double load_s, long reference) {
  double mb = (double)bytes / 1e6;
  if (o->json) {
    pio_json_build build = {0}, *b = &build;
    json_object *j = pio_json_made(b, pio_about_json_document("pio-bench", "pio-bench " SCENARIO));
    pio_json_set(b, j, "tokenizer", pio_json_made(b, json_object_new_string(o->dir)));
    pio_json_set(b, j, "text", pio_json_made(b, json_object_new_string(o->text_path)));
    pio_json_set(b, j, "bytes", pio_json_made(b, json_object_new_uint64(bytes)));
    pio_json_set(b, j, "documents", pio_json_made(b, json_object_new_uint64(n_par)));
    pio_json_set(b, j, "tokens", pio_json_made(b, json_object_new_uint64(tokens)));
    pio_json_set(b, j, "repeat", pio_json_made(b, json_object_new_int((int)o->repeat)));
    pio_json_set(b, j, "threads", pio_json_made(b, json_object_new_int(1)));
    pio_json_set(b, j, "load_s", pio_json_made(b, json_object_new_double(load_s)));
    pio_json_set(b, j, "encode_s_median", pio_json_made(b, json_object_new_double(encode_s)));
    pio_json_set(b, j, "encode_mb_per_s", pio_json_made(b, json_object_new_double(mb / encode_s)));
    pio_json_set(b, j, "tokens_per_s",
                 pio_json_made(b, json_object_new_double((double)tokens / encode_s)));
    pio_json_set(b, j, "read_mb_per_s", pio_json_made(b, json_object_new_double(mb / read_s)));
    if (o->reference) {
      pio_json_set(b, j, "reference_ids_identical",
                   pio_json_made(b, json_object_new_boolean(reference == -1)));
      pio_json_set(b, j, "reference_first_difference",
                   reference >= 0 ? pio_json_made(b, json_object_new_int64(reference + 1)) : NULL);
    }
    j = pio_json_done(b, j);
    int printed = j != NULL && pio_about_print_json(stdout, j) == 0;
    if (!printed) fputs("pio-bench " SCENARIO ": out of memory\n", stderr);
    json_object_put(j);
    return printed ? 0 : -1;
  }
  printf("tokenizer   %s (loaded in %.3f s)\n", o->dir, load_s);
  printf("text        %s: %.2f MB, %zu %s, %zu tokens\n", o->text_path, mb, n_par,
         o->whole ? "document" : "paragraphs", tokens);
  printf("one thread, medians of %u runs:\n", o->repeat);
  printf("  %-22s %10s %14s\n", "", "MB/s", "tokens/s");
  printf("  %-22s %10.2f %14.0f\n", "encode", mb / encode_s, (double)tokens / encode_s);
  printf("  %-22s %10.2f %14s   (the floor: the same text only read)\n", "read the text",
         mb / read_s, "-");
  printf("  encode runs at %.2f%% of the read rate\n", 100.0 * read_s / encode_s);
  if (o->reference) {
    if (reference == -1)
      printf("ids identical to %s\n", o->reference);
    else
      printf("ids DIFFER from %s, first in paragraph %ld\n", o->reference, reference + 1);
  }
  return 0;
}

int pio_bench_cmd_tokenize(int argc, char **argv) {
  tokenize_options o;
  int p = parse(argc, argv, &o);
  if (p != 0) return p > 0 ? PIO_BENCH_STATUS_OK : PIO_BENCH_STATUS_USAGE;
  size_t len = 0;
  pio_error err = {0};
  errno = 0;
  char *text = read_file(o.text_path, &len);
  if (text == NULL) {
    pio_error_set(&err, PIO_ERR_IO, "--text %s: %s", o.text_path,
                  errno ? strerror(errno) : "out of memory");
    pio_bench_report_error(SCENARIO, o.json, &err);
    return PIO_BENCH_STATUS_FAILED;
  }
  char path[4096];
  struct stat st;
  int is_dir = stat(o.dir, &st) == 0 && S_ISDIR(st.st_mode);
  snprintf(path, sizeof path, is_dir ? "%s/tokenizer.json" : "%s", o.dir);
  pio_tokenizer *tok = NULL;
  pio_tokenizer_session *s = NULL;
  double t0 = pio_bench_now();
  int rc = PIO_BENCH_STATUS_FAILED;
  size_t n_par = 0, tokens = 0;
  size_t *ends = paragraphs(text, len, o.whole, &n_par);
  pio_token_ids *lists = ends ? calloc(n_par, sizeof *lists) : NULL;
  double *enc = calloc(o.repeat, sizeof *enc), *rd = calloc(o.repeat, sizeof *rd);
  if (pio_tokenizer_load(path, &tok, &err) != PIO_OK ||
      pio_tokenizer_session_new(tok, &s, &err) != PIO_OK)
    goto fail;
  double load_s = pio_bench_now() - t0;
  if (lists == NULL || enc == NULL || rd == NULL) {
    pio_error_set(&err, PIO_ERR_NO_MEMORY, "%zu paragraphs: out of memory", n_par);
    goto fail;
  }
  /* an untimed pass fills the caches (and the word cache, as any long run would) */
  if (encode_pass(s, text, ends, n_par, lists, &tokens, &enc[0], &err) != 0) goto fail;
  uint64_t sink = 0;
  for (uint32_t r = 0; r < o.repeat; r++) {
    if (encode_pass(s, text, ends, n_par, NULL, &tokens, &enc[r], &err) != 0) goto fail;
    rd[r] = read_pass(text, len, &sink);
  }
  long reference = o.reference ? compare_reference(o.reference, lists, n_par) : -1;
  if (reference == -2) {
    pio_error_set(&err, PIO_ERR_IO, "--reference-ids %s: %s", o.reference, strerror(errno));
    goto fail;
  }
  int reported = report(&o, len, n_par, tokens, pio_bench_median(enc, o.repeat),
                        pio_bench_median(rd, o.repeat), load_s, reference);
  rc = o.reference && reference != -1 ? PIO_BENCH_STATUS_FAILED : PIO_BENCH_STATUS_OK;
  if (reported != 0) rc = PIO_BENCH_STATUS_FAILED;
  goto done;
fail:
  pio_bench_report_error(SCENARIO, o.json, &err);
done:
  for (size_t i = 0; lists && i < n_par; i++) pio_token_ids_free(&lists[i]);
  free(lists);
  free(ends);
  free(enc);
  free(rd);
  pio_tokenizer_session_free(s);
  pio_tokenizer_free(tok);
  free(text);
  return rc;
}
