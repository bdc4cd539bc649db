/* host/cli/about.c — the tools' identity: --version and the head of every
 * JSON document (see about.h). */
#include "about.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pio/cpu.h"
#include "pio/json.h"
#include "pio/kernels.h"
#include "pio/version.h"
#include "pio_build_info.h"
#include "text_escape.h"

/* The CPU's model name from /proc/cpuinfo ("model name" on x86, "Model" or
 * "CPU part" elsewhere), or "unknown". */
static void cpu_model(char *out, size_t size) {
  snprintf(out, size, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[512];
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Model\t", 6) != 0) continue;
    const char *colon = strchr(line, ':');
    if (colon == NULL) continue;
    colon++;
    while (*colon == ' ' || *colon == '\t') colon++;
    snprintf(out, size, "%s", colon);
    out[strcspn(out, "\n")] = '\0';
    break;
  }
  fclose(f);
}

static double memory_gib(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? (double)pages * (double)page / (1024.0 * 1024.0 * 1024.0) : -1;
}

static const char *commit(void) {
  return PIO_BUILD_COMMIT[0] != '\0' ? PIO_BUILD_COMMIT : "unknown";
}

static void print_usable_paths(FILE *out) {
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++)
    if (pio_kernel_path_available((pio_kernel_path)p))
      fprintf(out, " %s", pio_kernel_path_name((pio_kernel_path)p));
}

void pio_about_print_version(FILE *out, const char *tool) {
  char model[256];
  cpu_model(model, sizeof model);
  fprintf(out, "%s %s\n", tool, PIO_VERSION_STRING);
  fprintf(out, "commit: %s\n", commit());
  fprintf(out, "plugin ABI: %d.%d\n", PIO_ABI_MAJOR, PIO_ABI_MINOR);
  fprintf(out, "kernel paths built: scalar %s\n", PIO_BUILD_KERNEL_PATHS);
  fprintf(out, "kernel paths this CPU runs:");
  print_usable_paths(out);
  fprintf(out, " (best: %s)\n", pio_kernel_path_name(pio_kernel_best()));
  fprintf(out, "CPU: %s\n", model);
}

static json_object *words(pio_json_build *b, const char *text) {
  json_object *list = pio_json_made(b, json_object_new_array());
  char *copy = strdup(text);
  if (copy == NULL) b->failed = 1;
  char *save = NULL;
  for (char *w = copy != NULL ? strtok_r(copy, " ", &save) : NULL; w != NULL;
       w = strtok_r(NULL, " ", &save))
    pio_json_push(b, list, pio_json_text(b, w));
  free(copy);
  return list;
}

static json_object *tool_json(pio_json_build *b, const char *tool) {
  json_object *t = pio_json_made(b, json_object_new_object());
  char abi[32], built[256];
  snprintf(abi, sizeof abi, "%d.%d", PIO_ABI_MAJOR, PIO_ABI_MINOR);
  snprintf(built, sizeof built, "scalar %s", PIO_BUILD_KERNEL_PATHS);
  pio_json_set(b, t, "name", pio_json_text(b, tool));
  pio_json_set(b, t, "version", pio_json_text(b, PIO_VERSION_STRING));
  pio_json_set(b, t, "commit", pio_json_text(b, commit()));
  pio_json_set(b, t, "plugin_abi", pio_json_text(b, abi));
  pio_json_set(b, t, "kernel_paths_built", words(b, built));
  return t;
}

static json_object *machine_json(pio_json_build *b) {
  json_object *m = pio_json_made(b, json_object_new_object());
  struct utsname u;
  char model[256];
  cpu_model(model, sizeof model);
  int have_uname = uname(&u) == 0;
  for (char *c = u.sysname; have_uname && *c != '\0'; c++) *c = (char)tolower((unsigned char)*c);
  /* "linux", as manifests spell it */
  pio_json_set(b, m, "os", pio_json_text(b, have_uname ? u.sysname : "unknown"));
  pio_json_set(b, m, "arch", pio_json_text(b, have_uname ? u.machine : "unknown"));
  pio_json_set(b, m, "cpu_model", pio_json_text(b, model));
  json_object *features = pio_json_made(b, json_object_new_array());
  for (int f = 0; f < PIO_CPU_FEATURE_COUNT; f++)
    if (pio_cpu_has((pio_cpu_feature)f))
      pio_json_push(b, features, pio_json_text(b, pio_cpu_feature_name((pio_cpu_feature)f)));
  pio_json_set(b, m, "cpu_features", features);
  json_object *paths = pio_json_made(b, json_object_new_array());
  for (int p = 0; p < PIO_KERNEL_PATH_COUNT; p++)
    if (pio_kernel_path_available((pio_kernel_path)p))
      pio_json_push(b, paths, pio_json_text(b, pio_kernel_path_name((pio_kernel_path)p)));
  pio_json_set(b, m, "kernel_paths", paths);
  pio_json_set(b, m, "cores",
               pio_json_made(b, json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN))));
  pio_json_set(b, m, "memory_gib", pio_json_made(b, json_object_new_double(memory_gib())));
  return m;
}

json_object *pio_about_json_document(const char *tool, const char *kind) {
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, json_object_new_object());
  pio_json_set(&b, doc, "schema_version",
               pio_json_made(&b, json_object_new_int(PIO_JSON_SCHEMA_VERSION)));
  pio_json_set(&b, doc, "document", pio_json_text(&b, kind));
  pio_json_set(&b, doc, "tool", tool_json(&b, tool));
  pio_json_set(&b, doc, "machine", machine_json(&b));
  return pio_json_done(&b, doc);
}

static int print_json_flags(FILE *out, json_object *document, int flags) {
  const char *text =
      json_object_to_json_string_ext(document, flags | JSON_C_TO_STRING_NOSLASHESCAPE);
  char *safe = text != NULL ? text_escape_json(text) : NULL;
  if (safe == NULL) return -1;
  fprintf(out, "%s\n", safe);
  free(safe);
  return 0;
}

int pio_about_print_json(FILE *out, json_object *document) {
  return print_json_flags(out, document, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
}

int pio_about_print_json_line(FILE *out, json_object *document) {
  return print_json_flags(out, document, JSON_C_TO_STRING_PLAIN);
}

int pio_about_print_json_head(FILE *out, const char *tool, const char *kind) {
  json_object *doc = pio_about_json_document(tool, kind);
  const char *text = doc != NULL ? json_object_to_json_string_ext(
                                       doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                                 : NULL;
  char *safe = text != NULL ? text_escape_json(text) : NULL;
  size_t len = safe != NULL ? strlen(safe) : 0;
  int rc = -1;
  if (len > 1 && safe[len - 1] == '}') { /* the head's own closing brace goes */
    fwrite(safe, 1, len - 1, out);
    rc = 0;
  }
  free(safe);
  json_object_put(doc);
  return rc;
}

void pio_about_print_json_error(FILE *out, const char *tool, const char *kind, pio_status code,
                                const char *message) {
  pio_json_build b = {0};
  json_object *doc = pio_json_made(&b, pio_about_json_document(tool, kind));
  json_object *e = pio_json_made(&b, json_object_new_object());
  pio_json_set(&b, e, "status", pio_json_text(&b, pio_status_name(code)));
  pio_json_set(&b, e, "code", pio_json_made(&b, json_object_new_int((int)code)));
  pio_json_set(&b, e, "message", pio_json_text(&b, message));
  pio_json_set(&b, doc, "error", e);
  doc = pio_json_done(&b, doc);
  if (doc == NULL || pio_about_print_json(out, doc) != 0)
    fputs("{\"error\": \"out of memory\"}\n", out);
  json_object_put(doc);
}
