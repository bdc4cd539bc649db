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

/* How long the driver may take to answer (cuInit on a cold multi-GPU
 * machine takes seconds) before its child is killed. */
#define CUDA_PROBE_TIMEOUT_MS 20000u

/* Asks the driver once a process (later calls return the first answer),
 * in a child process: a driver that crashes or hangs there is a reason
 * ("the CUDA driver crashed (SIGSEGV, ...)"), never the host's end.  The
 * library is PIO_CUDA_DRIVER when set (tests name a stand-in), else
 * libcuda.so.1.  Ask before this process initialises CUDA itself: a
 * forked child cannot use a parent's CUDA context. */
const cuda_machine *cuda_machine_probe(void);

/* The same for the library at path with a timeout, not cached (tests). */
void cuda_machine_probe_library(const char *path, unsigned timeout_ms, cuda_machine *out);

#endif
