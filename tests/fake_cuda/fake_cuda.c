/* tests/fake_cuda/fake_cuda.c — a stand-in for libcuda.so.1 with
 * the seven driver calls pio's CUDA probe makes, answering what the
 * environment says (FAKE_CUDA_DEVICES, FAKE_CUDA_CAPABILITY as 10 x major +
 * minor, FAKE_CUDA_DRIVER as CUDA encodes it, FAKE_CUDA_MEMORY_GIB,
 * FAKE_CUDA_INIT_ERROR, FAKE_CUDA_NAME), so variant choice can be tested
 * on any machine, also against a driver answering nonsense, crashing
 * (FAKE_CUDA_CRASH=1: SIGSEGV in cuInit) or hanging (FAKE_CUDA_HANG=1).
 * Named by PIO_CUDA_DRIVER. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static int env(const char *name, int fallback) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? atoi(v) : fallback;
}

EXPORT int cuInit(unsigned flags);
EXPORT int cuDriverGetVersion(int *version);
EXPORT int cuDeviceGetCount(int *count);
EXPORT int cuDeviceGet(int *device, int ordinal);
EXPORT int cuDeviceGetAttribute(int *value, int attribute, int device);
EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int device);
EXPORT int cuDeviceGetName(char *name, int size, int device);

int cuInit(unsigned flags) {
  (void)flags;
  if (env("FAKE_CUDA_CRASH", 0)) raise(SIGSEGV);
  while (env("FAKE_CUDA_HANG", 0)) pause();
  return env("FAKE_CUDA_INIT_ERROR", 0);
}

int cuDriverGetVersion(int *version) {
  *version = env("FAKE_CUDA_DRIVER", 13000);
  return 0;
}

int cuDeviceGetCount(int *count) {
  *count = env("FAKE_CUDA_DEVICES", 1);
  return 0;
}

int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}

int cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  const int capability = env("FAKE_CUDA_CAPABILITY", 90);
  if (attribute == 75) *value = capability / 10;      /* compute capability major */
  else if (attribute == 76) *value = capability % 10; /* minor */
  else return 1;
  return 0;
}

int cuDeviceTotalMem_v2(size_t *bytes, int device) {
  (void)device;
  *bytes = (size_t)env("FAKE_CUDA_MEMORY_GIB", 80) << 30;
  return 0;
}

/* FAKE_CUDA_NAME replaces the name; FAKE_CUDA_NAME_UNTERMINATED=1 fills
 * the whole buffer with no NUL, as a broken driver might. */
int cuDeviceGetName(char *name, int size, int device) {
  (void)device;
  if (env("FAKE_CUDA_NAME_UNTERMINATED", 0)) {
    memset(name, 'A', (size_t)size);
    return 0;
  }
  const char *text = getenv("FAKE_CUDA_NAME");
  snprintf(name, (size_t)size, "%s", text != NULL ? text : "Fake GPU");
  return 0;
}
