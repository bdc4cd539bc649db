/* host/manifest/compat.c — checking a manifest's compatibility block against a
 * machine, and the plugin dependencies against a registry lookup. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/compat.h"
#include "manifest/semver.h"
#include "pio/version.h"

#if defined(__linux__)
#define PIO_THIS_OS "linux"
#elif defined(__FreeBSD__)
#define PIO_THIS_OS "freebsd"
#elif defined(__OpenBSD__)
#define PIO_THIS_OS "openbsd"
#elif defined(__NetBSD__)
#define PIO_THIS_OS "netbsd"
#elif defined(__APPLE__)
#define PIO_THIS_OS "darwin"
#else
#define PIO_THIS_OS "unknown"
#endif

/* The process's architecture, not the kernel's: a 32-bit build on a 64-bit
 * kernel loads 32-bit plugins. */
#if defined(__x86_64__)
#define PIO_THIS_ARCH "x86_64"
#elif defined(__aarch64__)
#define PIO_THIS_ARCH "aarch64"
#elif defined(__i386__)
#define PIO_THIS_ARCH "i686"
#elif defined(__arm__)
#define PIO_THIS_ARCH "armv7l"
#elif defined(__riscv) && __riscv_xlen == 64
#define PIO_THIS_ARCH "riscv64"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define PIO_THIS_ARCH "ppc64le"
#elif defined(__s390x__)
#define PIO_THIS_ARCH "s390x"
#else
#define PIO_THIS_ARCH "unknown"
#endif

double compat_read_meminfo(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL) return -1;
  char line[256];
  double gib = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long kib;
    if (sscanf(line, "MemTotal: %llu kB", &kib) == 1) {
      gib = (double)kib / (1024.0 * 1024.0);
      break;
    }
  }
  fclose(f);
  return gib;
}

/* Read once a process: the kernel composes /proc/meminfo anew on every
 * read, which costs a tenth of a millisecond, and a registry open probes
 * the machine twice (its checks and the cache's fingerprint). */
static double memory_gib;
static pthread_once_t memory_once = PTHREAD_ONCE_INIT;

static void read_memory(void) { memory_gib = compat_read_meminfo("/proc/meminfo"); }

void compat_machine_probe(compat_machine *machine) {
  machine->abi_major = PIO_ABI_MAJOR;
  machine->abi_minor = PIO_ABI_MINOR;
  machine->os = PIO_THIS_OS;
  machine->arch = PIO_THIS_ARCH;
  machine->cpu_features = pio_cpu_detect();
  pthread_once(&memory_once, read_memory);
  machine->memory_gib = memory_gib;
}

/* Accumulates failures into one message. */
typedef struct report {
  char text[PIO_ERROR_MESSAGE_MAX];
  size_t used;
  int failures;
} report;

static void add(report *rep, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void add(report *rep, const char *fmt, ...) {
  if (rep->used + 3 >= sizeof rep->text) return;
  if (rep->failures++ > 0) {
    memcpy(rep->text + rep->used, "; ", 3);
    rep->used += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(rep->text + rep->used, sizeof rep->text - rep->used, fmt, ap);
  va_end(ap);
  if (n > 0) rep->used += (size_t)n;
  if (rep->used >= sizeof rep->text) rep->used = sizeof rep->text - 1;
}

static void format_abi(char *out, size_t size, uint16_t major, uint16_t minor) {
  if (minor == PIO_MANIFEST_ABI_ANY_MINOR)
    snprintf(out, size, "%u.x", (unsigned)major);
  else
    snprintf(out, size, "%u.%u", (unsigned)major, (unsigned)minor);
}

static void check_abi(report *rep, const pio_manifest_compatibility *c, const compat_machine *mc) {
  unsigned long here = PIO_ABI_PACK(mc->abi_major, mc->abi_minor);
  if (here >= PIO_ABI_PACK(c->abi_min_major, c->abi_min_minor) &&
      here <= PIO_ABI_PACK(c->abi_max_major, c->abi_max_minor))
    return;
  char lo[16], hi[16];
  format_abi(lo, sizeof lo, c->abi_min_major, c->abi_min_minor);
  format_abi(hi, sizeof hi, c->abi_max_major, c->abi_max_minor);
  add(rep, "compatibility.abi: needs pio ABI %s to %s, this host has ABI %u.%u", lo, hi,
      (unsigned)mc->abi_major, (unsigned)mc->abi_minor);
}

static void join(char *out, size_t size, const pio_string_list *list) {
  out[0] = '\0';
  for (size_t i = 0; i < list->count; i++) {
    strncat(out, i ? ", " : "", size - strlen(out) - 1);
    strncat(out, list->items[i], size - strlen(out) - 1);
  }
}

static void check_one_of(report *rep, const char *field, const pio_string_list *list,
                         const char *here) {
  if (list->count == 0) return; /* absent: any */
  for (size_t i = 0; i < list->count; i++)
    if (strcmp(list->items[i], here) == 0) return;
  char wanted[256];
  join(wanted, sizeof wanted, list);
  add(rep, "compatibility.%s: needs one of %s, this machine is %s", field, wanted, here);
}

static void check_cpu(report *rep, const pio_manifest_compatibility *c, const compat_machine *mc) {
  pio_cpu_features missing = c->cpu_feature_mask & ~mc->cpu_features;
  if (missing == 0) return;
  char need[256] = "", have[512] = "";
  for (int f = 0; f < PIO_CPU_FEATURE_COUNT; f++) {
    const char *name = pio_cpu_feature_name((pio_cpu_feature)f);
    if (missing & (1ull << f)) {
      strncat(need, need[0] ? " " : "", sizeof need - strlen(need) - 1);
      strncat(need, name, sizeof need - strlen(need) - 1);
    }
    if (mc->cpu_features & (1ull << f)) {
      strncat(have, have[0] ? " " : "", sizeof have - strlen(have) - 1);
      strncat(have, name, sizeof have - strlen(have) - 1);
    }
  }
  add(rep, "compatibility.cpu_features: needs %s, this machine's CPU has %s", need,
      have[0] ? have : "none of the known features");
}

static void check_memory(report *rep, const pio_manifest_compatibility *c,
                         const compat_machine *mc) {
  /* Unknown memory (no /proc/meminfo) is not held against a plugin. */
  if (c->min_memory_gb <= 0 || mc->memory_gib < 0 || mc->memory_gib >= c->min_memory_gb) return;
  add(rep, "compatibility.min_memory_gb: needs %.10g GiB of memory, this machine has %.1f GiB",
      c->min_memory_gb, mc->memory_gib);
}

pio_status compat_check(const pio_manifest *manifest, const compat_machine *machine,
                        pio_error *err) {
  if (manifest == NULL || machine == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no manifest or no machine to check");
  const pio_manifest_compatibility *c = &manifest->compatibility;
  report rep = {.used = 0};
  check_abi(&rep, c, machine);
  check_one_of(&rep, "os", &c->os, machine->os ? machine->os : "unknown");
  check_one_of(&rep, "arch", &c->arch, machine->arch ? machine->arch : "unknown");
  check_cpu(&rep, c, machine);
  check_memory(&rep, c, machine);
  if (rep.failures == 0) return PIO_OK;
  return pio_error_set(err, PIO_ERR_INCOMPATIBLE, "%s: %s", manifest->path, rep.text);
}

pio_status manifest_check_plugin_dependencies(const pio_manifest *manifest,
                                              manifest_plugin_lookup lookup, void *context,
                                              pio_error *err) {
  if (manifest == NULL || lookup == NULL)
    return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT, "no manifest or no plugin lookup");
  for (size_t i = 0; i < manifest->n_dependencies; i++) {
    const pio_manifest_dependency *d = &manifest->dependencies[i];
    if (strcmp(d->kind, "plugin") != 0) continue;
    const char *found = lookup(context, d->name);
    if (found == NULL)
      return pio_error_set(err, PIO_ERR_NOT_FOUND,
                           "%s: dependencies[%zu]: needs plugin %s%s%s, which is not installed or "
                           "not usable",
                           manifest->path, i, d->name, d->version ? " " : "",
                           d->version ? d->version : "");
    if (d->version != NULL && semver_satisfies(found, d->version) != 1)
      return pio_error_set(err, PIO_ERR_INCOMPATIBLE,
                           "%s: dependencies[%zu]: needs plugin %s %s, found version %s",
                           manifest->path, i, d->name, d->version, found);
  }
  return PIO_OK;
}
