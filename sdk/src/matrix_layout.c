/* sdk/src/matrix_layout.c — bf16 matrices rewritten once at load from
 * row-major into the layouts of pio/kernels.h (PIO_LAYOUT_TILES for the
 * AMX tiles, PIO_LAYOUT_PAIRS for vdpbf16ps), and which layout a plan
 * takes.  A panel of 16 rows occupies the same bytes in every layout, so a
 * matrix can be rewritten in place one panel at a time through a
 * panel-sized copy. */
#include <stdlib.h>
#include <string.h>

#include "pio/kernels.h"

#define PANEL_ROWS 16u
#define TILE_COLS 32u

static const char *const layout_names[] = {"rows", "tiles", "pairs"};

const char *pio_matrix_layout_name(pio_matrix_layout layout) {
  return (unsigned)layout < sizeof layout_names / sizeof layout_names[0] ? layout_names[layout]
                                                                          : "unknown";
}

pio_status pio_kernel_plan_layout(const pio_kernel_plan *plan, pio_matrix_layout *out,
                                  pio_error *err) {
  const char *asked = getenv("PIO_WEIGHT_LAYOUT");
  *out = plan->prefill == PIO_KERNEL_AVX512_BF16 && plan->decode == PIO_KERNEL_AVX512_BF16
             ? PIO_LAYOUT_PAIRS
             : PIO_LAYOUT_ROWS;
  if (asked == NULL) return PIO_OK;
  for (unsigned l = 0; l < sizeof layout_names / sizeof layout_names[0]; l++) {
    if (strcmp(asked, layout_names[l]) == 0) {
      *out = (pio_matrix_layout)l;
      return PIO_OK;
    }
  }
  return pio_error_set(err, PIO_ERR_INVALID_ARGUMENT,
                       "PIO_WEIGHT_LAYOUT=%.64s%s in the environment: expected rows, tiles or "
                       "pairs", asked, strlen(asked) > 64 ? "..." : "");
}

int pio_matrix_layout_fits(const pio_matrix *m, pio_matrix_layout layout) {
  return (layout == PIO_LAYOUT_TILES || layout == PIO_LAYOUT_PAIRS) &&
         m->layout == PIO_LAYOUT_ROWS && m->dtype == PIO_DTYPE_BF16 && m->rows > 0 &&
         m->cols > 0 && m->rows % 32 == 0 && m->cols % TILE_COLS == 0;
}

/* One panel (16 row-major rows of cols bf16 at src) in tile order at dst:
 * its 32-column tiles in turn, each the 16 rows' 32 columns. */
static void tiles_panel(const uint16_t *src, size_t cols, uint16_t *dst) {
  for (size_t s = 0; s < cols / TILE_COLS; s++)
    for (size_t r = 0; r < PANEL_ROWS; r++)
      memcpy(dst + (s * PANEL_ROWS + r) * TILE_COLS, src + r * cols + s * TILE_COLS,
             TILE_COLS * sizeof *dst);
}

/* The same in pair order: its column pairs in turn, each the 16 rows' two
 * columns (a 16 x cols/2 transpose of 32-bit pairs). */
static void pairs_panel(const uint16_t *src, size_t cols, uint16_t *dst) {
  for (size_t p = 0; p < cols / 2; p++)
    for (size_t r = 0; r < PANEL_ROWS; r++)
      memcpy(dst + (p * PANEL_ROWS + r) * 2, src + r * cols + 2 * p, 2 * sizeof *dst);
}

typedef struct layout_task {
  const uint16_t *src;
  uint16_t *dst;
  size_t panels, cols;
  void (*panel)(const uint16_t *src, size_t cols, uint16_t *dst);
  unsigned char *scratch; /* a panel's bytes a thread, when in place */
} layout_task;

static void layout_run(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  layout_task *t = ctx;
  const size_t panel_elems = PANEL_ROWS * t->cols;
  uint16_t *copy = t->scratch != NULL
                       ? (uint16_t *)(t->scratch + thread_index * panel_elems * sizeof *copy)
                       : NULL;
  for (size_t p = t->panels * thread_index / n_threads;
       p < t->panels * (thread_index + 1) / n_threads; p++) {
    const uint16_t *src = t->src + p * panel_elems;
    if (copy != NULL) {
      memcpy(copy, src, panel_elems * sizeof *copy);
      src = copy;
    }
    t->panel(src, t->cols, t->dst + p * panel_elems);
  }
}

pio_status pio_matrix_set_layout(pio_threadpool *pool, pio_matrix *m, pio_matrix_layout layout,
                                 void *dst, pio_error *err) {
  if (!pio_matrix_layout_fits(m, layout))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "matrix %ux%u (%s, %s): the %s layout takes row-major bf16 with rows "
                         "and columns multiples of 32",
                         m->rows, m->cols, pio_dtype_name(m->dtype),
                         pio_matrix_layout_name(m->layout), pio_matrix_layout_name(layout));
  layout_task t = {.src = m->data, .dst = dst, .panels = m->rows / PANEL_ROWS, .cols = m->cols,
                   .panel = layout == PIO_LAYOUT_TILES ? tiles_panel : pairs_panel};
  if (dst == m->data) {
    const size_t threads = pio_threadpool_size(pool);
    t.scratch = malloc(threads * PANEL_ROWS * t.cols * sizeof *t.dst);
    if (t.scratch == NULL)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "matrix %ux%u: no memory for a panel copy",
                           m->rows, m->cols);
  }
  pio_threadpool_run(pool, layout_run, &t);
  free(t.scratch);
  m->data = dst;
  m->layout = layout;
  return PIO_OK;
}
