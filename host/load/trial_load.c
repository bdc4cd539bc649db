/* host/load/trial_load.c — trial load in a child process: fork, load + handshake
 * (+ the plugin's figures for some config.json files) + unload there, report
 * back through a pipe; a signal is `crashed`, a timeout or a handshake error
 * is `failed`, and the parent lives on.  The child leads its own process
 * group, which is ended with it: a process a constructor started does not
 * outlive the trial, nor keep the parent waiting on the pipe. */
#include "load/trial_load.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load/loader.h"
#include "pio_host_config.h"

/* The child writes one phase byte before each step ('O', 'E', 'P' before
 * each config probe, 'U') and then 'R' followed by this report and one
 * pio_config_probe per config path. */
typedef struct child_report {
  int32_t state;
  int32_t code;
  uint32_t components, struct_size;
  uint16_t abi_major, abi_minor;
  int32_t has_config, has_kv_cache, has_model;
  char message[PIO_ERROR_MESSAGE_MAX];
} child_report;

/* Bytes the child may write: phase marks, 'R', the report, the probes. */
static size_t report_max(size_t n_configs) {
  return 64 + sizeof(child_report) + n_configs * (1 + sizeof(pio_config_probe));
}

/* The child's exit statuses besides 0: out of memory before loading, and
 * a report it could not write, TRIAL_EXIT_WRITE + the write's errno (the
 * pipe is what failed, so the status carries why). */
#define TRIAL_EXIT_NO_MEMORY 3
#define TRIAL_EXIT_PARENT_GONE 4
#define TRIAL_EXIT_WRITE 64
#define TRIAL_EXIT_WRITE_ERRNO_MAX 127

/* The errno of the child's first failed write to the pipe, 0 when none. */
static int child_write_errno;

static void write_all(int fd, const void *data, size_t n) {
  const char *p = data;
  while (n > 0 && child_write_errno == 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      child_write_errno = w < 0 && errno > 0 && errno <= TRIAL_EXIT_WRITE_ERRNO_MAX ? errno : EIO;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

static void child_phase(void *ctx, load_phase phase) {
  static const char marks[] = {'O', 'E', 'U'};
  write_all(*(int *)ctx, &marks[phase], 1);
}

/* Never returns.  Crash signals get their default action back so that a
 * sanitizer's handler does not turn a crash into an ordinary exit.  The
 * child leads a process group of its own (the parent ends the group), and
 * dies with the parent: out of the terminal's group, a Ctrl-C reaches only
 * the parent. */
static void run_child(int fd, pid_t parent, const module_file *module,
                      const pio_manifest *manifest, const char *const *config_paths,
                      size_t n_configs) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(TRIAL_EXIT_PARENT_GONE); /* it died before prctl */
  static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
  for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
    signal(crash_signals[i], SIG_DFL);
  dup2(STDERR_FILENO, STDOUT_FILENO); /* keep the parent's stdout (maybe JSON) clean */

  child_report report;
  memset(&report, 0, sizeof report);
  pio_error err;
  pio_error_clear(&err);
  pio_loaded_plugin *plugin = NULL;
  pio_config_probe *probes = n_configs > 0 ? calloc(n_configs, sizeof *probes) : NULL;
  if (n_configs > 0 && probes == NULL) _exit(TRIAL_EXIT_NO_MEMORY);
  if (loader_open(module, manifest, child_phase, &fd, &plugin, &err) == PIO_OK) {
    const pio_plugin *table = pio_loaded_plugin_table(plugin);
    report.state = PIO_PLUGIN_OK;
    report.components = table->components;
    report.struct_size = table->struct_size;
    report.abi_major = table->abi_major;
    report.abi_minor = table->abi_minor;
    report.has_config = table->config != NULL;
    report.has_kv_cache = table->kv_cache != NULL;
    report.has_model = table->model != NULL;
    for (size_t i = 0; i < n_configs; i++) {
      write_all(fd, "P", 1); /* the parent counts them to name the config of a crash */
      config_probe_run(table, config_paths[i], &probes[i]);
    }
    loader_close(plugin, child_phase, &fd);
  } else {
    report.state = PIO_PLUGIN_FAILED;
    report.code = err.code;
    memcpy(report.message, err.message, sizeof report.message);
  }
  write_all(fd, "R", 1);
  write_all(fd, &report, sizeof report);
  if (report.state == PIO_PLUGIN_OK && n_configs > 0)
    write_all(fd, probes, n_configs * sizeof *probes);
  free(probes);
  _exit(child_write_errno != 0 ? TRIAL_EXIT_WRITE + child_write_errno : 0);
}

static long elapsed_ms(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

long trial_read_pipe(int fd, unsigned timeout_ms, char *buf, size_t cap) {
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

/* The child being waited for: its pid, a pidfd when the kernel gives one
 * (readable once it exits), and its status once reaped. */
typedef struct child_watch {
  pid_t pid;
  int pidfd;
  int reaped, wstatus;
} child_watch;

static int pidfd_for(pid_t pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  (void)pid;
  return -1;
#endif
}

/* Reaps the child when it has exited; 1 once reaped. */
static int child_exited(child_watch *c) {
  if (!c->reaped && waitpid(c->pid, &c->wstatus, WNOHANG) == c->pid) c->reaped = 1;
  return c->reaped;
}

/* Appends what the pipe holds now (non-blocking) to buf; 0 at EOF or on
 * an error (its errno in *read_errno). */
static int read_some(int fd, char *buf, size_t cap, size_t *got, int *read_errno) {
  for (;;) {
    char sink[256];
    char *dst = *got < cap ? buf + *got : sink;
    size_t room = *got < cap ? cap - *got : sizeof sink;
    ssize_t n = read(fd, dst, room);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
    if (n < 0) {
      *read_errno = errno;
      return 0;
    }
    if (*got < cap) *got += (size_t)n;
  }
}

/* Reads the child's report until the child has exited and the pipe holds
 * no more (a process the plugin started may keep the pipe open after the
 * child is gone: its exit ends the wait, not EOF), or the deadline.
 * Returns the bytes read, or -1 on timeout. */
static long read_report(int fd, child_watch *child, unsigned timeout_ms, char *buf, size_t cap,
                        int *read_errno) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  size_t got = 0;
  int open_pipe = 1;
  for (;;) {
    if (open_pipe) open_pipe = read_some(fd, buf, cap, &got, read_errno);
    if (child_exited(child)) {
      if (open_pipe) read_some(fd, buf, cap, &got, read_errno); /* what it wrote before exiting */
      return (long)got;
    }
    long left = (long)timeout_ms - elapsed_ms(&start);
    if (left <= 0) return -1;
    /* Without a pidfd, the child's exit is polled for every 20 ms. */
    struct pollfd pfd[2] = {{open_pipe ? fd : -1, POLLIN, 0}, {child->pidfd, POLLIN, 0}};
    int wait_ms = child->pidfd >= 0 ? (int)left : (int)(left < 20 ? left : 20);
    if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR) return (long)got;
  }
}

/* Whether a process of the group pgid is still alive (a zombie is not:
 * one the plugin started and that already ended may wait to be reaped). */
static int group_has_live_process(pid_t pgid) {
  if (kill(-pgid, 0) != 0) return 0;
  DIR *proc = opendir("/proc");
  if (proc == NULL) return 1;
  int alive = 0;
  struct dirent *ent;
  while (!alive && (ent = readdir(proc)) != NULL) {
    if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%.20s/stat", ent->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *after_name = strrchr(line, ')'); /* the name may hold spaces and ')' */
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (after_name != NULL && sscanf(after_name + 1, " %c %d %d", &state, &ppid, &pgrp) == 3)
      alive = pgrp == pgid && state != 'Z' && state != 'X';
  }
  closedir(proc);
  return alive;
}

/* What the child wrote before 'R': the last phase mark, and for 'P' the
 * config it was reading. */
typedef struct child_trace {
  char last_mark;
  const char *config; /* config_paths[i] of the last 'P', or NULL */
} child_trace;

static child_trace trace_of(const char *buf, long n, const char *const *config_paths,
                            size_t n_configs, long *report_at) {
  child_trace t = {0, NULL};
  size_t n_probes = 0;
  long i = 0;
  for (; i < n && buf[i] != 'R'; i++) {
    t.last_mark = buf[i];
    if (buf[i] == 'P' && n_probes < n_configs) t.config = config_paths[n_probes++];
  }
  *report_at = i;
  return t;
}

static const char *phase_words(const child_trace *t, const pio_manifest *manifest, char *buf,
                               size_t cap) {
  switch (t->last_mark) {
    case 'O':
      return "in a constructor while loading the module";
    case 'E':
      snprintf(buf, cap, "in the entry point %s", manifest->entry_function);
      return buf;
    case 'P':
      snprintf(buf, cap, "while computing its figures for the model config %s",
               t->config != NULL ? t->config : "(unknown)");
      return buf;
    case 'U':
      return "in a destructor while unloading the module";
    default:
      return "before loading the module";
  }
}

void trial_signal_name(int sig, char *abbrev, size_t abbrev_cap, const char **descr) {
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

static pio_plugin_state crashed(int sig, const child_trace *trace, const pio_manifest *manifest,
                                pio_trial_result *result, pio_error *err) {
  char abbrev[32], where[PIO_ERROR_MESSAGE_MAX];
  const char *descr;
  trial_signal_name(sig, abbrev, sizeof abbrev, &descr);
  result->signal = sig;
  pio_error_set(err, PIO_ERR_CRASHED, "%s (%s) %s", abbrev, descr,
                phase_words(trace, manifest, where, sizeof where));
  return result->state = PIO_PLUGIN_CRASHED;
}

/* A report cut short by the system rather than by the plugin: the pipe
 * could not be read or written, or the child ran out of memory.  NULL
 * when it was none of those. */
static const char *report_failure(int wstatus, int read_errno, char *buf, size_t cap) {
  int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  if (read_errno != 0)
    snprintf(buf, cap, "reading the trial-load child's report: %s", strerror(read_errno));
  else if (status > TRIAL_EXIT_WRITE && status <= TRIAL_EXIT_WRITE + TRIAL_EXIT_WRITE_ERRNO_MAX)
    snprintf(buf, cap, "the trial-load child could not write its report: %s",
             strerror(status - TRIAL_EXIT_WRITE));
  else if (status == TRIAL_EXIT_NO_MEMORY)
    snprintf(buf, cap, "the trial-load child ran out of memory");
  else
    return NULL;
  return buf;
}

/* Turns what the child wrote and how it ended into a state. */
static pio_plugin_state conclude(const char *buf, long n, int wstatus, int read_errno,
                                 const pio_manifest *manifest, const char *const *config_paths,
                                 size_t n_configs, pio_trial_result *result,
                                 pio_config_probe *probes, pio_error *err) {
  long i = 0;
  child_trace trace = trace_of(buf, n, config_paths, n_configs, &i);
  if (WIFSIGNALED(wstatus)) return crashed(WTERMSIG(wstatus), &trace, manifest, result, err);
  char why[PIO_ERROR_MESSAGE_MAX];
  const int cut_short = i >= n || (size_t)(n - i - 1) < sizeof(child_report) + n_configs *
                                                                                  sizeof *probes;
  if (cut_short && report_failure(wstatus, read_errno, why, sizeof why) != NULL) {
    pio_error_set(err, WEXITSTATUS(wstatus) == TRIAL_EXIT_NO_MEMORY ? PIO_ERR_NO_MEMORY
                                                                    : PIO_ERR_IO,
                  "%s", why);
    return result->state = PIO_PLUGIN_FAILED;
  }
  if (i >= n || (size_t)(n - i - 1) < sizeof(child_report)) {
    char where[PIO_ERROR_MESSAGE_MAX];
    pio_error_set(err, PIO_ERR_LOAD, "the trial-load child exited with status %d %s",
                  WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
                  trace.last_mark == 'O'   ? "while loading the module"
                  : trace.last_mark == 'E' ? "in the entry point"
                  : trace.last_mark == 'P' ? phase_words(&trace, manifest, where, sizeof where)
                                           : "before reporting");
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
  if (report.state == PIO_PLUGIN_OK) {
    size_t probe_bytes = n_configs * sizeof *probes;
    if ((size_t)(n - i - 1) - sizeof report < probe_bytes) {
      pio_error_set(err, PIO_ERR_LOAD, "the trial-load child reported %zu of %zu config figures",
                    ((size_t)(n - i - 1) - sizeof report) / sizeof *probes, n_configs);
      return result->state = PIO_PLUGIN_FAILED;
    }
    if (probe_bytes > 0) memcpy(probes, buf + i + 1 + sizeof report, probe_bytes);
    for (size_t k = 0; k < n_configs; k++) probes[k].message[sizeof probes[k].message - 1] = '\0';
    return result->state = PIO_PLUGIN_OK;
  }
  pio_error_set(err, (pio_status)report.code, "%s", report.message);
  return result->state = PIO_PLUGIN_FAILED;
}

pio_plugin_state trial_load_module(const module_file *module, const pio_manifest *manifest,
                                   unsigned timeout_ms, pio_trial_result *result, pio_error *err) {
  return trial_load_probe(module, manifest, timeout_ms, NULL, 0, result, NULL, err);
}

pio_plugin_state trial_load_probe(const module_file *module, const pio_manifest *manifest,
                                  unsigned timeout_ms, const char *const *config_paths,
                                  size_t n_configs, pio_trial_result *result,
                                  pio_config_probe *probes, pio_error *err) {
  pio_trial_result local;
  if (result == NULL) result = &local;
  memset(result, 0, sizeof *result);
  result->state = PIO_PLUGIN_FAILED;
  if (n_configs > 0 && (config_paths == NULL || probes == NULL)) {
    pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                  "trial load: config paths without room for "
                  "their figures");
    return PIO_PLUGIN_FAILED;
  }
  size_t cap = report_max(n_configs);
  char *buf = malloc(cap);
  if (buf == NULL) {
    pio_error_set(err, PIO_ERR_NO_MEMORY, "trial load: out of memory");
    return PIO_PLUGIN_FAILED;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    free(buf);
    pio_error_set(err, PIO_ERR_IO, "trial load: pipe: %s", strerror(errno));
    return PIO_PLUGIN_FAILED;
  }
  /* No other thread may hold the loader lock across fork (see loader.h). */
  pid_t parent = getpid();
  loader_lock();
  pid_t pid = fork();
  loader_unlock();
  if (pid == 0) {
    close(fds[0]);
    run_child(fds[1], parent, module, manifest, config_paths, n_configs);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    free(buf);
    pio_error_set(err, PIO_ERR_IO, "trial load: fork: %s", strerror(errno));
    return PIO_PLUGIN_FAILED;
  }
  setpgid(pid, pid); /* as the child does: whichever runs first, the group exists */
  child_watch child = {pid, pidfd_for(pid), 0, 0};
  int read_errno = 0;
  long n = read_report(fds[0], &child, timeout_ms, buf, cap, &read_errno);
  close(fds[0]);
  if (n < 0) kill(-pid, SIGKILL);
  while (!child.reaped && waitpid(pid, &child.wstatus, 0) < 0 && errno == EINTR) {}
  if (child.pidfd >= 0) close(child.pidfd);
  int left_behind = group_has_live_process(pid);
  kill(-pid, SIGKILL); /* whatever the plugin started ends with its trial */
  pio_plugin_state state;
  if (n < 0) {
    pio_error_set(err, PIO_ERR_LOAD, "the trial load did not finish within %u ms", timeout_ms);
    state = result->state = PIO_PLUGIN_FAILED;
  } else {
    state = conclude(buf, n, child.wstatus, read_errno, manifest, config_paths, n_configs, result,
                     probes, err);
    if (state == PIO_PLUGIN_OK && left_behind) {
      pio_error_set(err, PIO_ERR_LOAD,
                    "the module left a process running after the trial load (started by a "
                    "constructor or the entry point %s; ended with the trial)",
                    manifest->entry_function);
      state = result->state = PIO_PLUGIN_FAILED;
    }
  }
  free(buf);
  return state;
}
