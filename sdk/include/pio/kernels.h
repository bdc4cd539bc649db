/* pio/kernels.h — compute kernels shared by model plugins: matmul with
 * f32/bf16/f16 weights and f32 activations (on AVX-512 BF16 or AMX tiles
 * for bf16 weights, chosen by a plan), softmax, SiLU.  Each has a scalar
 * reference and vector paths picked at run time; every path gives the
 * scalar result within rounding (of x to bf16 on the bf16 paths).  The layer blocks
 * built on them: pio/norm.h, pio/rope.h, pio/attention.h, pio/mlp.h. */
#ifndef PIO_KERNELS_H
#define PIO_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "pio/dtype.h"
#include "pio/status.h"
#include "pio/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pio_kernel_path {
  PIO_KERNEL_SCALAR = 0,
  PIO_KERNEL_AVX2 = 1,        /* AVX2 + FMA + F16C */
  PIO_KERNEL_AVX512 = 2,      /* AVX-512 F/BW */
  PIO_KERNEL_AVX512_BF16 = 3, /* AVX-512 BF16 dot products (vdpbf16ps) */
  PIO_KERNEL_AMX_BF16 = 4,    /* AMX tiles (tdpbf16ps) for bf16 weights; the rest avx512 */
  PIO_KERNEL_PATH_COUNT
} pio_kernel_path;

/* Whether this CPU (and this build, and for amx_bf16 the kernel's grant of
 * tile data, asked once) can run path. */
int pio_kernel_path_available(pio_kernel_path path);
/* NULL when path is available, else a static sentence saying why not. */
const char *pio_kernel_path_unavailable_reason(pio_kernel_path path);
/* The widest vector path available other than amx_bf16, by CPU flags: the
 * one for the element-wise helpers below.  Matmuls should follow a plan
 * (pio_kernel_plan_choose), which picks by measurement and token count. */
pio_kernel_path pio_kernel_best(void);
/* How far ahead (bytes) each stream of the avx512 path's one-token kernel
 * asks for its next lines with prefetcht0, 0 for not at all: 4096 on
 * Intel CPUs, where it made decode 13 % faster on a 16-core Xeon, and 0
 * elsewhere (on Zen 5 it made the kernel 12-15 % slower); docs/kernels.md,
 * session 14.  A build with -DPIO_ONE_TOKEN_PREFETCH=N takes N everywhere. */
size_t pio_kernel_one_token_prefetch(void);
/* The distance pio_kernel_one_token_prefetch gives on Intel CPUs. */
#define PIO_KERNEL_ONE_TOKEN_PREFETCH_INTEL 4096u
/* "scalar", "avx2", "avx512", "avx512bf16", "amx_bf16". */
const char *pio_kernel_path_name(pio_kernel_path path);
/* The path of that name; -1 for an unknown name. */
int pio_kernel_path_parse(const char *name, pio_kernel_path *out);

/* How a matrix's elements lie in memory.  The two bf16 layouts keep panels
 * of 16 rows one after another (a panel's bytes are its rows' in every
 * layout) and order each panel for one kernel's loads. */
typedef enum pio_matrix_layout {
  PIO_LAYOUT_ROWS = 0,  /* row-major [rows][cols], as stored in the files */
  /* AMX tile order: a panel's cols / 32 tiles in turn, a tile its 16 rows'
   * 32 columns (1 KiB), the A operand of tdpbf16ps as one contiguous read.
   * Element (r, c) at ((r / 16 * cols / 32 + c / 32) * 16 + r % 16) * 32 + c % 32. */
  PIO_LAYOUT_TILES = 1,
  /* Pair order: a panel's cols / 2 column pairs in turn, a pair its 16
   * rows' two columns (64 bytes), which one vdpbf16ps multiplies by a
   * token's pair: the weights of each 16 rows one sequential stream, and
   * no copy per call; 16 pairs are a B tile of tdpbf16ps (1 KiB), the AMX
   * path's other operand order.  Element (r, c) at
   * ((r / 16 * cols / 2 + c / 2) * 16 + r % 16) * 2 + c % 2. */
  PIO_LAYOUT_PAIRS = 2
} pio_matrix_layout;

/* A weight matrix w[rows][cols] as stored (not owned): row-major unless
 * layout says otherwise (a zeroed layout is PIO_LAYOUT_ROWS). */
typedef struct pio_matrix {
  const void *data;
  pio_dtype dtype; /* F32, BF16 or F16 */
  uint32_t rows;   /* output features */
  uint32_t cols;   /* input features */
  pio_matrix_layout layout;
} pio_matrix;

/* "rows", "tiles", "pairs". */
const char *pio_matrix_layout_name(pio_matrix_layout layout);
/* Whether m (row-major) can be put in layout (TILES or PAIRS): bf16, rows
 * and cols multiples of 32. */
int pio_matrix_layout_fits(const pio_matrix *m, pio_matrix_layout layout);
/* m's elements rewritten in layout into dst (m->rows * m->cols bf16),
 * threaded over pool (may be NULL); dst may be m->data itself (then
 * writable), rewritten one panel at a time.  m then points at dst in that
 * layout.  PIO_ERR_INVALID when m does not fit (pio_matrix_layout_fits,
 * the message naming the shape), PIO_ERR_NO_MEMORY for the panel copy. */
pio_status pio_matrix_set_layout(pio_threadpool *pool, pio_matrix *m, pio_matrix_layout layout,
                                 void *dst, pio_error *err);

/* y[n][w.rows] = x[n][w.cols] . w^T, threaded over pool (may be NULL).
 * A path that is not available runs scalar.  With bf16 weights the
 * avx512bf16 and amx_bf16 paths round x to bf16. */
void pio_matmul(pio_threadpool *pool, pio_kernel_path path, const pio_matrix *w,
                const float *x, size_t n, float *y);
/* The same with the rows of x x_stride floats apart (x_stride >= w.cols),
 * e.g. the gate half of a [n][gate | up] matrix; the same results as
 * pio_matmul on those rows copied together. */
void pio_matmul_strided(pio_threadpool *pool, pio_kernel_path path, const pio_matrix *w,
                        const float *x, size_t x_stride, size_t n, float *y);

/*
 * Which path a model's matmuls take, chosen once at load.  Prefill-sized
 * matmuls (prefill_min_tokens tokens or more) and decode-sized ones may
 * take different paths: AMX tiles pay off only once a tile's 16 tokens are
 * filled, while a single token is bound by reading the weights.
 */
typedef struct pio_kernel_plan {
  pio_kernel_path prefill;     /* matmuls of at least prefill_min_tokens tokens */
  pio_kernel_path decode;      /* smaller ones */
  uint32_t prefill_min_tokens;
  char name[32];               /* "amx_bf16+avx512bf16", or one path's name */
  char why[512];               /* one line: what was measured or known, and what was refused */
} pio_kernel_plan;

/*
 * Fills *out for matmuls over weights of dtype.  request NULL, "" or
 * "auto": the fastest path here.  f32 and f16 weights take the widest f32
 * FMA path (avx512, avx2, scalar).  For bf16 weights that path, avx512bf16
 * and amx_bf16 are timed once per process (a few milliseconds on this
 * thread, the same cache-resident matrix for each), and a bf16 path is
 * chosen only when it beats the one before it by 25 %, so near-ties keep
 * f32 activations and the choice does not flip between runs; decode takes
 * the fastest one other than amx_bf16.  Any other request names one path
 * for every matmul: PIO_ERR_INVALID_ARGUMENT for an unknown name (the
 * message lists them), PIO_ERR_UNSUPPORTED when this machine cannot run it
 * (the message says why).  Thread-safe.
 */
pio_status pio_kernel_plan_choose(const char *request, pio_dtype dtype, pio_kernel_plan *out,
                                  pio_error *err);
/* *out = the layout a model under plan holds its matrices in:
 * PIO_LAYOUT_PAIRS when both phases take avx512bf16 (its kernels read pairs
 * without a copy per call), else PIO_LAYOUT_ROWS.  The environment's
 * PIO_WEIGHT_LAYOUT (rows, tiles or pairs) overrides it, for measuring:
 * every path reads every layout, the others with f32 activations; any other
 * value is PIO_ERR_INVALID_ARGUMENT naming it (a measurement must not run
 * the default by a typo). */
pio_status pio_kernel_plan_layout(const pio_kernel_plan *plan, pio_matrix_layout *out,
                                  pio_error *err);
/* Appends to plan->why that bytes of the model's weights were rewritten
 * into layout at load (pio_weights_set_layouts). */
void pio_kernel_plan_note_layout(pio_kernel_plan *plan, pio_matrix_layout layout,
                                 uint64_t bytes);
/* The path of a matmul of n_tokens tokens under plan. */
pio_kernel_path pio_kernel_plan_path(const pio_kernel_plan *plan, size_t n_tokens);
/* The plan's decode path with f32 activations: avx512 where decode (or the
 * forced path) rounds them to bf16 (avx512bf16, amx_bf16), else decode.
 * For matmuls whose inputs must not be rounded, such as MoE routers, where
 * a bf16 rounding can flip which experts are chosen; --kernel scalar or
 * avx2 still reaches them. */
pio_kernel_path pio_kernel_plan_f32_path(const pio_kernel_plan *plan);

/* x[n] = softmax(x[n]), subtracting the max first. */
void pio_softmax(float *x, size_t n);
/* x[n] = silu(gate[n]) * up[n] in place of gate. */
void pio_silu_mul(float *gate, const float *up, size_t n);
/* Converts n elements of dtype to f32. */
void pio_to_f32(const void *src, pio_dtype dtype, size_t n, float *dst);

/* The three above on a chosen path (the scalar one when path is not
 * available); those above use pio_kernel_best().  For tests and benchmarks
 * that compare paths. */
void pio_softmax_on(pio_kernel_path path, float *x, size_t n);
void pio_silu_mul_on(pio_kernel_path path, float *gate, const float *up, size_t n);
void pio_to_f32_on(pio_kernel_path path, const void *src, pio_dtype dtype, size_t n, float *dst);

#ifdef __cplusplus
}
#endif
#endif
