/* host/cli/config_warning.c — the unread-field warning (see
 * config_warning.h). */
#include "config_warning.h"

size_t pio_warn_unread_config_fields(FILE *out, const char *prefix, const pio_plugin *table,
                                     const char *config_path) {
  char **fields = NULL;
  size_t n = 0;
  pio_error err;
  pio_error_clear(&err);
  if (pio_config_unread_fields(table, config_path, &fields, &n, &err) != PIO_OK) return 0;
  if (n == 0) {
    pio_config_unread_fields_free(fields, n);
    return 0;
  }
  fprintf(out, "%s: warning: %s: plugin %s does not read field%s", prefix, config_path,
          table->name != NULL ? table->name : "?", n == 1 ? "" : "s");
  for (size_t i = 0; i < n; i++) fprintf(out, "%s '%s'", i ? "," : "", fields[i]);
  fprintf(out, ": %s no effect\n", n == 1 ? "its value has" : "their values have");
  pio_config_unread_fields_free(fields, n);
  return n;
}
