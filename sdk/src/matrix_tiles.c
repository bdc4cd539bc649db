/* sdk/src/matrix_tiles.c — bf16 matrices rewritten from row-major into the
 * AMX tile order of PIO_LAYOUT_TILES (pio/kernels.h), once at load.  A
 * panel of 16 rows occupies the same bytes in both orders, so a matrix can
 * be rewritten in place one panel at a time through a panel-sized copy. */
#include <stdlib.h>
#include <string.h>

#include "pio/kernels.h"

#define PANEL_ROWS 16u
#define TILE_COLS 32u

pio_matrix_layout pio_matrix_layout_asked(void) {
  const char *asked = getenv("PIO_AMX_LAYOUT");
  return asked != NULL && strcmp(asked, "tiles") == 0 ? PIO_LAYOUT_TILES : PIO_LAYOUT_ROWS;
}

int pio_matrix_tiles_fit(const pio_matrix *m) {
  return m->layout == PIO_LAYOUT_ROWS && m->dtype == PIO_DTYPE_BF16 && m->rows > 0 &&
         m->cols > 0 && m->rows % 32 == 0 && m->cols % TILE_COLS == 0;
}

/* One panel (16 row-major rows of cols bf16 at src) in tile order at dst. */
static void tile_panel(const uint16_t *src, size_t cols, uint16_t *dst) {
  for (size_t s = 0; s < cols / TILE_COLS; s++)
    for (size_t r = 0; r < PANEL_ROWS; r++)
      memcpy(dst + (s * PANEL_ROWS + r) * TILE_COLS, src + r * cols + s * TILE_COLS,
             TILE_COLS * sizeof *dst);
}

typedef struct tile_task {
  const uint16_t *src;
  uint16_t *dst;
  size_t panels, cols;
  unsigned char *scratch; /* a panel's bytes a thread, when in place */
} tile_task;

static void tile_run(void *ctx, uint32_t thread_index, uint32_t n_threads) {
  tile_task *t = ctx;
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
    tile_panel(src, t->cols, t->dst + p * panel_elems);
  }
}

pio_status pio_matrix_tile(pio_threadpool *pool, pio_matrix *m, void *dst, pio_error *err) {
  if (!pio_matrix_tiles_fit(m))
    return pio_error_set(err, PIO_ERR_INVALID,
                         "matrix %ux%u (%s): the tile layout takes row-major bf16 with rows and "
                         "columns multiples of 32",
                         m->rows, m->cols, pio_dtype_name(m->dtype));
  tile_task t = {.src = m->data, .dst = dst, .panels = m->rows / PANEL_ROWS, .cols = m->cols};
  if (dst == m->data) {
    const size_t threads = pio_threadpool_size(pool);
    t.scratch = malloc(threads * PANEL_ROWS * t.cols * sizeof *t.dst);
    if (t.scratch == NULL)
      return pio_error_set(err, PIO_ERR_NO_MEMORY, "matrix %ux%u: no memory for a panel copy",
                           m->rows, m->cols);
  }
  pio_threadpool_run(pool, tile_run, &t);
  free(t.scratch);
  m->data = dst;
  m->layout = PIO_LAYOUT_TILES;
  return PIO_OK;
}
