/* host/cli/run_text.h — `pio-host run --prompt/--chat`: text in, streamed
 * text out, through the model folder's tokenizer.json, chat template,
 * generation_config.json and the sampler.  cmd_run.c loads the model and
 * hands it over here. */
#ifndef PIO_CLI_RUN_TEXT_H
#define PIO_CLI_RUN_TEXT_H

#include <getopt.h>
#include <stdint.h>

#include "cli_common.h"
#include "pio/plugin.h"
#include "pio/sampling.h"

/* Which sampling options the command line set (the others come from
 * generation_config.json). */
enum {
  PIO_CLI_SET_TEMPERATURE = 1,
  PIO_CLI_SET_TOP_K = 2,
  PIO_CLI_SET_TOP_P = 4,
  PIO_CLI_SET_MIN_P = 8,
  PIO_CLI_SET_PENALTY = 16,
  PIO_CLI_SET_SEED = 32
};

typedef struct pio_cli_text_options {
  const char *prompt; /* --prompt TEXT */
  int chat;           /* --chat */
  const char *system; /* --system TEXT (chat) */
  pio_sampling sampling;
  unsigned set; /* PIO_CLI_SET_* */
} pio_cli_text_options;

/* getopt_long values and table entries of the text options. */
enum {
  PIO_CLI_OPT_PROMPT = 0x300,
  PIO_CLI_OPT_CHAT,
  PIO_CLI_OPT_SYSTEM,
  PIO_CLI_OPT_TEMPERATURE,
  PIO_CLI_OPT_TOP_K,
  PIO_CLI_OPT_TOP_P,
  PIO_CLI_OPT_MIN_P,
  PIO_CLI_OPT_PENALTY,
  PIO_CLI_OPT_SEED
};
#define PIO_CLI_TEXT_OPTIONS                                              \
  {"prompt", required_argument, NULL, PIO_CLI_OPT_PROMPT},                \
      {"chat", no_argument, NULL, PIO_CLI_OPT_CHAT},                      \
      {"system", required_argument, NULL, PIO_CLI_OPT_SYSTEM},            \
      {"temperature", required_argument, NULL, PIO_CLI_OPT_TEMPERATURE},  \
      {"top-k", required_argument, NULL, PIO_CLI_OPT_TOP_K},              \
      {"top-p", required_argument, NULL, PIO_CLI_OPT_TOP_P},              \
      {"min-p", required_argument, NULL, PIO_CLI_OPT_MIN_P},              \
      {"repeat-penalty", required_argument, NULL, PIO_CLI_OPT_PENALTY}, { \
    "seed", required_argument, NULL, PIO_CLI_OPT_SEED                     \
  }

#define PIO_CLI_TEXT_HELP                                                            \
  "  --prompt TEXT          encode TEXT with the folder's tokenizer.json (BOS and\n" \
  "                         the like added) and stream the generated text\n"         \
  "  --chat                 read user turns from stdin, a line each; render the\n"   \
  "                         chat template each turn, keep the KV cache between\n"    \
  "                         turns, stream each answer (default --max-context:\n"     \
  "                         the smaller of max_position_embeddings and 4096);\n"     \
  "                         at a terminal, \"> \" asks for a turn; Ctrl-C stops\n"   \
  "                         an answer, at the prompt it ends the chat (as ^D)\n"     \
  "  --system TEXT          a system message for --chat\n"                           \
  "  --temperature T        0 is greedy (defaults: generation_config.json)\n"        \
  "  --top-k K, --top-p P, --min-p P, --repeat-penalty R\n"                          \
  "                         sampling filters, in Transformers' order\n"              \
  "  --seed S               the sampler's seed (default 0): the same seed gives\n"   \
  "                         the same text\n"

/* Handles opt when it is a text option: 1 handled, 0 not one, -1 bad value
 * (printed; exit 2). */
int pio_cli_text_option(pio_cli_text_options *o, int opt, const char *arg);

/* Why an answer ended. */
typedef enum pio_cli_stop {
  PIO_CLI_STOP_EOS,      /* an EOS id was drawn */
  PIO_CLI_STOP_MAX_NEW,  /* --max-new-tokens were drawn */
  PIO_CLI_STOP_INTERRUPT /* --chat: Ctrl-C (SIGINT) */
} pio_cli_stop;

/* One answer, for --json: what cmd_run.c writes into its document. */
typedef struct pio_cli_text_answer {
  const char *input;    /* the --prompt text, or the chat turn's line */
  size_t input_len;
  unsigned turn;        /* --chat: 1 for the first turn; 0 for --prompt */
  size_t prompt_tokens; /* ids of the prompt (in a chat, of the whole rendering) */
  size_t cached_tokens; /* of those, already in the KV cache */
  const int32_t *ids;   /* the ids drawn, EOS excluded */
  size_t n_ids;
  const char *text;     /* their decode, as it would have streamed */
  size_t text_len;
  size_t decode_steps;  /* one-token forward passes after the prefill */
  pio_cli_stop stop;
  double prefill_s, decode_s;
  const pio_sampling *sampling;
} pio_cli_text_answer;

/* What a text run reads from the model folder before the model is made. */
typedef struct pio_cli_text pio_cli_text;

/* Reads dir's tokenizer.json and generation_config.json (and for --chat
 * its chat template), checks --system, and encodes --prompt: every
 * mistake in the folder or the text found before the weights are loaded.
 * name is the model as the user wrote it; with common->json errors are
 * documents.  Returns the exit status; *prompt_tokens is --prompt's ids
 * (the KV cache it needs; 0 for --chat). */
int pio_cli_text_open(const pio_cli_text_options *o, const char *name, const char *dir,
                      const pio_cli_common *common, pio_cli_text **out, uint32_t *prompt_tokens);
void pio_cli_text_close(pio_cli_text *t);

typedef struct pio_cli_text_model {
  const char *plugin; /* its plugin's name */
  const pio_model_api *api;
  pio_model *model;
  uint32_t vocab;
  uint32_t max_context;
  uint32_t max_new;
  float *logits; /* [vocab] */
  /* With --json nothing streams: each answer is handed to answer(ctx, ...),
   * which prints its document. */
  int (*answer)(void *ctx, const pio_cli_text_answer *answer);
  void *ctx;
} pio_cli_text_model;

/* Runs the prompt or the chat t was opened for on m; returns the exit
 * status. */
int pio_cli_run_text(pio_cli_text *t, const pio_cli_text_model *m);

#endif
