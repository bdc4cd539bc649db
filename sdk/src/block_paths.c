/* sdk/src/block_paths.c — picking a layer block's variant by kernel path. */
#include <stdatomic.h>

#include "block_paths.h"

int pio_block_uses_avx512(pio_kernel_path path) {
#if defined(PIO_HAVE_AVX512)
  return path >= PIO_KERNEL_AVX512 && path < PIO_KERNEL_PATH_COUNT &&
         pio_kernel_path_available(PIO_KERNEL_AVX512);
#else
  (void)path;
  return 0;
#endif
}

int pio_block_uses_avx2(pio_kernel_path path) {
#if defined(PIO_HAVE_AVX2)
  return path >= PIO_KERNEL_AVX2 && path < PIO_KERNEL_PATH_COUNT &&
         pio_kernel_path_available(PIO_KERNEL_AVX2);
#else
  (void)path;
  return 0;
#endif
}

pio_kernel_path pio_block_best_path(void) {
  /* path + 1, so that 0 means "not looked up yet": the CPU does not change. */
  static atomic_int cached;
  int p = atomic_load_explicit(&cached, memory_order_relaxed);
  if (p == 0) {
    p = (int)pio_kernel_best() + 1;
    atomic_store_explicit(&cached, p, memory_order_relaxed);
  }
  return (pio_kernel_path)(p - 1);
}
