/* host/cli/describe.c — printing everything known about one plugin.  All
 * text from the manifest goes through pio_cli_put (escaped). */
#include "describe.h"

#include <inttypes.h>

#include "cli_common.h"
#include "pio/host.h"

static void field(FILE *out, const char *label, const char *value) {
  fprintf(out, "  %-20s ", label);
  pio_cli_put(out, value != NULL && value[0] != '\0' ? value : "-");
  fputc('\n', out);
}

static void list_field(FILE *out, const char *label, const pio_string_list *list,
                       const char *when_empty) {
  fprintf(out, "  %-20s ", label);
  if (list->count == 0) fputs(when_empty, out);
  for (size_t i = 0; i < list->count; i++) {
    if (i > 0) fputs(", ", out);
    pio_cli_put(out, list->items[i]);
  }
  fputc('\n', out);
}

static void gib_field(FILE *out, const char *label, double gib) {
  if (gib > 0)
    fprintf(out, "  %-20s %g GiB\n", label, gib);
  else
    fprintf(out, "  %-20s -\n", label);
}

static void details(FILE *out, const pio_plugin_record *rec) {
  const pio_manifest *m = pio_plugin_record_manifest(rec);
  fputs("Plugin Details:\n", out);
  field(out, "Name", rec->name);
  field(out, "Version", rec->version);
  if (m != NULL) {
    field(out, "Description", m->description);
    field(out, "Author", m->author);
    field(out, "License", m->license);
    field(out, "Plugin type", m->plugin_type);
  }
  field(out, "Model architecture", rec->model_architecture);
  if (m == NULL) return;
  if (m->additional_architectures.count > 0)
    list_field(out, "Also serves", &m->additional_architectures, "-");
  field(out, "Model family", m->model_family);
  field(out, "Model size", m->model_size);
  if (m->num_parameters > 0)
    fprintf(out, "  %-20s %" PRIu64 "\n", "Parameters", m->num_parameters);
  else
    field(out, "Parameters", NULL);
  gib_field(out, "Required memory", m->required_memory_gb);
  list_field(out, "Modalities", &m->supported_modalities, "-");
  list_field(out, "Tags", &m->tags, "-");
}

static void files(FILE *out, const pio_plugin_record *rec) {
  field(out, "Manifest", rec->manifest_path);
  field(out, "Folder", rec->dir);
  field(out, "Module", rec->module_path != NULL ? rec->module_path : "(not resolved)");
  const pio_manifest *m = pio_plugin_record_manifest(rec);
  if (m != NULL) {
    fprintf(out, "  %-20s ", "Entry point");
    pio_cli_put(out, m->entry_module);
    fputs(" : ", out);
    pio_cli_put(out, m->entry_function);
    fputc('\n', out);
  }
}

static void abi_bound(FILE *out, uint16_t major, uint16_t minor) {
  if (minor == PIO_MANIFEST_ABI_ANY_MINOR)
    fprintf(out, "%u.x", (unsigned)major);
  else
    fprintf(out, "%u.%u", (unsigned)major, (unsigned)minor);
}

static void compatibility(FILE *out, const pio_manifest_compatibility *c) {
  fputs("\nCompatibility:\n", out);
  fprintf(out, "  %-20s ", "Plugin ABI");
  abi_bound(out, c->abi_min_major, c->abi_min_minor);
  fputs(" to ", out);
  abi_bound(out, c->abi_max_major, c->abi_max_minor);
  fprintf(out, " (this host: %d.%d)\n", PIO_ABI_MAJOR, PIO_ABI_MINOR);
  list_field(out, "Operating systems", &c->os, "any");
  list_field(out, "Architectures", &c->arch, "any");
  list_field(out, "CPU features", &c->cpu_features, "none");
  gib_field(out, "Minimum memory", c->min_memory_gb);
}

static void dependencies(FILE *out, const pio_manifest *m) {
  fputs("\nDependencies:\n", out);
  if (m->n_dependencies == 0) fputs("  none\n", out);
  for (size_t i = 0; i < m->n_dependencies; i++) {
    const pio_manifest_dependency *d = &m->dependencies[i];
    fputs("  ", out);
    pio_cli_put(out, d->name);
    fputs(" (", out);
    pio_cli_put(out, d->kind);
    fputs(")", out);
    if (d->version != NULL) {
      fputc(' ', out);
      pio_cli_put(out, d->version);
    }
    fputc('\n', out);
  }
}

/* A variant's needs in one line: "CPU avx512f; CUDA 9.0, driver 12.4, 4 GiB". */
static void variant_needs(FILE *out, const pio_manifest_variant *v) {
  int any = 0;
  if (v->cpu_features.count > 0) {
    fputs("CPU", out);
    for (size_t i = 0; i < v->cpu_features.count; i++) {
      fputc(i ? ',' : ' ', out);
      pio_cli_put(out, v->cpu_features.items[i]);
    }
    any = 1;
  }
  if (v->needs_cuda) {
    fprintf(out, "%sCUDA compute capability %u.%u", any ? "; " : "",
            (unsigned)(v->cuda_min_capability / 10), (unsigned)(v->cuda_min_capability % 10));
    if (v->cuda_min_driver)
      fprintf(out, ", driver for CUDA %u.%u", (unsigned)(v->cuda_min_driver / 1000),
              (unsigned)(v->cuda_min_driver % 1000 / 10));
    if (v->cuda_min_memory_gb > 0) fprintf(out, ", %.1f GiB", v->cuda_min_memory_gb);
    any = 1;
  }
  if (!any) fputs("nothing", out);
}

/* Every variant, which one loads here and why each other does not. */
static void variants(FILE *out, const pio_plugin_record *rec, const pio_manifest *m) {
  if (m->n_variants == 0) return;
  fputs("\nVariants (in order of preference; judged from the manifest, none loaded to "
        "decide):\n", out);
  pio_variant_verdict v[16];
  size_t n = 0;
  pio_error err;
  if (pio_plugin_variants(rec, v, 16, &n, &err) != PIO_OK) {
    fputs("  unknown: ", out);
    pio_cli_put(out, err.message);
    fputc('\n', out);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const pio_manifest_variant *mv = &m->variants[i];
    fputs("  ", out);
    pio_cli_put_padded(out, mv->name, 12);
    fputc(' ', out);
    pio_cli_put(out, mv->module);
    fputs(" : ", out);
    pio_cli_put(out, mv->function);
    fputs("\n      needs ", out);
    variant_needs(out, mv);
    fputs("\n      ", out);
    if (v[i].chosen) {
      fputs("chosen: the one loaded here\n", out);
    } else if (v[i].usable) {
      fputs("usable, not chosen: an earlier variant is\n", out);
    } else {
      fputs("not usable: ", out);
      pio_cli_put(out, v[i].reason);
      fputc('\n', out);
    }
  }
}

static void components(FILE *out, const pio_trial_result *trial, pio_plugin_state state) {
  fputs("\nComponents (from the plugin table, loaded in a child process):\n", out);
  if (trial == NULL || trial->state != PIO_PLUGIN_OK) {
    fprintf(out, "  unknown: the plugin was not loaded (%s)\n", pio_plugin_state_name(state));
    return;
  }
  for (size_t bit = 0; bit < pio_cli_component_count; bit++)
    fprintf(out, "  %-20s %s\n", pio_cli_component_names[bit],
            (trial->components & (1u << bit)) ? "present" : "absent");
  fprintf(out, "  %-20s %s, %s, %s\n", "Tables", trial->has_config ? "config" : "no config",
          trial->has_kv_cache ? "kv_cache" : "no kv_cache", trial->has_model ? "model" : "no model");
  fprintf(out, "  %-20s ABI %u.%u, plugin table %u bytes\n", "Built with",
          (unsigned)trial->abi_major, (unsigned)trial->abi_minor, (unsigned)trial->struct_size);
}

/* One preset: the plugin's parameter count and KV bytes per token, or why
 * it could not compute them. */
static void preset_line(FILE *out, const char *name, const pio_config_probe *p) {
  fputs("  ", out);
  pio_cli_put_padded(out, name, 20);
  fputc(' ', out);
  if (p->status != PIO_OK) {
    fputs("error: ", out);
    pio_cli_put(out, p->message);
    fputc('\n', out);
    return;
  }
  fprintf(out, "%" PRIu64 " parameters", p->n_params);
  if (p->n_params_active != p->n_params)
    fprintf(out, " (%" PRIu64 " active per token)", p->n_params_active);
  if (p->has_kv)
    fprintf(out, ", KV cache %" PRIu64 " bytes/token", p->kv_bytes_per_token);
  else
    fputs(", no kv_cache component", out);
  fputc('\n', out);
}

static void presets_section(FILE *out, const pio_plugin_record *rec, const pio_cli_presets *p,
                            pio_plugin_state state) {
  fputs("\nPresets (the plugin's figures for each preset's config.json; KV cache bf16, "
        "tp 1):\n", out);
  if (!p->probed) {
    fprintf(out, "  unknown: the plugin did not load and compute them (%s)\n",
            pio_plugin_state_name(state));
    return;
  }
  if (p->count == 0) {
    fputs("  none: no preset has architecture ", out);
    pio_cli_put(out, rec->model_architecture);
    fputs(" (PIO_MODELS_PATH adds preset folders)\n", out);
  }
  for (size_t i = 0; i < p->count; i++) preset_line(out, p->names[i], &p->probes[i]);
}

static void warnings(FILE *out, const pio_plugin_record *rec) {
  if (rec->warnings == NULL || rec->warnings[0] == NULL) return;
  fputs("\nWarnings:\n", out);
  for (size_t i = 0; rec->warnings[i] != NULL; i++) {
    fputs("  ", out);
    pio_cli_put(out, rec->warnings[i]);
    fputc('\n', out);
  }
}

void pio_cli_describe(FILE *out, const pio_plugin_record *record, pio_plugin_state state,
                      const char *reason, const pio_trial_result *trial,
                      const pio_cli_presets *presets) {
  details(out, record);
  files(out, record);
  fprintf(out, "  %-20s %s", "Status", pio_plugin_state_name(state));
  if (reason != NULL && reason[0] != '\0') {
    fputs(": ", out);
    pio_cli_put(out, reason);
  }
  fputc('\n', out);
  /* Module and Entry point above are entry_point's; a plugin with variants
   * loads the chosen one's instead. */
  const char *chosen = state == PIO_PLUGIN_OK ? pio_cli_chosen_variant(record) : NULL;
  if (chosen != NULL) {
    fprintf(out, "  %-20s ", "Variant loaded");
    pio_cli_put(out, chosen);
    fputs(" (the first of Variants below this machine runs)\n", out);
  }
  const pio_manifest *m = pio_plugin_record_manifest(record);
  if (m != NULL) {
    compatibility(out, &m->compatibility);
    variants(out, record, m);
    dependencies(out, m);
    components(out, trial, state);
    if (presets != NULL) presets_section(out, record, presets, state);
  }
  warnings(out, record);
}
