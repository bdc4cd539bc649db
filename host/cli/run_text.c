/* host/cli/run_text.c — `pio-host run --prompt/--chat` (run_text.h): the
 * prompt encoded (or the conversation rendered with the chat template and
 * encoded), prefilled, then tokens drawn one by one and streamed through
 * the tokenizer's streaming decoder, flushed each token, until an EOS id
 * of generation_config.json / config.json or --max-new-tokens (or, in a
 * chat, Ctrl-C: interrupt.h).  A chat keeps the KV cache between turns:
 * only what the new rendering adds after the ids already run is prefilled
 * (encode_turn). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "cli_common.h"
#include "pio/json.h"
#include "pio/number.h"
#include "interrupt.h"
#include "pio/chat_template.h"
#include "pio/generation_config.h"
#include "pio/tokenizer.h"
#include "run_text.h"
#include "text_io.h"

static int bad(const char *option, const char *what, const char *arg) {
  pio_cli_usage_error("run", "%s: expected %s, found '%s'", option, what, arg);
  return -1;
}

int pio_cli_text_option(pio_cli_text_options *o, int opt, const char *arg) {
  double v = 0;
  uint64_t n = 0;
  switch (opt) {
    case PIO_CLI_OPT_PROMPT:
      o->prompt = arg;
      return 1;
    case PIO_CLI_OPT_CHAT:
      o->chat = 1;
      return 1;
    case PIO_CLI_OPT_SYSTEM:
      o->system = arg;
      return 1;
    case PIO_CLI_OPT_TEMPERATURE:
      if (pio_parse_double(arg, 0, 1e6, &v) != 0)
        return bad("--temperature", "a number from 0 (greedy) to 1000000", arg);
      o->sampling.temperature = v;
      o->set |= PIO_CLI_SET_TEMPERATURE;
      return 1;
    case PIO_CLI_OPT_TOP_K:
      if (pio_parse_u64(arg, 0, 1000000000, &n) != 0)
        return bad("--top-k", "a whole number from 0 (off) to 1000000000", arg);
      o->sampling.top_k = (uint32_t)n;
      o->set |= PIO_CLI_SET_TOP_K;
      return 1;
    case PIO_CLI_OPT_TOP_P:
      if (pio_parse_double(arg, 1e-9, 1, &v) != 0)
        return bad("--top-p", "more than 0 and at most 1", arg);
      o->sampling.top_p = v;
      o->set |= PIO_CLI_SET_TOP_P;
      return 1;
    case PIO_CLI_OPT_MIN_P:
      if (pio_parse_double(arg, 0, 1, &v) != 0) return bad("--min-p", "0 to 1", arg);
      o->sampling.min_p = v;
      o->set |= PIO_CLI_SET_MIN_P;
      return 1;
    case PIO_CLI_OPT_PENALTY:
      if (pio_parse_double(arg, 1e-9, 1e6, &v) != 0)
        return bad("--repeat-penalty", "a number above 0 (1: off) up to 1000000", arg);
      o->sampling.repeat_penalty = v;
      o->set |= PIO_CLI_SET_PENALTY;
      return 1;
    case PIO_CLI_OPT_SEED:
      if (pio_parse_u64(arg, 0, UINT64_MAX, &n) != 0) return bad("--seed", "a whole number", arg);
      o->sampling.seed = n;
      o->set |= PIO_CLI_SET_SEED;
      return 1;
    default:
      return 0;
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What a text run holds (pio_cli_text of run_text.h). */
typedef struct pio_cli_text text_run;
struct pio_cli_text {
  const pio_cli_text_options *o;
  const char *name, *dir;
  const pio_cli_common *common;
  const pio_cli_text_model *m; /* from pio_cli_run_text on */
  pio_tokenizer *tok;
  pio_tokenizer_session *session;
  pio_decode_stream *stream;
  pio_sampler *sampler;
  pio_generation_config gen;
  pio_sampling sampling; /* generation_config.json's, then the options' */
  pio_token_ids prompt;  /* --prompt: its ids */
  pio_chat_template *tmpl; /* --chat: the template and its variables */
  json_object *vars;
  pio_token_ids seq; /* the ids the KV cache holds */
  pio_token_ids reply;
  struct printbuf *text; /* --json: the reply's text, instead of stdout */
  unsigned turn;
  char *said; /* --chat: the text the ids of seq spell (NULL: not known) */
  size_t said_len;
  int interruptible; /* --chat: SIGINT stops an answer (interrupt.h) */
  pio_error err;
};

static int fail(text_run *t, const char *what) {
  return pio_cli_fail(t->common, PIO_CLI_EXIT_PLUGIN, t->err.code, "%s: %s%s", t->name,
                      what ? what : "", t->err.message);
}

/* A piece of the reply: streamed to stdout, or kept for the document. */
static int emit(text_run *t, const char *piece, size_t len) {
  if (t->text == NULL) {
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return 0;
  }
  if (len > 0 && printbuf_memappend(t->text, piece, (int)len) < 0) {
    pio_error_set(&t->err, PIO_ERR_NO_MEMORY, "the reply's text: out of memory");
    return -1;
  }
  return 0;
}

static int is_eos(const text_run *t, int32_t id) {
  for (size_t i = 0; i < t->gen.n_eos; i++)
    if (t->gen.eos[i] == id) return 1;
  return 0;
}

/* Runs ids[n] into the cache (their logits left in m->logits). */
static int feed(text_run *t, const int32_t *ids, size_t n) {
  if (n == 0) return 0;
  if (t->seq.count + n > t->m->max_context) {
    pio_error_set(&t->err, PIO_ERR_LIMIT, "%zu tokens are over the KV cache of %u (--max-context)",
                  t->seq.count + n, t->m->max_context);
    return -1;
  }
  if (t->m->api->forward(t->m->model, ids, (uint32_t)n, t->m->logits, 0, &t->err) != PIO_OK)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (pio_token_ids_push(&t->seq, ids[i], &t->err) != PIO_OK) return -1;
  return 0;
}

static const char *const stop_words[] = {
    [PIO_CLI_STOP_EOS] = "stopped at EOS",
    [PIO_CLI_STOP_MAX_NEW] = "stopped at --max-new-tokens",
    [PIO_CLI_STOP_INTERRUPT] = "stopped by Ctrl-C",
};

/* Prefills prompt (reusing the cache's common prefix), then streams up to
 * max_new tokens; the ids drawn land in t->reply.  In a chat a SIGINT,
 * asked between tokens, ends the answer where it is. */
static int generate(text_run *t, const pio_token_ids *prompt, const char *input,
                    size_t input_len) {
  size_t common = 0;
  while (common < t->seq.count && common < prompt->count &&
         t->seq.ids[common] == prompt->ids[common])
    common++;
  /* the last prompt token must run now: its logits give the first new token */
  if (common == prompt->count && common > 0) common--;
  size_t reused = common;
  if (common < t->seq.count) { /* the cache holds more than the prompt shares: start over */
    t->m->api->reset(t->m->model);
    t->seq.count = 0;
    reused = 0;
  }
  double t0 = now_s();
  if (feed(t, prompt->ids + reused, prompt->count - reused) != 0) return fail(t, "prefill: ");
  double prefill_s = now_s() - t0;
  pio_decode_stream_reset(t->stream);
  t->reply.count = 0;
  if (t->text != NULL) printbuf_reset(t->text);
  t0 = now_s();
  pio_cli_stop stop = PIO_CLI_STOP_MAX_NEW;
  size_t steps = 0;
  uint32_t decodable = pio_tokenizer_vocab_size(t->tok);
  for (uint32_t i = 0; i < t->m->max_new; i++) {
    if (t->interruptible && pio_cli_interrupt_take()) {
      stop = PIO_CLI_STOP_INTERRUPT;
      break;
    }
    /* rows past the tokenizer's vocabulary (padding) name no text */
    for (uint32_t k = decodable; k < t->m->vocab; k++) t->m->logits[k] = -INFINITY;
    int32_t next = pio_sampler_sample(t->sampler, t->m->logits, t->seq.ids, t->seq.count);
    if (is_eos(t, next)) {
      stop = PIO_CLI_STOP_EOS;
      break;
    }
    const char *piece;
    size_t len;
    if (pio_decode_stream_push(t->stream, next, &piece, &len, &t->err) != PIO_OK ||
        emit(t, piece, len) != 0)
      return fail(t, "decode: ");
    if (pio_token_ids_push(&t->reply, next, &t->err) != PIO_OK) return fail(t, "");
    if (i + 1 < t->m->max_new) {
      if (feed(t, &next, 1) != 0) return fail(t, "decode: ");
      steps++;
    }
  }
  const char *tail;
  size_t tail_len;
  if (pio_decode_stream_flush(t->stream, &tail, &tail_len, &t->err) != PIO_OK ||
      emit(t, tail, tail_len) != 0)
    return fail(t, "decode: ");
  double decode_s = now_s() - t0;
  size_t n_prefill = prompt->count - reused;
  if (t->text != NULL) {
    pio_cli_text_answer answer = {.input = input,
                                  .input_len = input_len,
                                  .turn = t->turn,
                                  .prompt_tokens = prompt->count,
                                  .cached_tokens = reused,
                                  .ids = t->reply.ids,
                                  .n_ids = t->reply.count,
                                  .text = t->text->buf,
                                  .text_len = (size_t)t->text->bpos,
                                  .decode_steps = steps,
                                  .stop = stop,
                                  .prefill_s = prefill_s,
                                  .decode_s = decode_s,
                                  .sampling = &t->sampling};
    return t->m->answer(t->m->ctx, &answer);
  }
  fputc('\n', stdout);
  fflush(stdout);
  fprintf(stderr,
          "pio-host run: %s: prompt %zu tokens (%zu from the cache) in %.3f s (%.1f tokens/s); "
          "generated %zu tokens in %.3f s (%.1f tokens/s), %s\n",
          t->m->plugin, prompt->count, reused, prefill_s,
          n_prefill / (prefill_s > 0 ? prefill_s : 1e-9), t->reply.count, decode_s,
          t->reply.count / (decode_s > 0 ? decode_s : 1e-9), stop_words[stop]);
  return PIO_CLI_EXIT_OK;
}

static int run_prompt(text_run *t) {
  return generate(t, &t->prompt, t->o->prompt, strlen(t->o->prompt));
}

/* Appends {role, content} to the conversation; PIO_ERR_NO_MEMORY (in
 * t->err) when it could not be. */
static pio_status add_message(text_run *t, json_object *messages, const char *role,
                              const char *content, size_t len) {
  pio_json_build b = {0};
  json_object *m = pio_json_made(&b, json_object_new_object());
  pio_json_set(&b, m, "role", pio_json_text(&b, role));
  pio_json_set(&b, m, "content", pio_json_made(&b, json_object_new_string_len(content, (int)len)));
  pio_json_push(&b, messages, pio_json_done(&b, m));
  if (b.failed) return pio_error_set(&t->err, PIO_ERR_NO_MEMORY, "the conversation: out of memory");
  return PIO_OK;
}

/* A chat turn's prompt: the ids of the rendering.  When the rendering goes
 * on from t->said, the text the cache's ids spell, those ids are kept as
 * they are (the model's own: re-encoding their text can give others, and
 * the cache, which cannot be cut back, would be emptied and the whole
 * conversation prefilled again) and only what follows is encoded. */
static pio_status encode_turn(text_run *t, const char *text, size_t len, pio_token_ids *prompt) {
  prompt->count = 0;
  size_t from = 0;
  if (t->said != NULL && t->seq.count > 0 && len > t->said_len &&
      memcmp(text, t->said, t->said_len) == 0) {
    for (size_t i = 0; i < t->seq.count; i++)
      if (pio_token_ids_push(prompt, t->seq.ids[i], &t->err) != PIO_OK) return t->err.code;
    from = t->said_len;
  }
  return pio_tokenizer_session_encode(t->session, text + from, len - from, 0, prompt, &t->err);
}

/* After a turn, t->said: the rendering (its ids begin the cache) and the
 * text of the reply's ids that were run after it. */
static pio_status remember_said(text_run *t, const char *text, size_t len, size_t prompt_ids) {
  char *fed = NULL;
  size_t fed_len = 0;
  if (t->seq.count > prompt_ids &&
      pio_tokenizer_decode(t->tok, t->seq.ids + prompt_ids, t->seq.count - prompt_ids, 0, &fed,
                           &fed_len, &t->err) != PIO_OK)
    return t->err.code;
  char *said = realloc(t->said, len + fed_len + 1);
  if (said == NULL) {
    free(fed);
    return pio_error_set(&t->err, PIO_ERR_NO_MEMORY, "the conversation: out of memory");
  }
  memcpy(said, text, len);
  if (fed_len > 0) memcpy(said + len, fed, fed_len);
  said[len + fed_len] = '\0';
  t->said = said;
  t->said_len = len + fed_len;
  free(fed);
  return PIO_OK;
}

/* --chat, before the model: the template, and --system checked and put
 * first in the conversation. */
static int open_chat(text_run *t) {
  if (pio_chat_template_load_dir(t->dir, &t->tmpl, &t->vars, &t->err) != PIO_OK)
    return fail(t, "--chat: ");
  pio_json_build b = {0};
  json_object *messages = pio_json_made(&b, json_object_new_array());
  pio_json_set(&b, t->vars, "messages", messages);
  pio_json_set(&b, t->vars, "tools", NULL);
  pio_json_set(&b, t->vars, "documents", NULL);
  pio_json_set(&b, t->vars, "add_generation_prompt", pio_json_made(&b, json_object_new_boolean(1)));
  if (b.failed) {
    pio_error_set(&t->err, PIO_ERR_NO_MEMORY, "out of memory");
    return fail(t, "--chat: ");
  }
  const char *system = t->o->system;
  if (system == NULL) return PIO_CLI_EXIT_OK;
  pio_token_ids check = {0};
  pio_status s = pio_tokenizer_session_encode(t->session, system, strlen(system), 0, &check, &t->err);
  pio_token_ids_free(&check);
  if (s != PIO_OK) return fail(t, "--system: ");
  if (add_message(t, messages, "system", system, strlen(system)) != PIO_OK) return fail(t, "");
  return PIO_CLI_EXIT_OK;
}

/* The next line of stdin, or -1 at its end or at Ctrl-C (a SIGINT that
 * came after the last answer ended counts: it was meant for the prompt).
 * Someone typing it is shown "> " first, on stderr (stdout holds the
 * answers only), and a new line at the end. */
static ssize_t read_turn(char **line, size_t *cap, int typed) {
  if (typed) fputs("> ", stderr);
  fflush(stderr);
  ssize_t n = pio_cli_interrupt_pending() ? -1 : getline(line, cap, stdin);
  if (typed && n <= 0) fputc('\n', stderr);
  return n;
}

static int run_chat(text_run *t) {
  json_object *messages = json_object_object_get(t->vars, "messages");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int rc = PIO_CLI_EXIT_OK;
  pio_token_ids prompt = {0};
  const int typed = isatty(STDIN_FILENO);
  pio_cli_interrupt sigint = {0};
  t->interruptible = pio_cli_interrupt_catch(&sigint) == 0;
  while (rc == PIO_CLI_EXIT_OK && (n = read_turn(&line, &cap, typed)) > 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0) continue;
    prompt.count = 0;
    if (pio_tokenizer_session_encode(t->session, line, (size_t)n, 0, &prompt, &t->err) != PIO_OK) {
      fputs("pio-host run: --chat: ", stderr);
      pio_cli_put(stderr, t->err.message);
      fputs("; the line is skipped\n", stderr);
      continue;
    }
    char *text = NULL;
    size_t len = 0;
    if (add_message(t, messages, "user", line, (size_t)n) != PIO_OK) {
      rc = fail(t, "");
    } else if (pio_chat_template_render(t->tmpl, t->vars, &text, &len, &t->err) != PIO_OK) {
      rc = fail(t, "chat template: ");
    } else if (encode_turn(t, text, len, &prompt) != PIO_OK) {
      rc = fail(t, "the rendered prompt: ");
    } else {
      t->turn++;
      rc = generate(t, &prompt, line, (size_t)n);
      if (rc == PIO_CLI_EXIT_OK && remember_said(t, text, len, prompt.count) != PIO_OK)
        rc = fail(t, "");
    }
    free(text);
    if (rc != PIO_CLI_EXIT_OK) break;
    char *reply = NULL;
    size_t reply_len = 0;
    if (pio_tokenizer_decode(t->tok, t->reply.ids, t->reply.count, PIO_DECODE_SKIP_SPECIAL, &reply,
                             &reply_len, &t->err) != PIO_OK) {
      rc = fail(t, "decode: ");
      break;
    }
    if (add_message(t, messages, "assistant", reply, reply_len) != PIO_OK) rc = fail(t, "");
    free(reply);
  }
  pio_cli_interrupt_release(&sigint);
  t->interruptible = 0;
  pio_token_ids_free(&prompt);
  free(line);
  return rc;
}

static void print_sampling(const pio_sampling *s) {
  fprintf(stderr, "pio-host run: sampling: %s", s->temperature == 0 ? "greedy" : "");
  if (s->temperature > 0)
    fprintf(stderr, "temperature %g, top-k %u, top-p %g, min-p %g, seed %llu", s->temperature,
            s->top_k, s->top_p, s->min_p, (unsigned long long)s->seed);
  if (s->repeat_penalty != 1) fprintf(stderr, ", repetition penalty %g", s->repeat_penalty);
  fputc('\n', stderr);
}

/* generation_config.json's sampling, then what the options set. */
static void choose_sampling(text_run *t) {
  const pio_cli_text_options *o = t->o;
  pio_sampling *s = &t->sampling;
  *s = t->gen.sampling;
  if (o->set & PIO_CLI_SET_TEMPERATURE) s->temperature = o->sampling.temperature;
  if (o->set & PIO_CLI_SET_TOP_K) s->top_k = o->sampling.top_k;
  if (o->set & PIO_CLI_SET_TOP_P) s->top_p = o->sampling.top_p;
  if (o->set & PIO_CLI_SET_MIN_P) s->min_p = o->sampling.min_p;
  if (o->set & PIO_CLI_SET_PENALTY) s->repeat_penalty = o->sampling.repeat_penalty;
  if (o->set & PIO_CLI_SET_SEED) s->seed = o->sampling.seed;
}

/* --prompt, before the model: its ids (BOS and the like added). */
static int encode_prompt(text_run *t) {
  const char *text = t->o->prompt;
  if (pio_tokenizer_session_encode(t->session, text, strlen(text), PIO_ENCODE_ADD_SPECIAL,
                                   &t->prompt, &t->err) != PIO_OK)
    return fail(t, "--prompt: ");
  if (t->prompt.count == 0) {
    pio_error_set(&t->err, PIO_ERR_INVALID, "the prompt encodes to no tokens");
    return fail(t, "--prompt: ");
  }
  return PIO_CLI_EXIT_OK;
}

int pio_cli_text_open(const pio_cli_text_options *o, const char *name, const char *dir,
                      const pio_cli_common *common, pio_cli_text **out, uint32_t *prompt_tokens) {
  *out = NULL;
  *prompt_tokens = 0;
  text_run *t = calloc(1, sizeof *t);
  if (t == NULL) return pio_cli_fail(common, PIO_CLI_EXIT_PLUGIN, PIO_ERR_NO_MEMORY, "out of memory");
  t->o = o;
  t->name = name;
  t->dir = dir;
  t->common = common;
  char path[4200];
  int rc = PIO_CLI_EXIT_OK;
  if (pio_cli_path_join(path, sizeof path, dir, "tokenizer.json") != 0) {
    pio_error_set(&t->err, PIO_ERR_INVALID, "%s: path too long", dir);
    rc = fail(t, "");
  } else if (pio_tokenizer_load(path, &t->tok, &t->err) != PIO_OK ||
             pio_generation_config_read(dir, &t->gen, &t->err) != PIO_OK ||
             pio_tokenizer_session_new(t->tok, &t->session, &t->err) != PIO_OK ||
             pio_decode_stream_new(t->tok, PIO_DECODE_SKIP_SPECIAL, &t->stream, &t->err) != PIO_OK) {
    rc = fail(t, "");
  } else if (common->json && (t->text = printbuf_new()) == NULL) {
    pio_error_set(&t->err, PIO_ERR_NO_MEMORY, "out of memory");
    rc = fail(t, "");
  } else {
    choose_sampling(t);
    rc = o->chat ? open_chat(t) : encode_prompt(t);
  }
  if (rc != PIO_CLI_EXIT_OK) {
    pio_cli_text_close(t);
    return rc;
  }
  *prompt_tokens = (uint32_t)t->prompt.count;
  *out = t;
  return PIO_CLI_EXIT_OK;
}

void pio_cli_text_close(pio_cli_text *t) {
  if (t == NULL) return;
  free(t->said);
  if (t->text != NULL) printbuf_free(t->text);
  json_object_put(t->vars);
  pio_chat_template_free(t->tmpl);
  pio_token_ids_free(&t->prompt);
  pio_token_ids_free(&t->seq);
  pio_token_ids_free(&t->reply);
  pio_sampler_free(t->sampler);
  pio_decode_stream_free(t->stream);
  pio_tokenizer_session_free(t->session);
  pio_tokenizer_free(t->tok);
  free(t);
}

int pio_cli_run_text(pio_cli_text *t, const pio_cli_text_model *m) {
  t->m = m;
  if (pio_tokenizer_vocab_size(t->tok) > m->vocab) {
    pio_error_set(&t->err, PIO_ERR_INVALID,
                  "%s/tokenizer.json has %u tokens, more than the model's vocabulary of %u",
                  t->dir, pio_tokenizer_vocab_size(t->tok), m->vocab);
    return fail(t, "");
  }
  if (pio_sampler_new(&t->sampling, m->vocab, &t->sampler, &t->err) != PIO_OK) return fail(t, "");
  if (t->gen.n_eos == 0)
    fprintf(stderr,
            "pio-host run: %s has no eos_token_id (generation_config.json, config.json): "
            "generating --max-new-tokens\n",
            t->dir);
  if (t->text == NULL) print_sampling(&t->sampling);
  return t->o->chat ? run_chat(t) : run_prompt(t);
}
