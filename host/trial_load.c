/* host/trial_load.c — trial load in a child process: fork, load + handshake
 * + unload there, report back through a pipe; a signal is `crashed`, a
 * timeout or a handshake error is `failed`, and the parent lives on. */
#include "trial_load.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "module_check.h"
#include "pio_host_config.h"

/* The child writes one phase byte before each step ('O', 'E', 'U') and
 * then 'R' followed by this report. */
typedef struct child_report {
  int32_t state;
  int32_t code;
  uint32_t components, struct_size;
  uint16_t abi_major, abi_minor;
  int32_t has_config, has_kv_cache, has_model;
  char message[PIO_ERROR_MESSAGE_MAX];
} child_report;

#define REPORT_MAX (64 + sizeof(child_report))

static void write_all(int fd, const void *data, size_t n) {
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void child_phase(void *ctx, pio_load_phase phase) {
  static const char marks[] = {'O', 'E', 'U'};
  write_all(*(int *)ctx, &marks[phase], 1);
}

/* Never returns.  Crash signals get their default action back so that a
 * sanitizer's handler does not turn a crash into an ordinary exit. */
static void run_child(int fd, const char *module_path, const pio_manifest *manifest) {
  static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
  for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
    signal(crash_signals[i], SIG_DFL);
  dup2(STDERR_FILENO, STDOUT_FILENO); /* keep the parent's stdout (maybe JSON) clean */

  child_report report;
  memset(&report, 0, sizeof report);
  pio_error err;
  pio_error_clear(&err);
  pio_loaded_plugin *plugin = NULL;
  if (pio_loader_open(module_path, manifest, child_phase, &fd, &plugin, &err) == PIO_OK) {
    const pio_plugin *table = pio_loaded_plugin_table(plugin);
    report.state = PIO_PLUGIN_OK;
    report.components = table->components;
    report.struct_size = table->struct_size;
    report.abi_major = table->abi_major;
    report.abi_minor = table->abi_minor;
    report.has_config = table->config != NULL;
    report.has_kv_cache = table->kv_cache != NULL;
    report.has_model = table->model != NULL;
    pio_loader_close(plugin, child_phase, &fd);
  } else {
    report.state = PIO_PLUGIN_FAILED;
    report.code = err.code;
    memcpy(report.message, err.message, sizeof report.message);
  }
  write_all(fd, "R", 1);
  write_all(fd, &report, sizeof report);
  _exit(0);
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Reads until EOF or the deadline.  Returns the bytes read, or -1 on
 * timeout. */
static long read_report(int fd, unsigned timeout_ms, char *buf, size_t cap) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  size_t got = 0;
  for (;;) {
    long left = (long)timeout_ms - elapsed_ms(&start);
    if (left <= 0) return -1;
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = poll(&pfd, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return -1;
    if (r < 0) return (long)got;
    char sink[256];
    char *dst = got < cap ? buf + got : sink;
    size_t room = got < cap ? cap - got : sizeof sink;
    ssize_t n = read(fd, dst, room);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return (long)got;
    if (got < cap) got += (size_t)n;
  }
}

static const char *phase_words(char mark, const pio_manifest *manifest, char *buf, size_t cap) {
  switch (mark) {
    case 'O': return "in a constructor while loading the module";
    case 'E':
      snprintf(buf, cap, "in the entry point %s", manifest->entry_function);
      return buf;
    case 'U': return "in a destructor while unloading the module";
    default: return "before loading the module";
  }
}

static void describe_signal(int sig, char *abbrev, size_t abbrev_cap, const char **descr) {
#if PIO_HAVE_SIGABBREV_NP
  const char *a = sigabbrev_np(sig);
  const char *d = sigdescr_np(sig);
  if (a != NULL) {
    snprintf(abbrev, abbrev_cap, "SIG%s", a);
    *descr = d != NULL ? d : "unknown signal";
    return;
  }
#endif
  snprintf(abbrev, abbrev_cap, "signal %d", sig);
  *descr = "unknown signal";
}

static pio_plugin_state crashed(int sig, char last_mark, const pio_manifest *manifest,
                                pio_trial_result *result, pio_error *err) {
  char abbrev[32], where[256];
  const char *descr;
  describe_signal(sig, abbrev, sizeof abbrev, &descr);
  result->signal = sig;
  pio_error_set(err, PIO_ERR_CRASHED, "%s (%s) %s", abbrev, descr,
                phase_words(last_mark, manifest, where, sizeof where));
  return result->state = PIO_PLUGIN_CRASHED;
}

/* Turns what the child wrote and how it ended into a state. */
static pio_plugin_state conclude(const char *buf, long n, int wstatus,
                                 const pio_manifest *manifest, pio_trial_result *result,
                                 pio_error *err) {
  char last_mark = 0;
  long i = 0;
  for (; i < n && buf[i] != 'R'; i++) last_mark = buf[i];
  if (WIFSIGNALED(wstatus)) return crashed(WTERMSIG(wstatus), last_mark, manifest, result, err);
  if (i >= n || (size_t)(n - i - 1) < sizeof(child_report)) {
    pio_error_set(err, PIO_ERR_LOAD, "the trial-load child exited with status %d %s",
                  WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
                  last_mark == 'O' ? "while loading the module"
                  : last_mark == 'E' ? "in the entry point" : "before reporting");
    return result->state = PIO_PLUGIN_FAILED;
  }
  child_report report;
  memcpy(&report, buf + i + 1, sizeof report);
  report.message[sizeof report.message - 1] = '\0';
  result->components = report.components;
  result->struct_size = report.struct_size;
  result->abi_major = report.abi_major;
  result->abi_minor = report.abi_minor;
  result->has_config = report.has_config;
  result->has_kv_cache = report.has_kv_cache;
  result->has_model = report.has_model;
  if (report.state == PIO_PLUGIN_OK) return result->state = PIO_PLUGIN_OK;
  pio_error_set(err, (pio_status)report.code, "%s", report.message);
  return result->state = PIO_PLUGIN_FAILED;
}

pio_plugin_state pio_trial_load_module(const char *module_path, const pio_manifest *manifest,
                                       unsigned timeout_ms, pio_trial_result *result,
                                       pio_error *err) {
  pio_trial_result local;
  if (result == NULL) result = &local;
  memset(result, 0, sizeof *result);
  result->state = PIO_PLUGIN_FAILED;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    pio_error_set(err, PIO_ERR_IO, "trial load: pipe: %s", strerror(errno));
    return PIO_PLUGIN_FAILED;
  }
  /* No other thread may hold the loader lock across fork (see loader.h). */
  pio_loader_lock();
  pid_t pid = fork();
  pio_loader_unlock();
  if (pid == 0) {
    close(fds[0]);
    run_child(fds[1], module_path, manifest);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    pio_error_set(err, PIO_ERR_IO, "trial load: fork: %s", strerror(errno));
    return PIO_PLUGIN_FAILED;
  }
  char buf[REPORT_MAX];
  long n = read_report(fds[0], timeout_ms, buf, sizeof buf);
  close(fds[0]);
  if (n < 0) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    pio_error_set(err, PIO_ERR_LOAD, "the trial load did not finish within %u ms",
                  timeout_ms);
    return result->state = PIO_PLUGIN_FAILED;
  }
  return conclude(buf, n, wstatus, manifest, result, err);
}

pio_plugin_state pio_plugin_trial_load(const pio_plugin_record *record, pio_error *err) {
  if (record == NULL || record->manifest == NULL) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "failed: no manifest to load");
    return PIO_PLUGIN_FAILED;
  }
  char *module_path = NULL;
  if (pio_module_resolve(record->dir, record->manifest->entry_module, &module_path, err) != PIO_OK) {
    pio_error_prefix(err, "failed");
    return PIO_PLUGIN_FAILED;
  }
  pio_plugin_state state =
      pio_trial_load_module(module_path, record->manifest, PIO_TRIAL_LOAD_TIMEOUT_MS, NULL, err);
  free(module_path);
  if (state != PIO_PLUGIN_OK) pio_error_prefix(err, "%s", pio_plugin_state_name(state));
  return state;
}
