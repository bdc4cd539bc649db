/* host/load/cuda_probe.h — what the NVIDIA driver says about this machine,
 * asked of libcuda.so.1 itself (never of a plugin's build): whether a
 * device is there, its compute capability and memory, and the CUDA version
 * the driver supports.  For choosing a manifest's CUDA variant.  Internal
 * to libpio-host. */
#ifndef PIO_HOST_CUDA_PROBE_H
#define PIO_HOST_CUDA_PROBE_H

#include <stdint.h>

/* Device 0 (the one a CUDA build uses unless CUDA_VISIBLE_DEVICES says
 * otherwise), as the driver describes it. */
typedef struct cuda_machine {
  int available;            /* a driver and at least one device */
  char reason[256];         /* why not, when !available */
  int driver_version;       /* cuDriverGetVersion: 12040 for CUDA 12.4 */
  uint32_t capability;      /* 10 x major + minor: 90 for compute capability 9.0 */
  double memory_gib;        /* total device memory */
  char device_name[128];
} cuda_machine;

/* Asks the driver once a process (later calls return the first answer).
 * The library is PIO_CUDA_DRIVER when set (tests name a stand-in), else
 * libcuda.so.1.  A driver that answers stays loaded, as in every CUDA
 * program. */
const cuda_machine *cuda_machine_probe(void);

/* The same for the library at path, not cached (tests). */
void cuda_machine_probe_library(const char *path, cuda_machine *out);

#endif
