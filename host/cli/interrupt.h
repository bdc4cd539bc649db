/* host/cli/interrupt.h — Ctrl-C in `pio-host run --chat`: SIGINT stops the
 * answer being generated (the loop asks between tokens) and the chat goes
 * on, rather than killing the process; at the prompt it ends the chat. */
#ifndef PIO_CLI_INTERRUPT_H
#define PIO_CLI_INTERRUPT_H

#include <signal.h>

typedef struct pio_cli_interrupt {
  struct sigaction previous; /* restored by pio_cli_interrupt_release */
  int caught;                /* 1 while our handler is installed */
} pio_cli_interrupt;

/* Installs the SIGINT handler (sigaction, without SA_RESTART: a read
 * waiting for a line returns EINTR; so would a write blocked on a full
 * stdout pipe, whose reader is not keeping up) and clears the flag.  A second SIGINT
 * before the first was taken (pio_cli_interrupt_take) kills the process
 * as SIGINT does by default: the way out of a prefill that will not end.
 * Returns 0, or -1 with errno when sigaction failed (nothing installed). */
int pio_cli_interrupt_catch(pio_cli_interrupt *it);

/* Puts back the handler pio_cli_interrupt_catch found. */
void pio_cli_interrupt_release(pio_cli_interrupt *it);

/* 1 when a SIGINT came since the flag was last taken, and clears it. */
int pio_cli_interrupt_take(void);

/* 1 when a SIGINT came since the flag was last taken; the flag stays. */
int pio_cli_interrupt_pending(void);

#endif
