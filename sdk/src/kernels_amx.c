/* sdk/src/kernels_amx.c — the AMX path: bf16 weights multiplied on AMX
 * tiles.  One tdpbf16ps multiplies a 16x32 bf16 tile by a 32x16 one into
 * 16x16 f32: 8,192 multiply-adds, issued every 16 cycles, 16 times the FMA
 * rate of a core.
 *
 * A tile of 16 weight rows x 32 columns (A operand) comes straight from
 * the row-major matrix (16 rows of 64 bytes a row apart) on the first pass
 * and from a copy in tile order the first pass makes after; weights held in
 * tile order (PIO_LAYOUT_TILES) are read as they lie on every pass, each
 * tile one contiguous KiB.  The activations, rounded to bf16 once per
 * matmul, are packed into the order the other operand wants (B: 16 rows of
 * column pairs, each row the pairs of 16 tokens), so y comes out as
 * [weight row][token] tiles that are transposed into y[token][row] at the
 * end.  Weights in pairs (PIO_LAYOUT_PAIRS) swap the roles: 16 of a panel's
 * pairs are a B tile as they lie, x is packed as A tiles (16 tokens' 32
 * columns), and y comes out as [token][row] tiles, stored as they are.
 *
 * f32 and f16 weights, and the vector helpers, are the avx512 path's.
 * Compiled with the AVX-512 BF16 and AMX flags and called only once
 * pio_cpu_amx_granted() (the kernel gave this process tile data); with
 * PIO_AMX_EMULATE the tile instructions are plain C (kernels_amx_tiles.h),
 * for the test of layouts and edges on CPUs without AMX. */
#include <stdlib.h>
#include <string.h>

#include <immintrin.h>

#include "kernels_amx_tiles.h"
#include "kernels_internal.h"

#define TILE_BYTES 1024u     /* 16 rows of 64 bytes */
#define STEP_COLS 32u        /* columns of x and w one tile product covers */
#define TOKENS_PER_TILE 16u
#define BLOCK_ROWS 32u       /* weight rows of a block: two A tiles */
/* k-steps of a panel: a block's two B tiles a step then take 32 KiB and
 * stay in L1 while every row block of the chunk passes over them. */
#ifndef PIO_AMX_PANEL_STEPS
#define PIO_AMX_PANEL_STEPS 16u
#endif
#define PANEL_STEPS PIO_AMX_PANEL_STEPS
static size_t k_steps(size_t cols) { return (cols + STEP_COLS - 1) / STEP_COLS; }
static size_t token_blocks(size_t n) { return (n + TOKENS_PER_TILE - 1) / TOKENS_PER_TILE; }

size_t pio_k_amx_packed_bytes(size_t n, size_t cols) {
  return token_blocks(n) * k_steps(cols) * TILE_BYTES;
}

size_t pio_k_amx_pack_units(size_t n, size_t cols) { return token_blocks(n) * k_steps(cols); }

/* ---- activations into B tiles -------------------------------------------- */

/* rows[16] (16 dwords each) transposed in place: rows[j].dword[t] becomes
 * the old rows[t].dword[j]. */
static void transpose16_epi32(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  /* Each 128-bit lane l of r[4q + i] now holds dwords j = 4l + i... of rows
   * 4q..4q+3; gather the lanes of four row groups. */
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
    r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
  }
}

/* 32 columns of one token as 16 bf16 pairs (round to nearest even), zero
 * past cols. */
static __m512i token_pairs(const float *row, size_t k0, size_t cols) {
  size_t left = cols - k0;
  __mmask16 lo = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
  __mmask16 hi = left >= 32 ? (__mmask16)0xffff
                 : left > 16 ? (__mmask16)((1u << (left - 16)) - 1u)
                             : (__mmask16)0;
  __m512 a = _mm512_maskz_loadu_ps(lo, row + k0), b = _mm512_maskz_loadu_ps(hi, row + k0 + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(b, a);
}

/* Units [unit_begin, unit_end) of the packed activations: unit u is the
 * tile of token block u / k_steps and k-step u % k_steps.  For row-major
 * and tiled weights (the A operand) it is the B tile
 *   tile[pair][token][2] = bf16(x[block * 16 + token][step * 32 + 2 pair + {0,1}]);
 * for weights in pairs (the B operand) the A tile, the tokens' columns as
 * they lie,
 *   tile[token][k] = bf16(x[block * 16 + token][step * 32 + k]);
 * zero for tokens past n and columns past cols. */
void pio_k_amx_pack(const float *x, size_t x_stride, size_t n, size_t cols,
                    pio_matrix_layout layout, void *packed, size_t unit_begin, size_t unit_end) {
  const size_t steps = k_steps(cols);
  for (size_t u = unit_begin; u < unit_end; u++) {
    size_t block = u / steps, k0 = (u % steps) * STEP_COLS;
    __m512i r[16];
    for (size_t t = 0; t < TOKENS_PER_TILE; t++) {
      size_t token = block * TOKENS_PER_TILE + t;
      r[t] = token < n ? token_pairs(x + token * x_stride, k0, cols) : _mm512_setzero_si512();
    }
    if (layout != PIO_LAYOUT_PAIRS) transpose16_epi32(r);
    __m512i *tile = (__m512i *)((unsigned char *)packed + u * TILE_BYTES);
    for (int row = 0; row < 16; row++) _mm512_storeu_si512(tile + row, r[row]);
  }
}

/* ---- tile blocks ------------------------------------------------------------ */

/* Where a block's A tiles come from: straight from the weights (stride =
 * the row's bytes), or from a copy in tile order (stride 64). */
typedef struct a_source {
  const unsigned char *base; /* A0 of the block's first k-step */
  size_t stride;             /* bytes between tile rows */
  size_t step;               /* bytes between k-steps */
  size_t half;               /* bytes from A0 to A1 (16 rows down) */
  int direct;                /* straight from the weights (the first pass) */
  unsigned char *save;       /* where to store the loaded tiles in tile order; or NULL */
  int stream_b;              /* B tiles with the streaming hint (weights in pairs, later passes) */
} a_source;

/* A tiles of the later passes (from the copy) with the streaming hint
 * (tileloaddt1), so they do not push the panel's B tiles out of L1. */
#ifndef PIO_AMX_STREAM_A
#define PIO_AMX_STREAM_A 1
#endif
#define TILE_LOAD_A(t, base, stride)                                   \
  do {                                                                 \
    if (PIO_AMX_STREAM_A && !a->direct) TILE_STREAM_LOAD(t, base, stride); \
    else TILE_LOAD(t, base, stride);                                   \
  } while (0)

#define TILE_LOAD_B(t, base)                       \
  do {                                             \
    if (a->stream_b) TILE_STREAM_LOAD(t, base, 64); \
    else TILE_LOAD(t, base, 64);                   \
  } while (0)

/* Step s's A tiles into tiles 4 and 5 (stored in tile order when the
 * first pass keeps a copy). */
#define LOAD_A0(s)                                                                  \
  do {                                                                              \
    TILE_LOAD_A(4, a->base + (s) * a->step, a->stride);                             \
    if (a->save != NULL) TILE_STORE(4, a->save + (s) * 2 * TILE_BYTES, 64);         \
  } while (0)
#define LOAD_A1(s)                                                                  \
  do {                                                                              \
    TILE_LOAD_A(5, a->base + (s) * a->step + a->half, a->stride);                     \
    if (a->save != NULL) TILE_STORE(5, a->save + (s) * 2 * TILE_BYTES + TILE_BYTES, 64); \
  } while (0)

/* 32 rows x 16 tokens: C0 += A0 B0, C2 += A1 B0. */
static void steps_one(const a_source *a, const unsigned char *b0, size_t steps) {
  for (size_t s = 0; s < steps; s++) {
    LOAD_A0(s);
    LOAD_A1(s);
    TILE_LOAD(6, b0 + s * TILE_BYTES, 64);
    TILE_DP(0, 4, 6);
    TILE_DP(2, 5, 6);
  }
}

/* 32 rows x 32 tokens: C0 += A0 B0, C1 += A0 B1, C2 += A1 B0, C3 += A1 B1.
 * Pipelined, there being no tiles to spare for a second operand set: each
 * operand tile is reloaded for step s + 1 right after its last product of
 * step s has issued (A0 after C1, B0 after C2, B1 and A1 after C3), so the
 * loads run under the remaining products instead of every load of a step
 * waiting for all of the step before. */
static void steps_two(const a_source *a, const unsigned char *b0, size_t b_gap, size_t steps) {
  LOAD_A0(0);
  TILE_LOAD_B(6, b0);
  TILE_LOAD_B(7, b0 + b_gap);
  LOAD_A1(0);
  for (size_t s = 0; s < steps; s++) {
    const int more = s + 1 < steps;
    const unsigned char *b = b0 + (s + 1) * TILE_BYTES;
    TILE_DP(0, 4, 6);
    TILE_DP(1, 4, 7);
    if (more) LOAD_A0(s + 1);
    TILE_DP(2, 5, 6);
    if (more) TILE_LOAD_B(6, b);
    TILE_DP(3, 5, 7);
    if (more) {
      TILE_LOAD_B(7, b + b_gap);
      LOAD_A1(s + 1);
    }
  }
}

/* c[4][16][16] (+)= the block's 32 rows x 32 (or 16: !two) tokens over
 * `steps` k-steps.  b0 is B of the first token block, b1 = b0 + b_gap of
 * the second. */
static void tile_block(const a_source *a, const unsigned char *b0, size_t b_gap, size_t steps,
                       int two, int first, float *c) {
  if (first) {
    TILE_ZERO(0);
    TILE_ZERO(1);
    TILE_ZERO(2);
    TILE_ZERO(3);
  } else {
    TILE_LOAD(0, c, 64);
    TILE_LOAD(1, c + 256, 64);
    TILE_LOAD(2, c + 512, 64);
    TILE_LOAD(3, c + 768, 64);
  }
  if (two)
    steps_two(a, b0, b_gap, steps);
  else
    steps_one(a, b0, steps);
  TILE_STORE(0, c, 64);
  TILE_STORE(1, c + 256, 64);
  TILE_STORE(2, c + 512, 64);
  TILE_STORE(3, c + 768, 64);
}

/* Rows [r0, r0 + 32) and k-steps [s0, s1) of w copied into pack[step][A0,
 * A1][16][32], zero past the matrix: the A tiles of a block, contiguous. */
static void pack_block(const pio_matrix *w, size_t r0, size_t s0, size_t s1,
                       unsigned char *pack) {
  const unsigned char *wd = w->data;
  const size_t rows = w->rows, row_bytes = (size_t)w->cols * 2;
  for (size_t r = 0; r < BLOCK_ROWS; r++) {
    unsigned char *dst = pack + (r / 16) * TILE_BYTES + (r % 16) * 64;
    const unsigned char *src = wd + (r0 + r) * row_bytes;
    for (size_t s = s0; s < s1; s++, dst += 2 * TILE_BYTES) {
      size_t at = s * 64, width = r0 + r >= rows ? 0 : row_bytes - at < 64 ? row_bytes - at : 64;
      if (width == 64) {
        memcpy(dst, src + at, 64);
      } else {
        memset(dst, 0, 64);
        memcpy(dst, src + at, width);
      }
    }
  }
}

/* Of 16 starting at `at`, how many lie before `end`. */
static size_t in_range(size_t at, size_t end) {
  return at >= end ? 0 : end - at < 16 ? end - at : 16;
}

/* c[4][16][16], the accumulators of the block of rows [r0, r1) (at most
 * 32) and the 16 or 32 tokens from t0, into y[n][rows]: each 16x16 tile
 * transposed in registers, a token's 16 rows stored as one vector (masked
 * at the matrix's last rows).  One element at a time this took about as
 * long as the tile products of a 128-token matmul of 2048 columns. */
static void write_out(const float *c, size_t r0, size_t r1, size_t t0, size_t n, size_t rows,
                      float *y) {
  for (size_t q = 0; q < 4; q++) {
    size_t row0 = r0 + (q / 2) * 16, tok0 = t0 + (q % 2) * 16;
    size_t nr = in_range(row0, r1), nt = in_range(tok0, n);
    if (nr == 0 || nt == 0) continue;
    __m512i t[16];
    for (int i = 0; i < 16; i++) t[i] = _mm512_loadu_si512(c + q * 256 + i * 16);
    transpose16_epi32(t);
    const __mmask16 keep = nr == 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1u);
    for (size_t j = 0; j < nt; j++)
      _mm512_mask_storeu_ps(y + (tok0 + j) * rows + row0, keep, _mm512_castsi512_ps(t[j]));
  }
}

/* The same for the route over weights in pairs, whose accumulators are
 * [token][row] tiles (C0 tokens 0-15 x rows 0-15, C1 x rows 16-31, C2 and
 * C3 tokens 16-31): each tile row is a token's 16 rows as they go to y. */
static void write_out_pairs(const float *c, size_t r0, size_t t0, size_t n, size_t rows,
                            float *y) {
  for (size_t q = 0; q < 4; q++) {
    const size_t row0 = r0 + (q % 2) * 16, tok0 = t0 + (q / 2) * 16, nt = in_range(tok0, n);
    for (size_t j = 0; j < nt; j++)
      _mm512_storeu_ps(y + (tok0 + j) * rows + row0, _mm512_loadu_ps(c + q * 256 + j * 16));
  }
}

/* Every tile 16 rows of 64 bytes, palette 1.  A constant: GCC 12's
 * _tile_loadconfig claims to read 8 bytes of its operand, so a config built
 * on the stack had its column stores dropped when the code around it
 * changed (a build died of SIGILL on the Xeon). */
static const pio_k_tile_config tiles_16x64 = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {16, 16, 16, 16, 16, 16, 16, 16}};

static void configure_tiles(void) { TILE_LOADCONFIG(&tiles_16x64); }

/* Rows a thread's chunk takes at most: the chunk's accumulators
 * (rows x tokens f32) and one panel of its weights (rows x 1 KiB) stay in
 * L2 while every panel of B passes; the B tiles of a panel are read once
 * per chunk, so more rows mean less of them from L3. */
#ifndef PIO_AMX_CHUNK_ROWS
#define PIO_AMX_CHUNK_ROWS 256u
#endif
#define CHUNK_ROWS PIO_AMX_CHUNK_ROWS

#ifndef PIO_AMX_MIN_ROWS
#define PIO_AMX_MIN_ROWS 128u
#endif

static size_t token_pairs_of(size_t n) { return (token_blocks(n) + 1) / 2; }

/* Per-thread scratch of the tile path: the chunk's accumulators
 * acc[CHUNK_ROWS / 32][token pairs][4][16][16] f32, then one panel of the
 * chunk's weights in tile order, copy[CHUNK_ROWS / 32][PANEL_STEPS][2][1 KiB]. */
static size_t acc_bytes(size_t n) {
  return CHUNK_ROWS / BLOCK_ROWS * token_pairs_of(n) * 4 * TILE_BYTES;
}
static size_t copy_bytes(void) { return CHUNK_ROWS / BLOCK_ROWS * PANEL_STEPS * 2 * TILE_BYTES; }

size_t pio_k_amx_scratch_bytes(size_t n, size_t cols) {
  (void)cols;
  return acc_bytes(n) + copy_bytes();
}

/* The A tiles of block rb for k-steps [s0, s1) on pass `pass` over the
 * token pairs: from tiled weights (PIO_LAYOUT_TILES) on every pass, the
 * later passes finding them in L2; from row-major weights, straight from w
 * on the first pass (the tiles stored into copy_at for the later passes),
 * from copy_at after; an edge block is zero-padded into copy_at first. */
static a_source block_source(const pio_matrix *w, size_t rb, size_t s0, size_t s1, size_t pass,
                             int keep, unsigned char *copy_at) {
  const size_t rows = w->rows, row_bytes = (size_t)w->cols * 2;
  const a_source copied = {.base = copy_at, .stride = 64, .step = 2 * TILE_BYTES,
                           .half = TILE_BYTES};
  if (w->layout == PIO_LAYOUT_TILES) { /* rb's two panels, each its k-steps in turn */
    const size_t steps = w->cols / STEP_COLS;
    const unsigned char *panel =
        (const unsigned char *)w->data + (rb / 16 * steps + s0) * TILE_BYTES;
    return (a_source){.base = panel, .stride = 64, .step = TILE_BYTES, .half = steps * TILE_BYTES,
                      .direct = pass == 0};
  }
  if (pass > 0) return copied;
  if (rb + BLOCK_ROWS <= rows && s1 <= w->cols / STEP_COLS) {
    const unsigned char *base = (const unsigned char *)w->data + rb * row_bytes + s0 * 64;
    return (a_source){.base = base, .stride = row_bytes, .step = 64, .half = 16 * row_bytes,
                      .direct = 1, .save = keep ? copy_at : NULL};
  }
  pack_block(w, rb, s0, s1, copy_at);
  return copied;
}

/* For weights in pairs (PIO_LAYOUT_PAIRS) the roles swap: x's tiles of the
 * pass's two token blocks are the A operand (loaded plainly: they stay in
 * L1 while the chunk's row blocks pass), the weights the B operand (with
 * the streaming hint after the first pass, when they come from L2).  An odd
 * last token block is computed twice, its copy never stored. */
static a_source x_source(const unsigned char *xb, size_t tb, size_t s0, size_t steps,
                         size_t blocks, size_t pass) {
  return (a_source){.base = xb + (tb * steps + s0) * TILE_BYTES, .stride = 64,
                    .step = TILE_BYTES, .half = tb + 1 < blocks ? steps * TILE_BYTES : 0,
                    .direct = 1, .stream_b = PIO_AMX_STREAM_A && pass > 0};
}

/* Rows [row_begin, row_end) of y[n][rows] = x[n][cols] . w^T, bf16 w (in
 * rows, tiles or pairs), x packed by pio_k_amx_pack for w's layout, scratch
 * of pio_k_amx_scratch_bytes.  Loops:
 * chunks of rows; panels of k-steps; pairs of token blocks (passes);
 * blocks of 32 rows; k-steps.  A panel's B tiles (32 KiB) stay in L1 while
 * the chunk's row blocks pass over them; the panel of the chunk's weights
 * stays in L2 for every pair of token blocks; each weight comes from memory
 * once, each B tile from L2 or L3 once per chunk. */
void pio_k_amx_matmul_rows(const pio_matrix *w, const void *packed, size_t n, float *y,
                           size_t row_begin, size_t row_end, void *scratch) {
  const size_t rows = w->rows, steps = k_steps(w->cols);
  const size_t blocks = token_blocks(n), pairs = token_pairs_of(n);
  const unsigned char *xb = packed;
  float *acc = scratch;
  unsigned char *copy = (unsigned char *)scratch + acc_bytes(n);
  const int weights_b = w->layout == PIO_LAYOUT_PAIRS;
  const unsigned char *wd = w->data;
  configure_tiles();
  for (size_t r0 = row_begin; r0 < row_end; r0 += CHUNK_ROWS) {
    const size_t r1 = r0 + CHUNK_ROWS < row_end ? r0 + CHUNK_ROWS : row_end;
    for (size_t s0 = 0; s0 < steps; s0 += PANEL_STEPS) {
      const size_t s1 = s0 + PANEL_STEPS < steps ? s0 + PANEL_STEPS : steps;
      for (size_t pass = 0; pass < pairs; pass++) {
        const size_t tb = 2 * pass;
        const unsigned char *b0 = xb + (tb * steps + s0) * TILE_BYTES;
        const a_source x = x_source(xb, tb, s0, steps, blocks, pass);
        for (size_t rb = r0; rb < r1; rb += BLOCK_ROWS) {
          const size_t block = (rb - r0) / BLOCK_ROWS;
          float *c = acc + (block * pairs + pass) * 4 * 256;
          if (weights_b) {
            tile_block(&x, wd + (rb / 16 * steps + s0) * TILE_BYTES, steps * TILE_BYTES, s1 - s0,
                       1, s0 == 0, c);
            continue;
          }
          a_source a = block_source(w, rb, s0, s1, pass, pairs > 1,
                                    copy + block * PANEL_STEPS * 2 * TILE_BYTES);
          tile_block(&a, b0, steps * TILE_BYTES, s1 - s0, tb + 1 < blocks, s0 == 0, c);
        }
      }
    }
    for (size_t pass = 0; pass < pairs; pass++)
      for (size_t rb = r0; rb < r1; rb += BLOCK_ROWS) {
        const float *c = acc + ((rb - r0) / BLOCK_ROWS * pairs + pass) * 4 * 256;
        const size_t t0 = 2 * pass * TOKENS_PER_TILE;
        if (weights_b) write_out_pairs(c, rb, t0, n, rows, y);
        else write_out(c, rb, rb + BLOCK_ROWS < r1 ? rb + BLOCK_ROWS : r1, t0, n, rows, y);
      }
  }
  TILE_RELEASE();
}

#if !defined(PIO_AMX_EMULATE)
const pio_k_path_ops pio_k_amx_ops = {
    .matmul_rows = pio_k_avx512_matmul_rows,
    .row_block = 12, /* whole blocks of the avx512 path (6 rows) */
    .packed_bytes = pio_k_amx_packed_bytes,
    .pack_units = pio_k_amx_pack_units,
    .pack = pio_k_amx_pack,
    .matmul_rows_tiles = pio_k_avx512_matmul_rows_tiles,
    .matmul_rows_pairs = pio_k_avx512_matmul_rows_pairs,
    .matmul_rows_packed = pio_k_amx_matmul_rows,
    .packed_layouts = 1u << PIO_LAYOUT_ROWS | 1u << PIO_LAYOUT_TILES | 1u << PIO_LAYOUT_PAIRS,
    .packed_row_block = BLOCK_ROWS,
    .packed_min_rows = PIO_AMX_MIN_ROWS,
    .scratch_bytes = pio_k_amx_scratch_bytes,
    .softmax = pio_k_avx512_softmax,
    .silu_mul = pio_k_avx512_silu_mul,
    .to_f32 = pio_k_avx512_to_f32,
};
#endif
