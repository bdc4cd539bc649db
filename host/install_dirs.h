/* host/install_dirs.h — where this pio's own plugins and presets are: in
 * its build tree for a program built there, else in the installed tree
 * found relative to libpio-host itself, so that an installed tree copied
 * or moved elsewhere still uses its own folders (relocatable, as
 * GStreamer's relocatable builds are).  Internal to libpio-host. */
#ifndef PIO_HOST_INSTALL_DIRS_H
#define PIO_HOST_INSTALL_DIRS_H

typedef struct install_dirs {
  int build_tree;      /* the running program was built in this build tree */
  const char *plugins; /* the installed plugin folder (<libdir>/pio/plugins) */
  const char *models;  /* the installed presets (<datadir>/pio/models) */
} install_dirs;

/* Worked out once a process, then the same answer; the strings are static.
 * The anchor is the file libpio-host's code is in: the shared library
 * (<libdir>), or the program it is linked into (<bindir>).  When the
 * configured folders are not all below the prefix, the configured
 * absolute paths are used as they are. */
const install_dirs *install_dirs_get(void);

#endif
