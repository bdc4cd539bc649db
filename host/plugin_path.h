/* host/plugin_path.h — the ordered list of folders searched for plugin
 * folders (internal to libpio-host).  First folder wins on duplicate names. */
#ifndef PIO_HOST_PLUGIN_PATH_H
#define PIO_HOST_PLUGIN_PATH_H

#include <stddef.h>

#include "pio/host.h"
#include "pio/status.h"

/* Where a folder on the path came from, in precedence order. */
typedef enum pio_path_source {
  PIO_PATH_COMMAND_LINE = 0, /* --plugin-path / pio_registry_options.plugin_paths */
  PIO_PATH_ENVIRONMENT = 1,  /* PIO_PLUGIN_PATH */
  PIO_PATH_BUILD_TREE = 2,   /* build/plugins, only for binaries inside the build tree */
  PIO_PATH_INSTALLED = 3,    /* <prefix>/lib/pio/plugins */
  PIO_PATH_USER = 4          /* $XDG_DATA_HOME/pio/plugins */
} pio_path_source;

typedef struct pio_path_entry {
  char *dir;              /* absolute; owned by the path */
  pio_path_source source;
} pio_path_entry;

typedef struct pio_plugin_path {
  pio_path_entry *entries; /* owned; free with pio_plugin_path_clear */
  size_t count;
} pio_plugin_path;

/* Everything the path depends on, gathered by the caller so that the rules
 * can be tested without touching the process environment.  Any field may be
 * NULL (that source is then skipped). */
typedef struct pio_plugin_path_inputs {
  const char *const *cli_dirs; /* first wins */
  size_t n_cli_dirs;
  const char *env_path;        /* PIO_PLUGIN_PATH: colon list, empty items skipped */
  const char *exe_path;        /* the running binary (/proc/self/exe) */
  const char *build_root;      /* the build tree the binary was built in */
  const char *build_plugin_dir;
  const char *installed_dir;
  const char *xdg_data_home;   /* used only when absolute (XDG spec) */
  const char *home;            /* for ~/.local/share when xdg_data_home is unusable */
  const char *cwd;             /* makes relative folders absolute */
} pio_plugin_path_inputs;

/* Builds the path from inputs.  Relative folders become absolute; a folder
 * named twice (same real path) is kept once, at its first place.  *out is
 * owned by the caller (pio_plugin_path_clear). */
pio_status pio_plugin_path_build(const pio_plugin_path_inputs *in, pio_plugin_path *out,
                                 pio_error *err);

/* Builds the path for opts from this process: argv folders, the
 * environment, /proc/self/exe and the folders compiled in. */
pio_status pio_plugin_path_from_options(const pio_registry_options *opts, pio_plugin_path *out,
                                        pio_error *err);

void pio_plugin_path_clear(pio_plugin_path *path);

/* "--plugin-path", "PIO_PLUGIN_PATH", "build tree", "installed", "user". */
const char *pio_path_source_name(pio_path_source source);

/* True when path equals dir or lies below it (both absolute, normalised). */
int pio_path_is_inside(const char *path, const char *dir);

#endif
