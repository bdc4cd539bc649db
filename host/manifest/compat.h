/* host/manifest/compat.h — is a validated manifest usable on this machine?  The
 * machine is a plain struct so that tests can describe any machine by hand;
 * compat_machine_probe() fills it for the one we run on.  Internal to
 * libpio-host. */
#ifndef PIO_HOST_COMPAT_H
#define PIO_HOST_COMPAT_H

#include <stdint.h>

#include "manifest/manifest.h"
#include "pio/cpu.h"
#include "pio/status.h"

/* What the compatibility checks compare a manifest against.  Strings are
 * borrowed (probe points them at static text). */
typedef struct compat_machine {
  uint16_t abi_major, abi_minor; /* the host's plugin ABI (PIO_ABI_MAJOR/MINOR) */
  const char *os;                /* manifest spelling: "linux", "freebsd", ... */
  const char *arch;              /* "x86_64", "aarch64", ... */
  pio_cpu_features cpu_features; /* usable features (pio_cpu_detect) */
  double memory_gib;             /* MemTotal in GiB; < 0 when unknown */
} compat_machine;

/* Fills machine for this process: the ABI it was built with, the OS and
 * architecture it was compiled for, pio_cpu_detect(), and MemTotal from
 * /proc/meminfo, read once a process (memory_gib -1 when that cannot be
 * read, which is not an error: the memory check is then skipped). */
void compat_machine_probe(compat_machine *machine);

/* Checks manifest->compatibility against machine: ABI range, os, arch,
 * cpu_features, min_memory_gb.  PIO_OK, or PIO_ERR_INCOMPATIBLE with every
 * failing check in one message, "path: compatibility.FIELD: needs X, this
 * machine has Y", joined by "; ". */
pio_status compat_check(const pio_manifest *manifest, const compat_machine *machine,
                        pio_error *err);

/* MemTotal of a /proc/meminfo-format file in GiB, or -1 when unreadable. */
double compat_read_meminfo(const char *path);

#endif
