/* sdk/src/block_paths.h — which variant of a layer block (norm, attention)
 * runs for a kernel path.  The blocks have a scalar reference and an
 * AVX-512 variant, the attention an AVX2 one too: the avx512 and
 * avx512bf16 paths take AVX-512, avx2 AVX2 (or the reference where a
 * block has none), scalar the reference. */
#ifndef PIO_SDK_BLOCK_PATHS_H
#define PIO_SDK_BLOCK_PATHS_H

#include "kernels_internal.h"

/* Whether the AVX-512 variant runs for path: built, asked for, and this
 * CPU has it. */
PIO_HIDDEN int pio_block_uses_avx512(pio_kernel_path path);

/* Whether the AVX2 variant runs for path: built, path is avx2 or above,
 * and this CPU has AVX2, FMA and F16C. */
PIO_HIDDEN int pio_block_uses_avx2(pio_kernel_path path);

/* pio_kernel_best(), looked up once. */
PIO_HIDDEN pio_kernel_path pio_block_best_path(void);

#endif
