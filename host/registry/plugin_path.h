/* host/registry/plugin_path.h — the ordered list of folders searched for plugin
 * folders (internal to libpio-host).  First folder wins on duplicate names. */
#ifndef PIO_HOST_PLUGIN_PATH_H
#define PIO_HOST_PLUGIN_PATH_H

#include <stddef.h>

#include "pio/host.h"
#include "pio/status.h"

/* Where a folder on the path came from, in precedence order. */
typedef enum plugin_path_source {
  PLUGIN_PATH_COMMAND_LINE = 0, /* --plugin-path / pio_registry_options.plugin_paths */
  PLUGIN_PATH_ENVIRONMENT = 1,  /* PIO_PLUGIN_PATH */
  PLUGIN_PATH_BUILD_TREE = 2,   /* build/plugins, only for binaries inside the build tree */
  PLUGIN_PATH_INSTALLED = 3,    /* <prefix>/lib/pio/plugins */
  PLUGIN_PATH_USER = 4          /* $XDG_DATA_HOME/pio/plugins */
} plugin_path_source;

typedef struct plugin_path_entry {
  char *dir; /* absolute; owned by the path */
  plugin_path_source source;
} plugin_path_entry;

typedef struct plugin_path {
  plugin_path_entry *entries; /* owned; free with plugin_path_clear */
  size_t count;
} plugin_path;

/* Everything the path depends on, gathered by the caller so that the rules
 * can be tested without touching the process environment.  Any field may be
 * NULL (that source is then skipped). */
typedef struct plugin_path_inputs {
  const char *const *cli_dirs; /* first wins */
  size_t n_cli_dirs;
  const char *env_path;   /* PIO_PLUGIN_PATH: colon list, empty items skipped */
  const char *exe_path;   /* the running binary (/proc/self/exe) */
  const char *build_root; /* the build tree the binary was built in */
  const char *build_plugin_dir;
  const char *installed_dir;
  const char *xdg_data_home; /* used only when absolute (XDG spec) */
  const char *home;          /* for ~/.local/share when xdg_data_home is unusable */
  const char *cwd;           /* makes relative folders absolute */
} plugin_path_inputs;

/* Builds the path from inputs.  Relative folders become absolute; a folder
 * named twice (same real path) is kept once, at its first place.  *out is
 * owned by the caller (plugin_path_clear). */
pio_status plugin_path_build(const plugin_path_inputs *in, plugin_path *out, pio_error *err);

/* Builds the path for opts from this process: argv folders, the
 * environment, /proc/self/exe and the folders compiled in. */
pio_status plugin_path_from_options(const pio_registry_options *opts, plugin_path *out,
                                    pio_error *err);

void plugin_path_clear(plugin_path *path);

/* "--plugin-path", "PIO_PLUGIN_PATH", "build tree", "installed", "user". */
const char *plugin_path_source_name(plugin_path_source source);

/* True when path equals dir or lies below it (both absolute, normalised). */
int plugin_path_is_inside(const char *path, const char *dir);

#endif
