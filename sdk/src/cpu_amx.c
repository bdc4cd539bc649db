/* sdk/src/cpu_amx.c — whether this process may run AMX tile instructions:
 * cpuid and XCR0 say the CPU and the OS can, and Linux wants each process
 * to ask for the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM) before
 * its first tile instruction, which otherwise ends it with SIGILL.  The
 * question is asked once per process; the answer holds for every thread. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pio/cpu.h"

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_GET_XCOMP_PERM 0x1022
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int granted;
static char reason[160];

static void ask_kernel(void) {
  if (!pio_cpu_has(PIO_CPU_AMX_TILE) || !pio_cpu_has(PIO_CPU_AMX_BF16)) {
    snprintf(reason, sizeof reason, "this CPU has no amx_bf16 (or the OS does not save tile "
             "state)");
    return;
  }
  if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) {
    int e = errno;
    snprintf(reason, sizeof reason, "the kernel refused AMX tile data "
             "(arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): %s)", strerror(e));
    return;
  }
  unsigned long mask = 0;
  if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &mask) != 0 ||
      !(mask & (1ul << XFEATURE_XTILEDATA))) {
    snprintf(reason, sizeof reason, "the kernel accepted the request for AMX tile data but "
             "does not list it as permitted (ARCH_GET_XCOMP_PERM)");
    return;
  }
  granted = 1;
  snprintf(reason, sizeof reason, "granted by the kernel (arch_prctl ARCH_REQ_XCOMP_PERM)");
}
#else
static int granted;
static char reason[160];

static void ask_kernel(void) {
  snprintf(reason, sizeof reason, "AMX tiles are used only on x86-64 Linux");
}
#endif

int pio_cpu_amx_granted(const char **why) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, ask_kernel);
  if (why != NULL) *why = reason;
  return granted;
}
