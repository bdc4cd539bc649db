/* host/load/cuda_probe.c — the NVIDIA driver asked through its C API
 * (cuInit, cuDeviceGetCount, cuDeviceGetAttribute, cuDeviceTotalMem,
 * cuDriverGetVersion), opened with dlopen in a child process: pio links no
 * CUDA library, no plugin code runs to decide whether a CUDA build can, and
 * a driver that crashes or hangs costs the host a child, not itself. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load/cuda_probe.h"
#include "load/trial_load.h"

/* The driver API's types and the attributes asked, as cuda.h defines them. */
typedef int cu_result;
typedef int cu_device;
#define CU_ATTRIBUTE_CAPABILITY_MAJOR 75
#define CU_ATTRIBUTE_CAPABILITY_MINOR 76

typedef struct driver {
  cu_result (*init)(unsigned);
  cu_result (*version)(int *);
  cu_result (*count)(int *);
  cu_result (*get)(cu_device *, int);
  cu_result (*attribute)(int *, int, cu_device);
  cu_result (*memory)(size_t *, cu_device);
  cu_result (*name)(char *, int, cu_device);
} driver;

/* Fills d from lib; 0 when a symbol is missing (named in out->reason). */
static int bind(void *lib, driver *d, cuda_machine *out) {
  const char *names[] = {"cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet",
                         "cuDeviceGetAttribute", "cuDeviceTotalMem_v2", "cuDeviceGetName"};
  void *p[7];
  for (int i = 0; i < 7; i++) {
    if ((p[i] = dlsym(lib, names[i])) == NULL) {
      snprintf(out->reason, sizeof out->reason, "the CUDA driver has no %s", names[i]);
      return 0;
    }
  }
  /* POSIX lets a data pointer from dlsym be converted to a function pointer. */
  memcpy(&d->init, &p[0], sizeof p[0]);
  memcpy(&d->version, &p[1], sizeof p[1]);
  memcpy(&d->count, &p[2], sizeof p[2]);
  memcpy(&d->get, &p[3], sizeof p[3]);
  memcpy(&d->attribute, &p[4], sizeof p[4]);
  memcpy(&d->memory, &p[5], sizeof p[5]);
  memcpy(&d->name, &p[6], sizeof p[6]);
  return 1;
}

/* Device 0's figures; 0 with the reason when the driver refuses. */
static int describe(const driver *d, cuda_machine *out) {
  int count = 0, major = 0, minor = 0;
  cu_device dev = 0;
  size_t bytes = 0;
  cu_result r;
  if ((r = d->init(0)) != 0) {
    snprintf(out->reason, sizeof out->reason, "the CUDA driver did not start (cuInit error %d)",
             r);
    return 0;
  }
  if ((r = d->count(&count)) != 0 || count < 1) {
    snprintf(out->reason, sizeof out->reason, "no CUDA device (cuDeviceGetCount: %d, error %d)",
             count, r);
    return 0;
  }
  if (d->version(&out->driver_version) != 0 || d->get(&dev, 0) != 0 ||
      d->attribute(&major, CU_ATTRIBUTE_CAPABILITY_MAJOR, dev) != 0 ||
      d->attribute(&minor, CU_ATTRIBUTE_CAPABILITY_MINOR, dev) != 0 ||
      d->memory(&bytes, dev) != 0 ||
      d->name(out->device_name, (int)sizeof out->device_name, dev) != 0) {
    snprintf(out->reason, sizeof out->reason, "the CUDA driver could not describe device 0");
    return 0;
  }
  /* Only what a real driver can say is believed: a version or capability
   * out of range would otherwise compare as meeting any need. */
  if (out->driver_version < 1000 || out->driver_version > 999999 || major < 1 || major > 99 ||
      minor < 0 || minor > 9) {
    snprintf(out->reason, sizeof out->reason, "the CUDA driver reported nonsense (CUDA version "
             "%d, compute capability %d.%d)", out->driver_version, major, minor);
    return 0;
  }
  /* The name is shown and put in messages: printable ASCII only. */
  out->device_name[sizeof out->device_name - 1] = '\0';
  for (char *c = out->device_name; *c != '\0'; c++)
    if (*c < 0x20 || *c > 0x7e) *c = '?';
  out->capability = (uint32_t)(10 * major + minor);
  out->memory_gib = (double)bytes / (1024.0 * 1024.0 * 1024.0);
  return 1;
}

/* In the child: asks the driver, writes the answer to fd, never returns.
 * Crash signals get their default action back, so that a sanitizer's
 * handler cannot turn a driver's crash into an ordinary exit. */
static void probe_child(int fd, const char *path) {
  static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
  for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
    signal(crash_signals[i], SIG_DFL);
  dup2(STDERR_FILENO, STDOUT_FILENO); /* a chatty driver keeps the parent's stdout clean */
  cuda_machine answer;
  memset(&answer, 0, sizeof answer);
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    const char *why = dlerror();
    snprintf(answer.reason, sizeof answer.reason, "no CUDA driver (%s)", why ? why : path);
  } else {
    driver d;
    answer.available = bind(lib, &d, &answer) && describe(&d, &answer);
  }
  const char *p = (const char *)&answer;
  for (size_t left = sizeof answer; left > 0;) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= (size_t)w;
  }
  _exit(0);
}

/* How the child ended when it gave no whole answer, as the reason. */
static void child_failed(long n, int wstatus, unsigned timeout_ms, cuda_machine *out) {
  if (n < 0) {
    snprintf(out->reason, sizeof out->reason,
             "the CUDA driver did not answer within %u ms (killed)", timeout_ms);
  } else if (WIFSIGNALED(wstatus)) {
    char abbrev[32];
    const char *descr;
    trial_signal_name(WTERMSIG(wstatus), abbrev, sizeof abbrev, &descr);
    snprintf(out->reason, sizeof out->reason,
             "the CUDA driver crashed (%s, %s) when asked about the device", abbrev, descr);
  } else {
    snprintf(out->reason, sizeof out->reason,
             "the CUDA driver's probe ended without an answer (exit status %d)",
             WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  }
}

void cuda_machine_probe_library(const char *path, unsigned timeout_ms, cuda_machine *out) {
  memset(out, 0, sizeof *out);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    snprintf(out->reason, sizeof out->reason, "CUDA probe: pipe: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    probe_child(fds[1], path);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    snprintf(out->reason, sizeof out->reason, "CUDA probe: fork: %s", strerror(errno));
    return;
  }
  cuda_machine answer;
  long n = trial_read_pipe(fds[0], timeout_ms, (char *)&answer, sizeof answer);
  close(fds[0]);
  if (n < 0) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}
  if (n == (long)sizeof answer && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
    *out = answer;
    /* Whatever the child wrote, the text fields end inside their arrays. */
    out->reason[sizeof out->reason - 1] = '\0';
    out->device_name[sizeof out->device_name - 1] = '\0';
    out->available = out->available != 0;
    return;
  }
  child_failed(n, wstatus, timeout_ms, out);
}

static cuda_machine probed;
static pthread_once_t probed_once = PTHREAD_ONCE_INIT;

static void probe_once(void) {
  const char *path = getenv("PIO_CUDA_DRIVER");
  cuda_machine_probe_library(path != NULL && path[0] != '\0' ? path : "libcuda.so.1",
                             CUDA_PROBE_TIMEOUT_MS, &probed);
}

const cuda_machine *cuda_machine_probe(void) {
  pthread_once(&probed_once, probe_once);
  return &probed;
}
