/* sdk/src/cpu.c — which instruction-set extensions this CPU has and the
 * operating system lets a process use: cpuid plus xgetbv on x86 (a CPU may
 * have AVX-512 while the kernel does not save its registers), the auxiliary
 * vector on aarch64, nothing elsewhere. */
#include <stdatomic.h>
#include <string.h>

#include "pio/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#define BIT(n) (1u << (n))

/* XCR0 state components the OS must enable for a register file. */
#define XCR0_SSE_AVX 0x6u         /* XMM and YMM */
#define XCR0_AVX512 0xE0u         /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_AMX 0x60000u         /* XTILECFG, XTILEDATA */

static uint64_t read_xcr0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static pio_cpu_features detect(void) {
  unsigned a, b, c, d;
  pio_cpu_features f = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const unsigned ecx1 = c;
  if (ecx1 & BIT(20)) f |= 1ull << PIO_CPU_SSE4_2;
  /* Without OSXSAVE xgetbv faults, and no AVX state is usable anyway. */
  const uint64_t xcr0 = (ecx1 & BIT(27)) ? read_xcr0() : 0;
  const int avx_os = (xcr0 & XCR0_SSE_AVX) == XCR0_SSE_AVX;
  const int avx512_os = avx_os && (xcr0 & XCR0_AVX512) == XCR0_AVX512;
  const int amx_os = (xcr0 & XCR0_AMX) == XCR0_AMX;
  if (avx_os && (ecx1 & BIT(28))) f |= 1ull << PIO_CPU_AVX;
  if (avx_os && (ecx1 & BIT(12))) f |= 1ull << PIO_CPU_FMA;
  if (avx_os && (ecx1 & BIT(29))) f |= 1ull << PIO_CPU_F16C;

  unsigned max_leaf = __get_cpuid_max(0, NULL);
  if (max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned max_sub7 = a, ebx7 = b, ecx7 = c, edx7 = d;
  if (avx_os && (ebx7 & BIT(5))) f |= 1ull << PIO_CPU_AVX2;
  if (avx512_os) {
    if (ebx7 & BIT(16)) f |= 1ull << PIO_CPU_AVX512F;
    if (ebx7 & BIT(30)) f |= 1ull << PIO_CPU_AVX512BW;
    if (ebx7 & BIT(31)) f |= 1ull << PIO_CPU_AVX512VL;
    if (ecx7 & BIT(11)) f |= 1ull << PIO_CPU_AVX512_VNNI;
    if (max_sub7 >= 1) {
      __cpuid_count(7, 1, a, b, c, d);
      if (a & BIT(5)) f |= 1ull << PIO_CPU_AVX512_BF16;
    }
  }
  /* Linux also wants arch_prctl(ARCH_REQ_XCOMP_PERM) before the first tile
   * instruction; that is the kernel code's business, not detection's. */
  if (amx_os) {
    if (edx7 & BIT(24)) f |= 1ull << PIO_CPU_AMX_TILE;
    if (edx7 & BIT(22)) f |= 1ull << PIO_CPU_AMX_BF16;
    if (edx7 & BIT(25)) f |= 1ull << PIO_CPU_AMX_INT8;
  }
  return f;
}

static int detect_intel(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
  return b == 0x756e6547u && d == 0x49656e69u && c == 0x6c65746eu; /* "Genu" "ineI" "ntel" */
}

#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>

/* Values from the kernel's arch/arm64/include/uapi/asm/hwcap.h, spelled
 * out so that old libc headers do not matter. */
#define PIO_HWCAP_ASIMD (1ul << 1)
#define PIO_HWCAP_SVE (1ul << 22)
#define PIO_HWCAP2_SVE2 (1ul << 1)

static pio_cpu_features detect(void) {
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  pio_cpu_features f = 0;
  if (hw & PIO_HWCAP_ASIMD) f |= 1ull << PIO_CPU_NEON;
  if (hw & PIO_HWCAP_SVE) f |= 1ull << PIO_CPU_SVE;
  if (hw2 & PIO_HWCAP2_SVE2) f |= 1ull << PIO_CPU_SVE2;
  return f;
}

#else
static pio_cpu_features detect(void) { return 0; }
#endif
#if !defined(__x86_64__) && !defined(__i386__)
static int detect_intel(void) { return 0; }
#endif

/* Bit 63 marks "computed", bit 62 an Intel CPU: detection is idempotent,
 * so two threads racing on first use both store the same value. */
#define CPU_KNOWN (1ull << 63)
#define CPU_INTEL (1ull << 62)
_Static_assert(PIO_CPU_FEATURE_COUNT < 62, "feature bits would meet the cache's own");
static _Atomic uint64_t cpu_cache;

static uint64_t cached(void) {
  uint64_t v = atomic_load_explicit(&cpu_cache, memory_order_acquire);
  if (!(v & CPU_KNOWN)) {
    v = detect() | (detect_intel() ? CPU_INTEL : 0) | CPU_KNOWN;
    atomic_store_explicit(&cpu_cache, v, memory_order_release);
  }
  return v;
}

pio_cpu_features pio_cpu_detect(void) { return cached() & ~(CPU_KNOWN | CPU_INTEL); }

int pio_cpu_is_intel(void) { return (cached() & CPU_INTEL) != 0; }

int pio_cpu_has(pio_cpu_feature feature) {
  if ((unsigned)feature >= PIO_CPU_FEATURE_COUNT) return 0;
  return (pio_cpu_detect() >> feature) & 1u;
}

static const char *const feature_names[PIO_CPU_FEATURE_COUNT] = {
    [PIO_CPU_SSE4_2] = "sse4_2",         [PIO_CPU_AVX] = "avx",
    [PIO_CPU_AVX2] = "avx2",             [PIO_CPU_FMA] = "fma",
    [PIO_CPU_F16C] = "f16c",             [PIO_CPU_AVX512F] = "avx512f",
    [PIO_CPU_AVX512BW] = "avx512bw",     [PIO_CPU_AVX512VL] = "avx512vl",
    [PIO_CPU_AVX512_BF16] = "avx512_bf16", [PIO_CPU_AVX512_VNNI] = "avx512_vnni",
    [PIO_CPU_AMX_TILE] = "amx_tile",     [PIO_CPU_AMX_BF16] = "amx_bf16",
    [PIO_CPU_AMX_INT8] = "amx_int8",     [PIO_CPU_NEON] = "neon",
    [PIO_CPU_SVE] = "sve",               [PIO_CPU_SVE2] = "sve2",
};

const char *pio_cpu_feature_name(pio_cpu_feature feature) {
  return (unsigned)feature < PIO_CPU_FEATURE_COUNT ? feature_names[feature] : "unknown";
}

int pio_cpu_feature_parse(const char *name, pio_cpu_feature *out) {
  if (name == NULL) return -1;
  if (strcmp(name, "amx") == 0) {
    *out = PIO_CPU_AMX_TILE;
    return 0;
  }
  for (int i = 0; i < PIO_CPU_FEATURE_COUNT; i++) {
    if (strcmp(name, feature_names[i]) == 0) {
      *out = (pio_cpu_feature)i;
      return 0;
    }
  }
  return -1;
}
