/* host/load/variant_choice.c — judging a manifest's variants on this
 * machine and choosing the one to load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/module_check.h"
#include "load/variant_choice.h"

/* Appends text to out's reason, after "; " when it holds one already. */
static void add_reason(pio_variant_verdict *out, const char *text) {
  const size_t used = strlen(out->reason);
  snprintf(out->reason + used, sizeof out->reason - used, "%s%s", used ? "; " : "", text);
}

static void judge_cpu(const pio_manifest_variant *v, const compat_machine *cpu,
                      pio_variant_verdict *out) {
  char missing[256] = "", text[320];
  for (size_t i = 0; i < v->cpu_features.count; i++) {
    pio_cpu_feature f;
    if (pio_cpu_feature_parse(v->cpu_features.items[i], &f) == 0 &&
        !(cpu->cpu_features & (1ull << f))) {
      const size_t used = strlen(missing);
      snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "",
               v->cpu_features.items[i]);
    }
  }
  if (missing[0] == '\0') return;
  snprintf(text, sizeof text, "needs CPU features %s, which this CPU lacks", missing);
  add_reason(out, text);
}

/* "M.m" of a version held as major x scale + minor x step. */
static void version_text(char *buf, size_t size, uint64_t v, unsigned scale, unsigned step) {
  snprintf(buf, size, "%u.%u", (unsigned)(v / scale), (unsigned)(v % scale / step));
}

static void judge_cuda(const pio_manifest_variant *v, variant_machine *machine,
                       pio_variant_verdict *out) {
  if (!v->needs_cuda) return;
  if (machine->cuda == NULL) machine->cuda = cuda_machine_probe();
  const cuda_machine *c = machine->cuda;
  char text[400], need[32], have[32];
  if (!c->available) {
    snprintf(text, sizeof text, "needs a CUDA device: %s", c->reason);
    add_reason(out, text);
    return;
  }
  if (c->capability < v->cuda_min_capability) {
    version_text(need, sizeof need, v->cuda_min_capability, 10, 1);
    version_text(have, sizeof have, c->capability, 10, 1);
    snprintf(text, sizeof text, "needs compute capability %s, %s is %s", need, c->device_name,
             have);
    add_reason(out, text);
  }
  if (v->cuda_min_driver != 0 && (uint64_t)c->driver_version < v->cuda_min_driver) {
    version_text(need, sizeof need, v->cuda_min_driver, 1000, 10);
    version_text(have, sizeof have, (uint64_t)c->driver_version, 1000, 10);
    snprintf(text, sizeof text, "needs a driver for CUDA %s, this one supports CUDA %s", need,
             have);
    add_reason(out, text);
  }
  if (v->cuda_min_memory_gb > 0 && c->memory_gib < v->cuda_min_memory_gb) {
    snprintf(text, sizeof text, "needs %.1f GiB of device memory, %s has %.1f",
             v->cuda_min_memory_gb, c->device_name, c->memory_gib);
    add_reason(out, text);
  }
}

void variant_judge(const pio_manifest_variant *v, const char *dir, variant_machine *machine,
                   pio_variant_verdict *out) {
  memset(out, 0, sizeof *out);
  out->name = v->name;
  judge_cpu(v, &machine->cpu, out);
  module_file module;
  pio_error err;
  pio_error_clear(&err);
  if (module_resolve(dir, v->module, &module, &err) != PIO_OK) {
    char text[PIO_ERROR_MESSAGE_MAX + 64];
    snprintf(text, sizeof text, "module %s: %s", v->module, err.message);
    add_reason(out, text);
  }
  module_file_close(&module);
  judge_cuda(v, machine, out);
  out->usable = out->reason[0] == '\0';
}

pio_status variant_choose(const pio_manifest *m, const char *dir, const char *forced,
                          variant_machine *machine, size_t *index,
                          pio_variant_verdict *verdicts, pio_error *err) {
  pio_variant_verdict local[16];
  pio_variant_verdict *v = verdicts != NULL ? verdicts : local;
  size_t found = m->n_variants, first = m->n_variants;
  for (size_t i = 0; i < m->n_variants && i < 16; i++) {
    variant_judge(&m->variants[i], dir, machine, &v[i]);
    if (forced != NULL && strcmp(forced, m->variants[i].name) == 0) found = i;
    if (v[i].usable && first == m->n_variants) first = i;
  }
  char names[512] = "";
  for (size_t i = 0; i < m->n_variants; i++) {
    strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
    strncat(names, m->variants[i].name, sizeof names - strlen(names) - 1);
  }
  if (forced != NULL && found == m->n_variants)
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "plugin %s has no variant '%s' (it has %s)",
                         m->name, forced, names);
  const size_t pick = forced != NULL ? found : first;
  if (pick == m->n_variants || !v[pick].usable) {
    if (forced != NULL)
      return pio_error_set(err, PIO_ERR_INCOMPATIBLE, "plugin %s: variant %s cannot run here: "
                           "%s", m->name, forced, v[pick].reason);
    char all[PIO_ERROR_MESSAGE_MAX - 96] = "";
    for (size_t i = 0; i < m->n_variants; i++) {
      char one[320];
      snprintf(one, sizeof one, "%s%s: %s", i ? "; " : "", m->variants[i].name, v[i].reason);
      strncat(all, one, sizeof all - strlen(all) - 1);
    }
    return pio_error_set(err, PIO_ERR_INCOMPATIBLE, "plugin %s: no variant runs here (%s)",
                         m->name, all);
  }
  v[pick].chosen = 1;
  *index = pick;
  return PIO_OK;
}

pio_status variant_build(const pio_manifest *m, const char *dir, const char *forced,
                         pio_manifest *view, const char **chosen, pio_error *err) {
  *view = *m;
  *chosen = NULL;
  if (m->n_variants == 0) {
    if (forced == NULL) return PIO_OK;
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "plugin %s has no variants (its manifest lists "
                         "none), so no variant '%s'", m->name, forced);
  }
  variant_machine machine = {.cuda = NULL};
  compat_machine_probe(&machine.cpu);
  size_t i = 0;
  pio_status st = variant_choose(m, dir, forced, &machine, &i, NULL, err);
  if (st != PIO_OK) return st;
  *chosen = m->variants[i].name;
  view->entry_module = m->variants[i].module;
  view->entry_function = m->variants[i].function;
  return PIO_OK;
}

int variant_some_usable(const pio_manifest *m, const char *dir, pio_error *err) {
  variant_machine machine = {.cuda = NULL};
  compat_machine_probe(&machine.cpu);
  for (size_t i = 0; i < m->n_variants; i++) {
    pio_variant_verdict v;
    if (!m->variants[i].needs_cuda &&
        (variant_judge(&m->variants[i], dir, &machine, &v), v.usable))
      return 1;
  }
  size_t index;
  return variant_choose(m, dir, NULL, &machine, &index, NULL, err) == PIO_OK;
}
