/* host/load/variant_choice.h — which of a manifest's variants this machine
 * runs, decided from the manifest alone: each variant's CPU features
 * against the CPU, its module against the folder, its CUDA needs against
 * the driver (host/load/cuda_probe.h).  No build's code is loaded to
 * decide.  Internal to libpio-host. */
#ifndef PIO_HOST_VARIANT_CHOICE_H
#define PIO_HOST_VARIANT_CHOICE_H

#include <stddef.h>

#include "load/cuda_probe.h"
#include "manifest/compat.h"
#include "pio/host.h"

/* What this machine has, for judging variants; cuda is asked only when a
 * variant needs it (NULL: cuda_machine_probe() then). */
typedef struct variant_machine {
  compat_machine cpu;
  const cuda_machine *cuda;
} variant_machine;

/* The verdict on variant v of the plugin in dir: usable, or why not (every
 * unmet need, joined by "; ").  out->name points into v. */
void variant_judge(const pio_manifest_variant *v, const char *dir, variant_machine *machine,
                   pio_variant_verdict *out);

/* The variant to load: the one named forced, else the first usable one.
 * verdicts (n_variants of them, may be NULL) get every variant's verdict.
 * PIO_ERR_NOT_FOUND for a forced name the manifest lacks (the names
 * listed), PIO_ERR_INCOMPATIBLE when the forced variant or, unforced,
 * every variant is unusable (the reasons said).  The manifest must have
 * variants. */
pio_status variant_choose(const pio_manifest *m, const char *dir, const char *forced,
                          variant_machine *machine, size_t *index,
                          pio_variant_verdict *verdicts, pio_error *err);

/* The build of the plugin in dir to load, as a view of m (*view: m's
 * fields, entry_module and entry_function the build's): the variant named
 * forced, else the first usable (variant_choose; *chosen its name), else,
 * when m lists no variants, entry_point (*chosen NULL; a forced name is
 * then PIO_ERR_NOT_FOUND).  The view's pointers are m's. */
pio_status variant_build(const pio_manifest *m, const char *dir, const char *forced,
                         pio_manifest *view, const char **chosen, pio_error *err);

/* 1 when some variant of m can run here, judged as cheaply as may be:
 * those that need no CUDA first, the driver asked only when none of them
 * is usable.  0 with err saying why of each (variant_choose's message). */
int variant_some_usable(const pio_manifest *m, const char *dir, pio_error *err);

#endif
