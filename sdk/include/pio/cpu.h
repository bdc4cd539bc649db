/* pio/cpu.h — what this CPU can do, read with cpuid (x86) or the auxiliary
 * vector (arm), for plugin compatibility checks and kernel dispatch. */
#ifndef PIO_CPU_H
#define PIO_CPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_cpu_feature {
  PIO_CPU_SSE4_2 = 0,
  PIO_CPU_AVX,
  PIO_CPU_AVX2,
  PIO_CPU_FMA,
  PIO_CPU_F16C,
  PIO_CPU_AVX512F,
  PIO_CPU_AVX512BW,
  PIO_CPU_AVX512VL,
  PIO_CPU_AVX512_BF16,
  PIO_CPU_AVX512_VNNI,
  PIO_CPU_AMX_TILE,
  PIO_CPU_AMX_BF16,
  PIO_CPU_AMX_INT8,
  PIO_CPU_NEON,
  PIO_CPU_SVE,
  PIO_CPU_SVE2,
  PIO_CPU_FEATURE_COUNT
} pio_cpu_feature;

/* Bit i set: feature i present and usable (OS saves the registers). */
typedef uint64_t pio_cpu_features;

/* Features of the CPU this runs on; computed once, thread-safe. */
pio_cpu_features pio_cpu_detect(void);
int pio_cpu_has(pio_cpu_feature feature);

/* Manifest spelling: "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
 * "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni", "amx_tile",
 * "amx_bf16", "amx_int8", "neon", "sve", "sve2". */
const char *pio_cpu_feature_name(pio_cpu_feature feature);
/* -1 when name is not a known feature ("amx" is accepted for amx_tile). */
int pio_cpu_feature_parse(const char *name, pio_cpu_feature *out);

/* Whether the CPU says it is Intel's (cpuid's vendor "GenuineIntel"); 0
 * on other CPUs and architectures.  Computed once, thread-safe.  For tuning
 * that measurement found to differ between vendors, never for what a CPU
 * can run (pio_cpu_has). */
int pio_cpu_is_intel(void);

/* Whether this process may run AMX bf16 tile instructions: the CPU has
 * amx_tile and amx_bf16, the OS saves tile state, and Linux granted the
 * process tile data (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA),
 * asked on the first call; the grant covers every thread).  Returns 1 or 0;
 * *why (may be NULL) gets a static sentence: what refused, or "granted ...".
 * Thread-safe. */
int pio_cpu_amx_granted(const char **why);

#ifdef __cplusplus
}
#endif
#endif
