/* sdk/src/synthetic_internal.h — the generator synthetic.c and its AVX-512
 * twin (synthetic_avx512.c) share.  Both must give the same bits for every
 * element: integer hashing is exact, and the float steps are written as the
 * same multiplies and adds in the same order (no FMA contraction in ISO C
 * mode). */
#ifndef PIO_SDK_SYNTHETIC_INTERNAL_H
#define PIO_SDK_SYNTHETIC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pio/synthetic.h"

#if defined(__GNUC__)
#define PIO_SYNTH_HIDDEN __attribute__((visibility("hidden")))
#else
#define PIO_SYNTH_HIDDEN
#endif

/* splitmix64: the counter step and the output mixer's multipliers. */
#define PIO_SYNTH_GOLDEN 0x9e3779b97f4a7c15ull
#define PIO_SYNTH_MIX1 0xbf58476d1ce4e5b9ull
#define PIO_SYNTH_MIX2 0x94d049bb133111ebull

/* unit value = ((float)bits * SCALE - 0.5) * SQRT12 (uniform, 24 bits) or
 * ((float)sum16x4 + 2) * SCALE16 * SQRT3 - SQRT12 (normal) */
#define PIO_SYNTH_SCALE24 (1.0f / 16777216.0f)
#define PIO_SYNTH_SCALE16 (1.0f / 65536.0f)
#define PIO_SYNTH_SQRT3 1.7320508076f
#define PIO_SYNTH_SQRT12 3.4641016151f

typedef struct pio_synth_params {
  uint64_t key; /* element i hashes key + i * GOLDEN */
  pio_synthetic_dist dist;
  float mean, std;
  pio_dtype dtype;
  void *dst;
} pio_synth_params;

#if defined(PIO_HAVE_AVX512)
/* Elements [begin, end) on the AVX-512 path: the scalar result exactly. */
PIO_SYNTH_HIDDEN void pio_synth_fill_avx512(const pio_synth_params *p, size_t begin, size_t end);
#endif

#endif
