/* host/cli/interrupt.c — the SIGINT flag of `pio-host run --chat` (see
 * interrupt.h).  The flag is the process's one piece of signal state: a
 * handler can reach nothing else. */
#include "interrupt.h"

#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  if (interrupted) { /* asked twice, not yet heard: die as SIGINT does */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
    return;
  }
  interrupted = 1;
}

int pio_cli_interrupt_catch(pio_cli_interrupt *it) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: Ctrl-C at the prompt ends the read */
  interrupted = 0;
  it->caught = sigaction(SIGINT, &sa, &it->previous) == 0;
  return it->caught ? 0 : -1;
}

void pio_cli_interrupt_release(pio_cli_interrupt *it) {
  if (!it->caught) return;
  sigaction(SIGINT, &it->previous, NULL);
  it->caught = 0;
}

int pio_cli_interrupt_take(void) {
  if (!interrupted) return 0;
  interrupted = 0;
  return 1;
}

int pio_cli_interrupt_pending(void) { return interrupted != 0; }
