/* sdk/src/kernels_amx_tiles.h — the six AMX tile operations kernels_amx.c
 * uses, as the compiler's intrinsics, or (PIO_AMX_EMULATE, for the test
 * that checks the tile path's layouts and edges on CPUs without AMX) as
 * plain C on per-thread tile registers with the instructions' semantics:
 * loads and stores move exactly rows x colsb bytes, a configuration load
 * zeroes every tile, tdpbf16ps sums bf16 pairs into f32. */
#ifndef PIO_SDK_KERNELS_AMX_TILES_H
#define PIO_SDK_KERNELS_AMX_TILES_H

#include <stddef.h>
#include <stdint.h>

/* The 64-byte operand of LDTILECFG, palette 1. */
typedef struct pio_k_tile_config {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16]; /* bytes per row of tile t */
  uint8_t rows[16];   /* rows of tile t */
} pio_k_tile_config;

#if defined(PIO_AMX_EMULATE)
#include <string.h>

typedef struct emulated_tiles {
  uint8_t rows[8];
  uint16_t colsb[8];
  uint8_t data[8][16][64];
} emulated_tiles;

static _Thread_local emulated_tiles emulated;

static inline float emulated_bf16(const uint8_t *p) {
  uint32_t bits = (uint32_t)(p[0] | p[1] << 8) << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline void emulated_loadconfig(const pio_k_tile_config *cfg) {
  memset(&emulated, 0, sizeof emulated);
  for (int t = 0; t < 8; t++) {
    emulated.rows[t] = cfg->rows[t];
    emulated.colsb[t] = cfg->colsb[t];
  }
}

static inline void emulated_load(int t, const void *base, size_t stride) {
  for (int r = 0; r < emulated.rows[t]; r++)
    memcpy(emulated.data[t][r], (const uint8_t *)base + (size_t)r * stride, emulated.colsb[t]);
}

static inline void emulated_store(int t, void *base, size_t stride) {
  for (int r = 0; r < emulated.rows[t]; r++)
    memcpy((uint8_t *)base + (size_t)r * stride, emulated.data[t][r], emulated.colsb[t]);
}

/* c[m][n] += sum over pairs k of a[m][2k] b[k][2n] + a[m][2k+1] b[k][2n+1]. */
static inline void emulated_dpbf16ps(int c, int a, int b) {
  for (int m = 0; m < emulated.rows[c]; m++) {
    for (int n = 0; n < emulated.colsb[c] / 4; n++) {
      float acc;
      memcpy(&acc, &emulated.data[c][m][4 * n], sizeof acc);
      for (int k = 0; k < emulated.colsb[a] / 4; k++) {
        const uint8_t *pa = &emulated.data[a][m][4 * k], *pb = &emulated.data[b][k][4 * n];
        acc += emulated_bf16(pa) * emulated_bf16(pb) + emulated_bf16(pa + 2) * emulated_bf16(pb + 2);
      }
      memcpy(&emulated.data[c][m][4 * n], &acc, sizeof acc);
    }
  }
}

#define TILE_LOADCONFIG(cfg) emulated_loadconfig(cfg)
#define TILE_RELEASE() memset(&emulated, 0, sizeof emulated)
#define TILE_ZERO(t) memset(emulated.data[t], 0, sizeof emulated.data[t])
#define TILE_LOAD(t, base, stride) emulated_load(t, base, stride)
#define TILE_STREAM_LOAD(t, base, stride) emulated_load(t, base, stride)
#define TILE_STORE(t, base, stride) emulated_store(t, base, stride)
#define TILE_DP(c, a, b) emulated_dpbf16ps(c, a, b)
#else
#include <immintrin.h>

#define TILE_LOADCONFIG(cfg) _tile_loadconfig(cfg)
#define TILE_RELEASE() _tile_release()
#define TILE_ZERO(t) _tile_zero(t)
#define TILE_LOAD(t, base, stride) _tile_loadd(t, base, (long)(stride))
#define TILE_STREAM_LOAD(t, base, stride) _tile_stream_loadd(t, base, (long)(stride))
#define TILE_STORE(t, base, stride) _tile_stored(t, base, (long)(stride))
#define TILE_DP(c, a, b) _tile_dpbf16ps(c, a, b)
#endif

#endif
