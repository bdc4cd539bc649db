/* benchmarks/device_limits.c — finding and loading the pio_bench_cuda
 * module for a model that runs on a GPU: beside the pio-bench executable
 * (the build tree, or a bin folder it was copied into), else in the
 * installed library folder (found from the executable's own place in a
 * relocatable install). */
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_limits.h"

struct pio_bench_device_module {
  lt_dlhandle handle;
};

/* The folder of the running executable, in dir[size]; 0 when unknown. */
static int exe_dir(char *dir, size_t size) {
  const ssize_t n = readlink("/proc/self/exe", dir, size - 1);
  if (n <= 0) return 0;
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash == NULL) return 0;
  *slash = '\0';
  return 1;
}

static lt_dlhandle open_in(const char *dir) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s", dir, PIO_BENCH_CUDA_MODULE);
  return lt_dlopenext(path);
}

pio_status pio_bench_device_load(pio_bench_device_module **out,
                                 const pio_bench_device_api **api, pio_error *err) {
  *out = NULL;
  *api = NULL;
  if (lt_dlinit() != 0)
    return pio_error_set(err, PIO_ERR_LOAD, "device limits: libltdl: %s", lt_dlerror());
  /* PIO_BENCH_LIBDIR: relative to the executable's folder in a
   * relocatable install, else absolute. */
  char here[4096] = "", installed[4200];
  const int known = exe_dir(here, sizeof here);
  if (PIO_BENCH_LIBDIR[0] == '/' || !known)
    snprintf(installed, sizeof installed, "%s", PIO_BENCH_LIBDIR);
  else
    snprintf(installed, sizeof installed, "%s/%s", here, PIO_BENCH_LIBDIR);
  lt_dlhandle h = known ? open_in(here) : NULL;
  if (h == NULL) h = open_in(installed);
  if (h == NULL) {
    lt_dlexit();
    return pio_error_set(err, PIO_ERR_NOT_FOUND, "the model runs on a CUDA device, but no %s "
                         "module (the device limits) is in %s or %s: this pio-bench was "
                         "built without CUDA", PIO_BENCH_CUDA_MODULE, here, installed);
  }
  pio_bench_device_entry_fn entry =
      (pio_bench_device_entry_fn)(uintptr_t)lt_dlsym(h, PIO_BENCH_CUDA_ENTRY);
  const pio_bench_device_api *a = entry != NULL ? entry() : NULL;
  if (a == NULL || a->struct_size < sizeof *a) {
    lt_dlclose(h);
    lt_dlexit();
    return pio_error_set(err, PIO_ERR_ABI, "device limits: %s has no usable %s",
                         PIO_BENCH_CUDA_MODULE, PIO_BENCH_CUDA_ENTRY);
  }
  pio_bench_device_module *m = malloc(sizeof *m);
  if (m == NULL) {
    lt_dlclose(h);
    lt_dlexit();
    return pio_error_set(err, PIO_ERR_NO_MEMORY, "device limits: out of memory");
  }
  m->handle = h;
  *out = m;
  *api = a;
  return PIO_OK;
}

void pio_bench_device_unload(pio_bench_device_module *m) {
  if (m == NULL) return;
  lt_dlclose(m->handle);
  lt_dlexit();
  free(m);
}
