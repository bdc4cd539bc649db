/* pio/version.h — release and ABI version numbers of this SDK. */
#ifndef PIO_VERSION_H
#define PIO_VERSION_H

/* Release of pio (host, SDK and bundled plugins), semantic versioning. */
#define PIO_VERSION_MAJOR 0
#define PIO_VERSION_MINOR 1
#define PIO_VERSION_PATCH 0
#define PIO_VERSION_STRING "0.1.0"

/*
 * Plugin ABI version.  Rules (see docs/abi.md):
 *  - ABI major differs between host and plugin: the plugin is refused.
 *  - ABI minor differs: both work.  Fields are only ever appended to the
 *    tables in pio/plugin.h; each side reads only the fields covered by the
 *    other side's struct_size and treats the rest as absent (NULL / 0).
 */
#define PIO_ABI_MAJOR 1
#define PIO_ABI_MINOR 2

/* Packs a major/minor pair for range comparisons. */
#define PIO_ABI_PACK(major, minor) (((unsigned long)(major) << 16) | (unsigned long)(minor))

#endif
