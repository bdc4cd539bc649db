/* host/cli/commands.h — the pio-host commands.  Each takes the arguments
 * after the command name (argv[0] is the command name) and returns the exit
 * status: 0 all well, 1 a plugin problem, 2 bad usage (PIO_CLI_EXIT_*).
 *
 * Adding a command: write host/cli/cmd_<name>.c defining
 * `int pio_cli_<name>(int argc, char **argv)`, declare it here, add the
 * file to pio_cli_sources in host/meson.build, and add one line to the
 * command table in host/cli/main.c. */
#ifndef PIO_CLI_COMMANDS_H
#define PIO_CLI_COMMANDS_H

int pio_cli_list(int argc, char **argv);
int pio_cli_info(int argc, char **argv);
int pio_cli_validate(int argc, char **argv);
int pio_cli_run(int argc, char **argv);

/* Text in, text out with a model folder's tokenizer; host/cli/cmd_tokenize.c,
 * cmd_detokenize.c. */
int pio_cli_tokenize(int argc, char **argv);
int pio_cli_detokenize(int argc, char **argv);
/* A model folder's chat template rendered for a conversation; cmd_template.c. */
int pio_cli_template(int argc, char **argv);

#endif
