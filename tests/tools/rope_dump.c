/* tests/tools/rope_dump.c — prints pio_rope_inv_freq's result for the
 * parameters on the command line, for test_rope_torch.py to compare with
 * transformers' arithmetic: the attention factor, then one inverse
 * frequency a line, as exact hex floats.
 *
 *   rope_dump TYPE DIM THETA FACTOR LOW HIGH ORIGINAL BETA_FAST BETA_SLOW
 *             MSCALE MSCALE_ALL_DIM ATTENTION_FACTOR NO_TRUNCATE
 * TYPE: default, linear, llama3 or yarn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pio/rope.h"

int main(int argc, char **argv) {
  if (argc != 14) {
    fprintf(stderr, "usage: rope_dump TYPE DIM THETA FACTOR LOW HIGH ORIGINAL BETA_FAST "
                    "BETA_SLOW MSCALE MSCALE_ALL_DIM ATTENTION_FACTOR NO_TRUNCATE\n");
    return 2;
  }
  static const char *const types[] = {"default", "linear", "llama3", "yarn"};
  pio_rope_params p = {.type = PIO_ROPE_DEFAULT};
  int found = 0;
  for (int t = 0; t < 4; t++)
    if (strcmp(argv[1], types[t]) == 0) p.type = (pio_rope_type)t, found = 1;
  if (!found) {
    fprintf(stderr, "rope_dump: unknown type '%s'\n", argv[1]);
    return 2;
  }
  p.rotary_dim = (uint32_t)strtoul(argv[2], NULL, 10);
  p.theta = strtod(argv[3], NULL);
  p.factor = strtod(argv[4], NULL);
  p.low_freq_factor = strtod(argv[5], NULL);
  p.high_freq_factor = strtod(argv[6], NULL);
  p.original_max_position = (uint32_t)strtoul(argv[7], NULL, 10);
  p.beta_fast = strtod(argv[8], NULL);
  p.beta_slow = strtod(argv[9], NULL);
  p.mscale = strtod(argv[10], NULL);
  p.mscale_all_dim = strtod(argv[11], NULL);
  p.attention_factor = strtod(argv[12], NULL);
  p.yarn_no_truncate = atoi(argv[13]);
  pio_error err = {0};
  if (pio_rope_params_check(&p, &err) != PIO_OK) {
    fprintf(stderr, "rope_dump: %s\n", err.message);
    return 1;
  }
  float *inv_freq = malloc(p.rotary_dim / 2 * sizeof *inv_freq);
  double attention = 0;
  pio_rope_inv_freq(&p, inv_freq, &attention);
  printf("%a\n", attention);
  for (uint32_t i = 0; i < p.rotary_dim / 2; i++) printf("%a\n", (double)inv_freq[i]);
  free(inv_freq);
  return 0;
}
