/* host/cli/plugin_path_warning.c — the missing --plugin-path warning (see
 * plugin_path_warning.h). */
#include "plugin_path_warning.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text_escape.h"

int pio_warn_plugin_path(FILE *out, const char *prefix, const char *dir) {
  struct stat st;
  const char *why = stat(dir, &st) != 0    ? strerror(errno)
                    : !S_ISDIR(st.st_mode) ? "not a folder"
                                           : NULL;
  if (why == NULL) return 0;
  char *escaped = text_escape(dir);
  fprintf(out, "%s: warning: --plugin-path %s: %s\n", prefix,
          escaped != NULL ? escaped : "(a folder; out of memory escaping its name)", why);
  free(escaped);
  return 1;
}
